// The flat form of frames (src/replay/flat.ts) and the cursor's matching on it: every answer the same as the generic
// decoder's (the cursor reads a frame given with `flat: null` the generic way), for calls that match and for each
// way a call can differ; damaged frames have no flat form.
import { describe, expect, it } from 'vitest';
import { EventCursor, flatImport, type CursorFrame } from '../../src/replay/cursor.js';
import { flatten, recordEnd, R_MASK, R_SLOW, sampleFrame } from '../../src/replay/flat.js';
import { BLOB_THRESHOLD, EventDecoder, EventEncoder, type CallEvent, type Checkpoint } from '../../src/trace/events.js';
import { encodeEvents } from './helpers.js';

const ev = (imp: number, args: (number | bigint)[], result: CallEvent['result'], writes: CallEvent['writes'] = [], inputs: Uint8Array | null = null): CallEvent =>
  ({ imp, args, result, writes, inputs, gap: 0, dur: 0 });
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** Calls of every shape the format has (args as the guest passes them: i64 as bigint). */
const EVENTS: CallEvent[] = [
  ev(0, [1, 1n, 1024], 0, [{ addr: 1024, bytes: bytes(8, 1) }]), // clock_time_get
  ev(1, [3, 2048, 1, 4000], 0, [{ addr: 4000, bytes: bytes(4, 2) }], bytes(12, 3)), // fd_write
  ev(2, [-5, 0x7fffffff, -2147483648], -1, [{ addr: 0, bytes: bytes(1, 4) }, { addr: 9, bytes: bytes(3, 5) }]),
  ev(3, [0xfffffff0, 2 ** 40], 7, [{ addr: 100, bytes: bytes(5, 6) }, { addr: 200, bytes: bytes(7, 7) }]), // not int32: wide
  ev(3, [1.5, -0.25], 2.5, []), // float args and result
  ev(4, [2n ** 60n, 1], 0, []), // an i64 beyond 2^53: SLOW
  ev(5, [], 12345678901234n, []), // an i64 result: SLOW
  ev(6, [3], null, [{ addr: 300, bytes: bytes(9, 8) }, { addr: 400, bytes: bytes(40, 9) }], bytes(100, 10)),
  ev(7, [0], 0, [{ addr: 500, bytes: new Uint8Array(0) }], new Uint8Array(0)),
  ev(8, [3, 9000], 0, [], bytes(2 * BLOB_THRESHOLD + 10, 11)), // inputs as blob pieces: SLOW
  ev(9, [1], { throw: 'host failed' }, []),
  ev(0, [1, 1n, 1032], 0, [{ addr: 1032, bytes: bytes(8, 12) }]),
  ev(10, [42], { exit: 42 }, []),
];

/** The events' frames (several events a frame), each twice: as given, and to be read the generic way. */
function frames(events: CallEvent[], frameBytes = 1 << 20): { flat: CursorFrame[]; generic: CursorFrame[] } {
  const chunks = encodeEvents(events, frameBytes);
  const flat = chunks.map((c, i) => ({ offset: 1000 * (i + 1), count: c.count, payload: c.bytes }) as CursorFrame);
  return { flat, generic: flat.map((f) => ({ ...f, flat: null })) };
}

/** Memory as big as the events need, the same start for both readings. */
const memory = () => bytes(1 << 14, 99);

/** What the guest would pass for an event's inputs. */
const inputsOf = (e: CallEvent) => (e.inputs ? Uint8Array.from(e.inputs) : null);

describe('the flat form of a frame', () => {
  it('is made for well-formed frames; a frame with a bad event, cut short or with another count has none', () => {
    const [chunk] = encodeEvents(EVENTS.slice(0, 3));
    expect(flatten(chunk!.bytes, chunk!.count)?.calls).toBe(3);
    expect(flatten(chunk!.bytes.subarray(0, chunk!.bytes.length - 1), chunk!.count)).toBeNull();
    expect(flatten(chunk!.bytes, chunk!.count + 1)).toBeNull();
    expect(flatten(chunk!.bytes, chunk!.count - 1)).toBeNull();
    const bad = chunk!.bytes.slice();
    bad[0] = 0x93; // a call event of 3 fields
    expect(flatten(bad, chunk!.count)).toBeNull();
    // args declared as an array of 2^32-1 (0xdd): no such allocation, no throw
    const huge = Uint8Array.from([0x95, 0x00, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x00, 0x90, 0xc0]);
    expect(flatten(huge, 1)).toBeNull();
  });

  it('leaves i64 values beyond 2^53, i64 results, result maps and blob references to the generic decoder', () => {
    const chunks = encodeEvents(EVENTS);
    const kinds: number[] = [];
    for (const c of chunks) {
      const f = flatten(c.bytes, c.count)!;
      for (let i = 0, k = 0; i < f.calls; i++, k = recordEnd(f.r, k)) kinds.push((f.r[k + 1]! >>> 16) & R_MASK);
    }
    const slow = kinds.map((k, i) => (k === R_SLOW ? i : -1)).filter((i) => i >= 0);
    expect(slow).toEqual([5, 6, 9, 10, 12]);
  });
});

