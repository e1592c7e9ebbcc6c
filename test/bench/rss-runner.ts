// Runs the CLI given as the first argument in this process and reports the process's peak RSS (and the CPU time of
// all its threads, in microseconds) on stderr.
import { pathToFileURL } from 'node:url';

const [cli, ...args] = process.argv.slice(2);
process.argv = [process.argv[0]!, cli!, ...args];
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`\nwasi-trace-bench-maxrss ${u.maxRSS}\nwasi-trace-bench-cpu ${u.userCPUTime + u.systemCPUTime}\n`);
});
await import(pathToFileURL(cli!).href);
