// The in-memory backend at the TypeScript level: nodes, links, POSIX rename rules, times, sizes, anonymous files,
// and copies of host trees.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClockId, Errno, Filetype } from '../../src/abi/index.js';
import { now } from '../../src/runtime/clock.js';
import { errnoFrom } from '../../src/runtime/errors.js';
import {
  anonymousFile, copyHostTree, MAX_FILE_SIZE, memoryDirectory, MemoryDirectory, MemoryFile, MemorySymlink,
} from '../../src/vfs/memory/index.js';
import type { FileHandle } from '../../src/vfs/types.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const errnoOf = (fn: () => unknown): Errno | undefined => {
  try { fn(); return undefined; } catch (e) { return errnoFrom(e, (x) => { throw x; }); }
};
const readAll = (h: FileHandle): string => {
  const buf = new Uint8Array(1024);
  return new TextDecoder().decode(buf.subarray(0, h.read(buf, 0n)));
};
const rw = { read: true, write: true, truncate: false };

describe('in-memory backend', () => {
  it('files: write anywhere (zero-filled gaps), read, sizes, truncate on open', () => {
    const d = memoryDirectory();
    const f = d.createFile('f') as MemoryFile;
    const h = f.open(rw);
    expect(h.write(enc('abc'), 0n)).toBe(3);
    expect(h.write(enc('Z'), 5n)).toBe(1);
    expect(f.bytes()).toEqual(new Uint8Array([97, 98, 99, 0, 0, 90]));
    expect(h.stat()).toMatchObject({ size: 6n, filetype: Filetype.REGULAR_FILE, nlink: 1n });
    h.setSize(2n);
    expect(readAll(h)).toBe('ab');
    h.setSize(4n);
    expect(f.bytes()).toEqual(new Uint8Array([97, 98, 0, 0]));
    f.open({ read: true, write: true, truncate: true });
    expect(f.size).toBe(0);
    expect(errnoOf(() => h.write(enc('x'), BigInt(MAX_FILE_SIZE)))).toBe(Errno.FBIG);
    expect(errnoOf(() => h.write(enc('x'), -1n))).toBe(Errno.INVAL);
  });

  it('handles honour their access mode', () => {
    const f = memoryDirectory().createFile('f');
    expect(errnoOf(() => f.open({ read: true, write: false, truncate: false }).write(enc('x'), 0n))).toBe(Errno.BADF);
    expect(errnoOf(() => f.open({ read: false, write: true, truncate: false }).read(new Uint8Array(1), 0n))).toBe(Errno.BADF);
  });

  it('directories: EEXIST, ENOTEMPTY, ENOTDIR, EISDIR; listing in insertion order with inodes', () => {
    const d = memoryDirectory();
    d.mkdir('sub');
    d.createFile('f');
    d.symlink('ln', 'f');
    expect(d.list().map((e) => [e.name, e.filetype])).toEqual([
      ['sub', Filetype.DIRECTORY], ['f', Filetype.REGULAR_FILE], ['ln', Filetype.SYMBOLIC_LINK]]);
    expect(new Set(d.list().map((e) => e.ino)).size).toBe(3);
    expect(errnoOf(() => d.mkdir('f'))).toBe(Errno.EXIST);
    expect(errnoOf(() => d.createFile('sub'))).toBe(Errno.EXIST);
    expect(errnoOf(() => d.symlink('sub', 'x'))).toBe(Errno.EXIST);
    (d.lookup('sub') as MemoryDirectory).createFile('inner');
    expect(errnoOf(() => d.rmdir('sub'))).toBe(Errno.NOTEMPTY);
    expect(errnoOf(() => d.rmdir('f'))).toBe(Errno.NOTDIR);
    expect(errnoOf(() => d.unlink('sub'))).toBe(Errno.ISDIR);
    expect(errnoOf(() => d.unlink('nope'))).toBe(Errno.NOENT);
    expect(d.stat().nlink).toBe(3n); // itself, '.', and sub's '..'
    d.unlink('ln');
    expect(d.lookup('f')).toBeDefined();
  });

  it('a removed directory takes no new entries', () => {
    const d = memoryDirectory();
    d.mkdir('gone');
    const gone = d.lookup('gone') as MemoryDirectory;
    d.rmdir('gone');
    expect(errnoOf(() => gone.createFile('x'))).toBe(Errno.NOENT);
    expect(errnoOf(() => d.rename('nothing', gone, 'x'))).toBe(Errno.NOENT);
  });

  it('hard links share the inode and content; nlink counts names; EXDEV across filesystems', () => {
    const d = memoryDirectory();
    d.mkdir('sub');
    const sub = d.lookup('sub') as MemoryDirectory;
    const f = d.createFile('f') as MemoryFile;
    d.link(f, sub, 'g');
    expect(sub.lookup('g')).toBe(f);
    expect(f.stat().nlink).toBe(2n);
    f.open(rw).write(enc('shared'), 0n);
    expect(readAll((sub.lookup('g') as MemoryFile).open(rw))).toBe('shared');
    expect(errnoOf(() => d.link(f, sub, 'g'))).toBe(Errno.EXIST);
    expect(errnoOf(() => d.link(f, memoryDirectory(), 'x'))).toBe(Errno.XDEV);
    expect(errnoOf(() => d.rename('f', memoryDirectory(), 'x'))).toBe(Errno.XDEV);
    d.unlink('f');
    expect(f.stat().nlink).toBe(1n);
  });

  it('rename follows POSIX: over files and empty directories, never a directory into itself', () => {
    const d = memoryDirectory();
    for (const n of ['a', 'b']) d.createFile(n);
    for (const n of ['x', 'y', 'full']) d.mkdir(n);
    (d.lookup('full') as MemoryDirectory).createFile('in');
    const a = d.lookup('a') as MemoryFile;
    const b = d.lookup('b') as MemoryFile;
    const h = b.open(rw);
    d.rename('a', d, 'b');
    expect(d.lookup('b')).toBe(a);
    expect(d.lookup('a')).toBeUndefined();
    expect(b.stat().nlink).toBe(0n);
    h.write(enc('still here'), 0n); // the replaced file lives on through its handle
    expect(readAll(h)).toBe('still here');
    expect(errnoOf(() => d.rename('b', d, 'x'))).toBe(Errno.ISDIR);
    expect(errnoOf(() => d.rename('x', d, 'b'))).toBe(Errno.NOTDIR);
    expect(errnoOf(() => d.rename('x', d, 'full'))).toBe(Errno.NOTEMPTY);
    const x = d.lookup('x') as MemoryDirectory;
    expect(errnoOf(() => d.rename('x', x, 'inside'))).toBe(Errno.INVAL);
    d.rename('x', d, 'y');
    expect(d.lookup('y')).toBe(x);
    d.rename('y', d.lookup('full') as MemoryDirectory, 'moved');
    expect(x.parent).toBe(d.lookup('full'));
    d.rename('b', d, 'b'); // onto itself: nothing happens
    expect(d.lookup('b')).toBe(a);
  });

  it('times: set on creation from the realtime clock, exact nanoseconds, mtim/ctim on writes', () => {
    const before = now(ClockId.REALTIME);
    const d = memoryDirectory();
    const f = d.createFile('f') as MemoryFile;
    const s0 = f.stat();
    expect(s0.mtim).toBeGreaterThanOrEqual(before);
    expect(s0.mtim).toBeLessThanOrEqual(now(ClockId.REALTIME));
    f.setTimes(1234567890123456789n, 987654321987654321n);
    expect(f.stat()).toMatchObject({ atim: 1234567890123456789n, mtim: 987654321987654321n });
    f.setTimes(undefined, 5n);
    expect(f.stat()).toMatchObject({ atim: 1234567890123456789n, mtim: 5n });
    f.open(rw).write(enc('x'), 0n);
    expect(f.stat().mtim).toBeGreaterThan(5n);
    expect(f.stat().atim).toBe(1234567890123456789n);
    const sym = (d.symlink('ln', 'f'), d.lookup('ln') as MemorySymlink);
    sym.setTimes(7n, 8n);
    expect(sym.stat()).toMatchObject({ atim: 7n, mtim: 8n, size: 1n, filetype: Filetype.SYMBOLIC_LINK });
    d.setTimes(1n, 2n);
    expect(d.stat()).toMatchObject({ atim: 1n, mtim: 2n });
  });

  it('anonymousFile: a file with no name, readable, writable and seekable, with its own device', () => {
    const h = anonymousFile(enc('input'));
    expect(h.seekable).toBe(true);
    expect(h.stat()).toMatchObject({ size: 5n, nlink: 0n, filetype: Filetype.REGULAR_FILE });
    expect(h.readable(2n)).toBe(3n);
    expect(readAll(h)).toBe('input');
    h.write(enc('!'), 5n);
    expect(readAll(h)).toBe('input!');
    expect(anonymousFile().stat().dev).not.toBe(h.stat().dev);
    expect(anonymousFile().stat().size).toBe(0n);
  });

  it('copyHostTree copies files, directories and symlinks with their times, and never writes the host', () => {
    const root = fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-copy-'));
    try {
      fs.mkdirSync(join(root, 'd/e'), { recursive: true });
      fs.writeFileSync(join(root, 'd/e/f.txt'), 'deep');
      fs.writeFileSync(join(root, 'top.bin'), Buffer.from([0, 1, 2, 255]));
      fs.symlinkSync('d/e/f.txt', join(root, 'ln'));
      fs.symlinkSync('/etc/passwd', join(root, 'abs'));
      const before = fs.statSync(join(root, 'top.bin'), { bigint: true });
      const m = copyHostTree(root);
      const e = (m.lookup('d') as MemoryDirectory).lookup('e') as MemoryDirectory;
      expect(new TextDecoder().decode((e.lookup('f.txt') as MemoryFile).bytes())).toBe('deep');
      expect((m.lookup('top.bin') as MemoryFile).bytes()).toEqual(new Uint8Array([0, 1, 2, 255]));
      expect((m.lookup('ln') as MemorySymlink).target()).toBe('d/e/f.txt');
      expect((m.lookup('abs') as MemorySymlink).target()).toBe('/etc/passwd');
      expect((m.lookup('top.bin') as MemoryFile).stat().mtim).toBe(before.mtimeNs);
      (m.lookup('top.bin') as MemoryFile).open(rw).write(enc('changed'), 0n);
      m.unlink('ln');
      m.mkdir('new');
      expect(fs.readFileSync(join(root, 'top.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
      expect(fs.readdirSync(root).sort()).toEqual(['abs', 'd', 'ln', 'top.bin']);
      expect(errnoOf(() => copyHostTree(join(root, 'missing')))).toBe(Errno.NOENT);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
