// Filesystem interfaces shared by every backend. Files and directories are distinct types; every method a
// backend does not override fails with NOTSUP (or the errno stated), so a missing feature is an errno, not a crash.
// Contracts: methods throw WasiError for expected failures; Node system errors are converted by the runtime.
import { Errno, Filetype } from '../abi/index.js';
import { WasiError } from '../abi/index.js';

/** preview1 filestat, with 64-bit fields as bigint. */
export interface Stat {
  dev: bigint;
  ino: bigint;
  filetype: Filetype;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

const notsup = (what: string): never => { throw new WasiError(Errno.NOTSUP, what); };

/**
 * A file offset as the runtime's hot paths carry it: a non-negative safe-integer number where it fits (no BigInt made
 * per call), a bigint otherwise (beyond 2^53, or from a caller that has one).
 */
export type Offset = number | bigint;
/** `o` as a bigint. */
export const bigOffset = (o: Offset): bigint => (typeof o === 'bigint' ? o : BigInt(o));

/**
 * An open file: a regular file, a character device or a stream (stdio, pipe). The file position lives in the
 * fd table, not here: seekable handles read and write at the offset they are given, streams ignore it.
 */
export abstract class FileHandle {
  abstract readonly filetype: Filetype;
  /** False for streams: fd_seek/fd_tell give ESPIPE and offsets are ignored. */
  readonly seekable: boolean = true;

  /** Reads into `buf` at `offset`; returns the count, 0 at end of file. */
  read(_buf: Uint8Array, _offset: bigint): number { throw new WasiError(Errno.BADF, 'not readable'); }
  /** Writes `buf` at `offset`; returns the count written. */
  write(_buf: Uint8Array, _offset: bigint): number { throw new WasiError(Errno.BADF, 'not writable'); }
  /**
   * read() into bytes [start, start+len) of `dst`, and write() of bytes [start, start+len) of `src`: the runtime
   * hands a guest buffer over this way (the range lies inside the array), with the offset as a number where it fits.
   * Host fds override them to pass the range straight to the system call, with no view or BigInt made per call; the
   * defaults make the view.
   */
  readRange(dst: Uint8Array, start: number, len: number, offset: Offset): number { return this.read(dst.subarray(start, start + len), bigOffset(offset)); }
  writeRange(src: Uint8Array, start: number, len: number, offset: Offset): number { return this.write(src.subarray(start, start + len), bigOffset(offset)); }
  stat(): Stat { return notsup('stat'); }
  setSize(_size: bigint): void { notsup('set size'); }
  /** Sets the given timestamps (undefined: leave as is). */
  setTimes(_atim: bigint | undefined, _mtim: bigint | undefined): void { notsup('set times'); }
  allocate(_offset: bigint, _len: bigint): void { notsup('allocate'); }
  sync(): void {}
  datasync(): void {}
  /** Bytes readable without blocking, for poll_oneoff (0n when unknown; the fd is still reported ready). */
  readable(_offset: bigint): bigint { return 0n; }
  /** Called when the last fd referring to this handle is closed. */
  close(): void {}
}

/** A directory listing entry ('.' and '..' are added by the runtime, never by a backend). */
export interface DirEntry {
  name: string;
  filetype: Filetype;
  ino: bigint;
}

/** Options for opening a file node. */
export interface OpenFileOptions {
  read: boolean;
  write: boolean;
  truncate: boolean;
}

/** A regular file (or device) in a directory tree, not yet opened. */
export abstract class FileNode {
  readonly kind = 'file' as const;
  abstract stat(): Stat;
  abstract open(options: OpenFileOptions): FileHandle;
  setTimes(_atim: bigint | undefined, _mtim: bigint | undefined): void { notsup('set times'); }
}

/** A symbolic link in a directory tree. */
export abstract class SymlinkNode {
  readonly kind = 'symlink' as const;
  abstract stat(): Stat;
  /** The link's target text, exactly as stored. */
  abstract target(): string;
  setTimes(_atim: bigint | undefined, _mtim: bigint | undefined): void { notsup('set times'); }
}

/**
 * A directory. Names passed in are single components: never empty, never '.', '..' or containing '/'.
 * Backends do not follow symlinks; src/vfs/resolve.ts walks paths and owns confinement.
 */
export abstract class DirectoryNode {
  readonly kind = 'directory' as const;
  abstract stat(): Stat;
  /** The entry called `name`, or undefined when there is none. Does not follow symlinks. */
  abstract lookup(name: string): Node | undefined;
  abstract list(): DirEntry[];
  setTimes(_atim: bigint | undefined, _mtim: bigint | undefined): void { notsup('set times'); }
  /** Creates an empty regular file; EEXIST when `name` exists. */
  createFile(_name: string): FileNode { return notsup('create file'); }
  /** EEXIST when `name` exists. */
  mkdir(_name: string): void { notsup('mkdir'); }
  /** EEXIST when `name` exists. */
  symlink(_name: string, _target: string): void { notsup('symlink'); }
  /** Removes a non-directory entry; EISDIR for a directory. */
  unlink(_name: string): void { notsup('unlink'); }
  /** Removes an empty directory; ENOTDIR for a non-directory, ENOTEMPTY when it has entries. */
  rmdir(_name: string): void { notsup('rmdir'); }
  /**
   * Moves `name` to `toDir`/`toName`, replacing a file there, or an empty directory when moving a directory
   * (POSIX rename rules: EISDIR, ENOTDIR, ENOTEMPTY). EXDEV when `toDir` belongs to another backend or device.
   */
  rename(_name: string, _toDir: DirectoryNode, _toName: string): void { notsup('rename'); }
  /** Makes `toDir`/`toName` another name of the file `node`; EXDEV across backends, EEXIST when taken. */
  link(_node: FileNode, _toDir: DirectoryNode, _toName: string): void { notsup('link'); }
}

export type Node = FileNode | SymlinkNode | DirectoryNode;
