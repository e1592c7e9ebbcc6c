// In-memory directories and symlinks. Entries keep their insertion order (so fd_readdir cookies stay valid while a
// directory is unchanged). POSIX rules for unlink, rmdir and rename; EXDEV across two in-memory filesystems or
// towards another backend.
import { Errno, Filetype } from '../../abi/index.js';
import { WasiError } from '../../abi/index.js';
import { DirectoryNode, SymlinkNode, type DirEntry, type FileNode, type Node, type Stat } from '../types.js';
import { MemoryFile, MemoryFs, Times } from './file.js';

export class MemorySymlink extends SymlinkNode {
  readonly ino: bigint;
  readonly times = new Times();
  nlink = 0;
  constructor(readonly fs: MemoryFs, private readonly text: string) { super(); this.ino = fs.ino(); }
  target(): string { return this.text; }
  stat(): Stat {
    const { atim, mtim, ctim } = this.times;
    return {
      dev: this.fs.dev, ino: this.ino, filetype: Filetype.SYMBOLIC_LINK, nlink: BigInt(this.nlink),
      size: BigInt(Buffer.byteLength(this.text)), atim, mtim, ctim,
    };
  }
  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void { this.times.set(atim, mtim); }
}

type MemoryNode = MemoryFile | MemorySymlink | MemoryDirectory;

const filetypeOf = (n: MemoryNode): Filetype =>
  n instanceof MemoryDirectory ? Filetype.DIRECTORY : n instanceof MemoryFile ? Filetype.REGULAR_FILE : Filetype.SYMBOLIC_LINK;

export class MemoryDirectory extends DirectoryNode {
  readonly ino: bigint;
  readonly times = new Times();
  private readonly entries = new Map<string, MemoryNode>();
  /** The directory holding this one (undefined for a root); kept to refuse moving a directory into itself. */
  parent: MemoryDirectory | undefined;
  /** Set by rmdir: a removed directory accepts no new entries (ENOENT), as on POSIX. */
  private removed = false;

  constructor(readonly fs: MemoryFs = new MemoryFs(), parent?: MemoryDirectory) {
    super();
    this.ino = fs.ino();
    this.parent = parent;
  }

  stat(): Stat {
    const { atim, mtim, ctim } = this.times;
    let subdirs = 0;
    for (const e of this.entries.values()) if (e instanceof MemoryDirectory) subdirs++;
    return {
      dev: this.fs.dev, ino: this.ino, filetype: Filetype.DIRECTORY, nlink: BigInt((this.removed ? 0 : 2) + subdirs),
      size: BigInt(this.entries.size), atim, mtim, ctim,
    };
  }

  lookup(name: string): Node | undefined { return this.entries.get(name); }

  list(): DirEntry[] {
    return [...this.entries].map(([name, n]) => ({ name, filetype: filetypeOf(n), ino: n.ino }));
  }

  get size(): number { return this.entries.size; }

  override setTimes(atim: bigint | undefined, mtim: bigint | undefined): void { this.times.set(atim, mtim); }

  override createFile(name: string): FileNode {
    const f = new MemoryFile(this.fs);
    this.add(name, f);
    return f;
  }

  override mkdir(name: string): void { this.add(name, new MemoryDirectory(this.fs, this)); }

  override symlink(name: string, target: string): void { this.add(name, new MemorySymlink(this.fs, target)); }

  override unlink(name: string): void {
    const n = this.existing(name);
    if (n instanceof MemoryDirectory) throw new WasiError(Errno.ISDIR, name);
    this.remove(name, n);
  }

  override rmdir(name: string): void {
    const n = this.existing(name);
    if (!(n instanceof MemoryDirectory)) throw new WasiError(Errno.NOTDIR, name);
    if (n.entries.size > 0) throw new WasiError(Errno.NOTEMPTY, name);
    this.remove(name, n);
  }

  /**
   * POSIX rename: replaces a non-directory target with a non-directory, or an empty directory with a directory
   * (EISDIR, ENOTDIR, ENOTEMPTY otherwise); EINVAL when moving a directory into itself; a rename onto another name
   * of the same node does nothing.
   */
  override rename(name: string, toDir: DirectoryNode, toName: string): void {
    const to = this.sameFs(toDir);
    const n = this.existing(name);
    to.writable();
    const old = to.entries.get(toName);
    if (old === n) return;
    if (n instanceof MemoryDirectory) {
      for (let d: MemoryDirectory | undefined = to; d; d = d.parent) {
        if (d === n) throw new WasiError(Errno.INVAL, 'cannot move a directory into itself');
      }
      if (old !== undefined && !(old instanceof MemoryDirectory)) throw new WasiError(Errno.NOTDIR, toName);
      if (old instanceof MemoryDirectory && old.entries.size > 0) throw new WasiError(Errno.NOTEMPTY, toName);
    } else if (old instanceof MemoryDirectory) {
      throw new WasiError(Errno.ISDIR, toName);
    }
    if (old !== undefined) to.remove(toName, old);
    this.entries.delete(name);
    this.times.modified();
    to.entries.set(toName, n);
    to.times.modified();
    if (n instanceof MemoryDirectory) n.parent = to;
    n.times.changed();
  }

  /** A new name for a file (or symlink) of this filesystem; EEXIST when taken, EPERM for a directory. */
  override link(node: FileNode, toDir: DirectoryNode, toName: string): void {
    const to = this.sameFs(toDir);
    const n = node as unknown as MemoryNode;
    if (n instanceof MemoryDirectory) throw new WasiError(Errno.PERM, 'cannot link a directory');
    if (!(n instanceof MemoryFile || n instanceof MemorySymlink) || n.fs !== this.fs) throw new WasiError(Errno.XDEV);
    to.add(toName, n);
  }

  private existing(name: string): MemoryNode {
    const n = this.entries.get(name);
    if (n === undefined) throw new WasiError(Errno.NOENT, name);
    return n;
  }

  private writable(): void {
    if (this.removed) throw new WasiError(Errno.NOENT, 'directory was removed');
  }

  private sameFs(dir: DirectoryNode): MemoryDirectory {
    if (!(dir instanceof MemoryDirectory) || dir.fs !== this.fs) throw new WasiError(Errno.XDEV);
    return dir;
  }

  private add(name: string, n: MemoryNode): void {
    this.writable();
    if (this.entries.has(name)) throw new WasiError(Errno.EXIST, name);
    this.entries.set(name, n);
    if (!(n instanceof MemoryDirectory)) n.nlink++;
    n.times.changed();
    this.times.modified();
  }

  private remove(name: string, n: MemoryNode): void {
    this.entries.delete(name);
    if (n instanceof MemoryDirectory) { n.removed = true; n.parent = undefined; } else n.nlink--;
    n.times.changed();
    this.times.modified();
  }
}

/** An empty in-memory directory, the root of a new in-memory filesystem. */
export const memoryDirectory = (): MemoryDirectory => new MemoryDirectory();
