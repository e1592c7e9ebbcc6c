// path_*: operations on paths relative to a directory fd, over src/vfs/resolve.ts (walking and confinement) and the
// DirectoryNode interface. Argument memory is checked first (EFAULT, by the binding layer, which hands over the paths
// decoded), then the fd (EBADF, ENOTDIR for a non-directory fd) and its right (ENOTCAPABLE), then flags (EINVAL),
// then the path.
//
// Decisions where the spec is silent (wasmtime's preview1 tests accept each):
// - A final symlink that is not followed: path_open gives ELOOP, or ENOTDIR with O_DIRECTORY.
// - path_open: a directory with O_TRUNC, O_CREAT or the fd_write right → EISDIR; O_DIRECTORY on a non-directory →
//   ENOTDIR; O_CREAT|O_DIRECTORY on a missing path → EINVAL (Linux); O_CREAT on a missing 'name/' → EISDIR (Linux).
//   O_CREAT through a dangling symlink (followed) creates its target, inside the directory only; O_CREAT|O_EXCL
//   never follows: EEXIST for any existing name, a symlink included (POSIX).
//   The new fd's rights are the requested ones ∩ the directory's inheriting rights ∩ what applies to the file type;
//   it is opened for writing when those include fd_write, fd_allocate or fd_filestat_set_size, for reading when they
//   include fd_read (or when neither is asked).
// - path_symlink refuses an absolute target at creation (ENOTCAPABLE, as wasmtime refuses it); a relative target is
//   stored verbatim, even one that climbs out: it is refused when followed. An empty target → ENOENT.
// - path_link follows a source symlink only with SYMLINK_FOLLOW (POSIX linkat; wasmtime says EINVAL instead);
//   a directory or an unfollowed symlink as the source → EPERM. A new name ending in '/' → ENOENT (symlink too).
// - A last component '.' or '..' names no entry: rmdir and rename → EINVAL, unlink → EISDIR, creating → EEXIST.
// - path_readlink truncates to the buffer (as wasmtime); EINVAL when the path is not a symlink.
import { Errno, LookupFlags, OFlags, Rights, WasiError } from '../abi/index.js';
import { ESCAPE, isAbsolute, resolve, type Resolved } from '../vfs/resolve.js';
import type { DirectoryNode, Node } from '../vfs/types.js';
import type { Family, RuntimeContext } from './context.js';
import { filestatFields, resolveTimes, VALID_FDFLAGS } from './fd.js';
import { DIRECTORY_RIGHT_BITS, FILE_RIGHT_BITS, requireRight, type DirEntryFd } from './fdtable.js';

const encoder = new TextEncoder();
const VALID_OFLAGS = OFlags.CREAT | OFlags.DIRECTORY | OFlags.EXCL | OFlags.TRUNC;
const WRITE_RIGHTS = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE;

/** The directory fd `fd`, which must hold right `r`. */
function dirFd(ctx: RuntimeContext, fd: number, r: Rights): DirEntryFd {
  const e = ctx.fds.dir(fd);
  requireRight(e, r);
  return e;
}

/** Whether lookupflags ask to follow the last symlink; EINVAL for unknown bits. */
function follows(flags: number): boolean {
  if (flags & ~LookupFlags.SYMLINK_FOLLOW) throw new WasiError(Errno.INVAL, 'unknown lookupflags');
  return (flags & LookupFlags.SYMLINK_FOLLOW) !== 0;
}

/** The node a resolution found; ENOENT when there is none. */
function existing(r: Resolved): Node {
  if (r.node === undefined) throw new WasiError(Errno.NOENT);
  return r.node;
}

/** The entry name of a resolution that must name an entry; `errno` when the path ended in '.' or '..'. */
function entryName(r: Resolved, errno: Errno): string {
  if (r.name === undefined) throw new WasiError(errno, "'.' or '..' names no entry");
  return r.name;
}

/** Where a new entry goes: EEXIST when the path exists, ENOENT for a missing 'name/' (unless `dirOk`). */
function newEntry(r: Resolved, dirOk = false): { parent: DirectoryNode; name: string } {
  if (r.node !== undefined || r.name === undefined) throw new WasiError(Errno.EXIST);
  if (r.trailingSlash && !dirOk) throw new WasiError(Errno.NOENT, 'trailing slash on a new non-directory');
  return { parent: r.parent, name: r.name };
}

