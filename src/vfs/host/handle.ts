// An open host file: a regular file, a device or a FIFO, read and written at explicit offsets.
import * as fs from 'node:fs';
import { Errno, Filetype } from '../../abi/index.js';
import { WasiError } from '../../abi/index.js';
import { filetypeFromMode, sleepSync } from '../stream.js';
import { FileHandle, type Offset, type Stat } from '../types.js';
import { hostTime, setExactTimes } from './times.js';

const C = fs.constants;
const INT64_MAX = 0x7fffffffffffffffn;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A 64-bit unsigned view of a stat field (Node's bigint stats are signed). */
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** A host bigint stat as a preview1 filestat (filetype by S_IFMT). */
export function statFromHost(s: fs.BigIntStats): Stat {
  return {
    dev: u64(s.dev), ino: u64(s.ino), filetype: filetypeFromMode(Number(s.mode)), nlink: u64(s.nlink),
    size: u64(s.size), atim: s.atimeNs, mtim: s.mtimeNs, ctim: s.ctimeNs,
  };
}

const closedError = (): WasiError => new WasiError(Errno.BADF, 'host file is closed');
/** A read offset that is not a non-negative number: a bigint within int64 (a number where it fits), else EINVAL. */
function readPosition(offset: Offset): number | bigint {
  if (offset < 0 || offset > INT64_MAX) throw new WasiError(Errno.INVAL, 'read offset out of range');
  return typeof offset === 'bigint' && offset <= MAX_SAFE ? Number(offset) : offset; // readSync takes a bigint; writeSync does not
}
const badWriteOffset = (pos: number): WasiError => (pos < 0
  ? new WasiError(Errno.INVAL, 'write offset out of range')
  : new WasiError(Errno.FBIG, 'write offset beyond 2^53'));
const errCode = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;

/**
 * A host fd opened by HostFile.open. Regular files and block devices are seekable and use pread/pwrite at the
 * offset given; FIFOs, sockets and character devices are streams (offsets ignored). A FIFO is opened
 * non-blocking (so opening never hangs the runtime); its reads and writes wait out EAGAIN, which makes them
 * block like ordinary ones.
 */
export class HostFileHandle extends FileHandle {
  override readonly seekable: boolean;
  readonly filetype: Filetype;
  private closed = false;

  constructor(readonly hostFd: number, mode: number, private readonly nonblocking: boolean) {
    super();
    this.filetype = filetypeFromMode(mode);
    const fmt = mode & C.S_IFMT;
    this.seekable = fmt === C.S_IFREG || fmt === C.S_IFBLK;
  }

  private get fd(): number {
    if (this.closed) throw closedError();
    return this.hostFd;
  }

  override read(buf: Uint8Array, offset: bigint): number { return this.readRange(buf, 0, buf.length, offset); }

  /** One read system call per call for a regular file (pread at the offset); a FIFO (readNonblocking) out of line. */
  override readRange(dst: Uint8Array, start: number, len: number, offset: Offset): number {
    if (len === 0) return 0;
    let pos: number | bigint | null = null;
    if (this.seekable) pos = typeof offset === 'number' && offset >= 0 ? offset : readPosition(offset);
    if (this.closed) throw closedError();
    if (this.nonblocking) return this.readNonblocking(dst, start, len, pos);
    return fs.readSync(this.hostFd, dst, start, len, pos);
  }

  /** readRange on a FIFO opened non-blocking: waits out EAGAIN, so that it blocks like an ordinary read. */
  private readNonblocking(dst: Uint8Array, start: number, len: number, pos: number | bigint | null): number {
    for (;;) {
      try {
        return fs.readSync(this.hostFd, dst, start, len, pos);
      } catch (e) {
        if (errCode(e) === 'EAGAIN') { sleepSync(5); continue; }
        throw e;
      }
    }
  }

  override write(buf: Uint8Array, offset: bigint): number { return this.writeRange(buf, 0, buf.length, offset); }

  /**
   * One write system call per call for a regular file (pwrite at the offset), with nothing copied or allocated.
   * The hot path is kept small, so that V8 inlines it into the bound fd_write; a FIFO (writeNonblocking) and every
   * error are out of line.
   */
  override writeRange(src: Uint8Array, start: number, len: number, offset: Offset): number {
    if (len === 0) return 0;
    let pos: number | null = null;
    if (this.seekable) {
      // fs.writeSync silently ignores a bigint position (it would write at the fd's own position): numbers only.
      // (Number() of an offset past 2^53 is inexact but still past the limit, so the check holds without a BigInt.)
      pos = typeof offset === 'number' ? offset : Number(offset);
      if (pos < 0 || pos + len > Number.MAX_SAFE_INTEGER) throw badWriteOffset(pos);
    }
    if (this.closed) throw closedError();
    if (this.nonblocking) return this.writeNonblocking(src, start, len);
    return fs.writeSync(this.hostFd, src, start, len, pos);
  }

  /** writeRange on a FIFO opened non-blocking: waits out EAGAIN, so that it blocks like an ordinary write. */
  private writeNonblocking(src: Uint8Array, start: number, len: number): number {
    let done = 0;
    while (done < len) {
      try {
        done += fs.writeSync(this.hostFd, src, start + done, len - done, null);
      } catch (e) {
        if (errCode(e) === 'EAGAIN') { sleepSync(1); continue; }
        if (done > 0) return done;
        throw e;
      }
    }
    return done;
  }

  override stat(): Stat { return statFromHost(fs.fstatSync(this.fd, { bigint: true })); }

  override setSize(size: bigint): void {
    if (size < 0n) throw new WasiError(Errno.INVAL);
    if (size > MAX_SAFE) throw new WasiError(Errno.FBIG, 'size beyond 2^53');
    fs.ftruncateSync(this.fd, Number(size));
  }

  /** Nanoseconds through `touch` on /proc/PID/fd when needed, else microseconds: see src/vfs/host/times.ts. */
  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void {
    if (atim === undefined && mtim === undefined) return;
    const fd = this.fd;
    const cur = atim === undefined || mtim === undefined ? fs.fstatSync(fd, { bigint: true }) : undefined;
    const a = atim ?? cur!.atimeNs;
    const m = mtim ?? cur!.mtimeNs;
    fs.futimesSync(fd, hostTime(a), hostTime(m));
    setExactTimes(`/proc/${process.pid}/fd/${fd}`, false, a, m);
  }

  /** posix_fallocate semantics without the syscall: grows the file to offset+len when it is shorter. */
  override allocate(offset: bigint, len: bigint): void {
    if (offset < 0n || len < 0n) throw new WasiError(Errno.INVAL);
    if (this.filetype !== Filetype.REGULAR_FILE) {
      throw new WasiError(this.seekable ? Errno.NODEV : Errno.SPIPE, 'allocate on a non-regular file');
    }
    const end = offset + len;
    if (end > MAX_SAFE) throw new WasiError(Errno.FBIG, 'allocation beyond 2^53');
    const fd = this.fd;
    if (end > fs.fstatSync(fd, { bigint: true }).size) fs.ftruncateSync(fd, Number(end));
  }

  override sync(): void { fs.fsyncSync(this.fd); }
  override datasync(): void { fs.fdatasyncSync(this.fd); }

  override readable(offset: bigint): bigint {
    if (this.filetype !== Filetype.REGULAR_FILE || this.closed) return 0n;
    const left = fs.fstatSync(this.hostFd, { bigint: true }).size - offset;
    return left > 0n ? left : 0n;
  }

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.hostFd);
  }
}
