// The files wasi-trace reads and writes besides modules (src/module.ts reads those).
//
// A trace to read must be a regular file (checkTraceFile): a FIFO would block its opener until a writer comes,
// and a device has no end and no place to seek to.
//
// The files wasi-trace writes its results to (a trace, an export), and what becomes of their names:
// - a missing name, or a regular file: written to a temporary file beside it (`.NAME.PID.tmp`) and renamed onto it
//   once complete, so the name never holds half a result;
// - a symbolic link is followed: the file it leads to is replaced, the link stays (a link to nothing is refused);
// - a character or block device or a FIFO (`/dev/null`, `/dev/stdout` on a pipe, a named pipe): written straight
//   to it, never replaced or renamed onto;
// - a directory, a socket, '' and a name ending in '/' are refused (a UserError, before anything runs).
// Errors while writing are OutputErrors: one line (`no space left on device writing trace.bin`), exit EXIT_OUTPUT.
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { EXIT_OUTPUT, UserError } from './errors.js';

/** Writes up to `length` bytes of `bytes` from `offset` to `fd` at its current position (fs.writeSync's contract). */
export type WriteFunction = (fd: number, bytes: Uint8Array, offset: number, length: number) => number;

const writeSync: WriteFunction = (fd, bytes, offset, length) => fs.writeSync(fd, bytes, offset, length, null);

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EPIPE: 'the reading end was closed (broken pipe)',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENXIO: 'no such device',
};

/**
 * Whether a failed write's error says that the reader of the output went away (`... | head`): EPIPE on a pipe,
 * ECONNRESET on a socket (what a Node parent gives a child as its stdio) whose reader closed with bytes unread.
 */
export function readerGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}

/** A short human reason for a failed file operation: the errno's meaning, else the error's message. */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return (code && REASONS[code]) ?? (e as Error)?.message ?? String(e);
}

/** Writing an output failed (ENOSPC, EIO, EPIPE, ...): `message` is `<reason> writing <name>`. */
export class OutputError extends UserError {
  constructor(readonly reason: string, readonly target: string, readonly code?: string) {
    super(`${reason} writing ${target}`, EXIT_OUTPUT);
  }

  static from(e: unknown, target: string): OutputError {
    if (e instanceof OutputError) return e;
    return new OutputError(ioReason(e), target, (e as NodeJS.ErrnoException | null)?.code);
  }
}

/** What a file that is not a regular file is, for messages: `a FIFO (pipe)`, `a device`, `a socket`, ... */
export function fileKind(st: fs.Stats): string {
  return st.isFIFO() ? 'a FIFO (pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a directory' : 'not a regular file';
}

let tempCounter = 0;

export interface OutputFileOptions {
  /** What is written, for messages: "trace" gives `cannot write trace X: ...` (default: `cannot write X: ...`). */
  what?: string;
  /** The function that writes bytes (default fs.writeSync at the current position); tests inject failures here. */
  write?: WriteFunction;
}

export class OutputFile {
  /** Bytes written so far (every write is complete or failed; a failed one is not counted). */
  position = 0;
  private closed = false;

  private constructor(
    /** The name as given, for messages. */
    readonly name: string,
    /** The final path (absolute; for a symlink, the file it leads to). */
    readonly path: string,
    /** The temporary file, or undefined when the bytes go straight to `path` (a device or FIFO). */
    readonly tempPath: string | undefined,
    /** The open file the bytes go to. */
    readonly fd: number,
    private readonly writeFn: WriteFunction,
  ) {}

  /** Whether the bytes go straight to the target (a device or FIFO): nothing is renamed or removed then. */
  get direct(): boolean { return this.tempPath === undefined; }

