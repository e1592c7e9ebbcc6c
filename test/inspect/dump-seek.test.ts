// dump --from N seeks to the frame that holds call #N through the footer's seek index, and --to stops reading
// (issue 12, defect 2): the frames read are counted (never the time taken), and every listing is exactly what a
// dump from the start prints from #N on. Traces without a seek index are read from the start.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { dump, type DumpOptions } from '../../src/inspect/dump.js';
import { EventDecoder } from '../../src/trace/events.js';
import { TraceReader, type TraceFrame } from '../../src/trace/reader.js';
import { assemble, tempDir, traceParts } from '../trace/helpers.js';
import { readTrace, writeTrace } from '../replay/helpers.js';
import type { CallEvent } from '../../src/trace/events.js';
import { wt } from '../helpers.js';
import { collect, reframe } from './commands.js';

const dir = tempDir();
const golden = (name: string) => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));

/** clock_random (1,022 calls) in frames of 2 KiB, and inspect_fs (its fd calls spread over frames) in 64 bytes. */
let clock: string;
let fsTrace: string;
/** Calls in each frame, decoded independently of the seek index. */
const frameCalls = new Map<string, number[]>();

beforeAll(async () => {
  clock = join(dir, 'clock.bin');
  fsTrace = join(dir, 'fs.bin');
  await reframe(golden('clock_random-v1.bin'), clock, 2048);
  await reframe(golden('inspect_fs-v1.bin'), fsTrace, 64);
  for (const path of [clock, fsTrace]) {
    const reader = await TraceReader.open(path);
    const decoder = new EventDecoder();
    frameCalls.set(path, [...reader.frames()].map((f) => decoder.decodeFrame(f.payload, f.count).length));
    reader.close();
  }
});

afterEach(() => { vi.restoreAllMocks(); });

async function listing(o: DumpOptions): Promise<string[]> {
  const out = collect();
  expect(await dump(o, out)).toBe(0);
  return out.text().split('\n').slice(0, -1);
}

/** The frames a dump reads: by their offset (readFrame) and from the start (frames()). */
function countFrames(): { seeked: number[]; streamed: number[] } {
  const seen = { seeked: [] as number[], streamed: [] as number[] };
  const readFrame = TraceReader.prototype.readFrame;
  vi.spyOn(TraceReader.prototype, 'readFrame').mockImplementation(function (this: TraceReader, seq: number) {
    seen.seeked.push(seq);
    return readFrame.call(this, seq);
  });
  const frames = TraceReader.prototype.frames;
  vi.spyOn(TraceReader.prototype, 'frames').mockImplementation(function* (this: TraceReader): Generator<TraceFrame> {
    for (const f of frames.call(this)) { seen.streamed.push(f.seq); yield f; }
  });
  return seen;
}

