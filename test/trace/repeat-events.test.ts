// Repeat events (format version 4, FORMAT.md "repeat event"): a bin at the top of a frame stands for the call event
// before it with the bin's bytes as its writes' bytes; a delta event (version 5) is an int that stands for it with its
// one 8-byte write's bytes those of the event before plus the int (as u64s, modulo 2^64). Every reader (the generic decoder's object and in-place paths,
// seeks into a frame, reports of one event, the quick scans, the flat form, the chunks a recording hands over) reads
// a frame with them as it reads the same calls written in full; a repeat event with no call to repeat is damage.
import { describe, expect, it } from 'vitest';
import { ChunkConsumer, ChunkProducer, createChunkPool } from '../../src/record/chunks.js';
import { Recorder } from '../../src/record/recorder.js';
import { EventCursor, type CursorFrame } from '../../src/replay/cursor.js';
import { flatten } from '../../src/replay/flat.js';
import {
  callBound, EventDecodeError, EventDecoder, EventEncoder, FixedTemplate, walkCalls, type CallEvent, type WalkState,
} from '../../src/trace/events.js';
import { prng } from './helpers.js';

/** `delta`: a repeat written as a delta event of this int (its one 8-byte write: the bytes before it plus `delta`). */
interface Call { imp: number; args: (number | bigint)[]; writes: number[]; repeat?: boolean; gap?: number; delta?: number }

/** Writes `calls` twice: every call in full, and with those marked `repeat` as repeat events or delta events. */
function frames(calls: Call[]): { full: Uint8Array; compact: Uint8Array; count: number; memory: Uint8Array } {
  const mem = new Uint8Array(128);
  const view = new DataView(mem.buffer);
  const full = new EventEncoder(new Uint8Array(1 << 16));
  const compact = new EventEncoder(new Uint8Array(1 << 16));
  calls.forEach((c, n) => {
    if (c.delta !== undefined) {
      const at = c.writes[0]!;
      view.setBigUint64(at, BigInt.asUintN(64, view.getBigUint64(at, true) + BigInt(c.delta)), true);
    } else {
      for (let i = 0; i < c.writes.length; i += 2) for (let j = 0; j < c.writes[i + 1]!; j++) mem[c.writes[i]! + j] = (n * 13 + j) & 0xff;
    }
    const gap = c.gap ?? -1;
    full.call(c.imp, c.args, 0, c.writes, mem, null, gap, 0);
    if (c.delta !== undefined) { compact.number(c.delta); compact.count++; return; }
    if (!c.repeat) { compact.call(c.imp, c.args, 0, c.writes, mem, null, gap, 0); return; }
    const bytes: number[] = [];
    for (let i = 0; i < c.writes.length; i += 2) bytes.push(...mem.subarray(c.writes[i]!, c.writes[i]! + c.writes[i + 1]!));
    compact.bin(Uint8Array.from(bytes));
    compact.count++;
  });
  return { full: full.buf.slice(0, full.pos), compact: compact.buf.slice(0, compact.pos), count: full.count, memory: mem };
}

const CALLS: Call[] = [
  { imp: 0, args: [1, 1n, 16], writes: [16, 8] }, // clock_time_get
  // delta events right after the call (a clock storm's frames), of each width the flat form reads in its own loop
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: 200 }, // uint 8
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: 40_000 }, // uint 16
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: 7 }, // a fixint
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: -3 }, // a negative fixint: a borrow
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], repeat: true },
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], repeat: true },
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: 5 }, // a fixint
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: -300 }, // int 16
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: 2 ** 32 - 1 }, // uint 32: a carry into the high half
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: -(2 ** 31) }, // int 32: a borrow
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], repeat: true }, // a bin again, then a delta from its bytes
  { imp: 0, args: [1, 1n, 16], writes: [16, 8], delta: 200 },
  { imp: 1, args: [32, 36], writes: [32, 4, 36, 4] }, // two writes (args_sizes_get): not a flat template
  { imp: 1, args: [32, 36], writes: [32, 4, 36, 4], repeat: true },
  { imp: 2, args: [], writes: [] }, // no writes (sched_yield): a bin of no bytes
  { imp: 2, args: [], writes: [], repeat: true },
  { imp: 0, args: [1, 1n, 24], writes: [24, 8], gap: 5 }, // timed: never repeated
  { imp: 0, args: [1, 1n, 24], writes: [24, 8] },
  { imp: 0, args: [1, 1n, 24], writes: [24, 8], repeat: true },
  { imp: 0, args: [1, 1n, 24], writes: [24, 8], delta: -1 },
];

