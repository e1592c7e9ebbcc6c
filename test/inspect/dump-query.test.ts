// dump's queries (issue 11 §6): --errno, --path, --grep, combined with each other and with -e, --fd, --from/--to;
// -c counts; --json. The expected event numbers were read off the committed listing traces/inspect_fs-v1.dump
// (every call of test/guests/inspect_fs.c, with the path behind each fd) by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { dump, type DumpOptions } from '../../src/inspect/dump.js';
import { errnoValue, globMatcher, grepBytes } from '../../src/inspect/filter.js';
import { TraceReader } from '../../src/trace/reader.js';
import { tempDir } from '../trace/helpers.js';
import { wt } from '../helpers.js';
import { collect, reframe } from './commands.js';

const fsTrace = fileURLToPath(new URL('../../traces/inspect_fs-v1.bin', import.meta.url));
const dir = tempDir();

async function run(o: Omit<DumpOptions, 'trace'>, trace = fsTrace): Promise<string[]> {
  const out = collect();
  expect(await dump({ trace, ...o }, out)).toBe(0);
  return out.text().split('\n').slice(0, -1);
}
/** The event numbers a listing shows. */
const numbers = async (o: Omit<DumpOptions, 'trace'>, trace = fsTrace) =>
  (await run(o, trace)).filter((l) => l.startsWith('#')).map((l) => Number(/^#(\d+) /.exec(l)![1]));

describe('--errno', () => {
  test('the calls that returned it: names as dump prints them, any case, the E optional, comma lists', async () => {
    expect(await numbers({ errno: ['noent'] })).toEqual([3]);
    expect(await numbers({ errno: ['ENOENT'] })).toEqual([3]);
    expect(await numbers({ errno: ['Enoent'] })).toEqual([3]);
    expect(await numbers({ errno: ['noent,EBADF'] })).toEqual([3, 9]);
    expect(await numbers({ errno: ['noent', 'badf'] })).toEqual([3, 9]);
    expect(await numbers({ errno: ['success'], e: ['fd_close'] })).toEqual([8, 13]);
    expect(await numbers({ errno: ['EEXIST'] })).toEqual([]);
    const listing = await run({ errno: ['noent'] });
    expect(listing[0]).toMatch(/^#3 path_open\(.*path="missing\.txt".*\) = ENOENT$/);
    expect(listing.at(-1)).toBe('+++ exit code 3 +++');
  });

  test('errnoValue: every name dump prints reads back as its errno', () => {
    expect(errnoValue('E2BIG')).toBe(1);
    expect(errnoValue('2big')).toBe(1);
    expect(errnoValue('exist')).toBe(20);
    expect(errnoValue('EEXIST')).toBe(20);
    expect(errnoValue('ESUCCESS')).toBe(0);
    expect(errnoValue('notcapable')).toBe(76);
    expect(() => errnoValue('ENOPE')).toThrow(/^--errno ENOPE: not a preview1 errno/);
  });
});

describe('--path', () => {
  test('a name or glob without a slash matches the last component of a path a call names or of an fd it uses', async () => {
    expect(await numbers({ path: ['hello.txt'] })).toEqual([0, 1, 2, 6]); // #6 renumbers onto hello.txt's fd
    expect(await numbers({ path: ['*.txt'] })).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 14]);
    expect(await numbers({ path: ['out.txt', 'missing.txt'] })).toEqual([3, 4, 5, 6, 7, 8, 14]);
    expect(await numbers({ path: ['stdout', 'stderr'] })).toEqual([16, 17]);
  });

  test('with a slash: the end of the path from a component on; from the start when it starts with /', async () => {
    expect(await numbers({ path: ['sub/*'] })).toEqual([12]);
    expect(await numbers({ path: ['/sandbox/sub'] })).toEqual([10, 11, 12, 13]);
    expect(await numbers({ path: ['/sandbox/**'] })).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]);
    expect(await numbers({ path: ['/sub'] })).toEqual([]);
  });

  test('globMatcher', () => {
    const m = (g: string, p: string) => globMatcher(g)(p);
    expect(m('*.txt', '/a/b.txt')).toBe(true);
    expect(m('*.txt', '/a/b.txt/c')).toBe(false);
    expect(m('b?.txt', '/a/bc.txt')).toBe(true);
    expect(m('b?.txt', '/a/b/.txt')).toBe(false);
    expect(m('[ab].txt', 'x/b.txt')).toBe(true);
    expect(m('[!ab].txt', 'x/b.txt')).toBe(false);
    expect(m('/a/**', '/a/b/c')).toBe(true);
    expect(m('/a/*', '/a/b/c')).toBe(false);
    expect(m('a.b', 'aXb')).toBe(false); // a dot is a dot
    expect(m('x', 'ax')).toBe(false); // a whole component
    expect(m('a+(b)', 'a+(b)')).toBe(true);
  });
});

