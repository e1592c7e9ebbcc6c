// Names and numeric values of every preview1 enum and flag set, in the order of the spec's typenames.witx (an
// enum's value is its index; a flag's bit is 1 << index). The TS enums below abbreviate these arrays for code that
// names values; test/abi/names.test.ts checks every member against its array.

/** Declares an enum: value = index in `names`. */
export interface EnumDef {
  readonly kind: 'enum';
  readonly name: string;
  readonly names: readonly string[];
}

/** Declares a flag set: bit i means names[i]. */
export interface FlagsDef {
  readonly kind: 'flags';
  readonly name: string;
  readonly names: readonly string[];
}

const enumDef = (name: string, names: string[]): EnumDef => ({ kind: 'enum', name, names });
const flagsDef = (name: string, names: string[]): FlagsDef => ({ kind: 'flags', name, names });

export const ERRNO = enumDef('errno', [
  'success', '2big', 'acces', 'addrinuse', 'addrnotavail', 'afnosupport', 'again', 'already', 'badf', 'badmsg',
  'busy', 'canceled', 'child', 'connaborted', 'connrefused', 'connreset', 'deadlk', 'destaddrreq', 'dom', 'dquot',
  'exist', 'fault', 'fbig', 'hostunreach', 'idrm', 'ilseq', 'inprogress', 'intr', 'inval', 'io', 'isconn', 'isdir',
  'loop', 'mfile', 'mlink', 'msgsize', 'multihop', 'nametoolong', 'netdown', 'netreset', 'netunreach', 'nfile',
  'nobufs', 'nodev', 'noent', 'noexec', 'nolck', 'nolink', 'nomem', 'nomsg', 'noprotoopt', 'nospc', 'nosys',
  'notconn', 'notdir', 'notempty', 'notrecoverable', 'notsock', 'notsup', 'notty', 'nxio', 'overflow', 'ownerdead',
  'perm', 'pipe', 'proto', 'protonosupport', 'prototype', 'range', 'rofs', 'spipe', 'srch', 'stale', 'timedout',
  'txtbsy', 'xdev', 'notcapable',
]);

/** Errno values used by the runtime, by name. */
export enum Errno {
  SUCCESS = 0, TOOBIG = 1, ACCES = 2, AGAIN = 6, BADF = 8, BUSY = 10, EXIST = 20, FAULT = 21, FBIG = 22,
  ILSEQ = 25, INTR = 27, INVAL = 28, IO = 29, ISDIR = 31, LOOP = 32, MFILE = 33, MLINK = 34, NAMETOOLONG = 37,
  NFILE = 41, NODEV = 43, NOENT = 44, NOMEM = 48, NOSPC = 51, NOSYS = 52, NOTCONN = 53, NOTDIR = 54, NOTEMPTY = 55,
  NOTSOCK = 57, NOTSUP = 58, NOTTY = 59, NXIO = 60, OVERFLOW = 61, PERM = 63, PIPE = 64, RANGE = 68, ROFS = 69,
  SPIPE = 70, TIMEDOUT = 73, TXTBSY = 74, XDEV = 75, NOTCAPABLE = 76,
}

export const CLOCKID = enumDef('clockid', ['realtime', 'monotonic', 'process_cputime_id', 'thread_cputime_id']);
export enum ClockId { REALTIME = 0, MONOTONIC = 1, PROCESS_CPUTIME = 2, THREAD_CPUTIME = 3 }

export const RIGHTS = flagsDef('rights', [
  'fd_datasync', 'fd_read', 'fd_seek', 'fd_fdstat_set_flags', 'fd_sync', 'fd_tell', 'fd_write', 'fd_advise',
  'fd_allocate', 'path_create_directory', 'path_create_file', 'path_link_source', 'path_link_target', 'path_open',
  'fd_readdir', 'path_readlink', 'path_rename_source', 'path_rename_target', 'path_filestat_get',
  'path_filestat_set_size', 'path_filestat_set_times', 'fd_filestat_get', 'fd_filestat_set_size',
  'fd_filestat_set_times', 'path_symlink', 'path_remove_directory', 'path_unlink_file', 'poll_fd_readwrite',
  'sock_shutdown', 'sock_accept',
]);

export type RightName = (typeof RIGHTS.names)[number];

const rightIndex = (name: RightName): number => {
  const i = RIGHTS.names.indexOf(name);
  if (i < 0) throw new Error(`unknown right ${name}`);
  return i;
};

/** Bit of the named right as the u64 the guest passes and sees (bigint). */
export function right(name: RightName): bigint {
  return 1n << BigInt(rightIndex(name));
}
export const ALL_RIGHTS = (1n << BigInt(RIGHTS.names.length)) - 1n;

/**
 * Each right as a number bit. All 30 rights fit in 31 bits, so `&`, `|` and `~` on masks of them are exact; the
 * runtime keeps an fd's rights this way (no BigInt arithmetic per call).
 */
