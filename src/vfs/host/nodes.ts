// Host directory backend: a directory of the host file system as DirectoryNode/FileNode/SymlinkNode.
//
// Every operation works on `join(dir.hostPath, name)` with `name` a single component; nothing here follows a
// symlink in the last component or resolves guest paths (src/vfs/resolve.ts does that and owns confinement).
// Each node remembers the device and inode it was looked up with and checks them (lstat) before acting, and
// HostFile.open compares the fstat of the new fd with them, so a swap on the host between lookup and use is
// refused with ENOTCAPABLE instead of touching another file. Node has no openat(), so the paths themselves are
// still walked by the host kernel; these checks narrow that window, and O_NOFOLLOW plus lutimes make sure
// the final component is never followed.
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { Errno } from '../../abi/index.js';
import { WasiError } from '../../abi/index.js';
import { filetypeFromMode } from '../stream.js';
import {
  DirectoryNode, FileNode, SymlinkNode, type DirEntry, type Node, type OpenFileOptions, type Stat,
} from '../types.js';
import { HostFileHandle, statFromHost, u64 } from './handle.js';
import { hostTime, setExactTimes } from './times.js';

const C = fs.constants;
const errCode = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;
const lstat = (p: string): fs.BigIntStats => fs.lstatSync(p, { bigint: true });

/** Refuses anything that is not one path component (the resolver never passes one; this is a safety net). */
function component(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new WasiError(Errno.INVAL, `not a single path component: ${JSON.stringify(name)}`);
  }
  return name;
}

/** lstat of `hostPath`, refused with ENOTCAPABLE unless it is still the object with `dev`/`ino`. */
function sameObject(hostPath: string, dev: bigint, ino: bigint): fs.BigIntStats {
  const s = lstat(hostPath);
  if (u64(s.dev) !== dev || u64(s.ino) !== ino) {
    throw new WasiError(Errno.NOTCAPABLE, `${hostPath} changed on the host since it was looked up`);
  }
  return s;
}

/** lutimes on a checked node (never follows a symlink); undefined times keep their current value. */
function setNodeTimes(hostPath: string, dev: bigint, ino: bigint, atim?: bigint, mtim?: bigint): void {
  if (atim === undefined && mtim === undefined) return;
  const cur = sameObject(hostPath, dev, ino);
  const a = atim ?? cur.atimeNs;
  const m = mtim ?? cur.mtimeNs;
  fs.lutimesSync(hostPath, hostTime(a), hostTime(m));
  setExactTimes(hostPath, true, a, m);
}

/** The node for host path `p` whose lstat is `s`, by `mode & S_IFMT`. */
function nodeFor(p: string, s: fs.BigIntStats): Node {
  const mode = Number(s.mode);
  switch (mode & C.S_IFMT) {
    case C.S_IFDIR: return new HostDirectory(p, u64(s.dev), u64(s.ino));
    case C.S_IFLNK: return new HostSymlink(p, u64(s.dev), u64(s.ino));
    default: return new HostFile(p, u64(s.dev), u64(s.ino), mode); // regular, devices, FIFOs, sockets
  }
}

/** A non-directory, non-symlink host object (regular file, device, FIFO or socket). */
export class HostFile extends FileNode {
  /** `mode` is the st_mode seen at lookup (it decides how the file is opened). */
  constructor(readonly hostPath: string, readonly dev: bigint, readonly ino: bigint, readonly mode: number) {
    super();
  }

  stat(): Stat { return statFromHost(sameObject(this.hostPath, this.dev, this.ino)); }