describe('--grep', () => {
  test('calls whose input or output data holds the string, or the bytes of hex:', async () => {
    expect(await numbers({ grep: ['hello'] })).toEqual([0, 1]); // the path it opens; the data it read
    expect(await numbers({ grep: ['written'] })).toEqual([5]);
    expect(await numbers({ grep: ['inspect_fs ok\n'] })).toEqual([16]);
    expect(await numbers({ grep: ['hex:696e6e6572'] })).toEqual([11, 12]); // "inner": a dirent's name, a path
    expect(await numbers({ grep: ['hex:69:6e 6e6572'] })).toEqual([11, 12]);
    expect(await numbers({ grep: ['bye', 'written'] })).toEqual([5, 17]);
    expect(await numbers({ grep: ['nowhere'] })).toEqual([]);
  });

  test('grepBytes', () => {
    expect([...grepBytes('hex:00ff')]).toEqual([0, 255]);
    expect([...grepBytes('hé')]).toEqual([0x68, 0xc3, 0xa9]);
    expect(() => grepBytes('hex:0')).toThrow(/odd number of hex digits/);
    expect(() => grepBytes('hex:0g')).toThrow(/not hex digits/);
    expect(() => grepBytes('hex:')).toThrow(/no hex digits/);
    expect(() => grepBytes('')).toThrow(/empty pattern/);
  });
});

describe('combined', () => {
  test('with each other, -e, --fd, --errors and --from/--to: a call must pass every filter', async () => {
    expect(await numbers({ grep: ['hello'], e: ['fd_read'] })).toEqual([1]);
    expect(await numbers({ path: ['*.txt'], from: 5, to: 8 })).toEqual([5, 6, 7, 8]);
    expect(await numbers({ path: ['*.txt'], fd: [5] })).toEqual([4, 5, 6]);
    expect(await numbers({ path: ['*.txt'], errors: true })).toEqual([3]);
    expect(await numbers({ path: ['*.txt'], errno: ['noent'], grep: ['missing'] })).toEqual([3]);
    expect(await numbers({ path: ['*.txt'], errno: ['noent'], grep: ['hello'] })).toEqual([]);
  });

  test('--json lists the same calls as JSON objects', async () => {
    const lines = await run({ json: true, path: ['*.txt'], errors: true });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ index: 3, function: 'path_open', result: 'ENOENT', errno: 44, args: { path: 'missing.txt' } });
  });

  test('-c prints how many calls match instead of listing them', async () => {
    expect(await run({ count: true, path: ['*.txt'] })).toEqual(['11']);
    expect(await run({ count: true })).toEqual(['19']);
    expect(await run({ count: true, errno: ['noent,badf'], from: 4 })).toEqual(['1']);
    expect(await run({ count: true, json: true, e: ['fd_close'] })).toEqual(['{"count":3}']);
  });

  test('--path after a seek: fds opened in frames that were not listed keep their paths', async () => {
    const framed = join(dir, 'fs.bin');
    await reframe(fsTrace, framed, 64);
    const reader = await TraceReader.open(framed);
    expect(reader.seekIndex!.length).toBeGreaterThan(5);
    reader.close();
    for (const from of [6, 11, 13, 16]) {
      const whole = (await numbers({ path: ['*.txt', '/sandbox/sub'] }, framed)).filter((n) => n >= from);
      expect(await numbers({ path: ['*.txt', '/sandbox/sub'], from }, framed)).toEqual(whole);
    }
  });

  test('-c on a trace cut short: the count of the calls it holds, and a warning', async () => {
    const cut = join(dir, 'cut.bin');
    const framed = join(dir, 'fs-cut-source.bin');
    await reframe(fsTrace, framed, 64);
    const reader = await TraceReader.open(framed);
    const at = reader.footer!.index[4]!;
    reader.close();
    writeFileSync(cut, readFileSync(framed).subarray(0, at));
    const warnings: string[] = [];
    const out = collect();
    await dump({ trace: cut, count: true, onWarning: (m) => warnings.push(m) }, out);
    const calls = Number(out.text().trim());
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(19);
    expect(warnings).toEqual([`${cut}: the trace ends early, at offset ${at}: no footer (recording was cut short) (after ${calls} calls)`]);
  });
});

describe('the command line', () => {
  test('the flags, -c and --json', async () => {
    const r = await wt(['dump', 'traces/inspect_fs-v1.bin', '--errno', 'noent', '--path', '*.txt', '-c']);
    expect(r).toEqual({ status: 0, stdout: '1\n', stderr: '' });
    const g = await wt(['dump', 'traces/inspect_fs-v1.bin', '--grep', 'hex:627965', '--json']);
    expect(g.status).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ index: 17, function: 'fd_write' });
  });

  test('bad values: one line, exit 2', async () => {
    const bad: [string[], string][] = [
      [['--errno', 'nope'], 'wasi-trace: --errno nope: not a preview1 errno (as dump prints them: ENOENT, EBADF, ...; the E and the case may be left out)\n'],
      [['--errno', 'noent,'], 'wasi-trace: --errno noent,: empty name\n'],
      [['--grep', 'hex:abc'], 'wasi-trace: --grep hex:abc: an odd number of hex digits (two per byte)\n'],
      [['--grep', 'hex:xy'], 'wasi-trace: --grep hex:xy: not hex digits (hex:0a1b2c)\n'],
      [['--grep', ''], "wasi-trace: --grep '': empty pattern (give a string, or hex:6869 for bytes)\n"],
      [['--path', ''], "wasi-trace: --path '': empty pattern (give a path or a glob such as '*.txt')\n"],
    ];
    for (const [args, stderr] of bad) {
      expect(await wt(['dump', 'traces/inspect_fs-v1.bin', ...args])).toEqual({ status: 2, stdout: '', stderr });
    }
  });
});
