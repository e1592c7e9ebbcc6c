// Runs the CLI given as the first argument in this process and reports the CPU seconds the process used (every
// thread: the guest thread and the writer) on stderr, for test/bench/record.ts.
import { pathToFileURL } from 'node:url';

const [cli, ...args] = process.argv.slice(2);
process.argv = [process.argv[0]!, cli!, ...args];
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`\nwasi-trace-bench-cpu ${(u.userCPUTime + u.systemCPUTime) / 1e6}\n`);
});
await import(pathToFileURL(cli!).href);
