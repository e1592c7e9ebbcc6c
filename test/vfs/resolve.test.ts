// src/vfs/resolve.ts on an in-memory tree: walking, confinement, symlink expansion, trailing slashes.
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/index.js';
import { errnoFrom } from '../../src/runtime/errors.js';
import { MAX_SYMLINKS, resolve } from '../../src/vfs/resolve.js';
import { memoryDirectory, MemoryDirectory } from '../../src/vfs/memory/index.js';

/** root: a/b/f (file), a/lnb -> b, a/up -> .., top -> a/b/f, abs -> /etc, esc -> ../x, loop1 <-> loop2 */
function tree() {
  const root = memoryDirectory();
  root.mkdir('a');
  const a = root.lookup('a') as MemoryDirectory;
  a.mkdir('b');
  const b = a.lookup('b') as MemoryDirectory;
  b.createFile('f');
  a.symlink('lnb', 'b');
  a.symlink('up', '..');
  root.symlink('top', 'a/b/f');
  root.symlink('abs', '/etc');
  root.symlink('esc', '../x');
  root.symlink('loop1', 'loop2');
  root.symlink('loop2', 'loop1');
  root.symlink('empty', '');
  root.symlink('slash', 'a/b/');
  return { root, a, b, f: b.lookup('f')! };
}

const errnoOf = (fn: () => unknown): Errno | undefined => {
  try { fn(); return undefined; } catch (e) { return errnoFrom(e, (x) => { throw x; }); }
};

describe('resolve', () => {
  const { root, a, b, f } = tree();

  it('walks components, skipping empty ones and "."', () => {
    expect(resolve(root, 'a/b/f', false)).toEqual({ parent: b, name: 'f', node: f, trailingSlash: false });
    expect(resolve(root, 'a//./b///f', false).node).toBe(f);
    expect(resolve(root, 'a/b/../b/f', false).node).toBe(f);
  });

  it('returns the parent and name of a missing last component; ENOENT for a missing intermediate one', () => {
    expect(resolve(root, 'a/new', false)).toEqual({ parent: a, name: 'new', node: undefined, trailingSlash: false });
    expect(resolve(root, 'a/new/', false).trailingSlash).toBe(true);
    expect(errnoOf(() => resolve(root, 'a/missing/x', false))).toBe(Errno.NOENT);
    expect(errnoOf(() => resolve(root, '', false))).toBe(Errno.NOENT);
  });

  it("'.' and '..' at the end name a directory, not an entry", () => {
    expect(resolve(root, '.', false)).toEqual({ parent: root, name: undefined, node: root, trailingSlash: false });
    expect(resolve(root, 'a/b/..', false).node).toBe(a);
    expect(resolve(root, 'a/..', false).name).toBeUndefined();
  });

  it('refuses absolute paths and .. above the root with ENOTCAPABLE', () => {
    for (const p of ['/a', '//a', '..', '../a', 'a/../..', 'a/b/../../../a']) {
      expect(errnoOf(() => resolve(root, p, false)), p).toBe(Errno.NOTCAPABLE);
    }
    // the root is the directory the walk starts from, whatever its place in the tree
    expect(errnoOf(() => resolve(a, '../a', false))).toBe(Errno.NOTCAPABLE);
  });

  it('expands symlinks in place, relative to the link\'s directory', () => {
    expect(resolve(root, 'a/lnb/f', false).node).toBe(f);
    expect(resolve(root, 'a/up/a/b/f', false).node).toBe(f);
    expect(resolve(root, 'top', true)).toEqual({ parent: b, name: 'f', node: f, trailingSlash: false });
    expect(resolve(root, 'slash', true)).toMatchObject({ node: b, trailingSlash: true });
    expect(errnoOf(() => resolve(b, '../up', true))).toBe(Errno.NOTCAPABLE);
  });

  it('does not follow the last component unless asked', () => {
    expect(resolve(root, 'top', false).node?.kind).toBe('symlink');
    expect(resolve(root, 'a/lnb', false).node?.kind).toBe('symlink');
    expect(resolve(root, 'a/lnb', true).node).toBe(b);
  });

  it('refuses escaping targets when followed, ELOOP past the limit, ENOENT for an empty target', () => {
    expect(errnoOf(() => resolve(root, 'abs', true))).toBe(Errno.NOTCAPABLE);
    expect(errnoOf(() => resolve(root, 'abs/passwd', false))).toBe(Errno.NOTCAPABLE);
    expect(errnoOf(() => resolve(root, 'esc', true))).toBe(Errno.NOTCAPABLE);
    expect(resolve(root, 'esc', false).node?.kind).toBe('symlink');
    expect(errnoOf(() => resolve(root, 'loop1', true))).toBe(Errno.LOOP);
    expect(errnoOf(() => resolve(root, 'empty', true))).toBe(Errno.NOENT);
  });

  it(`allows ${MAX_SYMLINKS} expansions and no more`, () => {
    const r = memoryDirectory();
    r.createFile('end');
    r.symlink('l0', 'end');
    for (let i = 1; i <= MAX_SYMLINKS; i++) r.symlink(`l${i}`, `l${i - 1}`);
    expect(resolve(r, `l${MAX_SYMLINKS - 1}`, true).name).toBe('end');
    expect(errnoOf(() => resolve(r, `l${MAX_SYMLINKS}`, true))).toBe(Errno.LOOP);
  });

  it('ENOTDIR for a file used as a directory, and for a trailing slash on a non-directory', () => {
    expect(errnoOf(() => resolve(root, 'a/b/f/x', false))).toBe(Errno.NOTDIR);
    expect(errnoOf(() => resolve(root, 'a/b/f/', false))).toBe(Errno.NOTDIR);
    expect(errnoOf(() => resolve(root, 'top/', true))).toBe(Errno.NOTDIR);
    expect(errnoOf(() => resolve(root, 'a/lnb/', false))).toBe(Errno.NOTDIR); // an unfollowed link is no directory
    expect(resolve(root, 'a/lnb/', true).node).toBe(b);
  });
});
