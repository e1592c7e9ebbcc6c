// The footer's seek index (FooterContainer.seek) and TraceReader's seek: the writer counts calls (not blob pieces)
// before each frame, the run's time there, the fd calls in it and the blob pieces it starts inside; the reader
// checks the field, starts at the right frame, and never starts inside a call's blob pieces.
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { beforeAll, describe, expect, test } from 'vitest';
import { FUNCTIONS_BY_NAME, MODULE_NAME } from '../../src/abi/index.js';
import { Recorder } from '../../src/record/recorder.js';
import { EventDecoder, walkCalls } from '../../src/trace/events.js';
import { parseFooter, parseFooterContainer } from '../../src/trace/header.js';
import { TraceError, TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { initZstd } from '../../src/trace/zstd.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const wasi = (name: string) => ({ module: MODULE_NAME, name, wasi: FUNCTIONS_BY_NAME.get(name)!.index });
/** Import 0 is clock_time_get, 1 path_open (an fd call), 2 fd_write. */
const IMPORTS = [wasi('clock_time_get'), wasi('path_open'), wasi('fd_write')];
const CHUNK = 300 * 1024;
const BIG = 600 * 1024; // three blob pieces: 256 KiB, 256 KiB, 88 KiB
const AFTER = 40_000; // small calls after the big one: two more frames at least

/**
 * A trace written as the recorder writes one, in chunks (and frames) of 300 KiB: 10 clock calls, a path_open, an
 * fd_write of 600 KiB (its data goes out as three blob pieces, which do not fit in one chunk), then 40,000 clock
 * calls. Times: call i starts at 1024 i ns and lasts 32 ns (multiples of 16: the recorder rounds to 16 ns).
 */
async function bigTrace(path: string): Promise<void> {
  await initZstd();
  const writer = await TraceWriter.create(path, { imports: IMPORTS }, new Uint8Array(0), { level: 1, frameBytes: CHUNK });
  const buf = new Uint8Array(CHUNK);
  const rec = new Recorder((b, n) => { writer.appendEvents(b, n); return buf; }, buf, IMPORTS.length, 0);
  const mem = new Uint8Array(BIG + 64);
  let i = 0;
  const call = (imp: number, args: number[], inputs: Uint8Array | null) => {
    const start = (i++ * 1024) / 1e6;
    rec.call(imp, args, 0, [16, 8], mem, inputs, start, start + 32 / 1e6);
  };
  for (let k = 0; k < 10; k++) call(0, [1, 1, 16], null);
  call(1, [3, 0, 0, 5, 0, 0, 0, 0, 16], new TextEncoder().encode('a.txt'));
  call(2, [1, 0, 1, 16], new Uint8Array(BIG).fill(7));
  for (let k = 0; k < AFTER; k++) call(0, [1, 1, 16], null);
  rec.flush();
  writer.finish({ end: { kind: 'exit', code: 0 }, calls: rec.calls });
}

let big: string;
beforeAll(async () => {
  big = join(dir, 'big.bin');
  await bigTrace(big);
});

describe('the seek index the writer writes', () => {
  test('one entry per frame: calls before it (blob pieces not counted), time there, its fd calls, the pieces it starts inside', async () => {
    const reader = await TraceReader.open(big);
    const seek = reader.seekIndex!;
    const frames = [...reader.frames()];
    expect(seek).toHaveLength(frames.length);
    // Frame 0: the 10 clock calls, path_open and the first piece; frame 1: the second piece alone; frame 2: the
    // last piece, the fd_write and clock calls; then clock calls only.
    expect(frames.length).toBeGreaterThanOrEqual(5);
    expect(seek.slice(0, 3).map((f) => [f.calls, f.fdCalls, f.carried])).toEqual([[0, 1, 0], [11, 0, 1], [11, 0, 2]]);
    // Against the frames decoded independently: calls before each frame and the time at the end of the last of them.
    const decoder = new EventDecoder();
    let calls = 0;
    let time = 0;
    for (const [n, f] of frames.entries()) {
      expect(seek[n]).toMatchObject({ calls, time });
      for (const ev of decoder.decodeFrame(f.payload, f.count)) { calls++; time = time + ev.gap + ev.dur; }
      if (n >= 3) expect(seek[n]).toMatchObject({ fdCalls: 0, carried: 0 });
    }
    expect(calls).toBe(12 + AFTER);
    expect(time).toBe((11 + AFTER) * 1024 + 32); // hand-checked: the last call starts at 1024 (11 + AFTER) ns
    reader.close();
  });

  test('a writer given payloads that are not events writes no seek index, and drops one handed to finish', async () => {
    const path = join(dir, 'other.bin');
    const writer = await TraceWriter.create(path, {}, new Uint8Array(0), { level: 1 });
    writer.appendEvents(new Packr({ useRecords: false }).pack({ x: 1 }), 1);
    writer.finish({ end: { kind: 'exit', code: 0 }, calls: 0, seek: [[0, 0, 0, 0]] });
    const reader = await TraceReader.open(path);
    expect(reader.footerMap!.seek).toBeUndefined();
    expect(reader.seekIndex).toBeUndefined();
    expect(reader.seekStart(5)).toEqual({ frame: 0, calls: 0, time: 0, fdCalls: 0, carried: 0 });
    reader.close();
  });

  test('walkCalls counts calls, not blob pieces, and refuses bytes that are not whole events', () => {
    const p = new Packr({ useRecords: false });
    const ev = p.pack([3, [1, -5, 2 ** 40], 0, [16, new Uint8Array(8)], null, 300, 70000]);
    const piece = p.pack([-1, new Uint8Array(10)]);
    const marked = new Uint8Array(1 << 16);
    marked[3] = 1;
    const fresh = () => ({ calls: 0, time: 0, pieces: 0, marked: 0 });
    const st = fresh();
    expect(walkCalls(Buffer.concat([ev, piece, piece]), 3, st, marked)).toBe(true);
    expect(st).toEqual({ calls: 1, time: 70300, pieces: 2, marked: 1 });
    expect(walkCalls(Buffer.concat([piece, ev]), 2, st, new Uint8Array(1 << 16))).toBe(true);
    expect(st).toEqual({ calls: 2, time: 140600, pieces: 0, marked: 1 });
    const bad = (bytes: Uint8Array, count = 1) => {
      const s = fresh();
      const ok = walkCalls(bytes, count, s, marked);
      expect(s).toEqual(fresh()); // left as it was
      return ok;
    };
    expect(bad(ev.subarray(0, ev.length - 1))).toBe(false);
    expect(bad(ev, 2)).toBe(false);
    expect(bad(Buffer.concat([ev, ev]))).toBe(false);
    expect(bad(p.pack([0, [1], 0, [], null, -1, 32]))).toBe(false);
    const floats = fresh();
    expect(walkCalls(p.pack([0, [1], 0, [], null, 1.5, 32]), 1, floats, marked)).toBe(true); // times need not be integers
    expect(floats).toEqual({ calls: 1, time: 33.5, pieces: 0, marked: 0 });
    expect(bad(p.pack({ x: 1 }))).toBe(false);
    expect(bad(p.pack([-1, 'text']))).toBe(false);
  });
});

describe('seeking', () => {
  test('seekStart: the last frame at or before the call that does not start inside blob pieces', async () => {
    const reader = await TraceReader.open(big);
    const seek = reader.seekIndex!;
    expect(reader.seekStart(0).frame).toBe(0);
    expect(reader.seekStart(11).frame).toBe(0); // the fd_write: its pieces start in frame 0
    expect(reader.seekStart(12).frame).toBe(0); // frames 1 and 2 start inside those pieces
    const last = seek.length - 1;
    expect(reader.seekStart(seek[last]!.calls)).toEqual({ frame: last, ...seek[last]! });
    expect(reader.seekStart(seek[last]!.calls - 1).frame).toBe(last - 1);
    expect(reader.seekStart(10 ** 9).frame).toBe(last);
    reader.close();
  });

  test('framesFrom reads from that frame on, the same frames as frames() gives', async () => {
    const reader = await TraceReader.open(big);
    const all = [...reader.frames()];
    const seek = reader.seekIndex!;
    const target = seek[3]!.calls + 5;
    const { start, frames } = reader.framesFrom(target);
    expect(start.frame).toBe(3);
    const got = [...frames];
    expect(got.map((f) => f.seq)).toEqual(all.slice(3).map((f) => f.seq));
    for (const [n, f] of got.entries()) expect(Buffer.compare(f.payload, all[3 + n]!.payload)).toBe(0);
    // From the start of the run: the whole trace through frames().
    expect(reader.framesFrom(3).start.frame).toBe(0);
    reader.close();
  });
});

describe('checking the seek index', () => {
  const base = { frames: 2, events: 3, index: [40, 80], rawBytes: 1, storedBytes: 1 };
  const check = (seek: unknown) => () => parseFooterContainer({ ...base, seek }, 1, undefined, 99);
  test('a malformed field is a TraceError naming the footer block', () => {
    expect(check([[0, 0, 0, 0], [3, 100, 1, 0]])()).toMatchObject({ seek: [{ calls: 0 }, { calls: 3, time: 100, fdCalls: 1 }] });
    expect(parseFooterContainer(base, 1, undefined).seek).toBeUndefined();
    expect(check('x')).toThrow(new TraceError('corrupt trace: the footer block at offset 99 has a malformed seek index (not a list)', 99));
    expect(check([[0, 0, 0, 0]])).toThrow(/has a seek index of 1 entries for 2 frames/);
    expect(check([[0, 0, 0, 0], [3, 100, 1]])).toThrow(/malformed seek index entry #1/);
    expect(check([[0, 0, 0, 0], [3, -1, 1, 0]])).toThrow(/malformed seek index entry #1/);
    expect(check([[0, 0, 0, 0], [3, 'x', 1, 0]])).toThrow(/malformed seek index entry #1/);
    expect(check([[1, 0, 0, 0], [3, 100, 1, 0]])).toThrow(/seek index entry #0 that goes back/);
    expect(() => parseFooterContainer({ ...base, frames: 3, index: [1, 2, 3], seek: [[0, 0, 0, 0], [3, 100, 0, 0], [2, 100, 0, 0]] }, 1, undefined))
      .toThrow(/seek index entry #2 that goes back/);
    const footer = { ...base, end: { kind: 'exit', code: 0 }, calls: 2, seek: [[0, 0, 0, 0], [3, 100, 0, 0]] };
    expect(() => parseFooter(footer, 1, undefined)).toThrow(/last frame starts at call #3, after all 2 calls/);
  });
});