describe('EventCursor on flat frames', () => {
  it('answers every call of every shape as the generic decoder does, results and memory alike', () => {
    for (const frameBytes of [1 << 20, 270_000]) { // one frame, and several (blob pieces in frames of their own)
      const { flat, generic } = frames(EVENTS, frameBytes);
      if (frameBytes < 1 << 20) expect(flat.length).toBeGreaterThan(1);
      const a = new EventCursor(flat[Symbol.iterator]());
      const b = new EventCursor(generic[Symbol.iterator]());
      const ma = memory();
      const mb = memory();
      for (const e of EVENTS) {
        const ra = a.step(e.imp, e.args, inputsOf(e), ma);
        const rb = b.step(e.imp, e.args, inputsOf(e), mb);
        expect(ra).toEqual(rb);
        expect(ra).toEqual(e.result);
        expect(Buffer.compare(ma, mb)).toBe(0);
      }
      expect(a.step(0, [], null, ma)).toBe('end');
      expect(a.index).toBe(b.index);
      expect(a.recentEvents()).toEqual(b.recentEvents());
    }
  });

  it('says what did not match as the generic decoder does, for every event and every way a call can differ', () => {
    // Without the call whose inputs travelled as blob pieces (the first test has it): it would make every cursor here
    // copy half a megabyte.
    const events = EVENTS.filter((e) => !(e.inputs && e.inputs.length > BLOB_THRESHOLD));
    const { flat, generic } = frames(events);
    const variants = (e: CallEvent): [number, (number | bigint)[], Uint8Array | null, Uint8Array][] => {
      const out: [number, (number | bigint)[], Uint8Array | null, Uint8Array][] = [
        [e.imp + 1, e.args, inputsOf(e), memory()], // another import
        [e.imp, [...e.args, 0], inputsOf(e), memory()], // another arg count
        [e.imp, e.args, e.inputs ? null : new Uint8Array(1), memory()], // inputs where there were none, or none
        [e.imp, e.args, inputsOf(e), new Uint8Array(16)], // memory too small for its writes
      ];
      e.args.forEach((x, i) => {
        const other = [...e.args];
        other[i] = typeof x === 'bigint' ? x + 1n : x + 1; // another value
        out.push([e.imp, other, inputsOf(e), memory()]);
        const retyped = [...e.args];
        retyped[i] = typeof x === 'bigint' ? Number(x) : Number.isInteger(x) ? BigInt(x) : x; // the other type
        out.push([e.imp, retyped, inputsOf(e), memory()]);
      });
      if (e.inputs && e.inputs.length) {
        const changed = Uint8Array.from(e.inputs);
        changed[changed.length - 1]! ^= 1;
        out.push([e.imp, e.args, changed, memory()], [e.imp, e.args, changed.subarray(1), memory()]);
      }
      return out;
    };
    events.forEach((e, at) => {
      for (const [imp, args, inputs, mem] of variants(e)) {
        const a = new EventCursor(flat[Symbol.iterator]());
        const b = new EventCursor(generic[Symbol.iterator]());
        const ma = memory();
        const mb = memory();
        for (const before of events.slice(0, at)) {
          a.step(before.imp, before.args, inputsOf(before), ma);
          b.step(before.imp, before.args, inputsOf(before), mb);
        }
        const small = mem.length < ma.length;
        const ra = a.step(imp, args, inputs, small ? mem : ma);
        const rb = b.step(imp, args, inputs, small ? Uint8Array.from(mem) : mb);
        expect([at, ra]).toEqual([at, rb]);
        expect(a.recentEvents()).toEqual(b.recentEvents());
      }
    });
  });

  it('passes checkpoints to onCheckpoint before the call after them, in the middle and at the end of a frame', () => {
    const enc = new EventEncoder(new Uint8Array(4096));
    const mem = new Uint8Array(64);
    const hash = bytes(16, 1);
    enc.call(0, [1], 0, [8, 4], mem, null, -1, 0);
    enc.checkpoint(0, 64, hash);
    enc.call(0, [2], 0, [], mem, null, -1, 0);
    enc.checkpoint(1, 64, hash);
    const payload = enc.buf.slice(0, enc.pos);
    const seen: string[] = [];
    const both = [{ offset: 10, count: enc.count, payload }, { offset: 10, count: enc.count, payload, flat: null }];
    for (const f of both) {
      const cursor = new EventCursor([f][Symbol.iterator]());
      cursor.onCheckpoint = (c: Checkpoint) => seen.push(`checkpoint ${c.after}`);
      for (const arg of [1, 2]) { seen.push(`call ${arg}`); cursor.step(0, [arg], null, new Uint8Array(64)); }
      seen.push(`end ${cursor.skipToNext()}`);
    }
    const expected = ['call 1', 'call 2', 'checkpoint 0', 'checkpoint 1', 'end false'];
    expect(seen).toEqual([...expected, ...expected]); // flat, then generic
  });
});

