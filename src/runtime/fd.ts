// fd_*: operations on open fds, over the FileHandle/DirectoryNode interfaces of src/vfs.
import { ADVICE, ClockId, Errno, FDFLAGS, FdFlags, Filetype, FstFlags, right, STRUCTS, WasiError, Whence } from '../abi/index.js';
import { DirectoryNode, type Stat } from '../vfs/types.js';
import { now } from './clock.js';
import { entryFiletype, type FdEntry, type FileEntry } from './fdtable.js';
import type { Family, RuntimeContext } from './context.js';

const encoder = new TextEncoder();
/** Every fdflags bit the spec defines; other bits are EINVAL. */
export const VALID_FDFLAGS = (1 << FDFLAGS.names.length) - 1;

/** ENOTCAPABLE unless the fd has `name` among its base rights. */
export function requireRight(e: FdEntry, name: Parameters<typeof right>[0]): void {
  if ((e.rightsBase & right(name)) === 0n) throw new WasiError(Errno.NOTCAPABLE, `fd lacks right ${name}`);
}

/** filestat as the schema's field names. */
export const filestatFields = (s: Stat): Record<string, number | bigint> => ({
  dev: s.dev, ino: s.ino, filetype: s.filetype, nlink: s.nlink, size: s.size, atim: s.atim, mtim: s.mtim, ctim: s.ctim,
});

/**
 * Resolves the (atim, mtim) pair of a set_times call: undefined means "leave as is", *_NOW the realtime clock.
 * EINVAL when a value and NOW are both requested for the same timestamp, or for unknown flag bits.
 */
export function resolveTimes(atim: bigint, mtim: bigint, flags: number): [bigint | undefined, bigint | undefined] {
  if (flags & ~0xf) throw new WasiError(Errno.INVAL);
  if ((flags & FstFlags.ATIM && flags & FstFlags.ATIM_NOW) || (flags & FstFlags.MTIM && flags & FstFlags.MTIM_NOW)) {
    throw new WasiError(Errno.INVAL);
  }
  const t = flags & (FstFlags.ATIM_NOW | FstFlags.MTIM_NOW) ? now(ClockId.REALTIME) : 0n;
  const a = flags & FstFlags.ATIM ? atim : flags & FstFlags.ATIM_NOW ? t : undefined;
  const m = flags & FstFlags.MTIM ? mtim : flags & FstFlags.MTIM_NOW ? t : undefined;
  return [a, m];
}

/** A seekable file fd: EBADF for a directory (as wasmtime), ESPIPE for a stream. */
function seekableFile(ctx: RuntimeContext, fd: number): FileEntry {
  if (ctx.fds.get(fd).handle instanceof DirectoryNode) throw new WasiError(Errno.BADF, 'a directory has no position');
  const e = ctx.fds.file(fd);
  if (!e.handle.seekable) throw new WasiError(Errno.SPIPE);
  return e;
}

/** Reads into the iovecs from `offset` (or the stream); returns the total. */
function readInto(e: FileEntry, bufs: Uint8Array[], offset: bigint): number {
  let total = 0;
  for (const b of bufs) {
    if (b.length === 0) continue;
    const n = e.handle.read(b, offset + BigInt(total));
    total += n;
    if (n < b.length) break;
  }
  return total;
}

function writeFrom(e: FileEntry, bufs: Uint8Array[], offset: bigint): number {
  let total = 0;
  for (const b of bufs) {
    if (b.length === 0) continue;
    total += e.handle.write(b, offset + BigInt(total));
  }
  return total;
}

/** Serialises directory entries from `cookie` into buf; the last entry is cut when buf is short (per the spec). */
function readdirInto(dir: DirectoryNode, buf: Uint8Array, cookie: bigint): number {
  const self = dir.stat();
  const entries = [
    { name: '.', filetype: Filetype.DIRECTORY, ino: self.ino },
    { name: '..', filetype: Filetype.DIRECTORY, ino: 0n },
    ...dir.list(),
  ];
  const header = new Uint8Array(STRUCTS.dirent.size);
  const hv = new DataView(header.buffer);
  let used = 0;
  for (let i = Number(cookie); i < entries.length && used < buf.length; i++) {
    const ent = entries[i]!;
    const name = encoder.encode(ent.name);
    header.fill(0);
    hv.setBigUint64(0, BigInt(i + 1), true);
    hv.setBigUint64(8, ent.ino, true);
    hv.setUint32(16, name.length, true);
    hv.setUint8(20, ent.filetype);
    for (const part of [header, name]) {
      const n = Math.min(part.length, buf.length - used);
      buf.set(part.subarray(0, n), used);
      used += n;
    }
  }
  return used;
}

