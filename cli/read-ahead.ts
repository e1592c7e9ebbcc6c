// The guest module of `run`, read on libuv's threads while this thread loads the command line: cli/main.ts starts
// it and hands it to the command line in its CliIo, where cli/io.ts takes it (other commands never load this file).
// A 20 MB module takes ~30 ms to read, about what loading the command line takes. Only node:fs is imported here. The
// path is a guess made before the command line is parsed; a wrong guess costs only that read.
import * as fs from 'node:fs';

/**
 * The sizes of module worth reading ahead: a smaller one is read sooner than the read ahead is set up and handed
 * over (hello's 30 KB: ~0.1 ms); a larger one is read by the command itself, which refuses one over V8's limit.
 */
const READ_AHEAD_MIN = 1 << 20;
const READ_AHEAD_MAX = 256 << 20;

/** A file as it was read: its bytes (in shared memory, which a worker thread takes without a copy) and identity. */
interface ReadFile { bytes: Uint8Array; dev: number; ino: number; size: number; mtimeMs: number }

/** A module file being read ahead (readAhead). */
export interface ModuleReadAhead {
  /** Settles once the read has ended, however. */
  readonly settled: Promise<void>;
  /**
   * The bytes read of `path` (exactly as given to readAhead), if they are what reading it now would give: the read
   * ended, and the path still names that file (device, inode) with the size and modification time it had. Taken
   * once: a later call gets undefined (and reads for itself).
   */
  take(path: string): Uint8Array | undefined;
}

/**
 * The guest module path of a `run` command line (or `record`'s), guessed without its flag table: the first argument
 * after the command that does not start with "-" and ends with ".wasm" (a flag's value rarely does).
 */
export function guessModule(argv: readonly string[], command: string): string | undefined {
  return argv.slice(argv.indexOf(command) + 1).find((a) => !a.startsWith('-') && a.endsWith('.wasm'));
}

/**
 * Starts reading `path` when it is a regular file of READ_AHEAD_MIN to READ_AHEAD_MAX bytes; undefined (nothing
 * opened) for anything else, so a FIFO or a device is never read from here.
 */
export function readAhead(path: string): ModuleReadAhead | undefined {
  const st = fs.statSync(path, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile() || st.size < READ_AHEAD_MIN || st.size > READ_AHEAD_MAX) return undefined;
  let file: ReadFile | undefined;
  const settled = new Promise<void>((resolve) => {
    fs.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, (err, fd) => {
      if (err) { resolve(); return; }
      const done = (read?: ReadFile) => { file = read; fs.close(fd, () => resolve()); };
      fs.fstat(fd, (e, s) => {
        if (e || !s.isFile() || s.size !== st.size) { done(); return; }
        const bytes = new Uint8Array(new SharedArrayBuffer(s.size));
        const next = (at: number) => fs.read(fd, bytes, at, s.size - at, at, (re, n) => {
          if (re || n === 0) done(); // an error, or a file that shrank: read it anew
          else if (at + n < s.size) next(at + n);
          else done({ bytes, dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs });
        });
        next(0);
      });
    });
  });
  return {
    settled,
    take(asked) {
      const read = asked === path ? file : undefined;
      file = undefined;
      if (read === undefined) return undefined;
      const now = fs.statSync(path, { throwIfNoEntry: false });
      const same = now !== undefined && now.dev === read.dev && now.ino === read.ino && now.size === read.size && now.mtimeMs === read.mtimeMs;
      return same ? read.bytes : undefined;
    },
  };
}