  /**
   * Opens an output for `name` (see the top of this file): creates the temporary file, or opens a device or FIFO
   * (which may wait for a FIFO's reader, like a shell's `>`). UserError when the name is refused or cannot be
   * written.
   */
  static open(name: string, options: OutputFileOptions = {}): OutputFile {
    const what = options.what ? `${options.what} ` : '';
    const refuse = (why: string): never => { throw new UserError(`cannot write ${what}${name === '' ? "''" : name}: ${why}`); };
    if (name === '') refuse('the name is empty (name a file)');
    if (name.endsWith('/') || ['.', '..'].includes(nodePath.basename(name))) refuse('the name is a directory (name a file)');
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') refuse('a part of the path is not a directory');
      if (code === 'EACCES') refuse('permission denied');
      if (code !== 'ENOENT') refuse(ioReason(e));
      if (fs.lstatSync(name, { throwIfNoEntry: false })?.isSymbolicLink()) refuse('it is a symbolic link to a file that does not exist');
    }
    const write = options.write ?? writeSync;
    if (st?.isDirectory()) refuse('it is a directory (name a file in it)');
    if (st?.isSocket()) refuse('it is a socket');
    if (st && (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice())) {
      let fd: number;
      try {
        fd = fs.openSync(name, fs.constants.O_WRONLY);
      } catch (e) {
        return refuse(ioReason(e));
      }
      return new OutputFile(name, nodePath.resolve(name), undefined, fd, write);
    }
    // A regular file (through any symlinks) or a missing name: a temporary file beside the real one.
    const path = st ? fs.realpathSync(name) : nodePath.resolve(name);
    const dir = nodePath.dirname(path);
    const base = nodePath.basename(path);
    let tempPath = nodePath.join(dir, `.${base}.${process.pid}.tmp`);
    for (;;) {
      try {
        return new OutputFile(name, path, tempPath, fs.openSync(tempPath, 'wx'), write);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Another output of this process goes to the same name.
        if (code === 'EEXIST') { tempPath = nodePath.join(dir, `.${base}.${process.pid}.${++tempCounter}.tmp`); continue; }
        if (code === 'ENOENT') refuse(`directory ${dir} does not exist`);
        if (code === 'ENOTDIR') refuse(`${dir} is not a directory`);
        if (code === 'EACCES') refuse(`directory ${dir} is not writable`);
        refuse(ioReason(e));
      }
    }
  }

  /** Writes all of `bytes`; OutputError when it cannot (what was written of them is not counted in `position`). */
  write(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length;) {
      let n: number;
      try {
        n = this.writeFn(this.fd, bytes, done, bytes.length - done);
      } catch (e) {
        // A non-blocking descriptor (a FIFO or a terminal some other process made so) that is full: wait a little.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; }
        throw OutputError.from(e, this.name);
      }
      if (n <= 0) throw new OutputError('the write made no progress', this.name);
      done += n;
    }
    this.position += bytes.length;
  }

  /**
   * Completes the output: syncs and renames the temporary file onto the target (replacing a regular file there),
   * or closes the device or FIFO. OutputError when that fails (the temporary file is then left; see discard).
   */
  /**
   * fsyncs what was written so far (a temporary file; a device or FIFO is left alone), so that commit()'s own fsync has
   * only what follows to write out. OutputError when it fails.
   */
  syncWritten(): void {
    if (this.closed || this.tempPath === undefined) return;
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw OutputError.from(e, this.name);
    }
  }

  commit(): void {
    if (this.closed) throw new Error(`output ${this.name} is already closed`);
    try {
      if (this.tempPath === undefined) {
        this.close();
        return;
      }
      fs.fsyncSync(this.fd);
      this.close();
      fs.renameSync(this.tempPath, this.path);
    } catch (e) {
      throw OutputError.from(e, this.name);
    }
    syncDirectory(nodePath.dirname(this.path));
  }

  /** Gives up: closes, and removes the temporary file (a device or FIFO is only closed). Safe to call again. */
  discard(): void {
    this.close();
    if (this.tempPath !== undefined) {
      try { fs.unlinkSync(this.tempPath); } catch { /* already gone */ }
    }
  }

  /**
   * Gives up but keeps the first `length` bytes of the temporary file (say, every complete block of a trace after
   * a failed write): returns its path, or undefined when nothing is kept (`length` 0, or a device or FIFO).
   */
  keep(length: number): string | undefined {
    if (this.tempPath === undefined || length <= 0) {
      this.discard();
      return undefined;
    }
    try {
      fs.ftruncateSync(this.fd, length);
    } catch {
      /* what follows the kept bytes is a torn block, which readers report as the place the trace ends */
    }
    this.close();
    return this.tempPath;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    try { fs.closeSync(this.fd); } catch { /* closing is best effort */ }
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not every platform or file system can fsync a directory; the rename itself is done.
  } finally {
    if (fd !== undefined) {
      try { fs.closeSync(fd); } catch { /* best effort */ }
    }
  }
}
