// Recording and replaying when things go wrong, in-process: frames cut on a timer, a trace that cannot be written
// (a full disk, simulated by the write function of its OutputFile), memory hashed in pieces (guests up to 4 GiB),
// and the replay of a recording that failed. The command line: test/cli/robust-output.test.ts, robust-input.test.ts.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchesMemoryHash, memoryHash, sha256OfMemory } from '../../src/calls/hash.js';
import { EXIT_OUTPUT } from '../../src/errors.js';
import { OutputError, OutputFile, type WriteFunction } from '../../src/files.js';
import { record } from '../../src/record/record.js';
import { replay, DivergenceError } from '../../src/replay/replay.js';
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { guestPath } from '../helpers.js';
import { reframe } from '../inspect/commands.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('robust');
let n = 0;
const fresh = (name = 't.bin') => { const d = join(dir, `d${n++}`); fs.mkdirSync(d); return join(d, name); };

/** A write function that behaves like a file system with `room` bytes left: then ENOSPC (after a short write). */
function diskWith(room: number): WriteFunction {
  let left = room;
  return (fd, bytes, offset, length) => {
    if (left === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
    const n = fs.writeSync(fd, bytes, offset, Math.min(length, left), null);
    left -= n;
    return n;
  };
}

const quiet = { stdout: () => {}, stderr: () => {}, stdin: new Uint8Array(0) };

describe('frames cut on a timer (at most about 250 ms old)', () => {
  it('a slow guest recorded in several frames replays exactly (--verify), and record() returns at its end', async () => {
    const trace = fresh();
    const out: Buffer[] = [];
    // 6 ticks 100 ms apart: the timer cuts frames while the guest sleeps between them.
    const rec = await record({ module: guestPath('sleeper'), args: ['6', '100'], output: trace, ...quiet, stdout: (b) => out.push(Buffer.from(b)) });
    expect(Buffer.concat(out).toString()).toBe('tick 0\ntick 1\ntick 2\ntick 3\ntick 4\ntick 5\n');
    const reader = await TraceReader.open(trace);
    let events = 0;
    for (const f of reader.frames()) events += f.count;
    expect(events).toBe(rec.calls);
    expect(reader.footer!.index.length).toBe(reader.footer!.frames);
    const replayed: Buffer[] = [];
    const rep = await replay({ trace, verify: true, stdout: (b) => replayed.push(Buffer.from(b)), stderr: () => {} });
    expect(rep).toMatchObject({ complete: true, verified: true, calls: rec.calls, end: { kind: 'exit', code: 0 } });
    expect(Buffer.concat(replayed).equals(Buffer.concat(out))).toBe(true);
  });
});

describe('a trace that cannot be written (a full disk)', () => {
  // storm with 50 million calls runs for many seconds: a rejection soon after the disk fills shows the guest stopped.
  for (const inThread of [false, true]) {
    it(`${inThread ? 'on the caller\'s thread' : 'on the guest thread'}: the guest is stopped, one line, and the complete frames are kept as a trace cut short`, async () => {
      const path = fresh();
      const output = OutputFile.open(path, { what: 'trace', write: diskWith(600_000) });
      const err = await record({ module: guestPath('storm'), args: ['50000000'], output, inThread, checkpoints: 0, ...quiet }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(OutputError);
      const e = err as OutputError;
      expect(e.exitCode).toBe(EXIT_OUTPUT);
      const m = /^no space left on device writing (.*); the recording was stopped after (\d+) calls \(the calls written before it are kept in (.*), a trace cut short that replay and dump read\)$/.exec(e.message);
      expect(m, e.message).not.toBeNull();
      expect(m![1]).toBe(path);
      expect(Number(m![2])).toBeLessThan(50_000_000);
      const kept = m![3]!;
      expect(kept).toBe(output.tempPath);
      expect(fs.existsSync(path)).toBe(false); // the target never holds an unfinished trace
      // Every complete frame, nothing torn: the file is cut where its last complete block ends.
      const reader = await TraceReader.open(kept);
      let events = 0;
      for (const f of reader.frames()) events += f.count;
      expect(events).toBeGreaterThan(0);
      expect(reader.ending).toMatchObject({ complete: false, offset: fs.statSync(kept).size });
      const rep = await replay({ trace: kept, quiet: true });
      expect(rep).toMatchObject({ complete: false, calls: events });
    }, 60_000);
  }

  it('no space even for the header: nothing is kept', async () => {
    const path = fresh();
    const output = OutputFile.open(path, { what: 'trace', write: diskWith(100) });
    const err = await record({ module: guestPath('hello'), output, ...quiet }).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toMatch(/^no space left on device writing .*t\.bin; the recording was stopped after \d+ calls$/);
    expect(fs.readdirSync(join(path, '..'))).toEqual([]);
  });
});

// About 3 GiB of address space and several seconds: WASI_TRACE_BIG=1 npx vitest run test/record/robust.test.ts
if (process.env.WASI_TRACE_BIG === '1') {
  describe('guest memory of more than 2 GiB (wasm32 memories reach 4 GiB; the hashes: test/calls/hash.test.ts)', () => {
    it('a buffer of more than 2 GiB is hashed to its end (node:crypto refuses one that large in one piece)', () => {
      const big = new Uint8Array(2 ** 31 + 4096);
      big[2 ** 31 + 1] = 7;
      const h = createHash('sha256');
      for (let at = 0; at < big.length; at += 1 << 28) h.update(big.subarray(at, at + (1 << 28)));
      expect(sha256OfMemory(big)).toBe(h.digest('hex'));
      const before = memoryHash(big);
      expect(matchesMemoryHash(before, big)).toBe(true);
      big[2 ** 31 + 2] = 1; // past 2 GiB
      expect(matchesMemoryHash(before, big)).toBe(false);
    }, 120_000);

    it('a guest whose memory grows past 2 GiB records and replays (--verify)', async () => {
      const trace = fresh();
      const out: Buffer[] = [];
      const rec = await record({ module: guestPath('bigmem'), output: trace, ...quiet, stdout: (b) => out.push(Buffer.from(b)) });
      expect(rec.end).toEqual({ kind: 'exit', code: 0 });
      expect(Buffer.concat(out).toString()).toBe('high\n');
      const rep = await replay({ trace, verify: true, quiet: true });
      expect(rep).toMatchObject({ complete: true, verified: true, end: { kind: 'exit', code: 0 } });
    }, 300_000);
  });
}

/**
 * A copy of `source` whose footer says the recording failed (end kind 'error', as when the host failed), holding
 * its first `frames` frames (all by default).
 */
async function failedCopy(source: string, frames = Infinity): Promise<{ path: string; calls: number }> {
  const reader = await TraceReader.open(source);
  const path = fresh('failed.bin');
  const w = await TraceWriter.create(path, reader.header as unknown as Record<string, unknown>, reader.module, { level: 1 });
  let i = 0;
  let events = 0;
  for (const f of reader.frames()) {
    if (i++ >= frames) break;
    w.appendEvents(f.payload, f.count);
    events += f.count;
  }
  // The guests used here make no call with more than 256 KiB of data and are recorded without checkpoints (or make
  // too few calls for one): every event is a call.
  const calls = events;
  w.finish({ end: { kind: 'error', message: 'data is too long' }, calls });
  return { path, calls };
}

describe('the replay of a recording that failed', () => {
  it('after the guest ended (say, the end-of-run memory hash failed): the failure, not a divergence', async () => {
    const trace = fresh();
    await record({ module: guestPath('hello'), output: trace, ...quiet });
    const { path } = await failedCopy(trace);
    const r = await replay({ trace: path, quiet: true }).catch((e: unknown) => e);
    expect(r).not.toBeInstanceOf(DivergenceError);
    expect(r).toMatchObject({ complete: true, end: { kind: 'error', message: 'data is too long' } });
  });

  it('in the middle of the run: replayed up to there, then the failure', async () => {
    const recorded = fresh();
    await record({ module: guestPath('storm'), args: ['40000'], output: recorded, checkpoints: 0, ...quiet });
    // the same trace in frames of 16 KiB (a recording's are 1 MiB: a few bytes a call make that millions of calls)
    const trace = fresh();
    await reframe(recorded, trace, 16 << 10, true);
    const frames = [...(await TraceReader.open(trace)).frames()];
    expect(frames.length).toBeGreaterThan(2);
    const { path } = await failedCopy(trace, 2);
    const r = await replay({ trace: path, quiet: true });
    expect(r).toMatchObject({ complete: true, end: { kind: 'error', message: 'data is too long' }, calls: frames[0]!.count + frames[1]!.count });
  });
});
