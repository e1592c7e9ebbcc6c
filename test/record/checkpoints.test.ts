// Memory checkpoints (issue 11 §4): record keeps a hash of guest memory every N calls, and replay --verify compares
// memory at each one, so a divergence no call shows (here: a rebuilt guest that stores another value into a global
// no call touches) is caught in the window of calls where it happened, not only at the end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { record } from '../../src/record/record.js';
import { DivergenceError, replay } from '../../src/replay/replay.js';
import { EventDecoder, type Checkpoint } from '../../src/trace/events.js';
import { TraceReader } from '../../src/trace/reader.js';
import { initZstd } from '../../src/trace/zstd.js';
import { guestPath, repoRoot } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

const dir = tempDir();
const quiet = { stdout: () => {}, stderr: () => {}, stdin: new Uint8Array(0) };
/** silent_store: 2000 clock calls, the store just before the clock call of iteration 1000. */
const args = ['2000', '1000'];
const other = readFileSync(guestPath('silent_store2'));

/** The checkpoints of a trace, in order, and the index of its first clock_time_get call. */
async function scan(trace: string): Promise<{ checkpoints: Checkpoint[]; firstClock: number; calls: number }> {
  const reader = await TraceReader.open(trace);
  const clock = reader.header.imports.findIndex((e) => e.name === 'clock_time_get');
  const decoder = new EventDecoder();
  const checkpoints: Checkpoint[] = [];
  decoder.onCheckpoint = (c) => checkpoints.push({ ...c, hash: Uint8Array.from(c.hash) });
  let calls = 0;
  let firstClock = -1;
  for (const f of reader.frames()) {
    for (const ev of decoder.decodeFrame(f.payload, f.count)) {
      if (ev.imp === clock && firstClock < 0) firstClock = calls;
      calls++;
    }
  }
  reader.close();
  return { checkpoints, firstClock, calls };
}

const every100 = join(dir, 'every100.bin');
const none = join(dir, 'none.bin');

beforeAll(async () => {
  await initZstd();
  await record({ module: guestPath('silent_store'), args, output: every100, checkpoints: 100, ...quiet });
  await record({ module: guestPath('silent_store'), args, output: none, checkpoints: 0, ...quiet });
}, 60_000);

describe('record --checkpoints N', () => {
  it('keeps a checkpoint (memory size and hash) as the guest makes every 100th call', async () => {
    const { checkpoints, calls } = await scan(every100);
    expect(calls).toBeGreaterThan(2000);
    // The checkpoint taken as the guest makes call #100 is "after event #99", and so on.
    expect(checkpoints.map((c) => c.after)).toEqual(Array.from({ length: Math.floor((calls - 1) / 100) }, (_, i) => 100 * i + 99));
    expect(checkpoints.every((c) => c.size === checkpoints[0]!.size && c.size % 65536 === 0 && c.hash.length === 8)).toBe(true);
    // Memory changes between them (the clock values the calls wrote), so the hashes do too.
    expect(new Set(checkpoints.map((c) => Buffer.from(c.hash).toString('hex'))).size).toBe(checkpoints.length);
    expect((await scan(none)).checkpoints).toEqual([]);
  });

  it('replay --verify compares at every checkpoint: the same module matches them all', async () => {
    expect(await replay({ trace: every100, verify: true, quiet: true })).toMatchObject({ complete: true, verified: true });
  });
});

describe('replay --verify against a build that stores another value (no call shows it)', () => {
  it('reports the window of calls between the last checkpoint that matched and the first that did not', async () => {
    // Without --verify nothing tells the builds apart: every call matches.
    expect(await replay({ trace: every100, module: other, quiet: true })).toMatchObject({ complete: true, verified: false });
    const e = await replay({ trace: every100, module: other, verify: true, quiet: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DivergenceError);
    const m = /^memory differs at the checkpoint after event #(\d+); it matched at #(\d+) \(--verify\)$/.exec((e as DivergenceError).report.reason);
    expect(m, (e as DivergenceError).report.reason).not.toBeNull();
    const [differs, matched] = [Number(m![1]), Number(m![2])];
    // The store comes just before clock call 1000, event `store`: memory as the guest made call #matched+1 was
    // from before it, as it made call #differs+1 from after it.
    const { firstClock } = await scan(every100);
    const store = firstClock + 1000;
    expect(differs - matched).toBe(100);
    expect(matched + 1).toBeLessThan(store);
    expect(differs + 1).toBeGreaterThanOrEqual(store);
    expect((e as DivergenceError).report.index).toBe(differs + 1);
  });

  it('a trace without checkpoints replays as before: only the memory hash at the end tells', async () => {
    const e = await replay({ trace: none, module: other, verify: true, quiet: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DivergenceError);
    expect((e as DivergenceError).report.reason).toBe('guest memory at the end differs from the recording (--verify)');
    expect(await replay({ trace: none, verify: true, quiet: true })).toMatchObject({ complete: true, verified: true });
  });

  it('golden traces of format version 1 and 2 (no checkpoints) still replay and verify', async () => {
    for (const t of ['traces/hello-v1.bin', 'traces/hello-v2.bin']) {
      expect(await replay({ trace: join(repoRoot, t), verify: true, quiet: true })).toMatchObject({ complete: true, verified: true });
    }
  });
});
