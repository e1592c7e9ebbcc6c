// dump, info, stats, diff and export as a user runs them: filters, options, JSON, cut-short and corrupt traces,
// bad input (one line, exit 2), diff exit codes and the Chrome export. The command lines run in-process
// (cli/app.ts); test/cli/e2e.test.ts runs each command once as its own process.
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { callDifference } from '../../src/inspect/diff.js';
import type { TraceCall } from '../../src/inspect/trace.js';
import { record } from '../../src/record/record.js';
import { EventDecoder } from '../../src/trace/events.js';
import { TraceReader } from '../../src/trace/reader.js';
import { guestPath, recordLikeCli, repoRoot, wt } from '../helpers.js';
import { tempDir } from '../temp-dir.js';
import { reframe } from './commands.js';

const dir = tempDir('inspect');
const FS = 'traces/inspect_fs-v1.bin';
const CR = 'traces/clock_random-v1.bin';
const run = wt;
const lines = (s: string) => s.split('\n').filter(Boolean);
const indexes = (s: string) => lines(s).filter((l) => l.startsWith('#')).map((l) => Number(/^#(\d+)/.exec(l)![1]));

/** A trace of several frames (storm: 70000 clock calls), and the file offsets of its frames. */
let storm: string;
let frames: number[];

/** Records a test guest in-process as the CLI does. */
const recordQuietly = (module: string, output: string, args: string[] = [], env: string[] = []) =>
  recordLikeCli({ module, output, args, env });

beforeAll(async () => {
  // Recorded, then written again in frames of 64 KiB (thousands of calls each): how many calls a recorded frame
  // holds depends on the machine's load (frames are also flushed every 250 ms).
  const recorded = join(dir, 'storm-recorded.bin');
  storm = join(dir, 'storm.bin');
  expect((await recordQuietly(guestPath('storm'), recorded, ['70000'])).end).toEqual({ kind: 'exit', code: 0 });
  await reframe(recorded, storm, 64 * 1024);
  frames = (await TraceReader.open(storm)).footer!.index as number[];
  expect(frames.length).toBeGreaterThanOrEqual(2);
}, 60_000);

describe('dump', () => {
  it('filters by name, family and negation', async () => {
    expect(indexes((await run(['dump', FS, '-e', 'path_open'])).stdout)).toEqual([0, 3, 4, 10]);
    expect(indexes((await run(['dump', FS, '-e', '%poll,proc_exit'])).stdout)).toEqual([15, 18]);
    expect(indexes((await run(['dump', FS, '-e', '!%fs'])).stdout)).toEqual([15, 18]);
    expect(indexes((await run(['dump', FS, '-e', '%fs'])).stdout)).toEqual([...Array(15).keys(), 16, 17]);
    expect(indexes((await run(['dump', FS, '-e', 'fd_close', '-e', 'wasi_snapshot_preview1.fd_seek'])).stdout)).toEqual([7, 8, 9, 13]);
  });

  it('filters by fd (as argument or opened), failures and range', async () => {
    expect(indexes((await run(['dump', FS, '--fd', '5'])).stdout)).toEqual([4, 5, 6]);
    expect(indexes((await run(['dump', FS, '--fd', '1,2'])).stdout)).toEqual([16, 17]);
    const errors = (await run(['dump', FS, '--errors'])).stdout;
    expect(indexes(errors)).toEqual([3, 9]);
    expect(errors).toContain('#3 path_open(fd=3</sandbox>, dirflags=0, path="missing.txt",');
    expect(errors).toContain('#9 fd_close(fd=4) = EBADF');
    const range = (await run(['dump', FS, '--from', '#5', '--to', '7'])).stdout;
    expect(indexes(range)).toEqual([5, 6, 7]);
    expect(range).not.toContain('+++'); // stopped by --to: how the run ended is not shown
    const empty = await run(['dump', FS, '--from', '7', '--to', '5']);
    expect(empty).toMatchObject({ status: 2, stdout: '', stderr: 'wasi-trace: --from 7 --to 5: the range is empty (--from must not come after --to)\n' });
  });

  it('shows times (-t) and durations (-T), cuts buffers at -s, and prints JSON lines', async () => {
    const first = lines((await run(['dump', FS, '-t', '-T', '--to', '0'])).stdout)[0]!;
    expect(first).toMatch(/^ *0\.029463841 #0 path_open\(.*\) <0\.000820335>$/);
    expect((await run(['dump', FS, '-s', '4', '-e', 'fd_write'])).stdout).toContain('#16 fd_write(fd=1<stdout>, iovs="insp"...) = ESUCCESS (nwritten=14)');
    const objs = lines((await run(['dump', FS, '--json', '-s', '4'])).stdout).map((l) => JSON.parse(l));
    expect(objs.map((o) => o.index)).toEqual([...Array(19).keys()]);
    expect(objs[16]).toMatchObject({ function: 'fd_write', args: { fd: 1, iovs: { len: 14, text: 'insp' } }, paths: { fd: 'stdout' } });
    expect(objs[18]).toEqual(expect.objectContaining({ function: 'proc_exit', result: null, exit: 3 }));
  });

  it('decodes imports the schema does not know as module.name(args) = result', async () => {
    let memory: WebAssembly.Memory | undefined;
    const env = {
      add: (a: number, b: number) => a + b,
      fill: (ptr: number, len: number) => { new Uint8Array(memory!.buffer, ptr, len).set(Buffer.from('abcdefgh').subarray(0, len)); },
      big: () => 0x123456789abcdefn,
    };
    const trace = join(dir, 'custom.bin');
    await record({
      module: guestPath('custom_import'), output: trace, imports: { env }, stdin: new Uint8Array(0),
      onInstance: (i) => { memory = i.exports.memory as WebAssembly.Memory; }, stdout: () => {}, stderr: () => {},
    });
    const out = (await run(['dump', trace])).stdout;
    expect(lines(out)).toEqual([
      '#0 env.fill(100, 8) = void (wrote 0x64="abcdefgh")',
      '#1 fd_write(fd=1<stdout>, iovs="abcdefgh") = ESUCCESS (nwritten=8)',
      '#2 env.add(2, 3) = 5',
      '#3 env.big() = 81985529216486895',
      '#4 proc_exit(rval=2309737972) = ? <exit 2309737972>',
      '+++ exit code 2309737972 +++',
    ]);
    expect(indexes((await run(['dump', trace, '-e', 'env.add,env.big'])).stdout)).toEqual([2, 3]);
    const big = JSON.parse(lines((await run(['dump', trace, '--json', '-e', 'env.big'])).stdout)[0]!);
    expect(big).toMatchObject({ module: 'env', function: 'big', args: [], result: '81985529216486895' });
  });
});

describe('bad input: one line on stderr, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing trace', ['dump', 'no-such.bin'], /^wasi-trace: cannot read trace no-such\.bin: no such file\n$/],
    ['a file that is not a trace', ['info', 'package.json'], /^wasi-trace: package\.json is not a wasi-trace file/],
    ['a directory', ['stats', 'traces'], /^wasi-trace: traces is a directory/],
    ['an unknown -e name', ['dump', FS, '-e', 'fd_wrte'], /^wasi-trace: -e fd_wrte: not a preview1 function/],
    ['an unknown family', ['dump', FS, '-e', '%files'], /^wasi-trace: -e %files: unknown family/],
    ['a bad --fd', ['dump', FS, '--fd', 'three'], /^wasi-trace: --fd three: expected a whole number/],
    ['a bad -s', ['dump', FS, '-s', '-1'], /^wasi-trace: -s -1: expected a whole number/],
    ['an unknown option', ['dump', FS, '--colour'], /^wasi-trace: Unknown argument: colour/],
    ['no trace', ['dump'], /^wasi-trace: missing the trace file \(see wasi-trace dump --help\)\n$/],
    ['diff with one trace', ['diff', FS], /^wasi-trace: missing a trace file: diff compares two \(see wasi-trace diff --help\)\n$/],
    ['an unknown --ignore', ['diff', FS, FS, '--ignore', 'time'], /^wasi-trace: --ignore time: not pointers, metadata, clock-count, a family/],
    ['--ignore metadata with --exact', ['diff', FS, FS, '--exact', '--ignore', 'metadata'], /^wasi-trace: --ignore metadata: not with --exact, which compares every byte \(leave out --exact\)\n$/],
    ['a --skip of pointers', ['diff', FS, FS, '--skip', 'pointers'], /^wasi-trace: --skip pointers: not a family/],
    ['a bad export format', ['export', FS, '--format', 'xml'], /^wasi-trace: --format xml: not one of chrome, json \(see wasi-trace export --help\)\n$/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await run(args);
      expect(r.stderr).toMatch(message);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.status).toBe(2);
    });
  }
});

