// diff on recordings of real guests: the first behavioural difference with the input differences before it
// (diff_random), one inserted call with the rest aligned (diff_branch), no behavioural difference between two
// esbuild runs on fresh copies of a project (inode numbers, times and clock calls differ), and the
// --ignore words. Recorded in-process as the CLI does; diff runs in-process.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { guestPreopens } from '../../cli/common.js';
import { guestPath, recordLikeCli, repoRoot, wt } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('diff');
const lines = (s: string) => s.split('\n').filter(Boolean);

async function recorded(name: string, guest: string, args: string[] = []): Promise<string> {
  const output = join(dir, name);
  const r = await recordLikeCli({ module: guestPath(guest), output, args });
  expect(r.end).toEqual({ kind: 'exit', code: 0 });
  return output;
}

describe('diff of two runs of a guest that prints a random number', () => {
  let a: string;
  let b: string;
  beforeAll(async () => { a = await recorded('random-a.bin', 'diff_random'); b = await recorded('random-b.bin', 'diff_random'); });

  it('differs first in behaviour at the fd_write of the number, with the random_get named as the input before it', async () => {
    const r = await wt(['diff', a, b, '-C', '1']);
    expect(r.status).toBe(1);
    expect(lines(r.stdout)).toEqual([
      `a: ${a}`,
      `b: ${b}`,
      'input differences before it (latest first):',
      '  random_get at #3 returned different bytes',
      '  clock_time_get values differ at #0, #1, #2',
      'the runs differ in behaviour at event #4: fd_write: the data the guest wrote differs',
      expect.stringMatching(/^ {2}a: #4 fd_write\(fd=1<stdout>, iovs="random \d+\\n"\) = ESUCCESS \(nwritten=\d+\)$/),
      expect.stringMatching(/^ {2}b: #4 fd_write\(fd=1<stdout>, iovs="random \d+\\n"\) = ESUCCESS \(nwritten=\d+\)$/),
      'shared calls before it:',
      expect.stringMatching(/^ {4}#3 random_get\(buf=".*", buf_len=8\) = ESUCCESS$/),
      'a ended: exit code 0 (6 calls)',
      'b ended: exit code 0 (6 calls)',
      'differences: 1 in behaviour (1 changed call), 4 in input (clock_time_get 3, random_get 1)',
    ]);
  });

  it('--all lists every difference in order, each classed', async () => {
    const r = await wt(['diff', a, b, '--all']);
    expect(r.status).toBe(1);
    const heads = lines(r.stdout).filter((l) => !l.startsWith('  '));
    expect(heads).toEqual([
      `a: ${a}`, `b: ${b}`,
      'input at #0: clock_time_get values differ', 'input at #1: clock_time_get values differ', 'input at #2: clock_time_get values differ',
      'input at #3: random_get returned different bytes',
      'the runs differ in behaviour at event #4: fd_write: the data the guest wrote differs',
      'a ended: exit code 0 (6 calls)', 'b ended: exit code 0 (6 calls)',
      'differences: 1 in behaviour (1 changed call), 4 in input (clock_time_get 3, random_get 1)',
    ]);
    expect(r.stdout).toMatch(/^input at #3: random_get returned different bytes\n {2}a: #3 random_get\(buf=".*", buf_len=8\) = ESUCCESS\n {2}b: #3 random_get\(/m);
  });

  it('a trace against itself: the same; --exact stops at the first clock value', async () => {
    expect(lines((await wt(['diff', a, a])).stdout).slice(2)).toEqual(['the traces are the same: 6 calls each', 'both ended: exit code 0']);
    const x = await wt(['diff', a, b, '--exact']);
    expect(x.status).toBe(1);
    expect(lines(x.stdout)[2]).toBe('the traces differ at event #0: the memory written differs');
  });
});

describe('diff of a guest that takes an extra branch', () => {
  it('shows the one extra call as inserted and the calls after it aligned', async () => {
    const plain = await recorded('branch.bin', 'diff_branch');
    const extra = await recorded('branch-extra.bin', 'diff_branch', ['extra']);
    const r = await wt(['diff', plain, extra, '--all']);
    expect(r.status).toBe(1);
    expect(lines(r.stdout).filter((l) => !/^ {2}[ab]: #/.test(l))).toEqual([
      `a: ${plain}`, `b: ${extra}`,
      `note: argv differs: a ["${guestPath('diff_branch')}"], b ["${guestPath('diff_branch')}","extra"]`,
      'input at #0: args_sizes_get returned different arguments',
      'input at #1: args_get returned different arguments',
      'input at #3: clock_time_get values differ',
      'the runs differ in behaviour at event #5 of b: only b makes this call',
      // After the inserted call, a's #6 pairs with b's #7: the rest stays aligned.
      'input at #6/#7: clock_time_get values differ',
      'a ended: exit code 0 (8 calls)', 'b ended: exit code 0 (9 calls)',
      'differences: 1 in behaviour (1 only in b), 4 in input (clock_time_get 2, args_sizes_get 1, args_get 1)',
    ]);
    expect(r.stdout).toContain('only b makes this call\n  b: #5 fd_write(fd=1<stdout>, iovs="extra\\n") = ESUCCESS (nwritten=6)\n');
    // The other way round the extra call is one a makes and b does not.
    const back = await wt(['diff', extra, plain, '-C', '0']);
    expect(lines(back.stdout)).toContain('the runs differ in behaviour at event #5 of a: only a makes this call');
    expect(lines(back.stdout).at(-1)).toBe('differences: 1 in behaviour (1 only in a), 4 in input (clock_time_get 2, args_sizes_get 1, args_get 1)');
  });
});

describe('diff of runs that exit with different codes', () => {
  it('names the argument that differs, with the raw arguments, and counts the ending', async () => {
    const a = await recordLikeCli({ module: guestPath('exitcode'), output: join(dir, 'exit3.bin'), args: ['3'] });
    const b = await recordLikeCli({ module: guestPath('exitcode'), output: join(dir, 'exit4.bin'), args: ['4'] });
    expect([a.end, b.end]).toEqual([{ kind: 'exit', code: 3 }, { kind: 'exit', code: 4 }]);
    const r = await wt(['diff', join(dir, 'exit3.bin'), join(dir, 'exit4.bin'), '-C', '0']);
    expect(r.status).toBe(1);
    expect(lines(r.stdout).slice(3)).toEqual([
      'input differences before it (latest first):',
      '  args_get at #1 returned different arguments',
      'the runs differ in behaviour at event #2: proc_exit: the arguments differ (rval)',
      '  a: #2 proc_exit(rval=3) = ? <exit 3>',
      '  b: #2 proc_exit(rval=4) = ? <exit 4>',
      '  raw arguments: a [3], b [4]',
      'a ended: exit code 3 (3 calls)',
      'b ended: exit code 4 (3 calls)',
      'differences: 2 in behaviour (1 changed call, the ending), 1 in input (args_get 1)',
    ]);
  });
});

describe('diff of runs that read the clock a different number of times', () => {
  it('the extra clock calls are input differences; --ignore clock-count and --skip clock leave them out', async () => {
    const a = await recorded('storm1000.bin', 'storm', ['1000']);
    const b = await recorded('storm1003.bin', 'storm', ['1003']);
    const r = await wt(['diff', a, b, '-C', '0']);
    expect(r.status).toBe(1);
    const first = [
      'the runs differ in behaviour at event #1003/#1006: fd_write: the data the guest wrote differs',
      '  a: #1003 fd_write(fd=1<stdout>, iovs="calls 1000\\n") = ESUCCESS (nwritten=11)',
      '  b: #1006 fd_write(fd=1<stdout>, iovs="calls 1003\\n") = ESUCCESS (nwritten=11)',
      'a ended: exit code 0 (1004 calls)',
      'b ended: exit code 0 (1007 calls)',
    ];
    expect(lines(r.stdout).slice(3)).toEqual([
      'input differences before it (latest first):',
      '  clock_time_get called 3 more times in b, at b #1002, #1003, #1004',
      '  clock_time_get values differ at #2, #3, #4 … #999, #1000, #1001 (1000 calls)',
      '  args_get at #1 returned different arguments',
      ...first,
      'differences: 1 in behaviour (1 changed call), 1004 in input (clock_time_get 1003, args_get 1)',
    ]);
    const counted = await wt(['diff', a, b, '-C', '0', '--ignore', 'clock-count']);
    expect(lines(counted.stdout).slice(3, 5)).toEqual(['input differences before it (latest first):', '  clock_time_get values differ at #2, #3, #4 … #999, #1000, #1001 (1000 calls)']);
    expect(lines(counted.stdout).at(-1)).toBe('differences: 1 in behaviour (1 changed call), 1001 in input (clock_time_get 1000, args_get 1)');
    const skipped = await wt(['diff', a, b, '-C', '0', '--skip', 'clock']);
    expect(lines(skipped.stdout).slice(3)).toEqual([
      'input differences before it (latest first):',
      '  args_get at #1 returned different arguments',
      `${first[0]} (compared skipping clock)`, ...first.slice(1),
      'differences: 1 in behaviour (1 changed call), 1 in input (args_get 1)',
    ]);
  });
});

describe('diff of two esbuild runs on fresh copies of a project', () => {
  const ESBUILD = join(repoRoot, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm');
  let a: string;
  let b: string;
  beforeAll(async () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'src/index.js'), "import { twice } from './twice.js';\nconsole.log(twice(21));\n");
    writeFileSync(join(project, 'src/twice.js'), 'export const twice = (x) => x * 2;\n');
    const record = async (name: string) => {
      const copy = join(dir, `copy-${name}`);
      cpSync(project, copy, { recursive: true }); // new inodes and times
      const output = join(dir, `${name}.bin`);
      const r = await recordLikeCli({
        module: ESBUILD, output, preopens: guestPreopens({ dir: `${copy}::/` }),
        args: ['--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning'],
      });
      expect(r.end).toEqual({ kind: 'exit', code: 0 });
      return output;
    };
    a = await record('esbuild-a');
    b = await record('esbuild-b');
  }, 60_000);

  it('reports no behavioural difference (exit 0), the input differences in one line', async () => {
    const r = await wt(['diff', a, b]);
    expect(r.status).toBe(0);
    const out = lines(r.stdout).filter((l) => !l.startsWith('note: '));
    expect(out).toHaveLength(4);
    // Inode numbers differ (fresh copies), so the stat and readdir calls are among the inputs, with the clock.
    expect(out[2]).toMatch(/^the runs do not differ in behaviour: \d+ calls (each|in a, \d+ in b); \d+ input differences \(.*clock_time_get \d+/);
    expect(out[2]).toMatch(/path_filestat_get \d+/);
    expect(out[2]).toMatch(/fd_readdir \d+/);
    expect(out[3]).toBe('both ended: exit code 0');
    // --all: every listed difference is an input; the metadata ones name the fields.
    const all = lines((await wt(['diff', a, b, '--all'])).stdout).filter((l) => !/^( {2}[ab]: #|note: )/.test(l));
    expect(all.slice(2, -2).every((l) => l.startsWith('input at '))).toBe(true);
    expect(all).toContainEqual(expect.stringMatching(/^input at #\d+(\/#\d+)?: path_filestat_get returned different file metadata \(ino/));
    expect(all).toContainEqual(expect.stringMatching(/^input at #\d+(\/#\d+)?: fd_readdir returned different file metadata \(d_ino\)$/));
    // The byte-for-byte diff stops at the first clock value.
    expect((await wt(['diff', a, b, '--exact'])).status).toBe(1);
  });

  it('--ignore metadata, clock-count, clock and random leave nothing to report', async () => {
    const meta = await wt(['diff', a, b, '--ignore', 'metadata', '--all']);
    expect(meta.stdout).not.toMatch(/file metadata|d_ino/);
    expect(meta.stdout).toMatch(/clock_time_get values differ/);
    const r = await wt(['diff', a, b, '--ignore', 'metadata,clock-count,clock,random']);
    expect(r.status).toBe(0);
    expect(lines(r.stdout).filter((l) => !l.startsWith('note: ')).slice(2)).toEqual([
      expect.stringMatching(/^the (traces are the same|runs do not differ): \d+ calls.* \(compared ignoring metadata, clock-count, clock, random\)$/),
      'both ended: exit code 0',
    ]);
  });
});
