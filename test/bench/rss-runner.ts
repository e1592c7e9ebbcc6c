// Runs the CLI given as the first argument in this process and reports the process's peak RSS on stderr.
import { pathToFileURL } from 'node:url';

const [cli, ...args] = process.argv.slice(2);
process.argv = [process.argv[0]!, cli!, ...args];
process.on('exit', () => process.stderr.write(`\nwasi-trace-bench-maxrss ${process.resourceUsage().maxRSS}\n`));
await import(pathToFileURL(cli!).href);
