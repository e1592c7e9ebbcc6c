// The fd table: the only place that assigns, looks up, moves and frees guest fd numbers.
// Nothing renumbers an fd except renumber(); changing flags or rights keeps the fd and its position.
import { ALL_RIGHT_BITS, Errno, Filetype, RIGHTS, Rights, WasiError } from '../abi/index.js';
import { DirectoryNode, FileHandle, type Offset } from '../vfs/types.js';

/**
 * One open description: what an fd refers to, its rights, flags and (for seekable files) its position. Rights are
 * number masks of Rights bits (every preview1 right fits, so no BigInt arithmetic per call); the position is a number
 * while it is a safe integer (advance() keeps it so) and a bigint only beyond 2^53.
 */
export interface FdEntry {
  readonly handle: FileHandle | DirectoryNode;
  rightsBase: number;
  rightsInheriting: number;
  fdflags: number;
  position: Offset;
  /** Guest path of a preopened directory (fd_prestat_*), or undefined. */
  readonly preopen?: string;
  /** The path the fd was opened with, relative to its directory fd (for diagnostics). */
  readonly path?: string;
}

export type FileEntry = FdEntry & { readonly handle: FileHandle };
export type DirEntryFd = FdEntry & { readonly handle: DirectoryNode };

const R = Rights;
/** Rights of a stdio stream: read/write and poll, no seek/tell (so libc's isatty sees a terminal-like fd). */
export const STREAM_RIGHT_BITS = R.FD_READ | R.FD_WRITE | R.POLL_FD_READWRITE | R.FD_FDSTAT_SET_FLAGS |
  R.FD_FILESTAT_GET | R.FD_SYNC | R.FD_DATASYNC;
/** Rights a regular file can have: everything but the directory and socket operations. */
export const FILE_RIGHT_BITS = ALL_RIGHT_BITS & ~(R.PATH_CREATE_DIRECTORY | R.PATH_CREATE_FILE | R.PATH_LINK_SOURCE |
  R.PATH_LINK_TARGET | R.PATH_OPEN | R.FD_READDIR | R.PATH_READLINK | R.PATH_RENAME_SOURCE | R.PATH_RENAME_TARGET |
  R.PATH_FILESTAT_GET | R.PATH_FILESTAT_SET_SIZE | R.PATH_FILESTAT_SET_TIMES | R.PATH_SYMLINK |
  R.PATH_REMOVE_DIRECTORY | R.PATH_UNLINK_FILE | R.SOCK_SHUTDOWN | R.SOCK_ACCEPT);
/** Rights a directory can have: everything but reading, writing and seeking data, and the socket operations. */
export const DIRECTORY_RIGHT_BITS = ALL_RIGHT_BITS & ~(R.FD_READ | R.FD_WRITE | R.FD_SEEK | R.FD_TELL | R.FD_ALLOCATE |
  R.FD_FILESTAT_SET_SIZE | R.SOCK_SHUTDOWN | R.SOCK_ACCEPT);
/** The same three masks as the u64 values fd_fdstat_get reports. */
export const STREAM_RIGHTS = BigInt(STREAM_RIGHT_BITS);
export const FILE_RIGHTS = BigInt(FILE_RIGHT_BITS);
export const DIRECTORY_RIGHTS = BigInt(DIRECTORY_RIGHT_BITS);

// The hot paths (every fd_* call looks its fd up and checks a right) stay small so that V8 inlines all of a call
// into one optimised function; what only a failing call needs is built out of line, by these.
const badFd = (): WasiError => new WasiError(Errno.BADF);
const lacksRight = (right: Rights): WasiError => new WasiError(Errno.NOTCAPABLE, `fd lacks right ${RIGHTS.names[31 - Math.clz32(right)]}`);

/** ENOTCAPABLE unless the fd holds `right`. */
export function requireRight(e: FdEntry, right: Rights): void {
  if ((e.rightsBase & right) === 0) throw lacksRight(right);
}

