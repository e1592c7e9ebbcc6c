// What the bytes of an event at the top level of a frame say it is (FORMAT.md, "Events"), and the int of a delta
// event with the u64 it makes. Imports nothing, so that the replay's frame reader thread (replay/flat.ts, which also
// reads a call event's small ints with intAt) loads no more than it needs.

/** Whether `b` starts a msgpack bin (at the top level of a frame: a repeat event, format version 4). */
export const isBinHead = (b: number): boolean => b === 0xc4 || b === 0xc5 || b === 0xc6;
/** Whether `b` starts an int a delta event (format version 5) may be: fixints, uint and int of 8 to 32 bits. */
export const isDeltaHead = (b: number): boolean => b < 0x80 || b >= 0xe0 || (b >= 0xcc && b <= 0xce) || (b >= 0xd0 && b <= 0xd2);
/** Whether `b`, at the top level of a frame, starts a repeat event or a delta event. */
export const isRepeatHead = (b: number): boolean => isBinHead(b) || isDeltaHead(b);

/** `end`: where the int intAt read last ends. */
export const intRead = { end: 0 };

/**
 * The int at `i` of `q` in the encodings of a delta event, which the recorder also writes for small ints (fixints,
 * uint and int of 8 to 32 bits), its end in `intRead.end`; NaN for any other encoding. Past the end of `q` it reads
 * garbage: the caller checks `intRead.end` against q's length.
 */
export function intAt(q: Uint8Array, i: number): number {
  const b = q[i]!;
  if (b < 0x80) { intRead.end = i + 1; return b; }
  if (b >= 0xe0) { intRead.end = i + 1; return b - 256; }
  switch (b) {
    case 0xcc: intRead.end = i + 2; return q[i + 1]!;
    case 0xcd: intRead.end = i + 3; return (q[i + 1]! << 8) | q[i + 2]!;
    case 0xce: intRead.end = i + 5; return q[i + 1]! * 0x1000000 + ((q[i + 2]! << 16) | (q[i + 3]! << 8) | q[i + 4]!);
    case 0xd0: intRead.end = i + 2; return (q[i + 1]! << 24) >> 24;
    case 0xd1: intRead.end = i + 3; return (((q[i + 1]! << 8) | q[i + 2]!) << 16) >> 16;
    case 0xd2: intRead.end = i + 5; return (q[i + 1]! << 24) | (q[i + 2]! << 16) | (q[i + 3]! << 8) | q[i + 4]!;
    default: return NaN;
  }
}

const TWO_32 = 2 ** 32;

/** The u64 whose halves addDelta made last (unsigned 32-bit numbers). */
export const sum = { lo: 0, hi: 0 };

/** The u64 of halves `lo` and `hi` (unsigned) plus a delta event's `d` (−2^31 ≤ d < 2^32), modulo 2^64: `sum`. */
export function addDelta(lo: number, hi: number, d: number): void {
  let l = lo + d; // at most one carry or borrow
  let h = hi;
  if (l >= TWO_32) { l -= TWO_32; h++; } else if (l < 0) { l += TWO_32; h--; }
  sum.lo = l;
  sum.hi = h >>> 0;
}
