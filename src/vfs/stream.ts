// Stream handles: stdio backed by a host fd, input from a byte buffer, output to a callback.
import * as fs from 'node:fs';
import { Errno, Filetype } from '../abi/index.js';
import { WasiError } from '../abi/index.js';
import { FileHandle, type Stat } from './types.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread for `ms` (used while a non-blocking host fd has nothing for us). */
export const sleepSync = (ms: number): void => { Atomics.wait(sleeper, 0, 0, ms); };

const streamStat = (filetype: Filetype, size = 0n): Stat =>
  ({ dev: 0n, ino: 0n, filetype, nlink: 1n, size, atim: 0n, mtim: 0n, ctim: 0n });

/** Maps a host st_mode to a preview1 filetype by its S_IFMT bits. */
export function filetypeFromMode(mode: number): Filetype {
  switch (mode & fs.constants.S_IFMT) {
    case fs.constants.S_IFREG: return Filetype.REGULAR_FILE;
    case fs.constants.S_IFDIR: return Filetype.DIRECTORY;
    case fs.constants.S_IFLNK: return Filetype.SYMBOLIC_LINK;
    case fs.constants.S_IFCHR: return Filetype.CHARACTER_DEVICE;
    case fs.constants.S_IFBLK: return Filetype.BLOCK_DEVICE;
    case fs.constants.S_IFSOCK: return Filetype.SOCKET_STREAM;
    default: return Filetype.UNKNOWN; // FIFOs have no preview1 filetype
  }
}

/**
 * A host stdio fd used as a stream. Reads block until data or end of input (EAGAIN from a non-blocking
 * pipe is waited out); writes write everything.
 */
export class HostStream extends FileHandle {
  override readonly seekable = false;
  readonly filetype: Filetype;

  constructor(readonly hostFd: number, readonly mode: 'read' | 'write') {
    super();
    let ft = Filetype.CHARACTER_DEVICE;
    try { ft = filetypeFromMode(fs.fstatSync(hostFd).mode); } catch { /* closed stdio: still a device */ }
    this.filetype = ft === Filetype.REGULAR_FILE || ft === Filetype.UNKNOWN ? Filetype.CHARACTER_DEVICE : ft;
  }

  override read(buf: Uint8Array): number { return this.readRange(buf, 0, buf.length); }

  override readRange(dst: Uint8Array, start: number, len: number): number {
    if (this.mode !== 'read') throw new WasiError(Errno.BADF);
    for (;;) {
      try {
        return fs.readSync(this.hostFd, dst, start, len, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') { sleepSync(5); continue; }
        if (code === 'EOF') return 0;
        throw e;
      }
    }
  }

  override write(buf: Uint8Array): number { return this.writeRange(buf, 0, buf.length); }

  override writeRange(src: Uint8Array, start: number, len: number): number {
    if (this.mode !== 'write') throw new WasiError(Errno.BADF);
    let done = 0;
    while (done < len) {
      try {
        done += fs.writeSync(this.hostFd, src, start + done, len - done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { sleepSync(1); continue; }
        throw e;
      }
    }
    return done;
  }

  override stat(): Stat { return streamStat(this.filetype); }
}

/** Guest input served from bytes held in memory (for example stdin given through the API). */
export class BufferInput extends FileHandle {
  override readonly seekable = false;
  readonly filetype = Filetype.CHARACTER_DEVICE;
  private pos = 0;
  constructor(private readonly data: Uint8Array) { super(); }
  override read(buf: Uint8Array): number {
    const n = Math.min(buf.length, this.data.length - this.pos);
    buf.set(this.data.subarray(this.pos, this.pos + n));
    this.pos += n;
    return n;
  }
  override readable(): bigint { return BigInt(this.data.length - this.pos); }
  override stat(): Stat { return streamStat(this.filetype); }
}

/** Guest output delivered to a callback (which must copy the bytes if it keeps them). */
export class CallbackOutput extends FileHandle {
  override readonly seekable = false;
  readonly filetype = Filetype.CHARACTER_DEVICE;
  constructor(private readonly sink: (bytes: Uint8Array) => void) { super(); }
  override write(buf: Uint8Array): number { this.sink(buf); return buf.length; }
  override stat(): Stat { return streamStat(this.filetype); }
}
