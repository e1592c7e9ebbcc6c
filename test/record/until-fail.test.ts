// record --until-fail in-process: the hunt finds a failing run and keeps only its trace, stops at its last run,
// on a timeout, on an abort; failure conditions; the flags' one-line errors.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { huntOptions, failCondition } from '../../cli/until-fail.js';
import { UserError } from '../../src/errors.js';
import { guestSetup, type GuestSetup } from '../../src/record/setup.js';
import { guestThreadUrl } from '../../src/record/pipeline.js';
import { DEFAULT_FAIL_ON, failure, untilFail, type HuntOptions } from '../../src/record/until-fail.js';
import { replay } from '../../src/replay/replay.js';
import { NO_STDIN_STREAM } from '../../src/worker-url.js';
import { guestPath, wt } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('hunt');
const setup = (args: string[] = []): GuestSetup => guestSetup({ module: '', args, stdin: new Uint8Array(0), stdout: () => {}, stderr: () => {} }) as GuestSetup;
const module = (name: string) => ({ name: `${name}.wasm`, bytes: new Uint8Array(readFileSync(guestPath(name))) });

function hunt(name: string, output: string, o: Partial<HuntOptions> = {}) {
  return untilFail({
    setup: setup(), module: module(name), output: join(dir, output), level: 1, runs: 200, jobs: 2,
    failOn: DEFAULT_FAIL_ON, seed: 0, shard: { index: 0, count: 1 }, ...o,
  });
}

/** Files the hunt left in the directory besides `keep`. */
const leftovers = (keep: string[]) => readdirSync(dir).filter((f) => !keep.includes(f));

describe('until-fail', () => {
  it('finds the failing run of a flaky guest, keeps only its trace, and the trace replays failing the same way', async () => {
    // flaky fails when its random byte is a multiple of 8: not one failure in 200 runs has odds of (7/8)^200.
    const r = await hunt('flaky', 'flaky.bin');
    expect(r.failed).toMatchObject({ condition: 'exit code 3', end: { kind: 'exit', code: 3 } });
    expect(r.runs).toBeGreaterThanOrEqual(1);
    const err: Buffer[] = [];
    const rep = await replay({ trace: r.failed!.trace, stdout: () => {}, stderr: (b) => err.push(Buffer.from(b)) });
    expect(rep.end).toEqual({ kind: 'exit', code: 3 });
    expect(Buffer.concat(err).toString()).toMatch(/^unlucky (\d+)\n$/);
    expect(Number(/\d+/.exec(Buffer.concat(err).toString())![0]) % 8).toBe(0);
    expect(leftovers(['flaky.bin'])).toEqual([]);
  });

  it('records runs whose calls carry more than a chunk of data (a 400 KB write goes out as blob pieces)', async () => {
    const r = await hunt('bigwrite', 'big.bin', { setup: setup(['400000']), runs: 2, failOn: [failCondition('stdout=^a{400000}$')] });
    expect(r.failed?.condition).toBe('stdout matched /^a{400000}$/');
    const out: Buffer[] = [];
    await replay({ trace: r.failed!.trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {} });
    expect(Buffer.concat(out).toString()).toBe('a'.repeat(400000));
  });

  it('stops after its last run when no run fails, writing nothing', async () => {
    const r = await hunt('hello', 'never.bin', { runs: 6 });
    expect(r).toEqual({ runs: 6 });
    expect(leftovers(['flaky.bin', 'big.bin'])).toEqual([]);
  });

  it('runs on a thread it was given (the command line boots one early), and ends it, used or not', async () => {
    const given = () => {
      const w = new Worker(guestThreadUrl, NO_STDIN_STREAM);
      const seen = { headers: 0, exited: new Promise((resolve) => w.once('exit', resolve)) };
      w.on('message', (m: { type?: string }) => { if (m.type === 'header') seen.headers++; });
      return { w, seen };
    };
    const used = given();
    expect(await hunt('hello', 'given.bin', { runs: 3, jobs: 1, thread: used.w })).toEqual({ runs: 3 });
    expect(used.seen.headers).toBe(3); // every run on it: the one job's thread
    await used.seen.exited;
    const unused = given();
    expect(await hunt('hello', 'given.bin', { runs: 0, jobs: 1, thread: unused.w })).toEqual({ runs: 0 });
    await unused.seen.exited; // (a thread left running would keep the process alive)
    expect(unused.seen.headers).toBe(0);
  });

  it('a stdout pattern is a failure condition of its own', async () => {
    const r = await hunt('hello', 'hello.bin', { failOn: [failCondition('stdout=hel+o, w')] });
    expect(r.failed?.condition).toBe('stdout matched /hel+o, w/');
    expect(r.failed?.end).toEqual({ kind: 'exit', code: 0 });
  });

  it('a hang is a failure with --fail-on timeout; the trace says SIGALRM stopped it', async () => {
    const r = await hunt('hang', 'hang.bin', { runs: 2, timeoutMs: 200, failOn: [failCondition('timeout')] });
    expect(r.failed).toMatchObject({ condition: 'timeout', end: { kind: 'signal', signal: 'SIGALRM' } });
    const rep = await replay({ trace: r.failed!.trace, stdout: () => {}, stderr: () => {} });
    expect(rep).toMatchObject({ complete: false, end: { kind: 'signal', signal: 'SIGALRM' } });
  });

  it('an abort stops the runs in flight and removes their traces', async () => {
    const stop = new AbortController();
    // hang never ends by itself: whenever the abort comes, it is what ends the hunt.
    setTimeout(() => stop.abort('SIGINT'), 100);
    const r = await hunt('hang', 'stopped.bin', { runs: 50, signal: stop.signal });
    expect(r).toEqual({ runs: 0, stopped: 'SIGINT' });
    expect(leftovers(['flaky.bin', 'big.bin', 'hello.bin', 'hang.bin'])).toEqual([]);
  });
});