export const fdFamily: Family = {
  fd_advise: (ctx, fd: number, _offset: bigint, _len: bigint, advice: number) => {
    ctx.fds.file(fd);
    if (advice >= ADVICE.names.length) throw new WasiError(Errno.INVAL);
    return Errno.SUCCESS;
  },
  fd_allocate: (ctx, fd: number, offset: bigint, len: bigint) => {
    ctx.fds.file(fd).handle.allocate(offset, len);
    return Errno.SUCCESS;
  },
  fd_close: (ctx, fd: number) => { ctx.fds.close(fd); return Errno.SUCCESS; },
  fd_datasync: (ctx, fd: number) => { ctx.fds.file(fd).handle.datasync(); return Errno.SUCCESS; },
  fd_sync: (ctx, fd: number) => { ctx.fds.file(fd).handle.sync(); return Errno.SUCCESS; },

  fd_fdstat_get: (ctx, fd: number, out: number) => {
    const e = ctx.fds.get(fd);
    ctx.mem.writeStruct(out, STRUCTS.fdstat, {
      fs_filetype: entryFiletype(e), fs_flags: e.fdflags,
      fs_rights_base: e.rightsBase, fs_rights_inheriting: e.rightsInheriting,
    });
    return Errno.SUCCESS;
  },
  /** Changes the fd's flags in place: same fd number, same position. EINVAL for unknown bits. */
  fd_fdstat_set_flags: (ctx, fd: number, flags: number) => {
    const e = ctx.fds.get(fd);
    if (flags & ~VALID_FDFLAGS) throw new WasiError(Errno.INVAL);
    e.fdflags = flags;
    return Errno.SUCCESS;
  },
  /** Rights can only be dropped: ENOTCAPABLE when asking for one the fd does not have. */
  fd_fdstat_set_rights: (ctx, fd: number, base: bigint, inheriting: bigint) => {
    const e = ctx.fds.get(fd);
    if (base & ~e.rightsBase || inheriting & ~e.rightsInheriting) throw new WasiError(Errno.NOTCAPABLE);
    e.rightsBase = base;
    e.rightsInheriting = inheriting;
    return Errno.SUCCESS;
  },

  fd_filestat_get: (ctx, fd: number, out: number) => {
    ctx.mem.check(out, STRUCTS.filestat.size);
    const stat = ctx.fds.get(fd).handle.stat();
    ctx.mem.writeStruct(out, STRUCTS.filestat, filestatFields(stat));
    return Errno.SUCCESS;
  },
  fd_filestat_set_size: (ctx, fd: number, size: bigint) => {
    const e = ctx.fds.file(fd);
    if (size < 0n || size > 0x7fffffffffffffffn) throw new WasiError(Errno.INVAL);
    requireRight(e, 'fd_filestat_set_size');
    e.handle.setSize(size);
    return Errno.SUCCESS;
  },
  fd_filestat_set_times: (ctx, fd: number, atim: bigint, mtim: bigint, flags: number) => {
    const e = ctx.fds.get(fd);
    const [a, m] = resolveTimes(atim, mtim, flags);
    e.handle.setTimes(a, m);
    return Errno.SUCCESS;
  },

  fd_read: (ctx, fd: number, iovs: number, iovsLen: number, out: number) => {
    const bufs = ctx.mem.iovecs(iovs, iovsLen);
    ctx.mem.check(out, 4);
    const e = ctx.fds.file(fd);
    requireRight(e, 'fd_read');
    const n = readInto(e, bufs, e.position);
    if (e.handle.seekable) e.position += BigInt(n);
    ctx.mem.setU32(out, n);
    return Errno.SUCCESS;
  },
  fd_pread: (ctx, fd: number, iovs: number, iovsLen: number, offset: bigint, out: number) => {
    const bufs = ctx.mem.iovecs(iovs, iovsLen);
    ctx.mem.check(out, 4);
    const e = seekableFile(ctx, fd);
    requireRight(e, 'fd_read');
    ctx.mem.setU32(out, readInto(e, bufs, offset));
    return Errno.SUCCESS;
  },
  /** With APPEND, every write goes to the current end of the file, wherever the position was. */
  fd_write: (ctx, fd: number, iovs: number, iovsLen: number, out: number) => {
    const bufs = ctx.mem.iovecs(iovs, iovsLen);
    ctx.mem.check(out, 4);
    const e = ctx.fds.file(fd);
    requireRight(e, 'fd_write');
    if (e.handle.seekable && e.fdflags & FdFlags.APPEND) e.position = e.handle.stat().size;
    const n = writeFrom(e, bufs, e.position);
    if (e.handle.seekable) e.position += BigInt(n);
    ctx.mem.setU32(out, n);
    return Errno.SUCCESS;
  },
  fd_pwrite: (ctx, fd: number, iovs: number, iovsLen: number, offset: bigint, out: number) => {
    const bufs = ctx.mem.iovecs(iovs, iovsLen);
    ctx.mem.check(out, 4);
    const e = seekableFile(ctx, fd);
    requireRight(e, 'fd_write');
    ctx.mem.setU32(out, writeFrom(e, bufs, offset));
    return Errno.SUCCESS;
  },

  /** EINVAL for an unknown whence or a resulting negative offset; ESPIPE on streams. */
  fd_seek: (ctx, fd: number, offset: bigint, whence: number, out: number) => {
    ctx.mem.check(out, 8);
    const e = seekableFile(ctx, fd);
    let base: bigint;
    switch (whence) {
      case Whence.SET: base = 0n; break;
      case Whence.CUR: base = e.position; break;
      case Whence.END: base = e.handle.stat().size; break;
      default: throw new WasiError(Errno.INVAL);
    }
    const pos = base + offset;
    if (pos < 0n) throw new WasiError(Errno.INVAL);
    e.position = pos;
    ctx.mem.setU64(out, pos);
    return Errno.SUCCESS;
  },
  fd_tell: (ctx, fd: number, out: number) => {
    ctx.mem.check(out, 8);
    ctx.mem.setU64(out, seekableFile(ctx, fd).position);
    return Errno.SUCCESS;
  },
  fd_renumber: (ctx, from: number, to: number) => { ctx.fds.renumber(from, to); return Errno.SUCCESS; },

  fd_readdir: (ctx, fd: number, buf: number, bufLen: number, cookie: bigint, out: number) => {
    const dest = ctx.mem.slice(buf, bufLen);
    ctx.mem.check(out, 4);
    const dir = ctx.fds.dir(fd).handle;
    ctx.mem.setU32(out, readdirInto(dir, dest, cookie));
    return Errno.SUCCESS;
  },

  /** EBADF for an fd that is not a preopened directory. */
  fd_prestat_get: (ctx, fd: number, out: number) => {
    const e = ctx.fds.get(fd);
    if (e.preopen === undefined) throw new WasiError(Errno.BADF);
    ctx.mem.writeStruct(out, STRUCTS.prestat, { tag: 0, 'dir.pr_name_len': encoder.encode(e.preopen).length });
    return Errno.SUCCESS;
  },
  /** Writes the preopen's guest path (no NUL); ENAMETOOLONG when the buffer is shorter than it. */
  fd_prestat_dir_name: (ctx, fd: number, buf: number, len: number) => {
    const dest = ctx.mem.slice(buf, len);
    const e = ctx.fds.get(fd);
    if (e.preopen === undefined) throw new WasiError(Errno.BADF);
    const name = encoder.encode(e.preopen);
    if (name.length > dest.length) throw new WasiError(Errno.NAMETOOLONG);
    dest.set(name);
    return Errno.SUCCESS;
  },
};
