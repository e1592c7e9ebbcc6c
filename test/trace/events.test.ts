// The event codec round trip: what the recorder encodes (src/record/recorder.ts over EventEncoder) the decoder
// gives back exactly, on both of its paths (decodeFrame for the inspectors, nextCall/matchCall/... for replay),
// and it is standard msgpack that another library reads the same.
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder.js';
import { BLOB_THRESHOLD, EventDecoder, EventEncoder, type CallEvent, type CallResult } from '../../src/trace/events.js';

interface Call {
  imp: number;
  args: (number | bigint)[];
  result: CallResult;
  /** Written ranges as [addr, bytes]; placed into guest memory before encoding. */
  writes: [number, Uint8Array][];
  inputs: Uint8Array | null;
  /** performance.now() values (ms) of the call's start and end. */
  start: number;
  end: number;
}

const MEMORY = 2 * BLOB_THRESHOLD + 4096;

/** Encodes `calls` as the recorder does and returns one frame payload holding all their events. */
function encode(calls: Call[]): { payload: Uint8Array; count: number } {
  const mem = new Uint8Array(MEMORY);
  const frames: { bytes: Uint8Array; count: number }[] = [];
  const chunk = new Uint8Array(4 << 20);
  const rec = new Recorder((bytes, count) => { frames.push({ bytes: bytes.slice(), count }); return chunk; }, chunk, 8, 0);
  for (const c of calls) {
    const flat: number[] = [];
    for (const [addr, bytes] of c.writes) { mem.set(bytes, addr); flat.push(addr, bytes.length); }
    rec.call(c.imp, c.args, c.result, flat, mem, c.inputs, c.start, c.end);
  }
  rec.flush();
  expect(frames).toHaveLength(1);
  return { payload: frames[0]!.bytes, count: frames[0]!.count };
}

const bytes = (...b: number[]) => new Uint8Array(b);
const big = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const CALLS: Call[] = [
  // fd_write-like: small write of nwritten, inputs
  { imp: 0, args: [1, 1024, 1, 2048], result: 0, writes: [[2048, bytes(5, 0, 0, 0)]], inputs: new TextEncoder().encode('hello'), start: 1, end: 1.000123 },
  // i32 arguments as wasm passes them (signed), an i64 argument and result, no inputs
  { imp: 1, args: [-1, -2147483648, 2147483647, 9007199254740993n, -9007199254740993n, 5n], result: -(2n ** 63n), writes: [], inputs: null, start: 2, end: 2.5 },
  // every integer width the encoder picks, as arguments
  {
    imp: 2, args: [0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, Number.MAX_SAFE_INTEGER,
      -32, -33, -128, -129, -32768, -32769, -2147483649, Number.MIN_SAFE_INTEGER], result: 7, writes: [], inputs: null, start: 3, end: 3,
  },
  // floats (imports the schema does not know may take f32/f64)
  { imp: 3, args: [1.5, -2.25, Number.NaN, Number.POSITIVE_INFINITY, 1e300], result: 0.1, writes: [], inputs: bytes(), start: 4, end: 4 },
  // results that are not numbers: none, proc_exit, a host function that threw
  { imp: 4, args: [], result: null, writes: [[0, bytes(1, 2, 3)], [100, big(40, 1)], [300, big(70000, 2)]], inputs: null, start: 5, end: 5 },
  { imp: 5, args: [3], result: { exit: 3 }, writes: [], inputs: null, start: 6, end: 6 },
  { imp: 6, args: [], result: { throw: 'RangeError: höst said no' }, writes: [], inputs: null, start: 7, end: 7 },
  // an i64 result small enough for a double stays an i64 (bigint)
  { imp: 7, args: [], result: 42n, writes: [], inputs: null, start: 8, end: 8 },
];

/** The event the decoder should give for a call: safe 64-bit integers as numbers, an i64 result as bigint. */
function expected(c: Call, previousEnd: number): CallEvent {
  const ns = (ms: number) => Math.round(ms * 62_500) * 16;
  return {
    imp: c.imp,
    args: c.args.map((a) => (typeof a === 'bigint' && a >= BigInt(Number.MIN_SAFE_INTEGER) && a <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a) : a)),
    result: c.result,
    writes: c.writes.map(([addr, b]) => ({ addr, bytes: b })),
    inputs: c.inputs,
    gap: ns(c.start - previousEnd),
    dur: ns(c.end - c.start),
  };
}

