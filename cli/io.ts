// The stdio of one command line. By default it is the process's own (the guest's stdout is then written straight
// to fd 1); a caller such as a test passes callbacks and stdin bytes to run a command line in-process.
import { checkedModuleBytes, readModuleBytes } from '../src/module.js';
import type { ModuleReadAhead } from './read-ahead.js';
import { fdSink, Output } from './output.js';

export interface CliIo {
  /** Receives what the command and its guest write to stdout (default: fd 1). */
  stdout?: (bytes: Uint8Array) => void;
  /** Receives what they write to stderr (default: the process's stderr). */
  stderr?: (bytes: Uint8Array) => void;
  /** The whole of stdin (default: fd 0, read when needed). */
  stdin?: Uint8Array;
  /** The guest module's file, being read since the process started (cli/main.ts, for `run`). */
  moduleAhead?: ModuleReadAhead;
}

/** Writes `text` on stderr. */
export function writeStderr(io: CliIo, text: string): void {
  if (io.stderr) io.stderr(Buffer.from(text)); else process.stderr.write(text);
}

/** Writes `wasi-trace: <message>` as one line on stderr. */
export const note = (io: CliIo, message: string): void => writeStderr(io, `wasi-trace: ${message}\n`);

/** The command's stdout as buffered text (flush it when done: withOutput does). */
export const stdoutText = (io: CliIo): Output => new Output(io.stdout ?? fdSink(1));

/**
 * The bytes of the module at `path`; "-" is stdin (UserError when it cannot be read). `shared`: read into a
 * SharedArrayBuffer, for a worker thread to take without a copy (recording). The bytes io.moduleAhead read (in shared
 * memory) when they are of `path` and still the file's: await its `settled` first.
 */
export function readGuestModule(path: string, io: CliIo, options: { shared?: boolean } = {}): { name: string; bytes: Uint8Array } {
  // the name readModuleBytes gives a module read from stdin
  if (path === '-' && io.stdin !== undefined) return { name: '<stdin>', bytes: io.stdin };
  const ahead = io.moduleAhead?.take(path);
  return ahead ? { name: path, bytes: checkedModuleBytes(path, ahead) } : readModuleBytes(path, options);
}