/** `pos` + `n` (n ≥ 0) as an fd position: a number while the sum is a safe integer, else a bigint. */
export function advance(pos: Offset, n: number): Offset {
  if (typeof pos === 'number') {
    const next = pos + n;
    if (next <= Number.MAX_SAFE_INTEGER) return next;
  }
  return position(BigInt(pos) + BigInt(n));
}

/** A bigint offset as an fd position (see FdEntry.position). */
export const position = (p: bigint): Offset => (p <= MAX_SAFE && p >= 0n ? Number(p) : p);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Most fds one guest may hold open at once (EMFILE past it). */
export const MAX_FDS = 1 << 16;

export class FdTable {
  /**
   * The entry of each open fd at its number (undefined: free). An array, not a Map: every fd_* call looks its fd up,
   * and an array element is cheaper to find than a hash entry. A guest's fd (a wasm i32: maybe negative) that is not
   * a valid index simply finds nothing.
   */
  private readonly entries: (FdEntry | undefined)[] = [];

  /** The entry for `fd`; EBADF when it is not open. */
  get(fd: number): FdEntry {
    const e = this.entries[fd];
    if (e === undefined) throw badFd();
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

  has(fd: number): boolean { return this.entries[fd] !== undefined; }

  /**
   * Puts `entry` at the lowest free fd number and returns it; EMFILE when the table is full. `pick`, given the
   * lowest number a new fd may take (above every preopen, which wasi-libc finds by scanning from 3), may choose
   * another free one (chaos); undefined keeps the lowest.
   */
  add(entry: FdEntry, pick?: (lowest: number, isFree: (fd: number) => boolean) => number | undefined): number {
    if (pick) {
      let lowest = 3; // never a stdio number either
      this.entries.forEach((e, fd) => { if (e?.preopen !== undefined && fd >= lowest) lowest = fd + 1; });
      const fd = pick(lowest, (n) => n >= lowest && n < MAX_FDS && !this.has(n));
      if (fd !== undefined) { this.entries[fd] = entry; return fd; }
    }
    for (let fd = 0; fd < MAX_FDS; fd++) {
      if (!this.has(fd)) { this.entries[fd] = entry; return fd; }
    }
    throw new WasiError(Errno.MFILE);
  }

  /** Puts `entry` at exactly `fd` (embedders: stdio, preopens, files handed over by the API), closing what was there. */
  set(fd: number, entry: FdEntry): void {
    if (!Number.isInteger(fd) || fd < 0 || fd >= MAX_FDS) throw new RangeError(`fd ${fd} out of range`);
    this.closeIfOpen(fd);
    this.entries[fd] = entry;
  }

  /** Closes `fd`; EBADF when it is not open. */
  close(fd: number): void {
    const e = this.get(fd);
    this.entries[fd] = undefined;
    this.release(e);
  }

  /** fd_renumber: moves `from` to `to`, closing what `to` held. Both must be open (EBADF); from === to is a no-op. */
  renumber(from: number, to: number): void {
    const e = this.get(from);
    this.get(to);
    if (from === to) return;
    this.close(to);
    this.entries[from] = undefined;
    this.entries[to] = e;
  }

  /** Every open fd in ascending order. */
  fds(): number[] { return this.entries.flatMap((e, fd) => (e === undefined ? [] : [fd])); }

  /** Closes everything (end of run). */
  closeAll(): void {
    for (const fd of this.fds()) this.close(fd);
  }

  private closeIfOpen(fd: number): void { if (this.has(fd)) this.close(fd); }

  private release(e: FdEntry): void {
    if (e.handle instanceof FileHandle) {
      for (const other of this.entries) if (other?.handle === e.handle) return;
      e.handle.close();
    }
  }
}

/** The preview1 filetype of whatever an fd refers to. */
export const entryFiletype = (e: FdEntry): Filetype =>
  e.handle instanceof DirectoryNode ? Filetype.DIRECTORY : e.handle.filetype;