describe('record --until-fail on the command line', () => {
  it("exits with the failing run's code, says which run failed and where its trace is; bad flags are one line", async () => {
    const out = join(dir, 'cli.bin');
    const r = await wt(['record', '--until-fail', '--runs', '300', '-o', out, guestPath('flaky')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^wasi-trace: until-fail: run \d+ failed: exit code 3; \d+ runs in [\d.]+ s, 1 failed; trace written to .*cli\.bin\n$/m);
    expect((await wt(['replay', out])).status).toBe(3);
    const bad = await wt(['record', '--until-fail', '--shard', '3/2', '-o', out, guestPath('flaky')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('wasi-trace: --shard 3/2: expected I/N with 0 <= I < N (e.g. 0/4)\n');
  }, 60_000);
});

describe('failure conditions', () => {
  const out = { stdout: 'all good\n', stderr: 'panic: oops\n' };
  it('by default a non-zero exit or a trap fails; exit 0 passes', () => {
    expect(failure({ kind: 'exit', code: 0 }, out, DEFAULT_FAIL_ON)).toBeUndefined();
    expect(failure({ kind: 'exit', code: 1 }, out, DEFAULT_FAIL_ON)).toBe('exit code 1');
    expect(failure({ kind: 'trap', message: 'unreachable' }, out, DEFAULT_FAIL_ON)).toBe('trap (unreachable)');
  });
  it('exit=N, stderr=REGEX and timeout', () => {
    expect(failure({ kind: 'exit', code: 1 }, out, [failCondition('exit=2')])).toBeUndefined();
    expect(failure({ kind: 'exit', code: 2 }, out, [failCondition('exit=2')])).toBe('exit code 2');
    expect(failure({ kind: 'exit', code: 0 }, out, [failCondition('stderr=^panic')])).toBe('stderr matched /^panic/');
    expect(failure({ kind: 'signal', signal: 'SIGALRM' }, out, [failCondition('timeout')])).toBe('timeout');
    expect(failure({ kind: 'signal', signal: 'SIGINT' }, out, [failCondition('timeout')])).toBeUndefined();
  });
  it('bad values are one-line UserErrors', () => {
    for (const bad of ['exit=300', 'exit=x', 'trap=1', 'stdout=', 'stderr=(', 'crash']) {
      expect(() => failCondition(bad), bad).toThrow(UserError);
    }
  });
});

describe('hunt flags', () => {
  const flags = (f: Record<string, unknown>) => () => huntOptions({ 'until-fail': true, ...f }, 2);
  it('are checked', () => {
    expect(flags({ shard: '3/2' })).toThrow(/--shard 3\/2: expected I\/N/);
    expect(flags({ shard: '1/0' })).toThrow(/--shard/);
    expect(flags({ jobs: 0 })).toThrow(/--jobs 0: expected a whole number of at least 1/);
    expect(flags({ runs: 1.5 })).toThrow(/--runs/);
    expect(flags({ seed: '-1' })).toThrow(/--seed -1/);
    expect(flags({ timeout: 0 })).toThrow(/--timeout 0/);
    expect(() => huntOptions({ jobs: 2 }, 2)).toThrow(/--jobs: only with --until-fail/);
  });
  it('have defaults: 1000 runs, a job per core, the default conditions, shard 0/1', () => {
    expect(huntOptions({ 'until-fail': true, seed: '7' }, 2)).toMatchObject({
      runs: 1000, jobs: 2, seed: 7, seedGiven: true, shard: { index: 0, count: 1 }, failOn: DEFAULT_FAIL_ON,
    });
    expect(huntOptions({ 'until-fail': true, shard: '1/4' }, 2)?.shard).toEqual({ index: 1, count: 4 });
  });
});
