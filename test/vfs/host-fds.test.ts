// The host backend's directory fds (src/vfs/host/dirfds.ts): bounded however many paths are used, reopened by name
// when the cache closed them, and never stale after a directory is replaced on the host.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_RIGHTS, Errno, Filetype, OFlags, right } from '../../src/abi/index.js';
import { heldDirFds, MAX_DIR_FDS, openHostDirectory, probeFdPaths } from '../../src/vfs/host/index.js';
import type { DirectoryNode } from '../../src/vfs/types.js';
import { Driver } from './driver.js';

/** Open fds of this process (Linux). */
/**
 * This process's open fds on `tmp` (test files run side by side in one process, so only fds on this test's own
 * directory are counted).
 */
const openFds = (): number => fs.readdirSync('/proc/self/fd').filter((fd) => {
  try { return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(tmp); } catch { return false; }
}).length;
/** More directories than the cache holds, so that walking them all closes the oldest fds. */
const DIRS = MAX_DIR_FDS + 16;
/** Directory rights for path_open (a directory opened with fd_write is EISDIR). */
const DIR_RIGHTS = ALL_RIGHTS & ~right('fd_write');

// One tree for the file (making it costs more than the tests): d<i>/sub/f = "file <i>\n". Tests that change it
// use names of their own.
let tmp: string;
beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-fds-')));
  for (let i = 0; i < DIRS; i++) {
    fs.mkdirSync(join(tmp, `d${i}`, 'sub'), { recursive: true });
    fs.writeFileSync(join(tmp, `d${i}`, 'sub', 'f'), `file ${i}\n`);
  }
});
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

/** The errno a backend call throws (0 when it succeeds). */
const errno = (fn: () => unknown): unknown => {
  try { fn(); return 0; } catch (e) { return (e as { errno?: unknown }).errno; }
};

const driver = (): Driver => new Driver({ preopens: [{ guestPath: '/sandbox', dir: openHostDirectory(tmp) }] });