/**
 * A recorder on a chunk pool (no checkpoints), with what recording clock_time_get(MONOTONIC, 1, 16) on its fast path
 * takes: the guest memory (its 8-byte out-param at 16), its template, args and event bound.
 */
function clockRecorder() {
  const pool = createChunkPool(2, 4096);
  const producer = new ChunkProducer(pool, () => {});
  const consumer = new ChunkConsumer(pool);
  const rec = new Recorder((b, n) => producer.full(b.length, n), producer.first(), 1, 0, producer.progress, { checkpoints: 0 });
  const mem = new Uint8Array(64);
  const args = [1, 1n, 16];
  return { consumer, rec, mem, view: new DataView(mem.buffer), tpl: new FixedTemplate(), args, bound: callBound(args, 0, [16, 8], null) };
}

describe('repeat events', () => {
  it('read as the call events they stand for, in the generic decoder and the quick scans', () => {
    const { full, compact, count } = frames(CALLS);
    expect(compact.length).toBeLessThan(full.length - 5 * 8);
    expect(new EventDecoder().decodeFrame(compact, count)).toEqual(new EventDecoder().decodeFrame(full, count));
    const imps = (p: Uint8Array) => { const out: number[] = []; new EventDecoder().scanFrame(p, count, (i) => out.push(i)); return out; };
    expect(imps(compact)).toEqual(CALLS.map((c) => c.imp));
    const walk = (p: Uint8Array) => { const st: WalkState = { calls: 0, time: 0, pieces: 0, marked: 0 }; expect(walkCalls(p, count, st, Uint8Array.of(1, 0, 1))).toBe(true); return st; };
    expect(walk(compact)).toEqual(walk(full));
    // one event on its own, for a report: the repeat's template is found by walking the frame
    const starts: number[] = [];
    const d = new EventDecoder();
    d.load(compact, count);
    while (d.nextCall()) { starts.push(d.eventStart); d.readCall(); }
    expect(starts.map((s) => new EventDecoder().decodeAt(compact, s))).toEqual(new EventDecoder().decodeFrame(full, count));
  });

  it('replay as the calls in full do, in the flat form and the generic one, matched in order or peeked after a seek', () => {
    // Without the two-write call and its repeat, the frame has a flat form; with them, the generic decoder reads it.
    const flatCalls = CALLS.filter((c) => c.imp !== 1);
    for (const calls of [flatCalls, CALLS]) {
      const { full, compact, count } = frames(calls);
      const flat = flatten(compact, count);
      if (calls === flatCalls) expect(flat?.calls).toBe(calls.length); else expect(flat).toBeNull();
      const cursors = [
        { offset: 10, count, payload: full, flat: null },
        { offset: 10, count, payload: compact },
        { offset: 10, count, payload: compact, flat: null },
      ].map((f) => new EventCursor([f as CursorFrame][Symbol.iterator]()));
      const mems = cursors.map(() => new Uint8Array(128));
      for (const c of calls) {
        const answers = cursors.map((cur, i) => cur.step(c.imp, c.args, null, mems[i]!));
        expect(answers).toEqual([0, 0, 0]);
        expect(mems[1]).toEqual(mems[0]);
        expect(mems[2]).toEqual(mems[0]);
      }
      expect(cursors[1]!.recentEvents()).toEqual(cursors[0]!.recentEvents());
      expect(cursors[2]!.recentEvents()).toEqual(cursors[0]!.recentEvents());
      // peek() (replay by meaning) seeks the generic decoder to each call of the flat form
      const [a, b] = [full, compact].map((payload) => new EventCursor([{ offset: 10, count, payload } as CursorFrame][Symbol.iterator]()));
      for (let i = 0; i < calls.length; i++) {
        expect(b!.peek()).toEqual(a!.peek());
        a!.take();
        b!.take();
      }
    }
  });

  it('in seeded random runs of every width (carries, borrows, repeat events, new calls between) replay as the calls in full do', () => {
    const rnd = prng(13);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    // a delta of each encoding a delta event may have: fixint, uint 8/16/32, negative fixint, int 8/16/32
    const widths: [number, number][] = [[0, 127], [128, 255], [256, 65535], [65536, 2 ** 32 - 1], [-32, -1], [-128, -33], [-32768, -129], [-(2 ** 31), -32769]];
    for (let frame = 0; frame < 20; frame++) {
      const clock = { imp: 0, args: [1, 1n, 16], writes: [16, 8] };
      const calls: Call[] = [clock];
      for (let i = 0; i < 300; i++) {
        const r = rnd();
        if (r < 0.02) calls.push({ ...clock, repeat: true }); // a repeat event; deltas go on from its bytes
        else if (r < 0.03) calls.push(clock); // the call in full again
        else { const [lo, hi] = pick(widths); calls.push({ ...clock, delta: int(lo, hi) }); }
      }
      const { full, compact, count } = frames(calls);
      expect(flatten(compact, count)?.calls).toBe(count);
      const cursors = [
        { offset: 10, count, payload: full, flat: null },
        { offset: 10, count, payload: compact },
      ].map((f) => new EventCursor([f as CursorFrame][Symbol.iterator]()));
      const mems = cursors.map(() => new Uint8Array(128));
      // the first call whose answer or memory differs (compared cheaply: expect() on every call costs seconds)
      const differs = calls.findIndex((c) => {
        const answers = cursors.map((cur, i) => cur.step(c.imp, c.args, null, mems[i]!));
        return answers[0] !== 0 || answers[1] !== 0 || Buffer.compare(mems[0]!, mems[1]!) !== 0;
      });
      expect({ frame, differs }).toEqual({ frame, differs: -1 });
    }
  });

  it('with no call event right before them, of another length or after a timed call, are damage every reader reports', () => {
    const { compact, count } = frames([CALLS[0]!, { ...CALLS[0]!, repeat: true }]); // a call and a repeat event of it
    const clock = compact.subarray(0, compact.length - 10);
    const repeat = compact.subarray(compact.length - 10);
    const sizes = frames([CALLS.find((c) => c.imp === 1)!]).compact; // a call with two writes of 4 bytes
    const cases: [Uint8Array, number, RegExp][] = [
      [repeat, 1, /repeat event without a call event before it/], // at the start of a frame
      [Uint8Array.of(5), 1, /repeat event without a call event before it/], // a delta event there
      [Uint8Array.from([...clock, 0x92, 0xff, 0xc4, 1, 7, ...repeat]), 3, /without a call event before it/], // after a blob piece
      [Uint8Array.from([...clock, 0x92, 0xff, 0xc4, 1, 7, 0xcc, 0x90]), 3, /without a call event before it/],
      [Uint8Array.from([...clock, 0xc4, 4, 1, 2, 3, 4]), 2, /repeat event of 4 bytes for writes of 8 bytes/],
      [Uint8Array.from([...sizes, 0x05]), 2, /delta event of a call event without exactly one write of 8 bytes/],
      [Uint8Array.from([...clock, 0xd3, 0, 0, 0, 0, 0, 0, 0, 1]), 2, /malformed/], // an int 64: never a delta event
    ];
    const timed = frames([{ ...CALLS[0]!, gap: 3 }]).compact;
    cases.push([Uint8Array.from([...timed, ...repeat]), 2, /not an untimed call event/]);
    cases.push([Uint8Array.from([...timed, 0xe0]), 2, /not an untimed call event/]); // a delta event of −32
    // after a call that read input bytes: only a call with nil inputs can be repeated
    const withInputs = new EventEncoder(new Uint8Array(256));
    withInputs.call(0, [1, 1n, 16], 0, [16, 8], new Uint8Array(64), Uint8Array.of(9), -1, -1);
    cases.push([Uint8Array.from([...withInputs.buf.subarray(0, withInputs.pos), ...repeat]), 2, /whose inputs are not nil/]);
    for (const [payload, n, message] of cases) {
      expect(() => new EventDecoder().decodeFrame(payload, n)).toThrow(message);
      const d = new EventDecoder();
      d.load(payload, n);
      expect(() => { while (d.nextCall()) d.readCall(); }).toThrow(EventDecodeError);
      expect(flatten(payload, n)).toBeNull();
    }
    expect(count).toBe(2);
    // a report of a delta event (decodeAt) walks from the template: a damaged repeat event on the way is named
    const walked = Uint8Array.from([...clock, 0xc4, 4, 1, 2, 3, 4, 0x05]);
    expect(() => new EventDecoder().decodeAt(walked, walked.length - 1)).toThrow(/delta event after an event that is not a repeat of the same call/);
    const st: WalkState = { calls: 0, time: 0, pieces: 0, marked: 0 };
    expect(walkCalls(repeat, 1, st, new Uint8Array(1))).toBe(false);
    expect(() => new EventDecoder().scanFrame(repeat, 1, () => {})).toThrow(/without an untimed call event before it/);
    // after a timed call: the quick scans refuse it too
    const afterTimed = Uint8Array.from([...timed, ...repeat]);
    expect(walkCalls(afterTimed, 2, st, new Uint8Array(1))).toBe(false);
    expect(() => new EventDecoder().scanFrame(afterTimed, 2, () => {})).toThrow(/without an untimed call event before it/);
  });

  it('are written by the recorder as delta events of each width, and as a repeat event where no int holds the difference', () => {
    const { consumer, rec, mem, view, tpl, args, bound } = clockRecorder();
    // each step and the bytes its event takes: fixint, uint 8, uint 16, negative fixint, uint 32 with a carry, int 32
    // with a borrow, one beyond an int 32 (a repeat event: a bin of 8), then a fixint from the repeat event's bytes
    const steps: [bigint, number][] = [[5n, 1], [200n, 2], [40_000n, 3], [-5n, 1], [2n ** 32n - 1n, 5], [-(2n ** 31n), 5], [2n ** 33n, 10], [9n, 1]];
    let time = 2n ** 32n - 100n;
    const times = [time];
    view.setBigUint64(16, time, true);
    rec.fixedCall(0, args, 0, [16, 8], mem, NaN, NaN, bound, tpl);
    for (const [step] of steps) {
      time = BigInt.asUintN(64, time + step);
      times.push(time);
      view.setBigUint64(16, time, true);
      rec.repeat(0, tpl, mem, NaN, NaN, bound);
    }
    const pieces: { bytes: Uint8Array; n: number }[] = [];
    consumer.salvage((bytes, n) => { pieces.push({ bytes: bytes.slice(), n }); });
    expect(pieces.map((p) => p.n)).toEqual([times.length]);
    expect(pieces[0]!.bytes.length).toBe(20 + steps.reduce((sum, [, bytes]) => sum + bytes, 0));
    const events = new EventDecoder().decodeFrame(pieces[0]!.bytes, pieces[0]!.n);
    expect(events.map((e) => new DataView(e.writes[0]!.bytes.buffer, e.writes[0]!.bytes.byteOffset).getBigUint64(0, true))).toEqual(times);
  });

  it('are written by the recorder for a call repeating the one right before it; handed over from a chunk, a piece starts with a call in full', () => {
    const { consumer, rec, mem, view, tpl, args, bound } = clockRecorder();
    const pieces: { bytes: Uint8Array; n: number }[] = [];
    const take = (bytes: Uint8Array, n: number) => { pieces.push({ bytes: bytes.slice(), n }); };
    let value = 0;
    // a clock 7 ns a call from just below 2^32: delta events, one with a carry; then one 2^40 on: a repeat event
    const time = (n: number) => 0xfffffff0n + 7n * BigInt(n) + (n >= 7 ? 2n ** 40n : 0n);
    const call = () => {
      view.setBigUint64(16, time(++value), true);
      if (value === 1) rec.fixedCall(0, args, 0, [16, 8], mem, NaN, NaN, bound, tpl);
      else rec.repeat(0, tpl, mem, NaN, NaN, bound);
    };
    call(); call(); call();
    consumer.takeFilling(take); // asks; the next call answers
    call();
    consumer.takeFilling(take); // takes the 4 calls; asks again
    call(); call();
    consumer.takeFilling(take); // takes call 5 (the answer), a repeat event in the chunk
    call();
    consumer.takeFilling(take); // calls 6 and 7
    call(); call();
    consumer.salvage(take); // the guest thread is gone: the rest
    expect(pieces.map((p) => p.n)).toEqual([4, 1, 2, 2]);
    // the recorder wrote delta events: 20 bytes for the first call, 1 for each after it; a piece that starts with one
    // starts with the call in full
    expect(pieces[0]!.bytes.length).toBe(20 + 3);
    expect(pieces.map((p) => p.bytes.length)).toEqual([23, 20, 20 + 10, 21]);
    const events = pieces.flatMap((p) => {
      expect(p.bytes[0]).toBe(0x95); // a call in full: each piece decodes on its own
      return new EventDecoder().decodeFrame(p.bytes, p.n);
    });
    const le = (v: bigint) => Array.from({ length: 8 }, (_, j) => Number((v >> BigInt(8 * j)) & 0xffn));
    expect(events.map((e: CallEvent) => [e.args, e.writes.map((w) => [w.addr, ...w.bytes])])).toEqual(
      Array.from({ length: 9 }, (_, i) => [[1, 1, 16], [[16, ...le(time(i + 1))]]]),
    );
  });
});
