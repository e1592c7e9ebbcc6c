// Divergence reports: a recording of `hello 7` (args_sizes_get, args_get, fd_fdstat_get, two fd_writes,
// proc_exit), edited one way at a time, must stop replay() with a report that says where, why, what was recorded
// and what the guest did, and which calls came before.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { record } from '../../src/record/record.js';
import { DivergenceError, formatDivergence, replay, type DivergenceReport } from '../../src/replay/replay.js';
import { guestPath } from '../helpers.js';
import { readTrace, writeTrace, type TraceParts } from './helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('divergence');
let recorded: TraceParts;
let n = 0;

beforeAll(async () => {
  const trace = join(dir, 'hello.bin');
  await record({ module: readFileSync(guestPath('hello')), moduleName: 'hello.wasm', args: ['7'], output: trace, stdin: new Uint8Array(0), stdout: () => {}, stderr: () => {} });
  recorded = await readTrace(trace);
  expect(recorded.events.map((e) => e.imp)).toHaveLength(6);
});

/** Replays the recording after `edit` changed a copy of it; the divergence report it stops with. */
async function divergence(edit: (p: TraceParts) => void, options: { verify?: boolean } = {}): Promise<DivergenceReport> {
  const parts: TraceParts = structuredClone(recorded);
  edit(parts);
  const trace = await writeTrace(join(dir, `edited-${n++}.bin`), parts);
  const err = await replay({ trace, stdout: () => {}, stderr: () => {}, ...options }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DivergenceError);
  expect((err as DivergenceError).message).toBe(formatDivergence((err as DivergenceError).report));
  return (err as DivergenceError).report;
}

/** The first two calls, as the reports show them ("hello.wasm\0" and "7\0": 13 bytes of argv). */
const BEFORE_2 = ['#0 args_sizes_get() = ESUCCESS (argc=2, argv_buf_size=13)', '#1 args_get() = ESUCCESS (argv=["hello.wasm", "7"])'];

describe('divergence reports', () => {
  it('the unedited recording replays', async () => {
    const trace = await writeTrace(join(dir, 'same.bin'), recorded);
    expect((await replay({ trace, stdout: () => {}, stderr: () => {}, verify: true })).end).toEqual({ kind: 'exit', code: 7 });
  });

  it('a call with other arguments: the event, both calls decoded, the calls before', async () => {
    const r = await divergence((p) => { p.events[2]!.args[0] = 2; });
    expect(r.index).toBe(2);
    expect(r.reason).toBe('the guest called fd_fdstat_get differently');
    expect(r.expected).toMatch(/^fd_fdstat_get\(fd=2\) = ESUCCESS \(stat=fdstat\{fs_filetype=CHARACTER_DEVICE,/);
    expect(r.actual).toBe('fd_fdstat_get(fd=1)');
    expect(r.before).toEqual(BEFORE_2);
  });

  it('a call with other data', async () => {
    const r = await divergence((p) => { p.events[3]!.inputs![0] = 'j'.charCodeAt(0); });
    expect(r).toMatchObject({
      index: 3, reason: 'fd_write was called with other data',
      expected: 'fd_write(fd=1, iovs="jello, world\\n") = ESUCCESS (nwritten=13)', actual: 'fd_write(fd=1, iovs="hello, world\\n")',
    });
    expect(r.before).toHaveLength(3);
  });

  it('a recorded write past the end of guest memory', async () => {
    const r = await divergence((p) => { p.events[2]!.writes[0]!.addr = 0x7fff_fff0; });
    expect(r).toMatchObject({ index: 2, reason: 'fd_fdstat_get wrote past the end of guest memory' });
  });

  it('a guest that ends while the recording has more calls', async () => {
    const r = await divergence((p) => { p.events.push(structuredClone(p.events[4]!)); });
    expect(r.index).toBe(6);
    expect(r.reason).toBe('the guest ended, but the recording has more calls');
    expect(r.expected).toBe('fd_write(fd=2, iovs="hello, stderr\\n") = ESUCCESS (nwritten=14)');
    expect(r.actual).toBeUndefined();
  });

  it('a guest that calls after the last recorded event', async () => {
    const r = await divergence((p) => { p.events.pop(); });
    expect(r.index).toBe(5);
    expect(r.reason).toBe('the guest called proc_exit after the last recorded event');
    expect(r.expected).toBeUndefined();
    expect(r.actual).toBe('proc_exit(rval=7)');
    expect(r.before.map((b) => b.split(' ')[0])).toEqual(['#0', '#1', '#2', '#3', '#4']);
  });

  it('a run that ends differently', async () => {
    const r = await divergence((p) => { p.footer.end = { kind: 'exit', code: 8 }; });
    expect(r.reason).toBe('the run ended differently: recorded exit code 8, replayed exit code 7');
    expect(r.index).toBe(6);
  });

  it('guest memory that differs at the end (--verify), by the hash of this version (xxh64) or of versions 1-5 (sha256)', async () => {
    for (const hash of [`xxh64:${'0'.repeat(16)}`, '0'.repeat(64)]) {
      const r = await divergence((p) => { p.footer.memoryHash = hash; }, { verify: true });
      expect(r.reason).toBe('guest memory at the end differs from the recording (--verify)');
    }
  });

  it('a footer memory hash of neither form is a damaged trace for --verify, not a divergence', async () => {
    const parts: TraceParts = structuredClone(recorded);
    parts.footer.memoryHash = 'xxh64:not-hex';
    const trace = await writeTrace(join(dir, `edited-${n++}.bin`), parts);
    const err = await replay({ trace, stdout: () => {}, stderr: () => {}, verify: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe('this trace\'s memory hash ("xxh64:not-hex") is neither an xxh64 nor a sha256 one: the footer is damaged');
  });

  it('formats as one block: the reason, then expected, actual and the calls before', () => {
    expect(formatDivergence({ index: 4, reason: 'why', expected: 'e()', actual: 'a()', before: ['#2 x()', '#3 y()'] })).toBe(
      'replay diverged at event #4: why\n  expected: e()\n  actual:   a()\n  events before it:\n    #2 x()\n    #3 y()');
    expect(formatDivergence({ index: 0, reason: 'why', before: [] })).toBe('replay diverged at event #0: why');
  });
});
