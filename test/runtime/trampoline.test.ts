// i64 params that cross from wasm into JavaScript as two numbers (src/runtime/trampoline.ts splitTrampoline), so that
// no BigInt is made per call: the trampoline's halves, the recorder's fast path that takes them (record/fixed-path.ts)
// and the replay's import that matches them (replay/cursor.ts flatImport), each exact for every i64 value.
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_BY_NAME, MODULE_NAME } from '../../src/abi/index.js';
import { stringLists } from '../../src/calls/capture.js';
import { recordingImports } from '../../src/record/proxy.js';
import { Recorder } from '../../src/record/recorder.js';
import { EventCursor, flatImport, type CursorFrame } from '../../src/replay/cursor.js';
import { GuestMemory } from '../../src/runtime/memory.js';
import { i64FromHalves, splitTrampoline } from '../../src/runtime/trampoline.js';
import { EventDecoder, EventEncoder } from '../../src/trace/events.js';

const seek = FUNCTIONS_BY_NAME.get('fd_seek')!; // fd_seek(fd: i32, offset: i64, whence: i32, newoffset: ptr)
const VALUES = [0n, 1n, -1n, 5n, -5n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 31n, 2n ** 32n, 2n ** 53n + 1n, -(2n ** 53n) - 3n, 2n ** 63n - 1n, -(2n ** 63n)];

describe('splitTrampoline', () => {
  it('passes each i64 as its low 32 bits and its high 32 bits, both signed, and returns what the function returns', () => {
    const got: number[][] = [];
    const f = splitTrampoline(seek, (...a: number[]) => { got.push(a); return 7; });
    for (const v of VALUES) expect(f(3, v, 2, 64)).toBe(7);
    expect(got).toEqual(VALUES.map((v) => [3, Number(BigInt.asIntN(32, v)), Number(v >> 32n), 2, 64]));
    expect(got.map(([, lo, hi]) => i64FromHalves(lo!, hi!))).toEqual(VALUES);
  });
});

describe('an i64 param in two halves', () => {
  it('reaches the provider and the recorded event as the bigint the guest passed', () => {
    const table = [{ module: MODULE_NAME, name: 'fd_seek', wasi: seek.index }];
    const memory = new WebAssembly.Memory({ initial: 1 });
    const seen: unknown[] = [];
    const target = (fd: number, offset: bigint, whence: number, at: number) => {
      seen.push(offset);
      new DataView(memory.buffer).setBigUint64(at, BigInt.asUintN(64, offset), true);
      return fd === 3 ? 0 : 8;
    };
    let got = new Uint8Array(0);
    const rec = new Recorder((b) => { got = b.slice(); return b; }, new Uint8Array(1 << 16), 1, performance.now(), undefined, { checkpoints: 0 });
    const imports = recordingImports(table, { [MODULE_NAME]: { fd_seek: target } }, rec, new GuestMemory(memory), stringLists([], []));
    const recorded = (imports[MODULE_NAME] as Record<string, (...a: unknown[]) => number>).fd_seek!;
    // each value twice (the second call repeats the first), and a call on another fd in between
    for (const v of VALUES) { expect(recorded(3, v, 0, 64)).toBe(0); expect(recorded(3, v, 0, 64)).toBe(0); expect(recorded(4, v, 0, 64)).toBe(8); }
    expect(seen).toEqual(VALUES.flatMap((v) => [v, v, v]));
    rec.flush();
    const events = new EventDecoder().decodeFrame(got, 3 * VALUES.length);
    // as the decoder gives i64 args: a number when it is a safe integer, else the bigint
    const asRead = (v: bigint) => (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v);
    expect(events.map((e) => e.args)).toEqual(VALUES.flatMap((v) => [[3, asRead(v), 0, 64], [3, asRead(v), 0, 64], [4, asRead(v), 0, 64]]));
  });

  it('is matched against the recorded one in the replay, exactly, and a call that differs goes to the slow path whole', () => {
    const mem = new Uint8Array(256);
    const enc = new EventEncoder(new Uint8Array(1 << 16));
    for (const v of VALUES) enc.call(0, [3, v, 0, 64], 0, [64, 8], mem, null, -1, -1);
    const frame = { offset: 10, count: enc.count, payload: enc.buf.slice(0, enc.pos) } as CursorFrame;
    const cursor = new EventCursor([frame][Symbol.iterator]());
    const slow: unknown[][] = [];
    const replayed = splitTrampoline(seek, flatImport(cursor, 0, 'fd_seek', ['i32', 'i64', 'i32', 'i32'], { bytes: mem }, (args) => {
      slow.push(args.slice());
      return cursor.step(0, args, null, mem);
    }, true));
    for (const v of VALUES) expect(replayed(3, v, 0, 64)).toBe(0);
    expect(cursor.index).toBe(VALUES.length);
    // The first call (it loads the frame) and those beyond int32, recorded as doubles or bigints (WIDE, SLOW): the slow
    // path has them, as bigints.
    expect(slow.map((a) => a[1])).toEqual([0n, ...VALUES.filter((v) => v !== BigInt.asIntN(32, v))]);
    // A differing offset (its low half the recorded one's): the slow path, which reports the mismatch.
    const again = new EventCursor([frame][Symbol.iterator]());
    const seen: unknown[][] = [];
    const f = splitTrampoline(seek, flatImport(again, 0, 'fd_seek', ['i32', 'i64', 'i32', 'i32'], { bytes: mem }, (args) => {
      seen.push(args.slice());
      return again.step(0, args, null, mem) === 'call' ? 99 : 0;
    }, true));
    expect(f(3, 2n ** 32n, 0, 64)).toBe(99);
    expect(seen).toEqual([[3, 2n ** 32n, 0, 64]]);
  });
});