/** The frame that holds call #n. */
function frameOf(path: string, n: number): number {
  let calls = 0;
  const counts = frameCalls.get(path)!;
  for (let i = 0; i < counts.length; i++) { calls += counts[i]!; if (n < calls) return i; }
  throw new Error(`no call #${n}`);
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const number = (line: string) => Number(/#(\d+) /.exec(line)?.[1] ?? /"index":(\d+)/.exec(line)?.[1] ?? NaN);

describe('dump --from seeks', () => {
  test('the frames read are those holding the calls asked for (no fd calls before them)', async () => {
    const frames = frameCalls.get(clock)!;
    expect(frames.length).toBeGreaterThan(10);
    const seen = countFrames();
    const lines = await listing({ trace: clock, from: 600, to: 640 });
    expect(lines.map(number)).toEqual(range(600, 640));
    expect(seen.streamed).toEqual([]);
    expect(seen.seeked).toEqual(range(frameOf(clock, 600), frameOf(clock, 640)));
  });

  test('to the end: the frames from the one holding #N, and the ending line', async () => {
    const seen = countFrames();
    const lines = await listing({ trace: clock, from: 1000 });
    expect(lines.at(-1)).toBe('+++ exit code 0 +++');
    expect(lines.slice(0, -1).map(number)).toEqual(range(1000, 1021));
    expect(seen.seeked).toEqual(range(frameOf(clock, 1000), frameCalls.get(clock)!.length - 1));
  });

  test('prints exactly what a dump from the start prints from #N on, for every N, with -t -T and with --json', async () => {
    for (const trace of [fsTrace, clock]) {
      for (const flags of [{ timestamps: true, durations: true }, { json: true }]) {
        const whole = await listing({ trace, ...flags });
        const calls = whole.length - (flags.json ? 0 : 1);
        const step = trace === clock ? 37 : 1;
        for (let n = 0; n < calls; n += step) {
          const part = await listing({ trace, ...flags, from: n });
          expect(part).toEqual(whole.slice(n));
          const to = Math.min(calls - 1, n + 5);
          // --to the last call: the ending line too (as without --to).
          expect(await listing({ trace, ...flags, from: n, to })).toEqual(whole.slice(n, to === calls - 1 ? undefined : to + 1));
        }
      }
    }
  });

  test('the frames before it that hold fd calls are read too, so that fds keep their paths', async () => {
    const whole = await listing({ trace: fsTrace });
    // The last call: the listing's fds were opened in earlier frames.
    const last = whole.length - 2;
    const reader = await TraceReader.open(fsTrace);
    const seek = reader.seekIndex!;
    reader.close();
    const target = frameOf(fsTrace, last);
    const fdFrames = range(0, target - 1).filter((i) => seek[i]!.fdCalls > 0);
    expect(fdFrames.length).toBeGreaterThan(0);
    expect(fdFrames.length).toBeLessThan(target); // frames without fd calls are not read
    const seen = countFrames();
    expect(await listing({ trace: fsTrace, from: last })).toEqual(whole.slice(last));
    // Every frame read holds fd calls or the calls asked for (the fs trace has no blob pieces to start inside).
    expect(seen.seeked).toEqual([...fdFrames, target]);
    expect(whole.slice(last).join('\n')).toMatch(/<[^>]+>/); // it does show an fd's path
  });
});

describe('calls whose data travels as blob pieces', () => {
  test('a seek never starts inside a call\'s pieces: it starts at the frame of its first piece, or before', async () => {
    // clock_random with two 600 KiB writes to stdout (at #100 and #600), in frames of 300 KiB: each write's three
    // pieces straddle frames, so the frames holding its second and third pieces cannot be started at.
    const parts = await readTrace(golden('clock_random-v1.bin'));
    const imp = (parts.header.imports as { name: string }[]).findIndex((e) => e.name === 'fd_write');
    const size = 600 * 1024;
    const big = (n: number): CallEvent => ({
      imp, args: [1, 1024, 1, 2048], result: 0, inputs: new Uint8Array(size).fill(65 + n),
      writes: [{ addr: 2048, bytes: Uint8Array.of(0, 0x60, 0x09, 0) }], gap: 16, dur: 32,
    });
    parts.events.splice(600, 0, big(1));
    parts.events.splice(100, 0, big(0));
    const trace = await writeTrace(join(dir, 'blobs.bin'), parts, { frameBytes: 300 * 1024 });
    const reader = await TraceReader.open(trace);
    const seek = reader.seekIndex!;
    reader.close();
    const clean = seek.flatMap((f, i) => (f.carried === 0 ? [i] : []));
    expect(seek.some((f) => f.carried > 0)).toBe(true);
    expect(clean.length).toBeGreaterThan(1);
    expect(Math.max(...clean.filter((i) => seek[i]!.calls <= 900))).toBeGreaterThan(0); // some seeks skip frames
    const whole = await listing({ trace });
    expect(whole[100]).toMatch(/^#100 fd_write\(fd=1<stdout>, iovs="AAAA.*\) = ESUCCESS \(nwritten=614400\)$/);
    expect(whole[601]).toMatch(/^#601 fd_write\(fd=1<stdout>, iovs="BBBB/);
    for (const from of [99, 100, 101, 600, 601, 602, 900]) {
      const seen = countFrames();
      expect(await listing({ trace, from })).toEqual(whole.slice(from));
      // The frame started at: the last one without carried pieces that starts at or before the call.
      const first = Math.max(...clean.filter((i) => seek[i]!.calls <= from));
      expect([...seen.streamed, ...seen.seeked][0]).toBe(first);
      vi.restoreAllMocks();
    }
  });
});

describe('dump --to stops reading', () => {
  test('from the start: no frame after the one holding #to is read', async () => {
    const seen = countFrames();
    const lines = await listing({ trace: clock, to: 50 });
    expect(lines.map(number)).toEqual(range(0, 50));
    expect(seen.streamed).toEqual(range(0, frameOf(clock, 50)));
  });

  test('--to the last call still ends with the ending line', async () => {
    const lines = await listing({ trace: clock, from: 1020, to: 1021 });
    expect(lines).toHaveLength(3);
    expect(lines.at(-1)).toBe('+++ exit code 0 +++');
  });
});

describe('traces without a seek index are read from the start', () => {
  test('a version 1 golden trace', async () => {
    const trace = golden('inspect_fs-v1.bin');
    const whole = await listing({ trace });
    const seen = countFrames();
    expect(await listing({ trace, from: 10 })).toEqual(whole.slice(10));
    expect(seen.seeked).toEqual([]);
    expect(seen.streamed.length).toBeGreaterThan(0);
  });

  test('a trace cut short (no footer)', async () => {
    const whole = await listing({ trace: clock });
    const cut = join(dir, 'cut.bin');
    const bytes = readFileSync(clock);
    const reader = await TraceReader.open(clock);
    const at = reader.footer!.index[8]!;
    reader.close();
    writeFileSync(cut, bytes.subarray(0, at));
    const calls = frameCalls.get(clock)!.slice(0, 8).reduce((a, b) => a + b, 0);
    const lines = await listing({ trace: cut, from: calls - 3 });
    expect(lines.slice(0, 3)).toEqual(whole.slice(calls - 3, calls));
    expect(lines[3]).toMatch(/^\+\+\+ the trace ends early/);
  });
});

describe('a seek index that disagrees with the frames', () => {
  test('is one line naming the trace, exit 2, whether the dump seeks or not', async () => {
    const parts = traceParts(new Uint8Array(readFileSync(clock)));
    const bad = join(dir, 'bad-seek.bin');
    const seek = parts.footer.seek as number[][];
    // Frame 5 said to start one call later (still in order, so the footer itself checks out).
    writeFileSync(bad, assemble(parts, (m) => ({ ...m, seek: seek.map((e, i) => (i === 5 ? [e[0]! + 1, ...e.slice(1)] : e)) })));
    const from = seek[5]![0]! + 3;
    const message = (frame: number, said: number, is: number) =>
      new RegExp(`^wasi-trace: ${bad}: corrupt trace: the footer's seek index says frame #${frame} \\(offset \\d+\\) starts at call #${said}, \\d+ ns, but it starts at call #${is}, \\d+ ns\\n$`);
    // From the start: frame 5 does not start where the index says.
    const whole = await wt(['dump', bad]);
    expect(whole.status).toBe(2);
    expect(whole.stderr).toMatch(message(5, seek[5]![0]! + 1, seek[5]![0]!));
    // Seeking to frame 5 trusts the index there (nothing before it is read); frame 6 then shows the lie.
    const seeked = await wt(['dump', bad, '--from', String(from)]);
    expect(seeked.status).toBe(2);
    expect(seeked.stderr).toMatch(message(6, seek[6]![0]!, seek[6]![0]! + 1));
  });
});

describe('the seek index of a recording of format version 3', () => {
  test('untimed calls and checkpoint events are walked: one entry per frame, counting calls only', async () => {
    const { record } = await import('../../src/record/record.js');
    const { guestPath } = await import('../helpers.js');
    const trace = join(dir, 'storm-v3.bin');
    // 1,500,000 untimed clock calls (a byte each at least: delta events) fill more than one 1 MiB frame; a checkpoint
    // every 5000 calls.
    await record({ module: guestPath('storm'), args: ['1500000'], output: trace, checkpoints: 5000, stdout: () => {}, stderr: () => {}, stdin: new Uint8Array(0) });
    const reader = await TraceReader.open(trace);
    const decoder = new EventDecoder();
    let checkpoints = 0;
    decoder.onCheckpoint = () => { checkpoints++; };
    const perFrame = [...reader.frames()].map((f) => { let n = 0; decoder.scanFrame(f.payload, f.count, () => n++); return n; });
    expect(perFrame.length).toBeGreaterThan(1);
    expect(checkpoints).toBeGreaterThan(250);
    const before = perFrame.map((_, i) => perFrame.slice(0, i).reduce((a, b) => a + b, 0));
    expect(reader.seekIndex?.map((e) => e.calls)).toEqual(before);
    reader.close();
  }, 60_000);
});
