// How a guest's end becomes wasi-trace's own exit: the guest's code, or 134 with the message for a trap.
import { EXIT_TRAP } from '../src/errors.js';
import type { RunEnd } from '../src/run.js';
import { note, type CliIo } from './io.js';

export function exitFor(end: RunEnd, io: CliIo): number {
  if (end.kind === 'trap') {
    note(io, `guest trapped: ${end.message}`);
    return EXIT_TRAP;
  }
  if (end.signal) note(io, `guest raised ${end.signal}`);
  return end.code;
}