describe('event codec round trip', () => {
  it('decodeFrame gives back every field of every event', () => {
    const { payload, count } = encode(CALLS);
    expect(count).toBe(CALLS.length);
    const events = new EventDecoder().decodeFrame(payload);
    const normalise = (e: CallEvent) => ({ ...e, writes: e.writes.map((w) => ({ addr: w.addr, bytes: [...w.bytes] })), inputs: e.inputs && [...e.inputs] });
    expect(events.map(normalise)).toEqual(CALLS.map((c, i) => normalise(expected(c, i === 0 ? 0 : CALLS[i - 1]!.end))));
  });

  it('times are nanoseconds rounded to 16 (1 ms gap, 123 ns duration -> 128)', () => {
    const [first] = new EventDecoder().decodeFrame(encode(CALLS.slice(0, 1)).payload);
    expect(first).toMatchObject({ gap: 1_000_000, dur: 128 });
  });

  it('the replay path matches each call as wasm passes it, writes its memory and returns its result', () => {
    const { payload } = encode(CALLS);
    const d = new EventDecoder();
    d.load(payload);
    const mem = new Uint8Array(MEMORY);
    for (const c of CALLS) {
      expect(d.nextCall()).toBe(true);
      expect(d.matchCall(c.imp, c.args)).toBe(true);
      expect(d.applyWrites(mem)).toBe(true);
      for (const [addr, b] of c.writes) expect(Buffer.compare(mem.subarray(addr, addr + b.length), b)).toBe(0);
      expect(d.matchInputs(c.inputs)).toBe(true);
      expect(d.result()).toEqual(c.result);
    }
    expect(d.nextCall()).toBe(false);
  });

  it('the replay path tells a different import, argument or input from the recorded one', () => {
    const { payload } = encode(CALLS.slice(0, 2));
    const d = new EventDecoder();
    const at = (f: () => boolean) => { d.load(payload); d.nextCall(); return f(); };
    expect(at(() => d.matchCall(1, CALLS[0]!.args))).toBe(false); // another import
    expect(at(() => d.matchCall(0, [1, 1024, 1]))).toBe(false); // fewer arguments
    expect(at(() => d.matchCall(0, [1, 1024, 2, 2048]))).toBe(false); // another value
    expect(at(() => d.matchCall(0, [1n, 1024, 1, 2048]))).toBe(true); // an i64 1n is the recorded 1
    expect(at(() => d.matchCall(0, CALLS[0]!.args) && d.applyWrites(new Uint8Array(MEMORY)) && d.matchInputs(new TextEncoder().encode('hellO')))).toBe(false);
    expect(at(() => d.matchCall(0, CALLS[0]!.args) && d.applyWrites(new Uint8Array(MEMORY)) && d.matchInputs(null))).toBe(false);
    expect(at(() => d.matchCall(0, CALLS[0]!.args) && d.applyWrites(new Uint8Array(2050)))).toBe(false); // write past the end
    // an unsafe i64 argument matches only itself, not the nearest double
    d.load(payload); d.nextCall(); d.matchCall(0, CALLS[0]!.args); d.applyWrites(new Uint8Array(MEMORY)); d.matchInputs(CALLS[0]!.inputs);
    expect(d.nextCall()).toBe(true);
    expect(d.matchCall(1, [-1, -2147483648, 2147483647, 9007199254740992n, -9007199254740993n, 5n])).toBe(false);
  });

  it('byte strings larger than BLOB_THRESHOLD travel as blob events and come back whole', () => {
    const input = big(BLOB_THRESHOLD + 1000, 3);
    const write = big(BLOB_THRESHOLD * 2 + 7, 4);
    const calls: Call[] = [{ imp: 0, args: [1], result: 0, writes: [[16, write]], inputs: input, start: 0, end: 0 }];
    const { payload, count } = encode(calls);
    expect(count).toBeGreaterThan(1); // the blob pieces are events too
    const events = new EventDecoder().decodeFrame(payload);
    expect(events).toHaveLength(1);
    expect(Buffer.compare(events[0]!.inputs!, input)).toBe(0);
    expect(Buffer.compare(events[0]!.writes[0]!.bytes, write)).toBe(0);
    const d = new EventDecoder();
    d.load(payload);
    const mem = new Uint8Array(MEMORY);
    expect(d.nextCall() && d.matchCall(0, [1]) && d.applyWrites(mem)).toBe(true);
    expect(Buffer.compare(mem.subarray(16, 16 + write.length), write)).toBe(0);
    expect(d.matchInputs(input)).toBe(true);
  });

  it('each event is one standard msgpack array [imp, args, result, writes, inputs, gap, dur]', () => {
    const { payload } = encode(CALLS);
    const values = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' }).unpackMultiple(Buffer.from(payload)) as unknown[][];
    expect(values).toHaveLength(CALLS.length);
    const mine = new EventDecoder().decodeFrame(payload);
    values.forEach((v, i) => {
      expect(v).toHaveLength(7);
      const [imp, args, result, writes, inputs, gap, dur] = v as [number, unknown[], unknown, unknown[], Uint8Array | null, number, number];
      expect(imp).toBe(mine[i]!.imp);
      const safe = (a: unknown) => typeof a === 'bigint' && a >= BigInt(Number.MIN_SAFE_INTEGER) && a <= BigInt(Number.MAX_SAFE_INTEGER);
      expect(args.map((a) => (safe(a) ? Number(a) : a))).toEqual(mine[i]!.args);
      expect(result).toEqual(mine[i]!.result);
      expect(writes.length).toBe(mine[i]!.writes.length * 2);
      expect(inputs === null ? null : [...inputs]).toEqual(mine[i]!.inputs === null ? null : [...mine[i]!.inputs!]);
      expect([gap, dur]).toEqual([mine[i]!.gap, mine[i]!.dur]);
    });
  });

  it('integers take msgpack\'s smallest form', () => {
    const size = (n: number) => { const e = new EventEncoder(new Uint8Array(16)); e.number(n); return e.pos; };
    expect([0, 127, -32].map(size)).toEqual([1, 1, 1]);
    expect([128, 255, -33, -128].map(size)).toEqual([2, 2, 2, 2]);
    expect([256, 65535, -129, -32768].map(size)).toEqual([3, 3, 3, 3]);
    expect([65536, 4294967295, -32769, -2147483648].map(size)).toEqual([5, 5, 5, 5]);
    expect([4294967296, Number.MAX_SAFE_INTEGER, -2147483649, Number.MIN_SAFE_INTEGER, 1.5].map(size)).toEqual([9, 9, 9, 9, 9]);
  });

  it('a malformed frame is an EventDecodeError, not a crash', () => {
    const { payload } = encode(CALLS.slice(0, 1));
    expect(() => new EventDecoder().decodeFrame(payload.subarray(0, payload.length - 3))).toThrow(/malformed event at byte \d+ of its frame: unexpected end/);
    expect(() => new EventDecoder().decodeFrame(bytes(0x93, 1, 2, 3))).toThrow(/not a call event/);
  });
});
