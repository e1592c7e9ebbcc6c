// fd_*: operations on open fds, over the FileHandle/DirectoryNode interfaces of src/vfs. Arguments arrive decoded
// and out-params are written by the binding layer (bind.ts); each function returns its out-param's value.
import {
  ADVICE, ClockId, Errno, FDFLAGS, FdFlags, Filetype, FSTFLAGS, FstFlags, PreopenType, Rights, STRUCTS, WasiError, Whence,
  writeStruct,
} from '../abi/index.js';
import { DirectoryNode, type Offset, type Stat } from '../vfs/types.js';
import { now } from './clock.js';
import { readOnly, type Family, type RuntimeContext } from './context.js';
import type { Chaos } from './chaos.js';
import { advance, entryFiletype, position, requireRight, type FileEntry } from './fdtable.js';
import type { Iovecs } from './iovecs.js';

const encoder = new TextEncoder();
/** Every fdflags bit the spec defines; other bits are EINVAL. */
export const VALID_FDFLAGS = (1 << FDFLAGS.names.length) - 1;
const VALID_FSTFLAGS = (1 << FSTFLAGS.names.length) - 1;

/** filestat as the schema's field names. */
export const filestatFields = (s: Stat): Record<string, number | bigint> => ({
  dev: s.dev, ino: s.ino, filetype: s.filetype, nlink: s.nlink, size: s.size, atim: s.atim, mtim: s.mtim, ctim: s.ctim,
});

/**
 * Resolves the (atim, mtim) pair of a set_times call: undefined means "leave as is", *_NOW the realtime clock.
 * EINVAL when a value and NOW are both requested for the same timestamp, or for unknown flag bits.
 */
