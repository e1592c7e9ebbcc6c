// Host directory backend: a directory of the host file system as DirectoryNode/FileNode/SymlinkNode.
//
// Confinement: every node knows the directory node it was found in and its name there, and every operation names
// exactly one component relative to a directory fd the backend holds, `/proc/self/fd/<dirfd>/<name>` (dirfds.ts).
// A directory node gets its fd when first used, by opening its name in its parent's fd with O_DIRECTORY|O_NOFOLLOW
// and checking device and inode against the lookup; the root's fd is opened from the preopen's real path. So the
// kernel never walks a component src/vfs/resolve.ts did not look at and never follows a symlink: '..' and symlinks
// are the resolver's business, on names. A directory renamed on the host while its fd is held stays usable through
// it (like openat); one swapped before its fd was opened is refused with ENOTCAPABLE (ENOENT when it is gone).
// Files and symlinks are checked by device and inode (lstat) before each use, and HostFile.open compares the fstat of
// the new fd, so an object swapped in since lookup is refused with ENOTCAPABLE rather than used. O_NOFOLLOW and
// lutimes make sure a final component is never followed.
//
// Fallback where /proc/self/fd is unavailable (or with { bestEffort: true }): the same operations on whole host
// paths, each preceded by a dev/ino check of the directory. The kernel then walks every component again, so a
// rename racing the guest can still lead it out: best effort, said once on stderr.
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { Errno } from '../../abi/index.js';
import { WasiError } from '../../abi/index.js';
import { filetypeFromMode } from '../stream.js';
import {
  DirectoryNode, FileNode, SymlinkNode, type DirEntry, type Node, type OpenFileOptions, type Stat,
} from '../types.js';
import { dirKey, fdPathsWork, heldDirFd, holdDirFd, PROC_FD, trimDirFds } from './dirfds.js';
import { HostFileHandle, statFromHost, u64 } from './handle.js';
import { hostTime, setExactTimes } from './times.js';

const C = fs.constants;
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
const errCode = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;
const lstat = (p: string): fs.BigIntStats => fs.lstatSync(p, { bigint: true });

/** Refuses anything that is not one path component (the resolver never passes one; this is a safety net). */
function component(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new WasiError(Errno.INVAL, `not a single path component: ${JSON.stringify(name)}`);
  }
  return name;
}

const changed = (what: string): WasiError =>
  new WasiError(Errno.NOTCAPABLE, `${what} changed on the host since it was looked up`);

/** lstat of `p`, refused with ENOTCAPABLE unless it is still the object with `dev`/`ino` (`what` names it). */
function sameObject(p: string, dev: bigint, ino: bigint, what: string): fs.BigIntStats {
  const s = lstat(p);
  if (u64(s.dev) !== dev || u64(s.ino) !== ino) throw changed(what);
  return s;
}

/** The path a child process (coreutils touch) must use for `p`: /proc/self is the child's own there. */
const forChild = (p: string): string =>
  p.startsWith(PROC_FD) ? `/proc/${process.pid}/fd/${p.slice(PROC_FD.length)}` : p;

/** lutimes on the entry at `p` (never follows a symlink), checked by dev/ino; undefined times stay as they are. */
function setEntryTimes(p: string, dev: bigint, ino: bigint, what: string, atim?: bigint, mtim?: bigint): void {
  if (atim === undefined && mtim === undefined) return;
  const cur = sameObject(p, dev, ino, what);
  const a = atim ?? cur.atimeNs;
  const m = mtim ?? cur.mtimeNs;
  fs.lutimesSync(p, hostTime(a), hostTime(m));
  setExactTimes(forChild(p), true, a, m);
}

/** The node for entry `name` of `dir` whose lstat is `s`, by `mode & S_IFMT`. */
function nodeFor(dir: HostDirectory, name: string, s: fs.BigIntStats): Node {
  const mode = Number(s.mode);
  switch (mode & C.S_IFMT) {
    case C.S_IFDIR: return new HostDirectory(join(dir.hostPath, name), u64(s.dev), u64(s.ino), dir, name, dir.byFd);
    case C.S_IFLNK: return new HostSymlink(dir, name, u64(s.dev), u64(s.ino));
    default: return new HostFile(dir, name, u64(s.dev), u64(s.ino), mode); // regular, devices, FIFOs, sockets
  }
}

