// The directory fds the host backend holds open, and whether it can name entries relative to them.
//
// Node has no openat(), but on Linux `/proc/self/fd/<fd>/<name>` is one: the kernel follows the magic link to the
// directory <fd> refers to, then walks exactly one component. The backend runs every operation on such a path with
// <fd> a directory it opened itself, so no rename or symlink swap (by the host or by another guest) can make the
// kernel walk a component the resolver did not look at. Where that is not available (probed once per process), the
// backend falls back to whole host paths plus dev/ino checks, which a concurrent rename can race; one line on stderr
// says so.
//
// fd lifetimes: fds are cached per directory (device and inode), so every node for one directory shares one fd
// and a path resolved again finds its directories open. (While an fd is held its inode cannot be freed, so no other
// directory can have the same device and inode numbers meanwhile.) At most MAX_DIR_FDS stay open between operations (per
// thread); beyond that the least recently used are closed, and a node needing one again reopens it by name in its
// parent. Closing happens only in trimDirFds(), which every public node operation calls first, so a path built from
// an fd stays valid for the rest of the operation that built it.
import * as fs from 'node:fs';

/** The prefix that names an fd of this process as a directory (Linux procfs). */
export const PROC_FD = '/proc/self/fd/';

/** Most directory fds held between operations (per thread). */
export const MAX_DIR_FDS = 128;

/** Open directory fds by `dev:ino`, least recently used first (a Map keeps insertion order). */
const held = new Map<string, number>();
/** fds replaced in `held` during an operation, closed by the next trimDirFds(). */
const replaced: number[] = [];

/** The key of a directory in the cache. */
export const dirKey = (dev: bigint, ino: bigint): string => `${dev}:${ino}`;

/** The fd held for directory `key` (marked as just used), or undefined. */
export function heldDirFd(key: string): number | undefined {
  const fd = held.get(key);
  if (fd !== undefined) {
    held.delete(key);
    held.set(key, fd);
  }
  return fd;
}

/** Gives the cache `fd`, a directory opened and checked to be `key`; the cache closes it. */
export function holdDirFd(key: string, fd: number): void {
  const old = held.get(key);
  if (old !== undefined) replaced.push(old);
  held.delete(key);
  held.set(key, fd);
}

/** Closes replaced fds and the least recently used beyond MAX_DIR_FDS. Only at the start of an operation. */
export function trimDirFds(): void {
  if (held.size <= MAX_DIR_FDS && replaced.length === 0) return;
  for (const fd of replaced.splice(0)) close(fd);
  for (const [key, fd] of held) {
    if (held.size <= MAX_DIR_FDS) break;
    held.delete(key);
    close(fd);
  }
}

function close(fd: number): void {
  try { fs.closeSync(fd); } catch { /* already closed: nothing to release */ }
}

/** How many directory fds the cache holds now (for tests). */
export const heldDirFds = (): number => held.size;

/** Whether `/proc/self/fd/<fd>/.` is the directory open at `fd` (whose fstat is `s`): the probe, uncached. */
export function probeFdPaths(fd: number, s: fs.BigIntStats): boolean {
  try {
    const t = fs.statSync(`${PROC_FD}${fd}/.`, { bigint: true });
    return t.dev === s.dev && t.ino === s.ino;
  } catch {
    return false;
  }
}

let available: boolean | undefined;

/**
 * Whether the backend can name entries relative to its directory fds, probed once per process (per thread) with
 * the directory open at `fd` (whose fstat is `s`). When it cannot, prints once on stderr that --dir is best-effort.
 */
export function fdPathsWork(fd: number, s: fs.BigIntStats): boolean {
  if (available === undefined) {
    available = probeFdPaths(fd, s);
    if (!available) {
      process.stderr.write('wasi-trace: /proc/self/fd is not available here: --dir confinement is best-effort ' +
        '(a rename racing the guest could let it reach outside the directory)\n');
    }
  }
  return available;
}