describe('cut-short and corrupt traces', () => {
  it('info, dump and stats read a trace cut short and say where it ends', async () => {
    const cut = join(dir, 'cut.bin');
    const bytes = readFileSync(storm);
    writeFileSync(cut, bytes.subarray(0, frames[1]! + 100)); // inside the second frame
    const info = await run(['info', cut]);
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/^calls {7}\d+ \(read before the cut\)$/m);
    expect(info.stdout).toMatch(new RegExp(`^complete {4}no: the trace ends early, at offset ${frames[1]}: file ends inside a frame`, 'm'));
    expect(info.stdout).toMatch(/^ended {7}unknown: the recording was cut short$/m);
    const calls = Number(/^calls +(\d+)/m.exec(info.stdout)![1]);
    const dump = await run(['dump', cut]);
    expect(dump.status).toBe(0);
    const all = lines(dump.stdout);
    expect(all).toHaveLength(calls + 1);
    expect(all.at(-2)).toMatch(new RegExp(`^#${calls - 1} clock_time_get`));
    expect(all.at(-1)).toBe(`+++ the trace ends early, at offset ${frames[1]}: file ends inside a frame (recording was cut short) +++`);
    expect((await run(['stats', cut])).stdout).toMatch(/^ended: the trace ends early/m);
    // The header alone (cut right after the module): no calls, still readable.
    writeFileSync(cut, bytes.subarray(0, frames[0]!));
    expect((await run(['info', cut])).stdout).toMatch(/^calls {7}0 \(read before the cut\)$/m);
  });

  it('a corrupt frame in the middle: the calls before it, then one line and exit 2', async () => {
    const bad = join(dir, 'bad.bin');
    const bytes = Buffer.from(readFileSync(storm));
    bytes[frames[1]! + 40]! ^= 0xff;
    writeFileSync(bad, bytes);
    const r = await run(['dump', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`wasi-trace: ${bad}: corrupt trace: frame at offset ${frames[1]} fails its CRC check\n`);
    // Exactly the first frame's calls (how many the recorder put there depends on the machine's load).
    const head = join(dir, 'head.bin');
    writeFileSync(head, bytes.subarray(0, frames[1]!));
    const firstFrame = indexes((await run(['dump', head])).stdout);
    expect(firstFrame.length).toBeGreaterThan(0);
    expect(indexes(r.stdout)).toEqual(firstFrame);
    expect(r.stdout).not.toContain('+++');
    for (const cmd of ['stats', 'export']) expect((await run([cmd, bad])).status).toBe(2);
    expect((await run(['diff', storm, bad])).status).toBe(2);
  });
});