describe('host directory fds', () => {
  it('probes /proc/self/fd: a directory fd names its entries, a file fd does not', () => {
    const dir = fs.openSync(tmp, 'r');
    const file = fs.openSync(join(tmp, 'd0', 'sub', 'f'), 'r');
    try {
      expect(probeFdPaths(dir, fs.fstatSync(dir, { bigint: true }))).toBe(true);
      expect(probeFdPaths(file, fs.fstatSync(file, { bigint: true }))).toBe(false);
    } finally {
      fs.closeSync(dir);
      fs.closeSync(file);
    }
  });

  it(`stay bounded (at most ${MAX_DIR_FDS} between calls) over thousands of paths, stats, creations and roots`, () => {
    const d = driver();
    const base = openFds();
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < DIRS; i++) {
        expect(d.readFile(3, `d${i}/sub/f`)).toEqual({ errno: 0, text: `file ${i}\n` });
        expect(d.filestat(3, `d${i}/sub`).errno).toBe(0);
        if (round === 0) expect(d.pathOp('path_create_directory', 3, `d${i}/sub/new`)).toBe(0);
      }
      expect(heldDirFds()).toBeLessThanOrEqual(MAX_DIR_FDS + 3); // + the directories of the last path
    }
    for (let i = 0; i < DIRS; i++) expect(openHostDirectory(join(tmp, `d${i}`)).stat().filetype).toBe(Filetype.DIRECTORY);
    expect(heldDirFds()).toBeLessThanOrEqual(MAX_DIR_FDS + 1);
    expect(openFds() - base).toBeLessThanOrEqual(MAX_DIR_FDS + 1);
    expect(d.internalErrors).toEqual([]);
  });

  it('a directory fd the guest holds keeps working after the cache closed its host fd', () => {
    const d = driver();
    const sub = d.open(3, 'd0/sub', { oflags: OFlags.DIRECTORY, rights: DIR_RIGHTS });
    expect(sub.errno).toBe(0);
    expect(d.readFile(sub.fd, 'f').text).toBe('file 0\n');
    for (let i = 1; i < DIRS; i++) expect(d.filestat(3, `d${i}/sub/f`).errno).toBe(0); // evicts d0 and d0/sub
    expect(d.readFile(sub.fd, 'f').text).toBe('file 0\n');
    expect(d.pathOp('path_create_directory', sub.fd, 'made')).toBe(0);
    expect(fs.statSync(join(tmp, 'd0', 'sub', 'made')).isDirectory()).toBe(true);
    expect(d.internalErrors).toEqual([]);
  });

  it('an operation on two directories whose fds must both be reopened uses the right ones', () => {
    const deep = join(tmp, 'e1', 'e2', 'e3', 'e4', 'e5', 'e6');
    fs.mkdirSync(deep, { recursive: true });
    const d = driver();
    const to = d.open(3, 'e1/e2/e3/e4/e5/e6', { oflags: OFlags.DIRECTORY, rights: DIR_RIGHTS });
    const from = d.open(3, 'd1/sub', { oflags: OFlags.DIRECTORY, rights: DIR_RIGHTS });
    expect([to.errno, from.errno]).toEqual([0, 0]);
    for (let i = 2; i < DIRS; i++) expect(d.filestat(3, `d${i}/sub`).errno).toBe(0); // evicts both chains
    expect(d.rename(from.fd, 'f', to.fd, 'moved')).toBe(0);
    expect(fs.readFileSync(join(deep, 'moved'), 'utf8')).toBe('file 1\n');
    for (let i = 2; i < DIRS; i++) expect(d.filestat(3, `d${i}/sub`).errno).toBe(0);
    expect(d.link(to.fd, 'moved', from.fd, 'back')).toBe(0);
    expect(fs.readFileSync(join(tmp, 'd1', 'sub', 'back'), 'utf8')).toBe('file 1\n');
    expect(d.internalErrors).toEqual([]);
  });

  it('a directory removed and made again on the host under its name is seen afresh, not through the old fd', () => {
    const d = driver();
    fs.mkdirSync(join(tmp, 'x'));
    fs.writeFileSync(join(tmp, 'x', 'old'), 'old\n');
    expect(d.readFile(3, 'x/old').text).toBe('old\n'); // x's fd is now cached
    for (let i = 0; i < 5; i++) {
      fs.rmSync(join(tmp, 'x'), { recursive: true });
      fs.mkdirSync(join(tmp, 'x'));
      fs.writeFileSync(join(tmp, 'x', `new${i}`), `new ${i}\n`);
      expect(d.readFile(3, `x/new${i}`)).toEqual({ errno: 0, text: `new ${i}\n` });
      expect(d.filestat(3, 'x/old').errno).toBe(Errno.NOENT);
    }
    expect(d.internalErrors).toEqual([]);
  });

  it('a directory swapped for a symlink before its fd was opened is refused, not followed', () => {
    fs.mkdirSync(join(tmp, 'outside'));
    fs.writeFileSync(join(tmp, 'outside', 'secret'), 'secret\n');
    fs.mkdirSync(join(tmp, 'box', 'sub'), { recursive: true });
    fs.writeFileSync(join(tmp, 'box', 'sub', 'secret'), 'inside\n');
    const box = openHostDirectory(join(tmp, 'box'));
    const sub = box.lookup('sub') as DirectoryNode;
    expect(sub.kind).toBe('directory');
    fs.renameSync(join(tmp, 'box', 'sub'), join(tmp, 'box', 'gone'));
    fs.symlinkSync('../outside', join(tmp, 'box', 'sub'));
    expect(errno(() => sub.lookup('secret'))).toBe(Errno.NOTCAPABLE);
    expect(errno(() => sub.list())).toBe(Errno.NOTCAPABLE);
    expect(errno(() => sub.createFile('planted'))).toBe(Errno.NOTCAPABLE);
    expect(fs.readdirSync(join(tmp, 'outside'))).toEqual(['secret']);
  });
});
