// How a guest's end becomes wasi-trace's own exit: the guest's code, or 134 with the message for a trap.
import { EXIT_TRAP } from '../src/errors.js';
import type { RunEnd } from '../src/run.js';

export function exitFor(end: RunEnd): number {
  if (end.kind === 'trap') {
    process.stderr.write(`wasi-trace: guest trapped: ${end.message}\n`);
    return EXIT_TRAP;
  }
  if (end.signal) process.stderr.write(`wasi-trace: guest raised ${end.signal}\n`);
  return end.code;
}