describe('info and stats', () => {
  it('info --json carries the header, the footer and the sizes', async () => {
    const i = JSON.parse((await run(['info', FS, '--json'])).stdout);
    expect(i).toMatchObject({
      file: FS, format: 1, tool: 'wasi-trace', runtime: 'builtin', argv: ['test/guests/inspect_fs.wasm'],
      preopens: [{ fd: 3, guest: '/sandbox', memory: true }], calls: 19, frames: 1, end: { kind: 'exit', code: 3 }, complete: true,
    });
    expect(i.fileSize).toBe(readFileSync(join(repoRoot, FS)).length);
  });

  it('stats sorts by time, counts errors, totals, and takes -e', async () => {
    const s = JSON.parse((await run(['stats', CR, '--json'])).stdout);
    expect(s.total).toMatchObject({ calls: 1022, errors: 2, bytes_in: 168 });
    expect(s.functions[0].function).toBe('clock_time_get');
    const only = (await run(['stats', CR, '-e', 'fd_write', '--sort', 'calls'])).stdout;
    expect(lines(only).filter((l) => /fd_write|total/.test(l))).toHaveLength(2);
    expect(only).toMatch(/^100\.00 .* 7 +168 +28 total$/m);
  });
});

describe('diff', () => {
  it('exit 0 for the same trace', async () => {
    const r = await run(['diff', FS, FS]);
    expect(r.stdout).toContain('the traces are the same: 19 calls each\nboth ended: exit code 3\n');
    expect(r.status).toBe(0);
  });

  it('finds the first behavioural difference between two runs of a guest that prints random numbers', async () => {
    const again = join(dir, 'clock_random-again.bin');
    // the same argv as the golden trace (a path relative to the repository), and stdout a character device as
    // when it was recorded (fd_fdstat_get tells): the callback output is one
    expect(process.cwd()).toBe(repoRoot.replace(/\/$/, ''));
    const rec = await recordQuietly('test/guests/clock_random.wasm', again, [], ['GREETING=hi']);
    expect(rec.end).toEqual({ kind: 'exit', code: 0 });
    // Aligned and classified (the default): clock and random values are inputs; the first behaviour that differs is
    // the fd_write of the random number (#1019), and the time printed after it (#1020) is the second.
    const aligned = await run(['diff', CR, again, '-C', '2']);
    expect(aligned.status).toBe(1);
    const al = lines(aligned.stdout);
    expect(al.slice(2, 6)).toEqual([
      'input differences before it (latest first):',
      '  random_get at #1018 returned different bytes',
      expect.stringMatching(/^ {2}clock_time_get values differ at #\d+, #\d+, #\d+ … #\d+, #\d+, #\d+ \(\d+ calls\)$/),
      expect.stringMatching(/^ {2}clock_res_get values differ at #/),
    ]);
    expect(al[6]).toBe('the runs differ in behaviour at event #1019: fd_write: the data the guest wrote differs');
    expect(al[7]).toBe('  a: #1019 fd_write(fd=1<stdout>, iovs="random 72d1bf22e98bf3e5e695a0b3a"...) = ESUCCESS (nwritten=40)');
    expect(al[8]).toMatch(/^ {2}b: #1019 fd_write\(fd=1<stdout>, iovs="random [0-9a-f]{25}"\.\.\.\) = ESUCCESS \(nwritten=40\)$/);
    expect(al.slice(9, 12)).toEqual(['shared calls before it:', '    #1017 fd_write(fd=1<stdout>, iovs="clock invalid ok\\n") = ESUCCESS (nwritten=17)', expect.stringMatching(/^ {4}#1018 random_get\(buf="r\\xd1/)]);
    expect(al.slice(12, 14)).toEqual(['a ended: exit code 0 (1022 calls)', 'b ended: exit code 0 (1022 calls)']);
    expect(al[14]).toMatch(/^differences: 2 in behaviour \(2 changed calls\), \d+ in input \(clock_time_get \d+, (clock_res_get \d+, )?random_get 1(, clock_res_get \d+)?\)$/);
    expect(al).toHaveLength(15);
    // --exact: the byte-for-byte comparison in lockstep, as diff was before it aligned and classified.
    const raw = await run(['diff', CR, again, '--exact']);
    expect(raw.status).toBe(1);
    expect(raw.stdout).toMatch(/^the traces differ at event #3: the memory written differs\n {2}a: #3 clock_time_get\(id=REALTIME, precision=1\) = ESUCCESS \(time=1795417258543537434\)\n {2}b: #3 clock_time_get/m);
    const clock = await run(['diff', CR, again, '--exact', '--ignore', 'clock']);
    expect(clock.stdout).toMatch(/^the traces differ at event #1018: the memory written differs \(compared ignoring the values of clock\)\n {2}a: #1018 random_get\(buf="r\\xd1/m);
    const r = await run(['diff', CR, again, '--exact', '--ignore', 'clock,random', '-C', '3']);
    expect(r.status).toBe(1);
    const out = lines(r.stdout);
    expect(out[2]).toBe('the traces differ at event #1019: the data passed in differs (compared ignoring the values of clock, random)');
    expect(out[3]).toBe('  a: #1019 fd_write(fd=1<stdout>, iovs="random 72d1bf22e98bf3e5e695a0b3a"...) = ESUCCESS (nwritten=40)');
    expect(out[4]).toMatch(/^ {2}b: #1019 fd_write\(fd=1<stdout>, iovs="random [0-9a-f]{25}"\.\.\.\) = ESUCCESS \(nwritten=40\)$/);
    expect(out.slice(5, 9)).toEqual([
      'shared calls before it:',
      '    #1016 clock_time_get(id=99, precision=1) = EINVAL',
      '    #1017 fd_write(fd=1<stdout>, iovs="clock invalid ok\\n") = ESUCCESS (nwritten=17)',
      expect.stringMatching(/^ {4}#1018 random_get\(buf="r\\xd1/),
    ]);
    expect(out.slice(9)).toEqual(['a ended: exit code 0 (1022 calls)', 'b ended: exit code 0 (1022 calls)']);
    // Leaving the clock calls out altogether (as for guests whose number of clock calls varies) finds the same.
    const skip = await run(['diff', CR, again, '--exact', '--skip', 'clock', '--ignore', 'random']);
    expect(lines(skip.stdout)[2]).toBe('the traces differ at event #1019: the data passed in differs (compared ignoring the values of random, skipping clock)');
    expect(skip.stdout).toContain('    #1017 fd_write(fd=1<stdout>, iovs="clock invalid ok\\n") = ESUCCESS (nwritten=17)\n    #1018 random_get(');
    expect(skip.stdout).not.toContain('    #1016 clock_time_get');
    // The aligned diff with clock and random ignored: no input differences left, the same first behaviour.
    const quiet = lines((await run(['diff', CR, again, '--ignore', 'clock,random', '-C', '0'])).stdout);
    expect(quiet.slice(2)).toEqual([
      'the runs differ in behaviour at event #1019: fd_write: the data the guest wrote differs (compared ignoring clock, random)',
      al[7], al[8], al[12], al[13], 'differences: 2 in behaviour (2 changed calls), 0 in input',
    ]);
  });

  it('--ignore pointers compares a preview1 call without its guest addresses', async () => {
    const at = (index: number, ptr: number, bytes: string): TraceCall => ({
      module: 'wasi_snapshot_preview1', name: 'random_get', wasi: 41, args: [ptr, 4], inputs: null, result: 0,
      writes: [{ addr: ptr, bytes: Buffer.from(bytes) }], index, t: 0, dur: 0, event: undefined as never,
    });
    expect(callDifference(at(0, 16, 'abcd'), at(0, 32, 'abcd'), false)).toBe('the arguments differ');
    expect(callDifference(at(0, 16, 'abcd'), at(0, 32, 'abcd'), false, true)).toBeUndefined();
    expect(callDifference(at(0, 16, 'abcd'), at(0, 32, 'abce'), false, true)).toBe('the memory written differs');
    expect(callDifference(at(0, 16, 'abcd'), at(0, 16, 'abce'), true)).toBeUndefined();
  });

  it('reports a trace that ends earlier and runs that end differently', async () => {
    const short = join(dir, 'short.bin');
    const t0 = join(dir, 'hello0.bin');
    const t7 = join(dir, 'hello7.bin');
    await recordQuietly(guestPath('hello'), t0);
    await recordQuietly(guestPath('hello'), t7, ['7']);
    const x = await run(['diff', t0, t7, '--exact']);
    expect(x.status).toBe(1);
    expect(x.stdout).toContain('the traces differ at event #0: the memory written differs\n  a: #0 args_sizes_get() = ESUCCESS (argc=1, ');
    expect(x.stdout).toMatch(/a ended: exit code 0 \(5 calls\)\nb ended: exit code 7 \(6 calls\)\n$/);
    // Aligned: the arguments are inputs; the extra proc_exit(7) is the behaviour, and so is the ending.
    const r = await run(['diff', t0, t7, '-C', '0']);
    expect(r.status).toBe(1);
    expect(lines(r.stdout).slice(3)).toEqual([
      'input differences before it (latest first):',
      '  args_get at #1 returned different arguments',
      '  args_sizes_get at #0 returned different arguments',
      'the runs differ in behaviour at event #5 of b: only b makes this call',
      '  b: #5 proc_exit(rval=7) = ? <exit 7>',
      'a ended: exit code 0 (5 calls)',
      'b ended: exit code 7 (6 calls)',
      'differences: 2 in behaviour (1 only in b, the ending), 2 in input (args_sizes_get 1, args_get 1)',
    ]);
    // A copy of the storm trace that stops after its first frame.
    writeFileSync(short, readFileSync(storm).subarray(0, frames[1]!));
    const s = await run(['diff', storm, short]);
    expect(s.status).toBe(1);
    // Aligned: the clock calls b lacks are inputs; the calls after the loop that b never made, and the ending, are not.
    const cutAt = Number(/^b ended: .* \((\d+) calls\)$/m.exec(s.stdout)?.[1]); // the calls of b's first frame
    expect(lines(s.stdout).slice(2)).toEqual([
      'input differences before it (latest first):',
      expect.stringMatching(new RegExp(`^ {2}clock_time_get called ${70_000 + 2 - cutAt} more times in a, at a #${cutAt}, #${cutAt + 1}, #${cutAt + 2} … #69999, #70000, #70001$`)),
      'the runs differ in behaviour at event #70002 of a: only a makes this call',
      expect.stringMatching(/^ {2}a: #70002 fd_fdstat_get\(fd=1<stdout>\) = ESUCCESS/),
      'shared calls before it:',
      ...Array.from({ length: 5 }, (_, i) => expect.stringMatching(new RegExp(`^ {4}#${cutAt - 5 + i} clock_time_get\\(id=MONOTONIC, precision=1\\) = ESUCCESS`))),
      'a ended: exit code 0 (70004 calls)',
      expect.stringMatching(new RegExp(`^b ended: the trace ends early, at offset ${frames[1]}: .* \\(${cutAt} calls\\)$`)),
      `differences: 3 in behaviour (2 only in a, the ending), ${70_000 + 2 - cutAt} in input (clock_time_get ${70_000 + 2 - cutAt})`,
    ]);
    expect(cutAt).toBeGreaterThan(1000);
    const e = await run(['diff', storm, short, '--exact']);
    expect(e.stdout).toMatch(/the traces differ at event #\d+ of a: b has no more calls \(the trace ends early, at offset \d+: /);
  });
});

describe('export', () => {
  it('writes a Chrome trace-event file: one complete slice per call, with its arguments', async () => {
    const out = join(dir, 'timeline.json');
    const r = await run(['export', FS, '--format', 'chrome', '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const t = JSON.parse(readFileSync(out, 'utf8'));
    expect(t.displayTimeUnit).toBe('ns');
    const slices = t.traceEvents.filter((e: { ph: string }) => e.ph === 'X');
    expect(slices).toHaveLength(19);
    for (const s of slices) {
      expect(s).toEqual(expect.objectContaining({ pid: 1, tid: 1, ts: expect.any(Number), dur: expect.any(Number), name: expect.any(String), cat: expect.any(String) }));
    }
    expect(slices[0]).toMatchObject({
      name: 'path_open', cat: 'path', ts: 29463.841, dur: 820.335,
      args: { index: 0, args: { fd: 3, path: 'hello.txt' }, result: 'ESUCCESS', out: { opened_fd: 4 }, paths: { opened_fd: '/sandbox/hello.txt' } },
    });
    expect(slices.every((s: { ts: number }, i: number) => i === 0 || s.ts >= slices[i - 1].ts)).toBe(true);
    expect(t.metadata).toMatchObject({ module: 'test/guests/inspect_fs.wasm', end: { kind: 'exit', code: 3 } });
  });

  it('--format json is the dump --json objects as one array, on stdout by default', async () => {
    const r = await run(['export', FS, '--format', 'json']);
    expect(JSON.parse(r.stdout)).toEqual(lines((await run(['dump', FS, '--json'])).stdout).map((l) => JSON.parse(l)));
  });

  it('leaves no file behind when the trace is bad', async () => {
    const out = join(dir, 'never.json');
    expect((await run(['export', 'package.json', '-o', out])).status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the trace the dump golden uses', () => {
  it('replays and verifies', async () => {
    const r = await run(['replay', '--verify', '-q', FS]);
    expect(r.stderr).toBe('wasi-trace: verified: guest memory matches the recording after 19 calls\n');
    expect(r.status).toBe(3);
  });
});