export const pathFamily: Family = {
  path_create_directory: (ctx, fd: number, path: string) => {
    const { parent, name } = newEntry(resolve(dirFd(ctx, fd, Rights.PATH_CREATE_DIRECTORY).handle, path, false), true);
    parent.mkdir(name);
  },

  path_filestat_get: (ctx, fd: number, flags: number, path: string) => {
    const dir = dirFd(ctx, fd, Rights.PATH_FILESTAT_GET).handle;
    return filestatFields(existing(resolve(dir, path, follows(flags))).stat());
  },

  path_filestat_set_times: (ctx, fd: number, flags: number, path: string, atim: bigint, mtim: bigint, fst: number) => {
    const dir = dirFd(ctx, fd, Rights.PATH_FILESTAT_SET_TIMES).handle;
    const follow = follows(flags);
    const [a, m] = resolveTimes(atim, mtim, fst);
    existing(resolve(dir, path, follow)).setTimes(a, m);
  },

  path_link: (ctx, oldFd: number, oldFlags: number, oldPath: string, newFd: number, newPath: string) => {
    const from = dirFd(ctx, oldFd, Rights.PATH_LINK_SOURCE).handle;
    const to = dirFd(ctx, newFd, Rights.PATH_LINK_TARGET).handle;
    const src = resolve(from, oldPath, follows(oldFlags));
    const node = existing(src);
    if (node.kind !== 'file') throw new WasiError(Errno.PERM, `cannot hard-link a ${node.kind}`);
    const dest = newEntry(resolve(to, newPath, false));
    src.parent.link(node, dest.parent, dest.name);
  },

  path_open: (ctx, fd: number, dirflags: number, path: string, oflags: number, base: bigint, inheriting: bigint,
    fdflags: number) => {
    const at = dirFd(ctx, fd, Rights.PATH_OPEN);
    // O_CREAT|O_EXCL never follows a final symlink (POSIX: EEXIST for a symlink, even a dangling one).
    const exclusive = (oflags & (OFlags.CREAT | OFlags.EXCL)) === (OFlags.CREAT | OFlags.EXCL);
    const follow = follows(dirflags) && !exclusive;
    if (oflags & ~VALID_OFLAGS || fdflags & ~VALID_FDFLAGS) throw new WasiError(Errno.INVAL, 'unknown flags');
    const r = resolve(at.handle, path, follow);
    let node = r.node;
    if (node === undefined) {
      if (!(oflags & OFlags.CREAT)) throw new WasiError(Errno.NOENT, path);
      if (oflags & OFlags.DIRECTORY) throw new WasiError(Errno.INVAL, 'O_CREAT with O_DIRECTORY');
      if (r.trailingSlash) throw new WasiError(Errno.ISDIR, path);
      requireRight(at, Rights.PATH_CREATE_FILE);
      node = r.parent.createFile(r.name!);
    } else if (exclusive) {
      throw new WasiError(Errno.EXIST, path);
    }
    // Rights the guest asks for beyond the directory's inheriting rights are dropped (they may be any u64).
    const rights = Number(base & BigInt(at.rightsInheriting));
    const inherit = Number(inheriting & BigInt(at.rightsInheriting));
    let entry;
    switch (node.kind) {
      case 'symlink':
        throw new WasiError(oflags & OFlags.DIRECTORY ? Errno.NOTDIR : Errno.LOOP, `${path} is a symlink`);
      case 'directory':
        if (oflags & (OFlags.TRUNC | OFlags.CREAT) || rights & Rights.FD_WRITE) throw new WasiError(Errno.ISDIR, path);
        entry = { handle: node, rightsBase: rights & DIRECTORY_RIGHT_BITS, rightsInheriting: inherit };
        break;
      case 'file': {
        if (oflags & OFlags.DIRECTORY) throw new WasiError(Errno.NOTDIR, path);
        if (oflags & OFlags.TRUNC) requireRight(at, Rights.PATH_FILESTAT_SET_SIZE);
        const write = (rights & WRITE_RIGHTS) !== 0;
        const read = (rights & Rights.FD_READ) !== 0 || !write;
        const handle = node.open({ read, write, truncate: (oflags & OFlags.TRUNC) !== 0 });
        entry = { handle, rightsBase: rights & FILE_RIGHT_BITS, rightsInheriting: inherit };
        break;
      }
    }
    const chaos = ctx.chaos;
    return ctx.fds.add({ ...entry, fdflags, position: 0, path }, chaos && ((lowest, isFree) => chaos.fdNumber(lowest, isFree)));
  },

  path_readlink: (ctx, fd: number, path: string, dest: Uint8Array) => {
    const node = existing(resolve(dirFd(ctx, fd, Rights.PATH_READLINK).handle, path, false));
    if (node.kind !== 'symlink') throw new WasiError(Errno.INVAL, `${path} is not a symlink`);
    const target = encoder.encode(node.target());
    const n = Math.min(target.length, dest.length);
    dest.set(target.subarray(0, n));
    return n;
  },

  path_remove_directory: (ctx, fd: number, path: string) => {
    const r = resolve(dirFd(ctx, fd, Rights.PATH_REMOVE_DIRECTORY).handle, path, false);
    const node = existing(r);
    const name = entryName(r, Errno.INVAL);
    if (node.kind !== 'directory') throw new WasiError(Errno.NOTDIR, path);
    r.parent.rmdir(name);
  },

  path_rename: (ctx, fd: number, oldPath: string, newFd: number, newPath: string) => {
    const from = dirFd(ctx, fd, Rights.PATH_RENAME_SOURCE).handle;
    const to = dirFd(ctx, newFd, Rights.PATH_RENAME_TARGET).handle;
    const src = resolve(from, oldPath, false);
    const node = existing(src);
    const srcName = entryName(src, Errno.INVAL);
    const dest = resolve(to, newPath, false);
    const destName = entryName(dest, Errno.INVAL);
    if (dest.trailingSlash && node.kind !== 'directory') throw new WasiError(Errno.NOTDIR, newPath);
    src.parent.rename(srcName, dest.parent, destName);
  },

  path_symlink: (ctx, target: string, fd: number, path: string) => {
    const dir = dirFd(ctx, fd, Rights.PATH_SYMLINK).handle;
    if (isAbsolute(target)) throw new WasiError(ESCAPE, `absolute symlink target ${target}`);
    if (target === '') throw new WasiError(Errno.NOENT, 'empty symlink target');
    const { parent, name } = newEntry(resolve(dir, path, false));
    parent.symlink(name, target);
  },

  path_unlink_file: (ctx, fd: number, path: string) => {
    const r = resolve(dirFd(ctx, fd, Rights.PATH_UNLINK_FILE).handle, path, false);
    const node = existing(r);
    if (node.kind === 'directory') throw new WasiError(Errno.ISDIR, path);
    r.parent.unlink(entryName(r, Errno.ISDIR));
  },
};
