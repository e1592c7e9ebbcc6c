import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Errno, Filetype } from '../../src/abi/index.js';
import { WasiError } from '../../src/abi/index.js';
import { errnoFrom } from '../../src/runtime/errors.js';
import {
  HostDirectory, HostFile, HostFileHandle, HostSymlink, hostTime, libuvStoredNs, openHostDirectory,
} from '../../src/vfs/host/index.js';
import { DirectoryNode, FileNode, type DirEntry, type Node, type Stat } from '../../src/vfs/types.js';

/** The errno a call fails with (as the runtime would convert it), or undefined when it succeeds. */
function errnoOf(fn: () => unknown): Errno | undefined {
  try { fn(); } catch (e) { return errnoFrom(e, (x) => { throw x; }); }
  return undefined;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const lst = (p: string): fs.BigIntStats => fs.lstatSync(p, { bigint: true });

let tmp: string;
let root: HostDirectory;

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-host-')));
  fs.writeFileSync(join(tmp, 'file.txt'), 'hello world');
  fs.mkdirSync(join(tmp, 'dir'));
  fs.writeFileSync(join(tmp, 'dir', 'inner'), 'x');
  fs.symlinkSync('file.txt', join(tmp, 'link'));
  fs.symlinkSync('/', join(tmp, 'escape'));
  root = openHostDirectory(tmp);
});
afterEach(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

function lookup<T extends Node>(dir: DirectoryNode, name: string, cls: abstract new (...a: never[]) => T): T {
  const n = dir.lookup(name);
  expect(n).toBeInstanceOf(cls);
  return n as T;
}
const file = (name: string, dir: DirectoryNode = root): HostFile => lookup(dir, name, HostFile);
const openFile = (name: string, opts: Partial<{ read: boolean; write: boolean; truncate: boolean }> = {}):
  HostFileHandle => file(name).open({ read: true, write: false, truncate: false, ...opts });

const haveMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

const fakeStat = (ino: bigint, filetype: Filetype): Stat =>
  ({ dev: 0n, ino, filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n });

/** A DirectoryNode of another backend, for the XDEV cases. */
class FakeDir extends DirectoryNode {
  stat(): Stat { return fakeStat(1n, Filetype.DIRECTORY); }
  lookup(): Node | undefined { return undefined; }
  list(): DirEntry[] { return []; }
}
class FakeFile extends FileNode {
  stat(): Stat { return fakeStat(2n, Filetype.REGULAR_FILE); }
  open(): never { throw new WasiError(Errno.NOTSUP); }
}

describe('openHostDirectory', () => {
  it('opens a directory, resolving symlinks in the host path once', () => {
    fs.symlinkSync(tmp, join(tmp, 'dir', 'self'));
    const d = openHostDirectory(join(tmp, 'dir', 'self'));
    expect(d).toBeInstanceOf(HostDirectory);
    expect(d.hostPath).toBe(tmp);
    expect(d.stat().filetype).toBe(Filetype.DIRECTORY);
  });
  it('names a missing path or a non-directory clearly', () => {
    expect(() => openHostDirectory(join(tmp, 'nope'))).toThrow(`host directory ${join(tmp, 'nope')} does not exist`);
    expect(() => openHostDirectory(join(tmp, 'file.txt', 'sub'))).toThrow('does not exist');
    expect(() => openHostDirectory(join(tmp, 'file.txt'))).toThrow(`${join(tmp, 'file.txt')} is not a directory`);
  });
});

describe('lookup and stat', () => {
  it('returns a node per S_IFMT kind, undefined when absent, and never follows symlinks', () => {
    expect(root.lookup('file.txt')).toBeInstanceOf(HostFile);
    expect(root.lookup('dir')).toBeInstanceOf(HostDirectory);
    expect(root.lookup('link')).toBeInstanceOf(HostSymlink);
    expect(root.lookup('escape')).toBeInstanceOf(HostSymlink);
    expect(root.lookup('missing')).toBeUndefined();
    const inner = lookup(root, 'dir', HostDirectory).lookup('inner');
    expect(inner).toBeInstanceOf(HostFile);
  });

  it('refuses names that are not one component', () => {
    for (const bad of ['', '.', '..', 'dir/inner', 'a\0b']) expect(errnoOf(() => root.lookup(bad))).toBe(Errno.INVAL);
  });

  it('stats like lstat: filetype by S_IFMT, nanosecond timestamps, dev/ino/nlink/size', () => {
    const cases: [string, Filetype][] = [
      ['file.txt', Filetype.REGULAR_FILE], ['dir', Filetype.DIRECTORY], ['link', Filetype.SYMBOLIC_LINK],
    ];
    for (const [name, ft] of cases) {
      const s = root.lookup(name)!.stat();
      const h = lst(join(tmp, name));
      expect(s).toEqual({
        dev: h.dev, ino: h.ino, filetype: ft, nlink: h.nlink, size: h.size,
        atim: h.atimeNs, mtim: h.mtimeNs, ctim: h.ctimeNs,
      });
      expect(typeof s.mtim).toBe('bigint');
    }
    expect(root.stat().ino).toBe(lst(tmp).ino);
    expect(file('file.txt').stat().size).toBe(11n);
  });

  it('symlink targets are returned verbatim', () => {
    fs.symlinkSync('../../x/./y', join(tmp, 'rel'));
    expect(lookup(root, 'link', HostSymlink).target()).toBe('file.txt');
    expect(lookup(root, 'escape', HostSymlink).target()).toBe('/');
    expect(lookup(root, 'rel', HostSymlink).target()).toBe('../../x/./y');
  });

  it.skipIf(!haveMkfifo)('a FIFO is a file node of filetype UNKNOWN and opens as a stream', () => {
    const p = join(tmp, 'fifo');
    expect(spawnSync('mkfifo', [p]).status).toBe(0);
    const node = file('fifo');
    expect(node.stat().filetype).toBe(Filetype.UNKNOWN);
    const r = node.open({ read: true, write: false, truncate: false }); // does not block without a writer
    const w = file('fifo').open({ read: false, write: true, truncate: false });
    expect(r.seekable).toBe(false);
    expect(r.filetype).toBe(Filetype.UNKNOWN);
    expect(w.write(enc('through the pipe'), 12345n)).toBe(16);
    const buf = new Uint8Array(64);
    const n = r.read(buf, 999n);
    expect(dec(buf.subarray(0, n))).toBe('through the pipe');
    w.close();
    expect(r.read(buf, 0n)).toBe(0); // writer gone: end of file
    r.close();
  });

  it('a character device is a stream file', () => {
    if (!fs.existsSync('/dev/null')) return;
    const dev = openHostDirectory('/dev');
    const node = file('null', dev);
    expect(node.stat().filetype).toBe(Filetype.CHARACTER_DEVICE);
    const h = node.open({ read: true, write: true, truncate: false });
    expect(h.seekable).toBe(false);
    expect(h.write(enc('gone'), 5n)).toBe(4);
    expect(h.read(new Uint8Array(4), 0n)).toBe(0);
    h.close();
  });
});

describe('list', () => {
  it('lists sorted entries with filetypes and lstat inodes', () => {
    fs.writeFileSync(join(tmp, 'B'), '');
    fs.writeFileSync(join(tmp, 'a'), '');
    const entries = root.list();
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(['B', 'a', 'dir', 'escape', 'file.txt', 'link']);
    for (const e of entries) expect(e.ino).toBe(lst(join(tmp, e.name)).ino);
    const ft = Object.fromEntries(entries.map((e) => [e.name, e.filetype]));
    expect(ft).toMatchObject({
      dir: Filetype.DIRECTORY, link: Filetype.SYMBOLIC_LINK, 'file.txt': Filetype.REGULAR_FILE,
    });
    expect(root.list()).toEqual(entries);
  });
});

describe('open and file handles', () => {
  it('reads and writes at explicit offsets', () => {
    const h = openFile('file.txt', { write: true });
    expect(h.seekable).toBe(true);
    expect(h.filetype).toBe(Filetype.REGULAR_FILE);
    const buf = new Uint8Array(5);
    expect(h.read(buf, 6n)).toBe(5);
    expect(dec(buf)).toBe('world');
    expect(h.read(buf, 100n)).toBe(0);
    expect(h.read(buf, 1n << 60n)).toBe(0);
    expect(h.write(enc('HELLO'), 0n)).toBe(5);
    expect(h.write(enc('!'), 11n)).toBe(1);
    expect(fs.readFileSync(join(tmp, 'file.txt'), 'utf8')).toBe('HELLO world!');
    expect(h.stat().size).toBe(12n);
    expect(h.stat().ino).toBe(lst(join(tmp, 'file.txt')).ino);
    expect(errnoOf(() => h.write(enc('x'), BigInt(Number.MAX_SAFE_INTEGER)))).toBe(Errno.FBIG);
    expect(errnoOf(() => h.read(buf, 1n << 63n))).toBe(Errno.INVAL);
    h.sync();
    h.datasync();
    h.close();
    h.close(); // once
    expect(errnoOf(() => h.read(buf, 0n))).toBe(Errno.BADF);
  });

  it('a read-only handle cannot write; truncate empties the file', () => {
    const ro = openFile('file.txt');
    expect(errnoOf(() => ro.write(enc('x'), 0n))).toBe(Errno.BADF);
    ro.close();
    const t = openFile('file.txt', { read: false, write: true, truncate: true });
    expect(t.stat().size).toBe(0n);
    t.close();
    expect(fs.readFileSync(join(tmp, 'file.txt'), 'utf8')).toBe('');
  });

  it('refuses a file swapped on the host between lookup and open (NOTCAPABLE), without truncating it', () => {
    const node = file('file.txt');
    fs.writeFileSync(join(tmp, 'other'), 'other content');
    fs.renameSync(join(tmp, 'other'), join(tmp, 'file.txt'));
    expect(errnoOf(() => node.open({ read: true, write: true, truncate: true }))).toBe(Errno.NOTCAPABLE);
    expect(fs.readFileSync(join(tmp, 'file.txt'), 'utf8')).toBe('other content');
    expect(errnoOf(() => node.stat())).toBe(Errno.NOTCAPABLE);
    expect(errnoOf(() => file('file.txt').open({ read: true, write: false, truncate: false }).close()))
      .toBeUndefined();
  });

  it('never follows a symlink put in place of a looked-up file (O_NOFOLLOW)', () => {
    const node = file('file.txt');
    fs.writeFileSync(join(tmp, 'target'), 'secret');
    fs.unlinkSync(join(tmp, 'file.txt'));
    fs.symlinkSync('target', join(tmp, 'file.txt'));
    let err: unknown;
    try { node.open({ read: true, write: false, truncate: false }); } catch (e) { err = e; }
    expect((err as { code?: string }).code).toBe('ELOOP');
    expect(errnoFrom(err)).toBe(Errno.LOOP);
  });

  it('setSize, allocate (grows only) and readable', () => {
    const h = openFile('file.txt', { write: true });
    expect(h.readable(0n)).toBe(11n);
    expect(h.readable(4n)).toBe(7n);
    expect(h.readable(20n)).toBe(0n);
    h.allocate(0n, 5n);
    expect(h.stat().size).toBe(11n);
    h.allocate(10n, 90n);
    expect(h.stat().size).toBe(100n);
    expect(h.readable(40n)).toBe(60n);
    const buf = new Uint8Array(3);
    expect(h.read(buf, 97n)).toBe(3);
    expect([...buf]).toEqual([0, 0, 0]);
    h.setSize(4n);
    expect(fs.readFileSync(join(tmp, 'file.txt'), 'utf8')).toBe('hell');
    expect(errnoOf(() => h.setSize(1n << 60n))).toBe(Errno.FBIG);
    h.close();
  });
});

describe('timestamps', () => {
  it('hostTime picks a double whose libuv conversion keeps the exact microsecond', () => {
    const samples = [0n, 1n, 999n, 1000n, 999_999_999n, 1_234_567_890_123_456_789n, 1_700_000_000_999_999_999n,
      (1n << 33n) * 1_000_000_000n - 1n];
    let x = 1_600_000_000_000_000_000n;
    for (let i = 0; i < 2000; i++) { // a fixed pseudo-random sequence up to year 2096
      x = (x * 6364136223846793005n + 1442695040888963407n) % (1n << 62n);
      samples.push(x % 4_000_000_000_000_000_000n);
    }
    for (const ns of samples) {
      const t = hostTime(ns);
      expect(typeof t).toBe('number');
      expect(libuvStoredNs(t as number)).toBe(ns - (ns % 1000n));
    }
    // a plain division is a microsecond short for about half of all whole-microsecond times near 1.7e9 s
    expect(libuvStoredNs(Number(1_700_000_000_000_001_000n) / 1e9)).toBe(1_700_000_000_000_000_000n);
    expect(libuvStoredNs(hostTime(1_700_000_000_000_001_000n) as number)).toBe(1_700_000_000_000_001_000n);
    expect(hostTime(-1_500_000_000n)).toEqual(new Date(-1500));
  });

  it('file handles keep exact nanoseconds, undefined leaves a time as is', () => {
    const h = openFile('file.txt', { write: true });
    h.setTimes(1_234_567_890_123_456_789n, 1_600_000_000_000_000_999n);
    let s = h.stat();
    expect(s.atim).toBe(1_234_567_890_123_456_789n);
    expect(s.mtim).toBe(1_600_000_000_000_000_999n);
    h.setTimes(undefined, 1_700_000_000_000_001_000n);
    s = h.stat();
    expect(s.atim).toBe(1_234_567_890_123_456_789n);
    expect(s.mtim).toBe(1_700_000_000_000_001_000n);
    h.setTimes(5_000_000_000n, undefined);
    expect(h.stat().atim).toBe(5_000_000_000n);
    expect(h.stat().mtim).toBe(1_700_000_000_000_001_000n);
    h.close();
  });

  it('nodes: files, directories and symlinks (without touching the target)', () => {
    const target = lst(join(tmp, 'file.txt'));
    lookup(root, 'link', HostSymlink).setTimes(1_000_000_000_000_001_000n, 2_000_000_000_000_002_000n);
    expect(lst(join(tmp, 'link')).mtimeNs).toBe(2_000_000_000_000_002_000n);
    expect(lst(join(tmp, 'link')).atimeNs).toBe(1_000_000_000_000_001_000n);
    expect(lst(join(tmp, 'file.txt')).mtimeNs).toBe(target.mtimeNs);
    lookup(root, 'dir', HostDirectory).setTimes(undefined, 3_000_000_000_123_456_789n);
    expect(lst(join(tmp, 'dir')).mtimeNs).toBe(3_000_000_000_123_456_789n);
    file('file.txt').setTimes(4_000_000_000_000_000_000n, undefined);
    expect(lst(join(tmp, 'file.txt')).atimeNs).toBe(4_000_000_000_000_000_000n);
    expect(lst(join(tmp, 'file.txt')).mtimeNs).toBe(target.mtimeNs);
  });
});

describe('directory mutations', () => {
  it('createFile makes an empty file and refuses an existing name (even a dangling symlink)', () => {
    const f = root.createFile('new');
    expect(f).toBeInstanceOf(HostFile);
    expect(f.stat().ino).toBe(lst(join(tmp, 'new')).ino);
    expect(f.stat().size).toBe(0n);
    expect(errnoOf(() => root.createFile('new'))).toBe(Errno.EXIST);
    fs.symlinkSync('nowhere', join(tmp, 'dangling'));
    expect(errnoOf(() => root.createFile('dangling'))).toBe(Errno.EXIST);
    expect(fs.existsSync(join(tmp, 'nowhere'))).toBe(false);
  });

  it('mkdir, symlink, unlink, rmdir', () => {
    root.mkdir('sub');
    expect(root.lookup('sub')).toBeInstanceOf(HostDirectory);
    expect(errnoOf(() => root.mkdir('sub'))).toBe(Errno.EXIST);
    root.symlink('ln', '../outside/../x');
    expect(fs.readlinkSync(join(tmp, 'ln'))).toBe('../outside/../x');
    expect(errnoOf(() => root.symlink('ln', 'y'))).toBe(Errno.EXIST);
    expect(errnoOf(() => root.unlink('dir'))).toBe(Errno.ISDIR);
    expect(errnoOf(() => root.rmdir('dir'))).toBe(Errno.NOTEMPTY);
    expect(errnoOf(() => root.rmdir('file.txt'))).toBe(Errno.NOTDIR);
    expect(errnoOf(() => root.rmdir('link'))).toBe(Errno.NOTDIR);
    expect(errnoOf(() => root.unlink('missing'))).toBe(Errno.NOENT);
    root.unlink('ln');
    root.unlink('link');
    expect(fs.existsSync(join(tmp, 'file.txt'))).toBe(true);
    root.rmdir('sub');
    expect(root.lookup('sub')).toBeUndefined();
  });

  it('rename and link within the host; XDEV to another backend', () => {
    const dir = lookup(root, 'dir', HostDirectory);
    root.rename('file.txt', dir, 'moved');
    expect(fs.readFileSync(join(tmp, 'dir', 'moved'), 'utf8')).toBe('hello world');
    const moved = file('moved', dir);
    root.link(moved, root, 'hard');
    expect(lst(join(tmp, 'hard')).ino).toBe(moved.ino);
    expect(moved.stat().nlink).toBe(2n);
    expect(errnoOf(() => root.link(moved, root, 'hard'))).toBe(Errno.EXIST);
    expect(errnoOf(() => root.rename('hard', new FakeDir(), 'x'))).toBe(Errno.XDEV);
    expect(errnoOf(() => root.link(moved, new FakeDir(), 'x'))).toBe(Errno.XDEV);
    expect(errnoOf(() => root.link(new FakeFile(), root, 'x'))).toBe(Errno.XDEV);
    root.mkdir('empty');
    expect(errnoOf(() => root.rename('dir', root, 'empty'))).toBeUndefined();
    expect(fs.existsSync(join(tmp, 'empty', 'moved'))).toBe(true);
  });

  it('a directory node swapped on the host is refused instead of used at its old path', () => {
    const dir = lookup(root, 'dir', HostDirectory);
    fs.renameSync(join(tmp, 'dir'), join(tmp, 'gone'));
    fs.symlinkSync('/', join(tmp, 'dir'));
    expect(errnoOf(() => dir.lookup('etc'))).toBe(Errno.NOTCAPABLE);
    expect(errnoOf(() => dir.createFile('x'))).toBe(Errno.NOTCAPABLE);
    expect(errnoOf(() => dir.list())).toBe(Errno.NOTCAPABLE);
    fs.unlinkSync(join(tmp, 'dir'));
    expect(errnoOf(() => dir.stat())).toBe(Errno.NOENT);
  });
});

describe('host timestamps keep nanoseconds', () => {
  it('path and fd set_times read back the exact nanoseconds (through touch when Node cannot)', () => {
    const d = fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-ns-'));
    fs.writeFileSync(join(d, 'f'), 'x');
    const node = openHostDirectory(d).lookup('f') as FileNode;
    node.setTimes(1234567890123456789n, 1234567890987654321n);
    let s = fs.statSync(join(d, 'f'), { bigint: true });
    expect([s.atimeNs, s.mtimeNs]).toEqual([1234567890123456789n, 1234567890987654321n]);
    const h = node.open({ read: true, write: true, truncate: false });
    h.setTimes(1111111111222222223n, undefined);
    h.close();
    s = fs.statSync(join(d, 'f'), { bigint: true });
    expect([s.atimeNs, s.mtimeNs]).toEqual([1111111111222222223n, 1234567890987654321n]);
    fs.rmSync(d, { recursive: true, force: true });
  });

  for (const bestEffort of [false, true]) {
    it(`a directory's and a symlink's times too (${bestEffort ? 'whole-path fallback' : 'through directory fds'})`, () => {
      const d = fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-ns-'));
      fs.mkdirSync(join(d, 'sub'));
      fs.symlinkSync('sub', join(d, 'ln'));
      const top = openHostDirectory(d, { bestEffort });
      top.setTimes(1500000000000000001n, 1500000000000000002n);
      (top.lookup('sub') as DirectoryNode).setTimes(1234567890123456789n, undefined);
      top.lookup('ln')!.setTimes(undefined, 1111111111222222223n);
      const t = (p: string) => { const s = fs.lstatSync(p, { bigint: true }); return [s.atimeNs, s.mtimeNs]; };
      expect(t(d)).toEqual([1500000000000000001n, 1500000000000000002n]);
      expect(t(join(d, 'sub'))[0]).toBe(1234567890123456789n);
      expect(t(join(d, 'ln'))[1]).toBe(1111111111222222223n);
      expect(top.stat().mtim).toBe(1500000000000000002n);
      fs.rmSync(d, { recursive: true, force: true });
    });
  }
});