export function resolveTimes(atim: bigint, mtim: bigint, flags: number): [bigint | undefined, bigint | undefined] {
  if (flags & ~VALID_FSTFLAGS) throw new WasiError(Errno.INVAL);
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

/**
 * Reads into the iovecs in order from `offset` (ignored by streams), at most `limit` bytes; stops after a short
 * read. Returns how many it read. Each buffer goes to the handle as a range of guest memory (no view per iovec).
 */
function readInto(e: FileEntry, iovs: Iovecs, offset: Offset, limit: number): number {
  if (iovs.count !== 1) return readAll(e, iovs, offset, limit);
  const len = Math.min(iovs.len(0), limit);
  return len === 0 ? 0 : e.handle.readRange(iovs.bytes, iovs.addr(0), len, offset);
}

/** readInto() of any number of iovecs (one a short path of readInto, which V8 inlines). */
function readAll(e: FileEntry, iovs: Iovecs, offset: Offset, limit: number): number {
  const handle = e.handle;
  const seekable = handle.seekable;
  let total = 0;
  for (let i = 0; i < iovs.count && total < limit; i++) {
    const len = Math.min(iovs.len(i), limit - total);
    if (len === 0) continue;
    const n = handle.readRange(iovs.bytes, iovs.addr(i), len, seekable && total > 0 ? advance(offset, total) : offset);
    total += n;
    if (n < len) break;
  }
  return total;
}

/**
 * Writes the iovecs in order at `offset` (ignored by streams), at most `limit` bytes; returns how many it wrote.
 * One iovec (the common case) is written here, several by writeAll: the hot path stays small enough for V8 to inline.
 */
function writeFrom(e: FileEntry, iovs: Iovecs, offset: Offset, limit: number): number {
  if (iovs.count !== 1) return writeAll(e, iovs, offset, limit);
  const len = Math.min(iovs.len(0), limit);
  return len === 0 ? 0 : e.handle.writeRange(iovs.bytes, iovs.addr(0), len, offset);
}

/** writeFrom() of any number of iovecs. */
function writeAll(e: FileEntry, iovs: Iovecs, offset: Offset, limit: number): number {
  const handle = e.handle;
  const seekable = handle.seekable;
  let total = 0;
  for (let i = 0; i < iovs.count && total < limit; i++) {
    const len = Math.min(iovs.len(i), limit - total);
    if (len === 0) continue;
    const n = handle.writeRange(iovs.bytes, iovs.addr(i), len, seekable && total > 0 ? advance(offset, total) : offset);
    total += n;
    if (n < len) break; // a short write: the guest writes the rest again, as after writev(2)
  }
  return total;
}

/** Errnos chaos may inject (`errors` knob) into reads and writes: a failing device, a full disk. */
const READ_ERRORS = [Errno.IO] as const;
const WRITE_ERRORS = [Errno.IO, Errno.NOSPC] as const;

/**
 * How many of `wanted` bytes a read or write moves: all of them, or with chaos fewer (at least one), EAGAIN on an
 * fd the guest made non-blocking, or an injected errno.
 */
function ioLimit(ctx: RuntimeContext, e: FileEntry, wanted: number, errors: readonly Errno[]): number {
  const chaos = ctx.chaos;
  if (chaos === undefined) return wanted;
  return chaosLimit(chaos, e, wanted, errors);
}

/** ioLimit under chaos, out of line so that the ordinary case stays a test and a return. */
function chaosLimit(chaos: Chaos, e: FileEntry, wanted: number, errors: readonly Errno[]): number {
  const injected = chaos.injectedError(errors);
  if (injected !== undefined) throw new WasiError(injected);
  if (e.fdflags & FdFlags.NONBLOCK && chaos.wouldBlock()) throw new WasiError(Errno.AGAIN);
  return chaos.ioLength(wanted);
}

/** Serialises directory entries from `cookie` into buf; the last entry is cut when buf is short (per the spec). */
/**
 * Fills `buf` with dirents from position `cookie` on, as much as fits (the last one cut short when it does not);
 * returns the bytes used. Each d_next is the next entry's position. With chaos the entries after `.` and `..` come
 * in another order — the same one for the whole run while the directory holds as many entries — so cookies resume.
 */
function readdirInto(dir: DirectoryNode, buf: Uint8Array, cookie: bigint, chaos?: Chaos): number {
  const self = dir.stat();
  let listed = dir.list();
  if (chaos) listed = chaos.direntOrder(self.ino, listed.length).map((i) => listed[i]!);
  const entries = [
    { name: '.', filetype: Filetype.DIRECTORY, ino: self.ino },
    { name: '..', filetype: Filetype.DIRECTORY, ino: 0n },
    ...listed,
  ];
  const header = new Uint8Array(STRUCTS.dirent.size);
  const hv = new DataView(header.buffer);
  let used = 0;
  for (let i = Number(cookie); i < entries.length && used < buf.length; i++) {
    const ent = entries[i]!;
    const name = encoder.encode(ent.name);
    writeStruct(hv, 0, STRUCTS.dirent, { d_next: BigInt(i + 1), d_ino: ent.ino, d_namlen: name.length, d_type: ent.filetype });
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
  },
  fd_allocate: (ctx, fd: number, offset: bigint, len: bigint) => { ctx.fds.file(fd).handle.allocate(offset, len); },
  fd_close: (ctx, fd: number) => { ctx.fds.close(fd); },
  fd_datasync: (ctx, fd: number) => { ctx.fds.file(fd).handle.datasync(); },
  fd_sync: (ctx, fd: number) => { ctx.fds.file(fd).handle.sync(); },

  fd_fdstat_get: readOnly((ctx, fd: number) => {
    const e = ctx.fds.get(fd);
    return {
      fs_filetype: entryFiletype(e), fs_flags: e.fdflags,
      fs_rights_base: e.rightsBase, fs_rights_inheriting: e.rightsInheriting,
    };
  }),
  /** Changes the fd's flags in place: same fd number, same position. EINVAL for unknown bits. */
  fd_fdstat_set_flags: (ctx, fd: number, flags: number) => {
    const e = ctx.fds.get(fd);
    if (flags & ~VALID_FDFLAGS) throw new WasiError(Errno.INVAL);
    e.fdflags = flags;
  },
  /** Rights can only be dropped: ENOTCAPABLE when asking for one the fd does not have. */
  fd_fdstat_set_rights: (ctx, fd: number, base: bigint, inheriting: bigint) => {
    const e = ctx.fds.get(fd);
    if (base & ~BigInt(e.rightsBase) || inheriting & ~BigInt(e.rightsInheriting)) throw new WasiError(Errno.NOTCAPABLE);
    e.rightsBase = Number(base);
    e.rightsInheriting = Number(inheriting);
  },

  fd_filestat_get: (ctx, fd: number) => filestatFields(ctx.fds.get(fd).handle.stat()),
  fd_filestat_set_size: (ctx, fd: number, size: bigint) => {
    const e = ctx.fds.file(fd);
    if (size < 0n || size > 0x7fffffffffffffffn) throw new WasiError(Errno.INVAL);
    requireRight(e, Rights.FD_FILESTAT_SET_SIZE);
    e.handle.setSize(size);
  },
  fd_filestat_set_times: (ctx, fd: number, atim: bigint, mtim: bigint, flags: number) => {
    const e = ctx.fds.get(fd);
    const [a, m] = resolveTimes(atim, mtim, flags);
    e.handle.setTimes(a, m);
  },

  fd_read: (ctx, fd: number, iovs: Iovecs) => {
    const e = ctx.fds.file(fd);
    requireRight(e, Rights.FD_READ);
    const n = readInto(e, iovs, e.position, ioLimit(ctx, e, iovs.total, READ_ERRORS));
    if (e.handle.seekable && n !== 0) e.position = advance(e.position, n);
    return n;
  },
  fd_pread: (ctx, fd: number, iovs: Iovecs, offset: bigint) => {
    const e = seekableFile(ctx, fd);
    requireRight(e, Rights.FD_READ);
    return readInto(e, iovs, offset, ioLimit(ctx, e, iovs.total, READ_ERRORS));
  },
  /** With APPEND, every write goes to the current end of the file, wherever the position was. */
  fd_write: (ctx, fd: number, iovs: Iovecs) => {
    const e = ctx.fds.file(fd);
    requireRight(e, Rights.FD_WRITE);
    const limit = ioLimit(ctx, e, iovs.total, WRITE_ERRORS);
    if (!e.handle.seekable) return writeFrom(e, iovs, 0, limit);
    if (e.fdflags & FdFlags.APPEND) e.position = position(e.handle.stat().size);
    const n = writeFrom(e, iovs, e.position, limit);
    if (n !== 0) e.position = advance(e.position, n);
    return n;
  },
  fd_pwrite: (ctx, fd: number, iovs: Iovecs, offset: bigint) => {
    const e = seekableFile(ctx, fd);
    requireRight(e, Rights.FD_WRITE);
    return writeFrom(e, iovs, offset, ioLimit(ctx, e, iovs.total, WRITE_ERRORS));
  },

  /** EINVAL for an unknown whence or a resulting negative offset; ESPIPE on streams. */
  fd_seek: (ctx, fd: number, offset: bigint, whence: number) => {
    const e = seekableFile(ctx, fd);
    let base: bigint;
    switch (whence) {
      case Whence.SET: base = 0n; break;
      case Whence.CUR: base = BigInt(e.position); break;
      case Whence.END: base = e.handle.stat().size; break;
      default: throw new WasiError(Errno.INVAL);
    }
    const pos = base + offset;
    if (pos < 0n) throw new WasiError(Errno.INVAL);
    e.position = position(pos);
    return e.position;
  },
  fd_tell: (ctx, fd: number) => seekableFile(ctx, fd).position,
  fd_renumber: (ctx, from: number, to: number) => { ctx.fds.renumber(from, to); },

  fd_readdir: (ctx, fd: number, buf: Uint8Array, cookie: bigint) => readdirInto(ctx.fds.dir(fd).handle, buf, cookie, ctx.chaos),

  /** EBADF for an fd that is not a preopened directory. */
  fd_prestat_get: readOnly((ctx, fd: number) => {
    const e = ctx.fds.get(fd);
    if (e.preopen === undefined) throw new WasiError(Errno.BADF);
    return { tag: PreopenType.DIR, 'dir.pr_name_len': encoder.encode(e.preopen).length };
  }),
  /** Writes the preopen's guest path (no NUL); ENAMETOOLONG when the buffer is shorter than it. */
  fd_prestat_dir_name: (ctx, fd: number, dest: Uint8Array) => {
    const e = ctx.fds.get(fd);
    if (e.preopen === undefined) throw new WasiError(Errno.BADF);
    const name = encoder.encode(e.preopen);
    if (name.length > dest.length) throw new WasiError(Errno.NAMETOOLONG);
    dest.set(name);
  },
};
