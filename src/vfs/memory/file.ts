// In-memory regular files: the inode (MemoryFile, a FileNode) owns the bytes; every open handle shares it, so a
// file unlinked while open stays readable and writable through its fds (like memfd). A file with no name at all
// is made by anonymousFile().
import { Errno, Filetype } from '../../abi/index.js';
import { realtimeNs } from '../clock.js';
import { WasiError } from '../../abi/index.js';
import { FileHandle, FileNode, type OpenFileOptions, type Stat } from '../types.js';

/** Largest in-memory file (EFBIG past it): what one Uint8Array may hold, kept well inside Node's limit. */
export const MAX_FILE_SIZE = 2 ** 31 - 1;

/** One in-memory filesystem: its device number and inode counter. Renames and links never cross two of them. */
export class MemoryFs {
  private static nextDev = 1n;
  readonly dev = MemoryFs.nextDev++;
  private nextIno = 1n;
  ino(): bigint { return this.nextIno++; }
}

/** Timestamps of a node, in ns since the epoch (realtime clock). */
export class Times {
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
  constructor() { this.atim = this.mtim = this.ctim = realtimeNs(); }
  /** Content changed: mtim and ctim. */
  modified(): void { this.mtim = this.ctim = realtimeNs(); }
  /** Metadata changed (links, times): ctim. */
  changed(): void { this.ctim = realtimeNs(); }
  set(atim: bigint | undefined, mtim: bigint | undefined): void {
    if (atim !== undefined) this.atim = atim;
    if (mtim !== undefined) this.mtim = mtim;
    this.changed();
  }
}

const checkSize = (size: bigint | number): number => {
  if (size < 0) throw new WasiError(Errno.INVAL);
  if (size > MAX_FILE_SIZE) throw new WasiError(Errno.FBIG, `in-memory files are limited to ${MAX_FILE_SIZE} bytes`);
  return Number(size);
};

export class MemoryFile extends FileNode {
  readonly ino: bigint;
  readonly times = new Times();
  /** Directory entries naming this file (0 for an unlinked or anonymous file). */
  nlink = 0;
  private data: Uint8Array;
  private length: number;

  constructor(readonly fs: MemoryFs, bytes?: Uint8Array) {
    super();
    this.ino = fs.ino();
    this.data = bytes ? Uint8Array.from(bytes) : new Uint8Array(0);
    this.length = this.data.length;
  }

  get size(): number { return this.length; }

  /** A copy of the file's current contents. */
  bytes(): Uint8Array { return this.data.slice(0, this.length); }

  stat(): Stat {
    const { atim, mtim, ctim } = this.times;
    return {
      dev: this.fs.dev, ino: this.ino, filetype: Filetype.REGULAR_FILE, nlink: BigInt(this.nlink),
      size: BigInt(this.length), atim, mtim, ctim,
    };
  }

  open(options: OpenFileOptions): FileHandle {
    if (options.truncate) this.resize(0);
    return new MemoryFileHandle(this, options.read, options.write);
  }

  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void { this.times.set(atim, mtim); }

  /** Reads at `offset` (0 at or past the end); EINVAL for a negative offset. */
  read(buf: Uint8Array, offset: bigint): number {
    if (offset < 0n) throw new WasiError(Errno.INVAL);
    if (offset >= BigInt(this.length)) return 0;
    const at = Number(offset);
    const n = Math.min(buf.length, this.length - at);
    buf.set(this.data.subarray(at, at + n));
    return n;
  }

  /**
   * Writes at `offset`, zero-filling a gap past the end; EINVAL for a negative offset, EFBIG past MAX_FILE_SIZE.
   * Writing nothing changes nothing (as pwrite: no gap is filled).
   */
  write(buf: Uint8Array, offset: bigint): number {
    if (offset < 0n) throw new WasiError(Errno.INVAL);
    if (buf.length === 0) return 0;
    const end = checkSize(offset + BigInt(buf.length));
    this.reserve(end);
    this.data.set(buf, Number(offset));
    if (end > this.length) this.length = end;
    this.times.modified();
    return buf.length;
  }

  /** Sets the size: truncates, or extends with zero bytes. */
  resize(size: bigint | number): void {
    const n = checkSize(size);
    if (n < this.length) this.data.fill(0, n, this.length);
    else this.reserve(n);
    this.length = n;
    this.times.modified();
  }

  private reserve(n: number): void {
    if (n <= this.data.length) return;
    const grown = new Uint8Array(Math.min(MAX_FILE_SIZE, Math.max(n, this.data.length * 2, 64)));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}

/** An open in-memory file. EBADF for reads without read access or writes without write access. */
export class MemoryFileHandle extends FileHandle {
  readonly filetype = Filetype.REGULAR_FILE;

  constructor(readonly file: MemoryFile, readonly canRead: boolean, readonly canWrite: boolean) { super(); }

  override read(buf: Uint8Array, offset: bigint): number {
    if (!this.canRead) throw new WasiError(Errno.BADF, 'not open for reading');
    return this.file.read(buf, offset);
  }
  override write(buf: Uint8Array, offset: bigint): number {
    if (!this.canWrite) throw new WasiError(Errno.BADF, 'not open for writing');
    return this.file.write(buf, offset);
  }
  override stat(): Stat { return this.file.stat(); }
  /** EINVAL when not open for writing (as ftruncate on a read-only fd). */
  override setSize(size: bigint): void {
    if (!this.canWrite) throw new WasiError(Errno.INVAL, 'not open for writing');
    this.file.resize(size);
  }
  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void { this.file.setTimes(atim, mtim); }
  /** Extends the file to offset+len when it is shorter; EBADF when not open for writing. */
  override allocate(offset: bigint, len: bigint): void {
    if (!this.canWrite) throw new WasiError(Errno.BADF, 'not open for writing');
    if (offset < 0n || len <= 0n) throw new WasiError(Errno.INVAL);
    if (offset + len > BigInt(this.file.size)) this.file.resize(offset + len);
  }
  override readable(offset: bigint): bigint {
    const left = BigInt(this.file.size) - offset;
    return left > 0n ? left : 0n;
  }
}

/**
 * A readable and writable in-memory file with no name in any directory, holding a copy of `bytes`: for an embedder
 * to place at any fd (for example a guest's stdin built from a buffer, seekable unlike a stream).
 */
export function anonymousFile(bytes?: Uint8Array): FileHandle {
  return new MemoryFile(new MemoryFs(), bytes).open({ read: true, write: true, truncate: false });
}