describe('flatImport', () => {
  /** An import function per event's import and arg kinds (i64 for a bigint arg), on `cursor`; `slow` counts its calls. */
  const importsFor = (cursor: EventCursor, mem: { bytes: Uint8Array }, slowCalls: number[]) =>
    (e: { imp: number; args: readonly (number | bigint)[] }) => flatImport(cursor, e.imp, `f${e.imp}`,
      e.args.map((x) => (typeof x === 'bigint' ? 'i64' : 'i32')), mem,
      (args) => { slowCalls.push(e.imp); return cursor.step(e.imp, args, null, mem.bytes); });

  it('answers and writes as step() does, taking the common calls itself and leaving every other one to step()', () => {
    // Without inputs: flatImport is for imports that read none.
    const events = EVENTS.filter((e) => !e.inputs);
    const { flat } = frames(events);
    const a = new EventCursor(flat[Symbol.iterator]());
    const b = new EventCursor(flat[Symbol.iterator]());
    const ma = { bytes: memory() };
    const mb = memory();
    const slow: number[] = [];
    const fn = importsFor(a, ma, slow);
    for (const e of events) {
      const ra = fn(e)(...e.args);
      expect(ra).toEqual(b.step(e.imp, e.args, null, mb));
      expect(ra).toEqual(e.result);
      expect(Buffer.compare(ma.bytes, mb)).toBe(0);
      expect(a.index).toBe(b.index);
    }
    // the int32 calls with int results went straight; the first one (no frame read yet), floats, 64-bit values and
    // result maps went to step()
    expect(slow).toEqual([0, 3, 3, 4, 5, 9, 10]);
    expect(a.recentEvents()).toEqual(b.recentEvents());
  });

  it('gives step() every call that differs, which reports it as it always did', () => {
    const events = EVENTS.filter((e) => !e.inputs);
    const { flat } = frames(events);
    events.forEach((e, at) => {
      const variants: [(number | bigint)[], Uint8Array][] = [[e.args, new Uint8Array(16)]]; // writes past memory
      e.args.forEach((x, i) => {
        const other = [...e.args];
        other[i] = typeof x === 'bigint' ? x + 1n : x + 1;
        variants.push([other, memory()]);
        const retyped = [...e.args];
        retyped[i] = typeof x === 'bigint' ? Number(x) : Number.isInteger(x) ? BigInt(x) : x;
        variants.push([retyped, memory()]);
      });
      for (const [args, small] of variants) {
        const a = new EventCursor(flat[Symbol.iterator]());
        const b = new EventCursor(flat[Symbol.iterator]());
        const ma: { bytes: Uint8Array } = { bytes: memory() };
        const mb = memory();
        const fa = importsFor(a, ma, []);
        for (const before of events.slice(0, at)) {
          fa(before)(...before.args);
          b.step(before.imp, before.args, null, mb);
        }
        ma.bytes = small.length < mb.length ? small : ma.bytes;
        const ra = fa(e)(...args); // its kinds are the recorded call's: a retyped arg is what a differing guest passes
        const rb = b.step(e.imp, args, null, small.length < mb.length ? Uint8Array.from(small) : mb);
        expect([at, ra]).toEqual([at, rb]);
        expect(a.index).toBe(b.index);
        expect(a.recentEvents()).toEqual(b.recentEvents());
      }
    });
  });
});

