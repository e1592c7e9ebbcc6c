// The fd table: the only place that assigns, looks up, moves and frees guest fd numbers.
// Nothing renumbers an fd except renumber(); changing flags or rights keeps the fd and its position.
import { ALL_RIGHTS, Errno, Filetype, right, WasiError } from '../abi/index.js';
import { DirectoryNode, FileHandle } from '../vfs/types.js';

/** One open description: what an fd refers to, its rights, flags and (for seekable files) its position. */
export interface FdEntry {
  readonly handle: FileHandle | DirectoryNode;
  rightsBase: bigint;
  rightsInheriting: bigint;
  fdflags: number;
  position: bigint;
  /** Guest path of a preopened directory (fd_prestat_*), or undefined. */
  readonly preopen?: string;
  /** The path the fd was opened with, relative to its directory fd (for diagnostics). */
  readonly path?: string;
}

export type FileEntry = FdEntry & { readonly handle: FileHandle };
export type DirEntryFd = FdEntry & { readonly handle: DirectoryNode };

/** Rights of a stdio stream: read/write and poll, no seek/tell (so libc's isatty sees a terminal-like fd). */
export const STREAM_RIGHTS =
  right('fd_read') | right('fd_write') | right('poll_fd_readwrite') | right('fd_fdstat_set_flags') |
  right('fd_filestat_get') | right('fd_sync') | right('fd_datasync');
export const FILE_RIGHTS = ALL_RIGHTS & ~(right('path_create_directory') | right('path_create_file') |
  right('path_link_source') | right('path_link_target') | right('path_open') | right('fd_readdir') |
  right('path_readlink') | right('path_rename_source') | right('path_rename_target') | right('path_filestat_get') |
  right('path_filestat_set_size') | right('path_filestat_set_times') | right('path_symlink') |
  right('path_remove_directory') | right('path_unlink_file') | right('sock_shutdown') | right('sock_accept'));
export const DIRECTORY_RIGHTS = ALL_RIGHTS & ~(right('fd_read') | right('fd_write') | right('fd_seek') |
  right('fd_tell') | right('fd_allocate') | right('fd_filestat_set_size') | right('sock_shutdown') |
  right('sock_accept'));

/** Most fds one guest may hold open at once (EMFILE past it). */
export const MAX_FDS = 1 << 16;

export class FdTable {
  private readonly entries = new Map<number, FdEntry>();

  /** The entry for `fd`; EBADF when it is not open. */
  get(fd: number): FdEntry {
    const e = this.entries.get(fd);
    if (e === undefined) throw new WasiError(Errno.BADF);
    return e;
  }

  /** A file fd; EBADF when not open, EISDIR when it is a directory. */
  file(fd: number): FileEntry {
    const e = this.get(fd);
    if (e.handle instanceof DirectoryNode) throw new WasiError(Errno.ISDIR);
    return e as FileEntry;
  }

  /** A directory fd; EBADF when not open, ENOTDIR when it is not a directory. */
  dir(fd: number): DirEntryFd {
    const e = this.get(fd);
    if (!(e.handle instanceof DirectoryNode)) throw new WasiError(Errno.NOTDIR);
    return e as DirEntryFd;
  }

  has(fd: number): boolean { return this.entries.has(fd); }

  /** Puts `entry` at the lowest free fd number and returns it; EMFILE when the table is full. */
  add(entry: FdEntry): number {
    for (let fd = 0; fd < MAX_FDS; fd++) {
      if (!this.entries.has(fd)) { this.entries.set(fd, entry); return fd; }
    }
    throw new WasiError(Errno.MFILE);
  }

  /** Puts `entry` at exactly `fd` (embedders: stdio, preopens, files handed over by the API), closing what was there. */
  set(fd: number, entry: FdEntry): void {
    if (!Number.isInteger(fd) || fd < 0 || fd >= MAX_FDS) throw new RangeError(`fd ${fd} out of range`);
    this.closeIfOpen(fd);
    this.entries.set(fd, entry);
  }

  /** Closes `fd`; EBADF when it is not open. */
  close(fd: number): void {
    const e = this.get(fd);
    this.entries.delete(fd);
    this.release(e);
  }

  /** fd_renumber: moves `from` to `to`, closing what `to` held. Both must be open (EBADF); from === to is a no-op. */
  renumber(from: number, to: number): void {
    const e = this.get(from);
    this.get(to);
    if (from === to) return;
    this.close(to);
    this.entries.delete(from);
    this.entries.set(to, e);
  }

  /** Every open fd in ascending order. */
  fds(): number[] { return [...this.entries.keys()].sort((a, b) => a - b); }

  /** Closes everything (end of run). */
  closeAll(): void {
    for (const fd of this.fds()) this.close(fd);
  }

  private closeIfOpen(fd: number): void { if (this.entries.has(fd)) this.close(fd); }

  private release(e: FdEntry): void {
    if (e.handle instanceof FileHandle) {
      for (const other of this.entries.values()) if (other.handle === e.handle) return;
      e.handle.close();
    }
  }
}

/** The preview1 filetype of whatever an fd refers to. */
export const entryFiletype = (e: FdEntry): Filetype =>
  e.handle instanceof DirectoryNode ? Filetype.DIRECTORY : e.handle.filetype;