export enum Rights {
  FD_DATASYNC = 1 << 0, FD_READ = 1 << 1, FD_SEEK = 1 << 2, FD_FDSTAT_SET_FLAGS = 1 << 3, FD_SYNC = 1 << 4,
  FD_TELL = 1 << 5, FD_WRITE = 1 << 6, FD_ADVISE = 1 << 7, FD_ALLOCATE = 1 << 8, PATH_CREATE_DIRECTORY = 1 << 9,
  PATH_CREATE_FILE = 1 << 10, PATH_LINK_SOURCE = 1 << 11, PATH_LINK_TARGET = 1 << 12, PATH_OPEN = 1 << 13,
  FD_READDIR = 1 << 14, PATH_READLINK = 1 << 15, PATH_RENAME_SOURCE = 1 << 16, PATH_RENAME_TARGET = 1 << 17,
  PATH_FILESTAT_GET = 1 << 18, PATH_FILESTAT_SET_SIZE = 1 << 19, PATH_FILESTAT_SET_TIMES = 1 << 20,
  FD_FILESTAT_GET = 1 << 21, FD_FILESTAT_SET_SIZE = 1 << 22, FD_FILESTAT_SET_TIMES = 1 << 23, PATH_SYMLINK = 1 << 24,
  PATH_REMOVE_DIRECTORY = 1 << 25, PATH_UNLINK_FILE = 1 << 26, POLL_FD_READWRITE = 1 << 27, SOCK_SHUTDOWN = 1 << 28,
  SOCK_ACCEPT = 1 << 29,
}
/** Every right, as a number mask. */
export const ALL_RIGHT_BITS = 2 ** RIGHTS.names.length - 1;

export const WHENCE = enumDef('whence', ['set', 'cur', 'end']);
export enum Whence { SET = 0, CUR = 1, END = 2 }

export const FILETYPE = enumDef('filetype', [
  'unknown', 'block_device', 'character_device', 'directory', 'regular_file', 'socket_dgram', 'socket_stream',
  'symbolic_link',
]);
export enum Filetype {
  UNKNOWN = 0, BLOCK_DEVICE = 1, CHARACTER_DEVICE = 2, DIRECTORY = 3, REGULAR_FILE = 4, SOCKET_DGRAM = 5,
  SOCKET_STREAM = 6, SYMBOLIC_LINK = 7,
}

export const ADVICE = enumDef('advice', ['normal', 'sequential', 'random', 'willneed', 'dontneed', 'noreuse']);

export const FDFLAGS = flagsDef('fdflags', ['append', 'dsync', 'nonblock', 'rsync', 'sync']);
export enum FdFlags { APPEND = 1, DSYNC = 2, NONBLOCK = 4, RSYNC = 8, SYNC = 16 }

export const FSTFLAGS = flagsDef('fstflags', ['atim', 'atim_now', 'mtim', 'mtim_now']);
export enum FstFlags { ATIM = 1, ATIM_NOW = 2, MTIM = 4, MTIM_NOW = 8 }

export const LOOKUPFLAGS = flagsDef('lookupflags', ['symlink_follow']);
export enum LookupFlags { SYMLINK_FOLLOW = 1 }

export const OFLAGS = flagsDef('oflags', ['creat', 'directory', 'excl', 'trunc']);
export enum OFlags { CREAT = 1, DIRECTORY = 2, EXCL = 4, TRUNC = 8 }

export const EVENTTYPE = enumDef('eventtype', ['clock', 'fd_read', 'fd_write']);
export enum EventType { CLOCK = 0, FD_READ = 1, FD_WRITE = 2 }

export const EVENTRWFLAGS = flagsDef('eventrwflags', ['fd_readwrite_hangup']);
export const SUBCLOCKFLAGS = flagsDef('subclockflags', ['subscription_clock_abstime']);
export enum SubclockFlags { ABSTIME = 1 }

export const SIGNAL = enumDef('signal', [
  'none', 'hup', 'int', 'quit', 'ill', 'trap', 'abrt', 'bus', 'fpe', 'kill', 'usr1', 'segv', 'usr2', 'pipe', 'alrm',
  'term', 'chld', 'cont', 'stop', 'tstp', 'ttin', 'ttou', 'urg', 'xcpu', 'xfsz', 'vtalrm', 'prof', 'winch', 'poll',
  'pwr', 'sys',
]);

export const RIFLAGS = flagsDef('riflags', ['recv_peek', 'recv_waitall']);
export const ROFLAGS = flagsDef('roflags', ['recv_data_truncated']);
export const SIFLAGS = flagsDef('siflags', []);
export const SDFLAGS = flagsDef('sdflags', ['rd', 'wr']);
export const PREOPENTYPE = enumDef('preopentype', ['dir']);
export enum PreopenType { DIR = 0 }

/** Every enum and flag set, for tests and generic decoders. */
export const ALL_NAMED_TYPES: readonly (EnumDef | FlagsDef)[] = [
  ERRNO, CLOCKID, RIGHTS, WHENCE, FILETYPE, ADVICE, FDFLAGS, FSTFLAGS, LOOKUPFLAGS, OFLAGS, EVENTTYPE,
  EVENTRWFLAGS, SUBCLOCKFLAGS, SIGNAL, RIFLAGS, ROFLAGS, SIFLAGS, SDFLAGS, PREOPENTYPE,
];

/** "ENOENT" style name of an errno value; unknown values as "errno(123)". */
export function errnoName(errno: number): string {
  const n = ERRNO.names[errno];
  return n === undefined ? `errno(${errno})` : n === 'success' ? 'ESUCCESS' : `E${n.toUpperCase()}`;
}

/** Upper-case name of an enum value; unknown values as the number. */
export function enumName(def: EnumDef, value: number): string {
  const n = def.names[value];
  return n === undefined ? String(value) : n.toUpperCase();
}