describe('repeated calls in the flat form', () => {
  it('reads calls that repeat the one before them but for their written bytes or times as the generic decoder does', () => {
    const enc = new EventEncoder(new Uint8Array(1 << 16));
    const mem = new Uint8Array(256);
    const calls: { imp: number; args: (number | bigint)[] }[] = [];
    const call = (imp: number, args: (number | bigint)[], result: number, writes: number[], gap = -1, dur = 0) => {
      for (let i = 0; i < writes.length; i += 2) for (let j = 0; j < writes[i + 1]!; j++) mem[writes[i]! + j] = (calls.length * 7 + j) & 0xff;
      enc.call(imp, args, result, writes, mem, null, gap, dur);
      calls.push({ imp, args });
    };
    for (let n = 0; n < 3; n++) call(0, [1, 1n, 16], 0, [16, 8]); // the clock, untimed: new bytes each time
    call(0, [1, 1n, 16], 0, [16, 8], 5, 7); // timed
    call(0, [1, 1n, 16], 0, [16, 8], 300, 70000);
    call(0, [1, 1n, 24], 0, [24, 8]); // another address
    call(0, [1, 2n, 24], 0, [24, 8]); // another arg
    call(0, [1, 2n, 24], 8, [24, 8]); // another result
    call(0, [1, 2n, 24], 8, [24, 4]); // a shorter write
    call(0, [1, 2n, 24], 8, [24, 4]);
    call(1, [3, 40], 0, [40, 3]); // 3 bytes
    call(1, [3, 40], 0, [40, 3]);
    enc.checkpoint(10, 256, bytes(16, 2)); // the call after a checkpoint is read in full
    call(1, [3, 40], 0, [40, 3]);
    call(2, [], 0, []); // no writes
    call(2, [], 0, []);
    call(2, [], 0, [], 1, 1);
    call(3, [5], 0, [48, 4, 56, 8]); // two writes: never a template
    call(3, [5], 0, [48, 4, 56, 8]);
    call(4, [5], 0, [64, 20]); // a longer write: never a template
    call(4, [5], 0, [64, 20]);
    call(0, [1, 2n, 24], 8, [24, 4]);
    const payload = enc.buf.slice(0, enc.pos);
    const flat = flatten(payload, enc.count)!;
    expect(flat.calls).toBe(calls.length);
    const both = [{ offset: 10, count: enc.count, payload }, { offset: 10, count: enc.count, payload, flat: null }];
    const [a, b] = both.map((f) => new EventCursor([f][Symbol.iterator]()));
    const [ma, mb] = [new Uint8Array(256), new Uint8Array(256)];
    for (const c of calls) {
      const ra = a!.step(c.imp, c.args, null, ma);
      expect(ra).toEqual(b!.step(c.imp, c.args, null, mb));
      expect(typeof ra).toBe('number');
      expect(Buffer.compare(ma, mb)).toBe(0);
    }
    expect(a!.recentEvents()).toEqual(b!.recentEvents());
    // each differing call, in its place, is reported as the generic decoder reports it
    calls.forEach((c, at) => {
      const [x, y] = both.map((f) => new EventCursor([f][Symbol.iterator]()));
      for (const before of calls.slice(0, at)) { x!.step(before.imp, before.args, null, ma); y!.step(before.imp, before.args, null, mb); }
      const other = c.args.length ? [...c.args.slice(0, -1), 99] : [1];
      expect([at, x!.step(c.imp, other, null, ma)]).toEqual([at, y!.step(c.imp, other, null, mb)]);
      expect(x!.recentEvents()).toEqual(y!.recentEvents());
    });
  });
});

describe('the sample frame the decoder warms up on', () => {
  it('is a well-formed frame, read in the flat form as the generic decoder reads it', () => {
    const { bytes: payload, count } = sampleFrame();
    const events = new EventDecoder().decodeFrame(payload);
    expect(events.length).toBe(count);
    expect(flatten(payload, count)?.calls).toBe(count);
    const both = [{ offset: 10, count, payload }, { offset: 10, count, payload, flat: null }];
    const [a, b] = both.map((f) => new EventCursor([f][Symbol.iterator]()));
    const [ma, mb] = [new Uint8Array(1 << 17), new Uint8Array(1 << 17)];
    for (const e of events) {
      const ra = a!.step(e.imp, e.args, e.inputs && Uint8Array.from(e.inputs), ma);
      expect(ra).toEqual(b!.step(e.imp, e.args, e.inputs && Uint8Array.from(e.inputs), mb));
      expect(ra).toEqual(e.result);
    }
    expect(Buffer.compare(ma, mb)).toBe(0);
  });
});