  /**
   * Opens with O_NOFOLLOW (a symlink put in place since lookup fails with ELOOP), then compares the new fd's
   * device and inode with the looked-up ones (ENOTCAPABLE on mismatch). Truncation happens only after that
   * check, so a swapped-in file is never truncated. FIFOs are opened non-blocking (see HostFileHandle).
   * Host fds are close-on-exec: libuv adds O_CLOEXEC to every open.
   */
  open(options: OpenFileOptions): HostFileHandle {
    const writeHost = options.write || options.truncate;
    let flags = writeHost ? (options.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
    flags |= C.O_NOFOLLOW;
    const fifo = (this.mode & C.S_IFMT) === C.S_IFIFO;
    if (fifo) flags |= C.O_NONBLOCK;
    const fd = fs.openSync(this.hostPath, flags);
    try {
      const s = fs.fstatSync(fd, { bigint: true });
      if (u64(s.dev) !== this.dev || u64(s.ino) !== this.ino) {
        throw new WasiError(Errno.NOTCAPABLE, `${this.hostPath}: file changed while it was opened`);
      }
      const mode = Number(s.mode);
      if (options.truncate && (mode & C.S_IFMT) === C.S_IFREG) fs.ftruncateSync(fd, 0);
      return new HostFileHandle(fd, mode, fifo);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void {
    setNodeTimes(this.hostPath, this.dev, this.ino, atim, mtim);
  }
}

/** A host symbolic link; its target is never followed here. */
export class HostSymlink extends SymlinkNode {
  constructor(readonly hostPath: string, readonly dev: bigint, readonly ino: bigint) { super(); }

  stat(): Stat { return statFromHost(sameObject(this.hostPath, this.dev, this.ino)); }

  /** The target text as stored (decoded as UTF-8). */
  target(): string {
    sameObject(this.hostPath, this.dev, this.ino);
    return fs.readlinkSync(this.hostPath, 'utf8');
  }

  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void {
    setNodeTimes(this.hostPath, this.dev, this.ino, atim, mtim);
  }
}

/** A host directory. Obtain the root with openHostDirectory; the others come from lookup. */
export class HostDirectory extends DirectoryNode {
  constructor(readonly hostPath: string, readonly dev: bigint, readonly ino: bigint) { super(); }

  /** This directory's lstat, after checking it is still the directory that was looked up. */
  private check(): fs.BigIntStats { return sameObject(this.hostPath, this.dev, this.ino); }
  private child(name: string): string { return join(this.hostPath, component(name)); }

  stat(): Stat { return statFromHost(this.check()); }

  lookup(name: string): Node | undefined {
    const p = this.child(name);
    this.check();
    const s = fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
    return s ? nodeFor(p, s) : undefined;
  }

  /** Entries sorted by name (so readdir cookies stay stable); entries removed while listing are left out. */
  list(): DirEntry[] {
    this.check();
    const out: DirEntry[] = [];
    for (const name of fs.readdirSync(this.hostPath)) {
      const s = fs.lstatSync(join(this.hostPath, name), { bigint: true, throwIfNoEntry: false });
      if (s) out.push({ name, filetype: filetypeFromMode(Number(s.mode)), ino: u64(s.ino) });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void {
    setNodeTimes(this.hostPath, this.dev, this.ino, atim, mtim);
  }

  override createFile(name: string): HostFile {
    const p = this.child(name);
    this.check();
    const fd = fs.openSync(p, C.O_CREAT | C.O_EXCL | C.O_WRONLY | C.O_NOFOLLOW, 0o666);
    let s: fs.BigIntStats;
    try { s = fs.fstatSync(fd, { bigint: true }); } finally { fs.closeSync(fd); }
    return new HostFile(p, u64(s.dev), u64(s.ino), Number(s.mode));
  }

  override mkdir(name: string): void {
    const p = this.child(name);
    this.check();
    fs.mkdirSync(p, 0o777);
  }

  /** Stores `target` verbatim; the resolver checks confinement when following it. */
  override symlink(name: string, target: string): void {
    const p = this.child(name);
    if (target.includes('\0')) throw new WasiError(Errno.INVAL, 'symlink target contains NUL');
    this.check();
    fs.symlinkSync(target, p);
  }

  override unlink(name: string): void {
    const p = this.child(name);
    this.check();
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
    const p = this.child(name);
    this.check();
    fs.rmdirSync(p);
  }

  /** POSIX rename on the host; EXDEV when `toDir` is not a host directory (or the host says so). */
  override rename(name: string, toDir: DirectoryNode, toName: string): void {
    if (!(toDir instanceof HostDirectory)) throw new WasiError(Errno.XDEV, 'rename to another backend');
    const from = this.child(name);
    const to = toDir.child(toName);
    this.check();
    toDir.check();
    fs.renameSync(from, to);
  }

  /** A hard link to the host file `node` (checked to still be the looked-up file); EXDEV across backends. */
  override link(node: FileNode, toDir: DirectoryNode, toName: string): void {
    if (!(node instanceof HostFile) || !(toDir instanceof HostDirectory)) {
      throw new WasiError(Errno.XDEV, 'link across backends');
    }
    const to = toDir.child(toName);
    this.check();
    toDir.check();
    sameObject(node.hostPath, node.dev, node.ino);
    fs.linkSync(node.hostPath, to); // link(2) does not follow a symlink in the source on Linux
  }
}

/**
 * A host directory as a DirectoryNode. Symlinks in `hostPath` itself are resolved once, here (the node keeps
 * the real path). Throws an Error naming the path when it is missing or not a directory.
 */
export function openHostDirectory(hostPath: string): HostDirectory {
  let real: string;
  let s: fs.BigIntStats;
  try {
    real = fs.realpathSync(resolve(hostPath));
    s = lstat(real);
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`host directory ${hostPath} does not exist`);
    throw new Error(`cannot open host directory ${hostPath}: ${(e as Error).message}`);
  }
  if ((Number(s.mode) & C.S_IFMT) !== C.S_IFDIR) throw new Error(`${hostPath} is not a directory`);
  return new HostDirectory(real, u64(s.dev), u64(s.ino));
}
