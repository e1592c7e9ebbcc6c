// The directory fds the host backend holds open, and whether it can name entries relative to them.
//
// Node has no openat(), but on Linux `/proc/self/fd/<fd>/<name>` is one: the kernel follows the magic link to the
// directory <fd> refers to, then walks exactly one component. The backend runs every operation on such a path with
// <fd> a directory it opened itself, so no rename or symlink swap (by the host or by another guest) can make the
// kernel walk a component the resolver did not look at. Where that is not available (probed once per process), the
// backend falls back to whole host paths plus dev/ino checks, which a concurrent rename can race; one line on stderr
// says so.
//
// fd lifetimes: a directory node opens its fd when first used and keeps it in a per-thread cache of at most
// MAX_DIR_FDS fds; beyond that the least recently used are closed (the node reopens its fd, by name in its parent,
// when used again). Closing happens only in trimDirFds(), which every public node operation calls first, so a path
// built from an fd stays valid for the rest of the operation that built it.
import * as fs from 'node:fs';

/** The prefix that names an fd of this process as a directory (Linux procfs). */
export const PROC_FD = '/proc/self/fd/';

/** Most directory fds held between operations (per thread). */
export const MAX_DIR_FDS = 128;

/** A directory node whose host fd the cache owns; `heldFd` is -1 while it has none. */
export interface DirFdHolder { heldFd: number }

/** Holders with an open fd, least recently used first (a Set keeps insertion order). */
const held = new Set<DirFdHolder>();

/** Gives `fd` to `holder` and the cache (which will close it). */
export function holdDirFd(holder: DirFdHolder, fd: number): void {
  holder.heldFd = fd;
  held.delete(holder);
  held.add(holder);
}

/** Marks `holder`'s fd as just used. */
export function touchDirFd(holder: DirFdHolder): void {
  held.delete(holder);
  held.add(holder);
}

/** Closes the least recently used fds beyond MAX_DIR_FDS. Only at the start of an operation (see above). */
export function trimDirFds(): void {
  if (held.size <= MAX_DIR_FDS) return;
  for (const h of held) {
    if (held.size <= MAX_DIR_FDS) break;
    held.delete(h);
    const fd = h.heldFd;
    h.heldFd = -1;
    try { fs.closeSync(fd); } catch { /* already gone: nothing to release */ }
  }
}

/** How many directory fds the cache holds now (for tests). */
export const heldDirFds = (): number => held.size;

let available: boolean | undefined;
let warned = false;

/**
 * Whether `/proc/self/fd/<fd>/<name>` names entries of the directory open at <fd>, probed once with the directory
 * open at `fd` (whose fstat is `s`). When it does not, prints once on stderr that --dir is then best-effort.
 */
export function fdPathsWork(fd: number, s: fs.BigIntStats): boolean {
  if (available === undefined) {
    try {
      const t = fs.statSync(`${PROC_FD}${fd}/.`, { bigint: true });
      available = t.dev === s.dev && t.ino === s.ino;
    } catch {
      available = false;
    }
  }
  if (!available && !warned) {
    warned = true;
    process.stderr.write('wasi-trace: /proc/self/fd is not available here: --dir confinement is best-effort ' +
      '(a rename racing the guest could let it reach outside the directory)\n');
  }
  return available;
}
