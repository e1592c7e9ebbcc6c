// EventCursor (src/replay/cursor.ts): walks the call events of a trace's frames in order, matching each against
// the guest's call, and remembers the last few for divergence reports.
import { describe, expect, it } from 'vitest';
import { EventCursor, type CursorFrame } from '../../src/replay/cursor.js';
import { BLOB_THRESHOLD, EventEncoder, type CallEvent } from '../../src/trace/events.js';
import { TraceError } from '../../src/trace/reader.js';
import { encodeEvents } from './helpers.js';

const ev = (imp: number, args: number[], result: CallEvent['result'], writes: CallEvent['writes'] = [], inputs: Uint8Array | null = null): CallEvent =>
  ({ imp, args, result, writes, inputs, gap: 0, dur: 0 });

/** Frames of the events, `perFrame` events each, at made-up file offsets 1000, 2000, ... */
function frames(events: CallEvent[], perFrame: number): CursorFrame[] {
  const out: CursorFrame[] = [];
  for (let i = 0; i < events.length; i += perFrame) {
    const [chunk] = encodeEvents(events.slice(i, i + perFrame));
    out.push({ offset: 1000 * (out.length + 1), count: chunk!.count, payload: chunk!.bytes });
  }
  return out;
}

const EVENTS = Array.from({ length: 10 }, (_, i) => ev(i % 3, [i, i * 10], i, [{ addr: 4 * i, bytes: new Uint8Array([i, i, i, i]) }]));

describe('EventCursor', () => {
  it('steps through the events of several frames in order, writing memory and returning results', () => {
    const cursor = new EventCursor(frames(EVENTS, 3)[Symbol.iterator]());
    const mem = new Uint8Array(64);
    for (let i = 0; i < 10; i++) {
      expect(cursor.step(i % 3, [i, i * 10], null, mem)).toBe(i);
      expect([...mem.subarray(4 * i, 4 * i + 4)]).toEqual([i, i, i, i]);
      expect(cursor.index).toBe(i + 1);
    }
    expect(cursor.step(0, [0, 0], null, mem)).toBe('end');
  });

  it('says what did not match: the call, the data passed in, or memory too small for its writes', () => {
    const withInputs = [ev(0, [1], 0, [{ addr: 60, bytes: new Uint8Array(8) }], new TextEncoder().encode('abc'))];
    const fresh = () => new EventCursor(frames(withInputs, 1)[Symbol.iterator]());
    const mem = new Uint8Array(128);
    expect(fresh().step(1, [1], null, mem)).toBe('call'); // another import
    expect(fresh().step(0, [2], null, mem)).toBe('call'); // another argument
    expect(fresh().step(0, [1], new TextEncoder().encode('abd'), mem)).toBe('inputs');
    expect(fresh().step(0, [1], new TextEncoder().encode('abc'), new Uint8Array(64))).toBe('memory');
    expect(fresh().step(0, [1], new TextEncoder().encode('abc'), mem)).toBe(0);
  });

  it('keeps the last events for reports, oldest first; the newest is the one that did not match', () => {
    const cursor = new EventCursor(frames(EVENTS, 4)[Symbol.iterator](), 4);
    const mem = new Uint8Array(64);
    for (let i = 0; i < 6; i++) cursor.step(i % 3, [i, i * 10], null, mem);
    expect(cursor.step(0, [99], null, mem)).toBe('call'); // event #6 is imp 0 with args [6, 60]
    const recent = cursor.recentEvents(); // #3..#6, kept in a ring of 4 that has wrapped
    expect(recent.map((r) => r.index)).toEqual([3, 4, 5, 6]);
    expect(recent.map((r) => [r.event.imp, r.event.args])).toEqual([[0, [3, 30]], [1, [4, 40]], [2, [5, 50]], [0, [6, 60]]]);
    expect(recent.at(-1)!.event).toMatchObject({ result: 6, writes: [{ addr: 24, bytes: new Uint8Array([6, 6, 6, 6]) }] });
  });

  it('skipToNext() is true while a call event is left and false at the end of the trace', () => {
    const mem = new Uint8Array(64);
    const cursor = new EventCursor(frames(EVENTS.slice(0, 2), 1)[Symbol.iterator]());
    expect(cursor.step(0, [0, 0], null, mem)).toBe(0);
    expect(cursor.skipToNext()).toBe(true);
    const done = new EventCursor(frames(EVENTS.slice(0, 2), 1)[Symbol.iterator]());
    done.step(0, [0, 0], null, mem);
    done.step(1, [1, 10], null, mem);
    expect(done.skipToNext()).toBe(false);
    expect(new EventCursor([][Symbol.iterator]()).skipToNext()).toBe(false);
  });

  it('takes a byte string whose blob pieces came in an earlier frame', () => {
    const input = Uint8Array.from({ length: BLOB_THRESHOLD + 100 }, (_, i) => i & 0xff);
    // frame 1: the blob pieces alone; frame 2: the call event that refers to them
    const [whole] = encodeEvents([ev(0, [5], 0, [], input)]);
    const e1 = new EventEncoder(new Uint8Array(input.length + 64));
    for (const piece of [input.subarray(0, BLOB_THRESHOLD), input.subarray(BLOB_THRESHOLD)]) { e1.arrayHeader(2); e1.number(-1); e1.bin(piece); }
    const blobBytes = e1.pos;
    expect(Buffer.compare(whole!.bytes.subarray(0, blobBytes), e1.buf.subarray(0, blobBytes))).toBe(0); // the recorder wrote the same pieces
    const split: CursorFrame[] = [
      { offset: 100, count: 2, payload: whole!.bytes.slice(0, blobBytes) },
      { offset: 200, count: 1, payload: whole!.bytes.slice(blobBytes) },
    ];
    const cursor = new EventCursor(split[Symbol.iterator]());
    expect(cursor.step(0, [5], Uint8Array.from(input), new Uint8Array(64))).toBe(0);
    expect(cursor.index).toBe(1); // blob pieces are not calls
  });

  it('a malformed frame is a TraceError naming its offset', () => {
    const [chunk] = encodeEvents(EVENTS.slice(0, 2));
    const bad: CursorFrame[] = [{ offset: 4242, count: 2, payload: chunk!.bytes.subarray(0, chunk!.bytes.length - 2) }];
    const cursor = new EventCursor(bad[Symbol.iterator]());
    const mem = new Uint8Array(64);
    expect(cursor.step(0, [0, 0], null, mem)).toBe(0);
    let err: unknown;
    try { cursor.step(1, [1, 10], null, mem); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TraceError);
    expect((err as TraceError).message).toMatch(/^corrupt trace: frame at offset 4242: malformed event at byte \d+ of its frame/);
  });
});