/** A non-directory, non-symlink host object (regular file, device, FIFO or socket): entry `name` of `dir`. */
export class HostFile extends FileNode {
  /** `mode` is the st_mode seen at lookup (it decides how the file is opened). */
  constructor(readonly dir: HostDirectory, readonly name: string, readonly dev: bigint, readonly ino: bigint,
    readonly mode: number) {
    super();
  }

  /** The host path this file had when it was looked up (for messages). */
  get hostPath(): string { return join(this.dir.hostPath, this.name); }

  stat(): Stat {
    trimDirFds();
    return statFromHost(sameObject(this.dir.entryPath(this.name), this.dev, this.ino, this.hostPath));
  }

  /**
   * Opens with O_NOFOLLOW (a symlink put in place since lookup fails with ELOOP), then compares the new fd's
   * device and inode with the looked-up ones (ENOTCAPABLE on mismatch). Truncation happens only after that
   * check, so a swapped-in file is never truncated. FIFOs are opened non-blocking (see HostFileHandle).
   * Host fds are close-on-exec: libuv adds O_CLOEXEC to every open.
   */
  open(options: OpenFileOptions): HostFileHandle {
    trimDirFds();
    const writeHost = options.write || options.truncate;
    let flags = writeHost ? (options.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
    flags |= C.O_NOFOLLOW;
    const fifo = (this.mode & C.S_IFMT) === C.S_IFIFO;
    if (fifo) flags |= C.O_NONBLOCK;
    const fd = fs.openSync(this.dir.entryPath(this.name), flags);
    try {
      const s = fs.fstatSync(fd, { bigint: true });
      if (u64(s.dev) !== this.dev || u64(s.ino) !== this.ino) throw changed(this.hostPath);
      const mode = Number(s.mode);
      if (options.truncate && (mode & C.S_IFMT) === C.S_IFREG) fs.ftruncateSync(fd, 0);
      return new HostFileHandle(fd, mode, fifo);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void {
    trimDirFds();
    setEntryTimes(this.dir.entryPath(this.name), this.dev, this.ino, this.hostPath, atim, mtim);
  }
}

/** A host symbolic link, entry `name` of `dir`; its target is never followed here. */
export class HostSymlink extends SymlinkNode {
  constructor(readonly dir: HostDirectory, readonly name: string, readonly dev: bigint, readonly ino: bigint) {
    super();
  }

  /** The host path this link had when it was looked up (for messages). */
  get hostPath(): string { return join(this.dir.hostPath, this.name); }

  stat(): Stat {
    trimDirFds();
    return statFromHost(sameObject(this.dir.entryPath(this.name), this.dev, this.ino, this.hostPath));
  }

  /** The target text as stored (decoded as UTF-8). */
  target(): string {
    trimDirFds();
    const p = this.dir.entryPath(this.name);
    sameObject(p, this.dev, this.ino, this.hostPath);
    return fs.readlinkSync(p, 'utf8');
  }

  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void {
    trimDirFds();
    setEntryTimes(this.dir.entryPath(this.name), this.dev, this.ino, this.hostPath, atim, mtim);
  }
}

/**
 * A host directory. Obtain the root with openHostDirectory; the others come from lookup, as entry `name` of
 * `parent`. `byFd`: operations go through directory fds (else whole host paths, the fallback).
 */
export class HostDirectory extends DirectoryNode {
  /** This directory in the fd cache (dirfds.ts). */
  private readonly key: string;

  /** `hostPath` is where it was looked up (the root's is its real path, the others are for messages). */
  constructor(readonly hostPath: string, readonly dev: bigint, readonly ino: bigint,
    private readonly parent: HostDirectory | undefined, private readonly name: string, readonly byFd: boolean) {
    super();
    this.key = dirKey(dev, ino);
  }

  /**
   * This directory's fd: the cache's for this device and inode (an fd held open keeps its inode number from being
   * reused, so that is this very directory), or else opened entry by entry from the nearest ancestor that has one
   * (or from the root's real path), each with O_DIRECTORY|O_NOFOLLOW and a dev/ino check. ENOTCAPABLE when one of
   * them is no longer the directory that was looked up (a symlink or another object in its place); ENOENT when it
   * is gone.
   */
  private dirFd(): number {
    let fd = heldDirFd(this.key);
    if (fd !== undefined) return fd;
    const chain: HostDirectory[] = [this];
    for (let d = this.parent; d !== undefined && (fd = heldDirFd(d.key)) === undefined; d = d.parent) chain.push(d);
    // fd is now the nearest cached ancestor's, or undefined when the chain starts at the root
    for (let i = chain.length - 1; i >= 0; i--) fd = chain[i]!.reopen(fd);
    return fd!;
  }

  /** Opens, checks and caches this directory's fd, by name in `parentFd` (undefined: the root, by its path). */
  private reopen(parentFd: number | undefined): number {
    const p = parentFd === undefined ? this.hostPath : `${PROC_FD}${parentFd}/${this.name}`;
    let fd: number;
    try {
      fd = fs.openSync(p, DIR_FLAGS);
    } catch (e) {
      const code = errCode(e);
      if (code === 'ENOTDIR' || code === 'ELOOP') throw changed(this.hostPath);
      throw e;
    }
    try {
      const s = fs.fstatSync(fd, { bigint: true });
      if (u64(s.dev) !== this.dev || u64(s.ino) !== this.ino) throw changed(this.hostPath);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    holdDirFd(this.key, fd);
    return fd;
  }

  /** Path mode: this directory's lstat, after checking it is still the directory that was looked up. */
  private check(): fs.BigIntStats { return sameObject(this.hostPath, this.dev, this.ino, this.hostPath); }

  /**
   * The host path that names entry `name` of this directory, valid until the next public operation starts:
   * `/proc/self/fd/<this fd>/<name>`, or (fallback) the joined path after a dev/ino check of this directory.
   */
  entryPath(name: string): string {
    component(name);
    if (this.byFd) return `${PROC_FD}${this.dirFd()}/${name}`;
    this.check();
    return join(this.hostPath, name);
  }

  /** The host path that names this directory itself, valid like entryPath's. */
  private selfPath(): string {
    if (this.byFd) return `${PROC_FD}${this.dirFd()}`;
    this.check();
    return this.hostPath;
  }

  stat(): Stat {
    trimDirFds();
    return statFromHost(this.byFd ? fs.fstatSync(this.dirFd(), { bigint: true }) : this.check());
  }

  lookup(name: string): Node | undefined {
    trimDirFds();
    const s = fs.lstatSync(this.entryPath(name), { bigint: true, throwIfNoEntry: false });
    return s ? nodeFor(this, name, s) : undefined;
  }

  /** Entries sorted by name (so readdir cookies stay stable); entries removed while listing are left out. */
  list(): DirEntry[] {
    trimDirFds();
    const self = this.selfPath();
    const out: DirEntry[] = [];
    for (const name of fs.readdirSync(self)) {
      const s = fs.lstatSync(`${self}/${name}`, { bigint: true, throwIfNoEntry: false });
      if (s) out.push({ name, filetype: filetypeFromMode(Number(s.mode)), ino: u64(s.ino) });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void {
    trimDirFds();
    if (!this.byFd) {
      setEntryTimes(this.hostPath, this.dev, this.ino, this.hostPath, atim, mtim);
      return;
    }
    if (atim === undefined && mtim === undefined) return;
    const fd = this.dirFd();
    const cur = atim === undefined || mtim === undefined ? fs.fstatSync(fd, { bigint: true }) : undefined;
    const a = atim ?? cur!.atimeNs;
    const m = mtim ?? cur!.mtimeNs;
    fs.futimesSync(fd, hostTime(a), hostTime(m));
    setExactTimes(forChild(`${PROC_FD}${fd}`), false, a, m);
  }

  override createFile(name: string): HostFile {
    trimDirFds();
    const fd = fs.openSync(this.entryPath(name), C.O_CREAT | C.O_EXCL | C.O_WRONLY | C.O_NOFOLLOW, 0o666);
    let s: fs.BigIntStats;
    try { s = fs.fstatSync(fd, { bigint: true }); } finally { fs.closeSync(fd); }
    return new HostFile(this, name, u64(s.dev), u64(s.ino), Number(s.mode));
  }

  override mkdir(name: string): void {
    trimDirFds();
    fs.mkdirSync(this.entryPath(name), 0o777);
  }

  /** Stores `target` verbatim; the resolver checks confinement when following it. */
  override symlink(name: string, target: string): void {
    trimDirFds();
    if (target.includes('\0')) throw new WasiError(Errno.INVAL, 'symlink target contains NUL');
    fs.symlinkSync(target, this.entryPath(name));
  }

  override unlink(name: string): void {
    trimDirFds();
    const p = this.entryPath(name);
    try {
      fs.unlinkSync(p);
    } catch (e) {
      // Linux says EISDIR; other systems say EPERM for a directory.
      const code = errCode(e);
      if (code === 'EISDIR' || code === 'EPERM') {
        const s = fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
        if (s && (Number(s.mode) & C.S_IFMT) === C.S_IFDIR) throw new WasiError(Errno.ISDIR, `${name} is a directory`);
      }
      throw e;
    }
  }

  override rmdir(name: string): void {
    trimDirFds();
    fs.rmdirSync(this.entryPath(name));
  }

  /** POSIX rename on the host; EXDEV when `toDir` is not a host directory (or the host says so). */
  override rename(name: string, toDir: DirectoryNode, toName: string): void {
    trimDirFds();
    if (!(toDir instanceof HostDirectory)) throw new WasiError(Errno.XDEV, 'rename to another backend');
    const from = this.entryPath(name);
    fs.renameSync(from, toDir.entryPath(toName));
  }

  /** A hard link to the host file `node` (checked to still be the looked-up file); EXDEV across backends. */
  override link(node: FileNode, toDir: DirectoryNode, toName: string): void {
    trimDirFds();
    if (!(node instanceof HostFile) || !(toDir instanceof HostDirectory)) {
      throw new WasiError(Errno.XDEV, 'link across backends');
    }
    const from = node.dir.entryPath(node.name);
    const to = toDir.entryPath(toName);
    sameObject(from, node.dev, node.ino, node.hostPath);
    fs.linkSync(from, to); // link(2) does not follow a symlink in the source on Linux
  }
}

/** Options of openHostDirectory. */
export interface HostDirectoryOptions {
  /** Use whole host paths even where /proc/self/fd works (the fallback, for tests); no stderr line. */
  bestEffort?: boolean;
}

/**
 * A host directory as a DirectoryNode. Symlinks in `hostPath` itself are resolved once, here (the node keeps
 * the real path). Throws an Error naming the path when it is missing or not a directory. On the first call,
 * probes /proc/self/fd (dirfds.ts) and says once on stderr when confinement can only be best-effort.
 */
export function openHostDirectory(hostPath: string, options: HostDirectoryOptions = {}): HostDirectory {
  let real: string;
  let s: fs.BigIntStats;
  let fd: number;
  try {
    real = fs.realpathSync(resolve(hostPath));
    s = lstat(real);
    if ((Number(s.mode) & C.S_IFMT) !== C.S_IFDIR) throw new Error(`${hostPath} is not a directory`);
    fd = fs.openSync(real, DIR_FLAGS);
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`host directory ${hostPath} does not exist`);
    if (code === undefined) throw e;
    throw new Error(`cannot open host directory ${hostPath}: ${(e as Error).message}`);
  }
  try {
    const f = fs.fstatSync(fd, { bigint: true });
    if (f.dev !== s.dev || f.ino !== s.ino) throw new Error(`host directory ${hostPath} changed while it was opened`);
    const byFd = !options.bestEffort && fdPathsWork(fd, f);
    const dir = new HostDirectory(real, u64(s.dev), u64(s.ino), undefined, real, byFd);
    if (byFd) holdDirFd(dirKey(dir.dev, dir.ino), fd); // its first operation trims the cache
    else fs.closeSync(fd);
    return dir;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}
