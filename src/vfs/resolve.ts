// The one place where guest paths are walked and confined, for every backend. A path is resolved relative to the
// DirectoryNode of a directory fd, which is the root of the walk (as in wasmtime/cap-std): nothing may climb above it.
// Backends only ever see single components (never '', '.', '..' or a name containing '/') and never follow symlinks.
//
// Decisions (wasmtime's preview1 tests accept these):
// - '' → ENOENT. An absolute path, '..' above the root, or an absolute symlink target → ESCAPE (ENOTCAPABLE; current
//   wasmtime says EPERM, node:wasi ENOTCAPABLE; both are accepted as "refused").
// - Symlinks met before the last component are always expanded in place: the target's components replace the link's,
//   so a relative target's '..' is relative to the link's directory. More than MAX_SYMLINKS expansions → ELOOP.
//   An empty target → ENOENT.
// - The last component is followed only when `follow` is set (LOOKUP_SYMLINK_FOLLOW); otherwise a symlink there is
//   returned as the node itself and the caller decides (path_open: ELOOP, or ENOTDIR with O_DIRECTORY).
// - An intermediate component that is not a directory → ENOTDIR; a missing one → ENOENT.
// - A trailing slash requires a directory: an existing last node that is not a directory (after following, if asked;
//   an unfollowed symlink counts as not a directory) → ENOTDIR. A missing last component is returned with
//   trailingSlash set, for the caller (mkdir accepts it, a file or link name does not).
// - A path ending in '.' or '..' names the directory reached, with no entry name (`name` undefined).
import { Errno } from '../abi/index.js';
import { WasiError } from '../abi/index.js';
import type { DirectoryNode, Node } from './types.js';

/** The errno of every attempt to leave the root directory. */
export const ESCAPE = Errno.NOTCAPABLE;
/** Most symlink expansions in one resolution (Linux's limit); past it, ELOOP. */
export const MAX_SYMLINKS = 40;

export interface Resolved {
  /** The directory that holds (or would hold) the last component. */
  parent: DirectoryNode;
  /** The last component's name in `parent`; undefined when the path ended in '.' or '..'. */
  name: string | undefined;
  /** What the path names; undefined when the last component does not exist (its parent does). */
  node: Node | undefined;
  /** The path ended with '/'. */
  trailingSlash: boolean;
}

/** True for a symlink target or guest path that starts at the filesystem root. */
export const isAbsolute = (path: string): boolean => path.startsWith('/');

/**
 * Resolves `path` inside `root`. Throws WasiError: ENOENT (empty path, missing intermediate), ENOTDIR, ELOOP, ESCAPE.
 * Backend errors from lookup() pass through.
 */
export function resolve(root: DirectoryNode, path: string, follow: boolean): Resolved {
  if (path === '') throw new WasiError(Errno.NOENT, 'empty path');
  if (isAbsolute(path)) throw new WasiError(ESCAPE, `absolute path ${path}`);
  let trailingSlash = path.endsWith('/');
  const stack: DirectoryNode[] = [root];
  // Components still to walk, the next one last (so expansion pushes a target's components).
  const queue = components(path);
  let expansions = 0;
  for (;;) {
    const name = queue.pop()!;
    const dir = stack[stack.length - 1]!;
    const last = queue.length === 0;
    if (name === '.' || name === '..') {
      if (name === '..') {
        if (stack.length === 1) throw new WasiError(ESCAPE, `'..' leaves the directory in ${path}`);
        stack.pop();
      }
      if (last) return { parent: dir, name: undefined, node: stack[stack.length - 1]!, trailingSlash };
      continue;
    }
    const node = dir.lookup(name);
    if (node === undefined) {
      if (last) return { parent: dir, name, node: undefined, trailingSlash };
      throw new WasiError(Errno.NOENT, `${name} in ${path}`);
    }
    if (node.kind === 'symlink' && (!last || follow)) {
      if (++expansions > MAX_SYMLINKS) throw new WasiError(Errno.LOOP, path);
      const target = node.target();
      if (target === '') throw new WasiError(Errno.NOENT, `empty symlink ${name}`);
      if (isAbsolute(target)) throw new WasiError(ESCAPE, `symlink ${name} is absolute`);
      if (last && target.endsWith('/')) trailingSlash = true;
      queue.push(...components(target));
      continue;
    }
    if (last) {
      if (trailingSlash && node.kind !== 'directory') throw new WasiError(Errno.NOTDIR, path);
      return { parent: dir, name, node, trailingSlash };
    }
    if (node.kind !== 'directory') throw new WasiError(Errno.NOTDIR, `${name} in ${path}`);
    stack.push(node);
  }
}

/** The non-empty components of a relative path, in reverse order. Never empty for a non-empty relative path. */
function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '').reverse();
}
