// Event records inside EVENTS frames (FORMAT.md, "Events"): a fast msgpack encoder for the recording hot path
// and a decoder for readers. Every event is one standard msgpack value (an array, or a bin or int that repeats a call),
// so any msgpack library can read it.
//
//   call event:  [imp, args, result, writes, inputs, gap, dur], or [imp, args, result, writes, inputs] for a call
//                that was not timed (format version 3: record --timing io leaves clock, random, args calls untimed)
//     imp     uint: index into the header's import table
//     args    array of ints (wasm i32 as signed numbers, i64 as ints) or floats, in wasm parameter order
//     result  int/float (the import's return value; an i64 result is always encoded as int64), nil (no return value), or a map for a call that did not
//             return: {exit: code} (proc_exit) or {throw: message} (the host function threw)
//     writes  flat array: addr, bytes, addr, bytes, ... — guest memory the call wrote, in order
//     inputs  bin (the buffers the call read: write data, paths, subscriptions, concatenated) or nil
//     gap     uint: ns from the end of the previous call to this one's start (the first: from the run's start)
//     dur     uint: ns the host spent in the call (both times rounded to 16 ns)
//   blob event:  [-1, bin] — a piece of a byte string too large for one event; a later call event's
//                {blob: n} (in place of bin) takes the next n bytes of the blob pieces before it.
//   checkpoint:  [-2, after, size, hash] (version 3) — guest memory when the guest made the call after call event
//                #after: its size in bytes and its hash (calls/hash.ts): from version 6 its XXH64, CHECKPOINT_HASH_BYTES
//                bytes; in versions 3-5 the first 16 bytes of its sha1.
//   repeat:      bin (version 4) — a call event again: the last full call event before it (right before it, or
//                only repeats between), untimed, with its writes' bytes replaced by the bin's, in order.
//   delta:       int (version 5), −2^31 to 2^32 − 1 — a repeat of a template with one write of 8 bytes: those of the
//                event right before it as a u64 (little-endian), plus the int, modulo 2^64.

import { FD_EFFECT_FUNCTIONS, FUNCTIONS } from '../abi/index.js';
import { copyInto } from './copy.js';
import { addDelta, intAt, intRead, isBinHead, isDeltaHead, isRepeatHead, sum } from './event-heads.js';

const TWO_32 = 2 ** 32;

/** Byte strings longer than this travel as blob events, so no event needs more than one frame. */
export const BLOB_THRESHOLD = 256 * 1024;
/** Size of each blob piece. */
const BLOB_PIECE = 256 * 1024;

export type Scalar = number | bigint;
export type CallResult = Scalar | null | { exit: number } | { throw: string };

export interface CallEvent {
  imp: number;
  args: Scalar[];
  result: CallResult;
  /** addr, bytes pairs. */
  writes: { addr: number; bytes: Uint8Array }[];
  inputs: Uint8Array | null;
  /**
   * ns from the end of the previous timed call (the start of the run for the first) to this call's start; 0 for a
   * call that was not timed.
   */
  gap: number;
  /** ns the host spent in the call; 0 for a call that was not timed. */
  dur: number;
  /** Set (true) for a call recorded without times (`record --timing io`: a clock, random or args call). */
  untimed?: true;
}

/** Bytes of a checkpoint's memory hash a recording writes (version 6 on: an XXH64; versions 3-5 kept 16). */
export const CHECKPOINT_HASH_BYTES = 8;

/** A memory checkpoint event: guest memory as the guest made the call after call event #after. */
export interface Checkpoint {
  after: number;
  size: number;
  hash: Uint8Array;
}

const textEncoder = new TextEncoder();

/**
 * Encodes events into `buf`. The caller (the recorder) makes sure an event fits before encoding it:
 * `maxSize` bounds what one event can take once large byte strings went out as blobs.
 */
export class EventEncoder {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  count = 0;
  /** Guest memory as repeat() last saw it, and a view of it. */
  private memory: Uint8Array | undefined;
  private memoryView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /**
   * The template whose untimed event the last event was (in full at `templateAt`, or a repeat event of it), so that
   * repeat() may write a repeat event (FORMAT.md, "repeat event"); null when the last event was anything else.
   */
  private lastTemplate: FixedTemplate | null = null;
  /** Offset in `buf` of the full call event a repeat event written now would repeat; -1 for none (lastTemplate null). */
  templateAt = -1;
  /** With a lastTemplate of one 8-byte write: the bytes the last event wrote there, as a u64's low and high halves. */
  private lastLo = 0;
  private lastHi = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Starts over on a new (or emptied) buffer. */
  reset(buf: Uint8Array = this.buf): void {
    if (buf !== this.buf) {
      this.buf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    this.pos = 0;
    this.count = 0;
    this.noTemplate();
  }

  /** After an event that is not one of the fast path's untimed calls: no repeat event may follow it. */
  private noTemplate(): void {
    this.lastTemplate = null;
    this.templateAt = -1;
  }

  get free(): number { return this.buf.length - this.pos; }

  arrayHeader(n: number): void {
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else { this.buf[this.pos] = 0xdc; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
  }

  mapHeader(n: number): void { this.buf[this.pos++] = 0x80 | n; }

  nil(): void { this.buf[this.pos++] = 0xc0; }

  /** Any JS number: integers in msgpack's smallest int form, others as float64. */
  number(n: number): void {
    const b = this.buf;
    if (Number.isInteger(n)) {
      if (n >= 0) {
        if (n < 128) { b[this.pos++] = n; return; }
        if (n < 0x100) { b[this.pos] = 0xcc; b[this.pos + 1] = n; this.pos += 2; return; }
        if (n < 0x10000) { b[this.pos] = 0xcd; this.view.setUint16(this.pos + 1, n); this.pos += 3; return; }
        if (n < 0x100000000) { b[this.pos] = 0xce; this.view.setUint32(this.pos + 1, n); this.pos += 5; return; }
        if (n <= Number.MAX_SAFE_INTEGER) { b[this.pos] = 0xcf; this.view.setBigUint64(this.pos + 1, BigInt(n)); this.pos += 9; return; }
      } else {
        if (n >= -32) { b[this.pos++] = n & 0xff; return; }
        if (n >= -128) { b[this.pos] = 0xd0; this.view.setInt8(this.pos + 1, n); this.pos += 2; return; }
        if (n >= -32768) { b[this.pos] = 0xd1; this.view.setInt16(this.pos + 1, n); this.pos += 3; return; }
        if (n >= -2147483648) { b[this.pos] = 0xd2; this.view.setInt32(this.pos + 1, n); this.pos += 5; return; }
        if (n >= Number.MIN_SAFE_INTEGER) { b[this.pos] = 0xd3; this.view.setBigInt64(this.pos + 1, BigInt(n)); this.pos += 9; return; }
      }
    }
    b[this.pos] = 0xcb;
    this.view.setFloat64(this.pos + 1, n);
    this.pos += 9;
  }

  /** A bigint (wasm i64): as a plain int when it is a safe integer, else int64/uint64. */
  bigint(n: bigint): void {
    const x = Number(n); // rounds, but lands in the safe range only when n is in it (then exactly)
    if (Number.isSafeInteger(x)) { this.number(x); return; }
    if (n < 0n) { this.buf[this.pos] = 0xd3; this.view.setBigInt64(this.pos + 1, n); }
    else { this.buf[this.pos] = 0xcf; this.view.setBigUint64(this.pos + 1, n); }
    this.pos += 9;
  }

  scalar(v: Scalar): void {
    if (typeof v === 'number') this.number(v); else this.bigint(v);
  }

  bin(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n < 0x100) { this.buf[this.pos] = 0xc4; this.buf[this.pos + 1] = n; this.pos += 2; }
    else if (n < 0x10000) { this.buf[this.pos] = 0xc5; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
    else { this.buf[this.pos] = 0xc6; this.view.setUint32(this.pos + 1, n); this.pos += 5; }
    copyInto(this.buf, this.pos, bytes); // the recorder's chunks are shared memory
    this.pos += n;
  }

  str(s: string): void {
    const bytes = textEncoder.encode(s);
    if (bytes.length < 32) this.buf[this.pos++] = 0xa0 | bytes.length;
    else { this.buf[this.pos] = 0xdb; this.view.setUint32(this.pos + 1, bytes.length); this.pos += 5; }
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** binOrBlob of guest memory [addr, addr+len), copying small ranges without making a view. */
  memoryBin(mem: Uint8Array, addr: number, len: number): void {
    if (len > 32) { this.binOrBlob(mem.subarray(addr, addr + len)); return; }
    const b = this.buf;
    b[this.pos] = 0xc4;
    b[this.pos + 1] = len;
    let at = this.pos + 2;
    for (let i = 0; i < len; i++) b[at++] = mem[addr + i]!;
    this.pos = at;
  }

  /** A byte string of a call event: inline, or a {blob: n} reference when it went out as blob events. */
  binOrBlob(bytes: Uint8Array): void {
    if (bytes.length > BLOB_THRESHOLD) { this.mapHeader(1); this.str('blob'); this.number(bytes.length); }
    else this.bin(bytes);
  }

  /**
   * One call event, `[imp, args, result, writes, inputs, gap, dur]`, or without the times when `gap` is negative
   * (a call that was not timed): `writes` is [addr, len, ...] into `mem`; byte strings longer than BLOB_THRESHOLD
   * must have gone out as blob pieces first (they are referenced here). The caller made sure it fits (callBound).
   */
  call(imp: number, args: ArrayLike<unknown>, result: CallResult, writes: readonly number[], mem: Uint8Array,
    inputs: Uint8Array | null, gap: number, dur: number): void {
    const timed = gap >= 0;
    this.noTemplate();
    this.buf[this.pos++] = timed ? 0x97 : 0x95; // fixarray of 7 or 5
    this.number(imp);
    this.arrayHeader(args.length);
    for (let i = 0; i < args.length; i++) this.scalar(args[i] as Scalar);
    this.result(result);
    this.arrayHeader(writes.length);
    for (let i = 0; i < writes.length; i += 2) {
      this.number(writes[i]!);
      this.memoryBin(mem, writes[i]!, writes[i + 1]!);
    }
    if (inputs === null) this.nil(); else this.binOrBlob(inputs);
    if (timed) {
      this.number(gap);
      this.number(dur);
    }
    this.count++;
  }

  /**
   * The same event as `call` for the recorder's fast path: fewer than 16 args, a numeric result, no inputs, and
   * `writes` of at most 7 ranges shorter than 256 bytes (fixed-size out-params), so every header is one byte.
   * `tpl` (one per import), when given, keeps the event for `repeat`. The caller made sure that the event fits.
   */
  fixedCall(imp: number, args: ArrayLike<unknown>, result: number, writes: readonly number[], mem: Uint8Array, gap: number, dur: number,
    tpl?: FixedTemplate): void {
    const b = this.buf;
    b[this.pos++] = gap >= 0 ? 0x97 : 0x95;
    const start = this.pos;
    tpl?.clear();
    this.number(imp);
    b[this.pos++] = 0x90 | args.length;
    for (let i = 0; i < args.length; i++) {
      const v = args[i];
      if (typeof v === 'number') this.number(v); else this.bigint(v as bigint);
    }
    this.number(result);
    b[this.pos++] = 0x90 | writes.length;
    for (let i = 0; i < writes.length; i += 2) {
      const addr = writes[i]!;
      const len = writes[i + 1]!;
      this.number(addr);
      let at = this.pos;
      b[at++] = 0xc4;
      b[at++] = len;
      tpl?.hole(addr, len, at - start);
      for (let j = 0; j < len; j++) b[at++] = mem[addr + j]!;
      this.pos = at;
    }
    b[this.pos++] = 0xc0;
    tpl?.keep(b, start, this.pos, result);
    this.times(gap, dur);
    this.count++;
    this.kept(tpl, gap, start - 1);
  }

  /** After a full call event at `at` that `tpl` keeps (or none): a repeat event may follow when it was untimed. */
  private kept(tpl: FixedTemplate | undefined, gap: number, at: number): void {
    if (tpl !== undefined && gap < 0 && tpl.length > 0) {
      this.lastTemplate = tpl;
      this.templateAt = at;
      if (tpl.writes.length === 3 && tpl.writes[1] === 8) {
        const hole = at + 1 + tpl.writes[2]!; // the body starts after the array header
        this.lastLo = this.view.getUint32(hole, true);
        this.lastHi = this.view.getUint32(hole + 4, true);
      }
    } else {
      this.noTemplate();
    }
  }

  /**
   * The event `tpl` keeps again (for a call with the arguments and result of the one it keeps), with the bytes of its
   * out-params read anew from `mem`, and `gap`/`dur` as for fixedCall. The caller made sure that it and 3 bytes more
   * fit (the bound of the fixedCall that made the template: callBound leaves that much to spare).
   */
  repeat(tpl: FixedTemplate, mem: Uint8Array, gap: number, dur: number): void {
    if (gap < 0 && tpl === this.lastTemplate) { this.repeatEvent(tpl, mem); return; }
    const at = this.pos;
    this.buf[this.pos++] = gap >= 0 ? 0x97 : 0x95;
    const v = this.view;
    const start = this.pos;
    // Four bytes at a time: up to 3 bytes past the body (free space, overwritten by what follows; the bound has room).
    const t = tpl.view;
    for (let k = 0; k < tpl.length; k += 4) v.setUint32(start + k, t.getUint32(k, true), true);
    if (mem !== this.memory) {
      this.memory = mem;
      this.memoryView = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    }
    const m = this.memoryView;
    const w = tpl.writes;
    for (let i = 0; i < w.length; i += 3) {
      const addr = w[i]!;
      const len = w[i + 1]!;
      const at = start + w[i + 2]!;
      let j = 0;
      for (; j + 4 <= len; j += 4) v.setUint32(at + j, m.getUint32(addr + j, true), true);
      for (; j < len; j++) this.buf[at + j] = mem[addr + j]!;
    }
    this.pos = start + tpl.length;
    this.times(gap, dur);
    this.count++;
    this.kept(tpl, gap, at);
  }

  /**
   * A delta event (format version 5) for a call `tpl` keeps again right after its untimed event (it is the
   * lastTemplate), when `tpl` has one 8-byte out-param (a timestamp) whose bytes in `mem` now differ from the last
   * ones by a delta event's int; false, writing nothing, otherwise (repeat() then writes the event). The hot path of a
   * loop that reads the clock, small enough for V8 to inline into the recorder. The caller made room as for repeat().
   */
  delta(tpl: FixedTemplate, mem: Uint8Array): boolean {
    const addr = tpl.delta8;
    if (addr < 0 || tpl !== this.lastTemplate) return false;
    if (mem !== this.memory) {
      this.memory = mem;
      this.memoryView = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    }
    const lo = this.memoryView.getUint32(addr, true);
    const hi = this.memoryView.getUint32(addr + 4, true);
    let dlo = lo - this.lastLo;
    let dhi = hi - this.lastHi;
    if (dlo < 0) { dlo += TWO_32; dhi--; }
    dhi >>>= 0; // the difference modulo 2^64 is dhi * 2^32 + dlo
    const b = this.buf;
    const at = this.pos;
    if (dhi === 0 && dlo < 0x80) { b[at] = dlo; this.pos = at + 1; } // a positive fixint, the most common
    else if (dhi === 0 && dlo < 0x100) { b[at] = 0xcc; b[at + 1] = dlo; this.pos = at + 2; } // as number() writes it
    else if (dhi === 0 || (dhi === 0xffffffff && dlo >= 0x80000000)) this.number(dhi === 0 ? dlo : dlo - TWO_32);
    else return false;
    this.lastLo = lo;
    this.lastHi = hi;
    this.count++;
    return true;
  }

  /**
   * A repeat event of the full call event at templateAt (which `tpl` keeps): a bin of its out-params' bytes as they
   * are in `mem` now, in order. Shorter than the full event (which repeat()'s caller made room for).
   */
  private repeatEvent(tpl: FixedTemplate, mem: Uint8Array): void {
    if (this.delta(tpl, mem)) return;
    const b = this.buf;
    const n = tpl.holeBytes;
    let at = this.pos;
    if (tpl.delta8 >= 0) { // the bytes a delta event after this one adds to (delta() made memoryView mem's)
      this.lastLo = this.memoryView.getUint32(tpl.delta8, true);
      this.lastHi = this.memoryView.getUint32(tpl.delta8 + 4, true);
    }
    if (n < 0x100) { b[at] = 0xc4; b[at + 1] = n; at += 2; }
    else { b[at] = 0xc5; b[at + 1] = n >>> 8; b[at + 2] = n & 0xff; at += 3; }
    const w = tpl.writes;
    for (let i = 0; i < w.length; i += 3) {
      const addr = w[i]!;
      const len = w[i + 1]!;
      if (len === 8) {
        if (mem !== this.memory) {
          this.memory = mem;
          this.memoryView = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
        }
        const m = this.memoryView;
        const v = this.view;
        v.setUint32(at, m.getUint32(addr, true), true);
        v.setUint32(at + 4, m.getUint32(addr + 4, true), true);
        at += 8;
      } else {
        for (let j = 0; j < len; j++) b[at++] = mem[addr + j]!;
      }
    }
    this.pos = at;
    this.count++;
  }

  /** A call event's gap and duration, when it was timed (gap not negative). */
  private times(gap: number, dur: number): void {
    if (gap < 0) return;
    this.number(gap);
    this.number(dur);
  }

  /** One checkpoint event `[-2, after, size, hash]` (fits in CHECKPOINT_BOUND). */
  checkpoint(after: number, size: number, hash: Uint8Array): void {
    this.noTemplate();
    this.arrayHeader(4);
    this.number(-2);
    this.number(after);
    this.number(size);
    this.bin(hash.subarray(0, CHECKPOINT_HASH_BYTES));
    this.count++;
  }

  /** One blob event `[-1, piece]` (a piece of a byte string too large for its call event); fits in blobBound. */
  blobPiece(piece: Uint8Array): void {
    this.noTemplate();
    this.arrayHeader(2);
    this.number(-1);
    this.bin(piece);
    this.count++;
  }

  result(r: CallResult): void {
    if (r === null) this.nil();
    else if (typeof r === 'number') this.number(r);
    else if (typeof r === 'bigint') { this.buf[this.pos] = 0xd3; this.view.setBigInt64(this.pos + 1, BigInt.asIntN(64, r)); this.pos += 9; } // always int64: an i64 result
    else if ('exit' in r) { this.mapHeader(1); this.str('exit'); this.number(r.exit); }
    else { this.mapHeader(1); this.str('throw'); this.str(r.throw); }
  }
}

/** The longest event body a FixedTemplate keeps (an import with longer ones is encoded afresh every time). */
const TEMPLATE_BYTES = 96;

/**
 * The last event of one import on the recorder's fast path (EventEncoder.fixedCall), without its array header and
 * times: its bytes, its result, and where each out-param's bytes are in it. The caller (record/fixed-path.ts) keeps
 * the arguments it was encoded from: a call with the same arguments writes the same ranges (the out-params'
 * addresses are arguments), still inside memory (wasm memory never shrinks), so EventEncoder.repeat only copies.
 */
export class FixedTemplate {
  /** The body; 4 bytes more, so that it can be copied 4 bytes at a time. */
  readonly bytes = new Uint8Array(TEMPLATE_BYTES + 4);
  readonly view = new DataView(this.bytes.buffer);
  /** Bytes of the body kept; 0 while none is. */
  length = 0;
  /** The result of the call kept; NaN while none is (so that no result equals it). */
  result = NaN;
  /** Per out-param: its address in guest memory, its size, and the offset of its bytes in the body. */
  readonly writes: number[] = [];
  /** The out-params' sizes added up: the length of a repeat event's bin. */
  holeBytes = 0;
  /** The address of the out-param when there is one, of 8 bytes (a delta event's: EventEncoder.delta); else -1. */
  delta8 = -1;

  /** Starts keeping a new body: keeps none until keep(). */
  clear(): void {
    this.length = 0;
    this.result = NaN;
    this.writes.length = 0;
    this.holeBytes = 0;
    this.delta8 = -1;
  }

  /** Notes an out-param of the body being encoded: `len` bytes at `addr` in memory, at `offset` in the body. */
  hole(addr: number, len: number, offset: number): void {
    this.writes.push(addr, len, offset);
    this.holeBytes += len;
    this.delta8 = this.writes.length === 3 && len === 8 ? addr : -1;
  }

  /** Keeps the body `buf[start, end)` of a call that returned `result`; none when it is too long. */
  keep(buf: Uint8Array, start: number, end: number, result: number): void {
    if (end - start > TEMPLATE_BYTES) return;
    this.bytes.set(buf.subarray(start, end));
    this.length = end - start;
    this.result = result;
  }
}

/** Upper bound of the encoded size of a byte string written with binOrBlob. */
export const binBound = (n: number): number => (n > BLOB_THRESHOLD ? 16 : n + 5);
/** Upper bound of the encoded size of a blob event of `piece`. */
export const blobBound = (piece: Uint8Array): number => piece.length + 16;

/** Upper bound of a checkpoint event's encoded size. */
export const CHECKPOINT_BOUND = 32 + CHECKPOINT_HASH_BYTES;

/** Fixed bound of a call event's encoded size besides its args and byte strings (imp, headers, result, times). */
const CALL_OVERHEAD = 64;

/** Upper bound of the encoded size of EventEncoder.call with these arguments. */
export function callBound(args: ArrayLike<unknown>, result: CallResult, writes: readonly number[], inputs: Uint8Array | null): number {
  let bound = CALL_OVERHEAD + args.length * 9 + (inputs ? binBound(inputs.length) : 1);
  for (let i = 1; i < writes.length; i += 2) bound += 10 + binBound(writes[i]!);
  if (typeof result === 'object' && result !== null && 'throw' in result) bound += 5 + result.throw.length * 3;
  return bound;
}

/** The pieces a large byte string travels in (each becomes one blob event). */
export function* blobPieces(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += BLOB_PIECE) yield bytes.subarray(at, at + BLOB_PIECE);
}

// ---- decoding -------------------------------------------------------------------------------------------

/** Thrown for bytes that are not a well-formed event stream. */
export class EventDecodeError extends Error {}

/** lastFull after a seek: not known until fullBefore() walks to it. */
const UNKNOWN = -2;

/** A guest address a write may start at (wasm32: below 4 GiB). */
const isAddress = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 32;
/** A gap or duration: nanoseconds, not negative. */
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isOnlyKey = (v: object, key: string): boolean => { const keys = Object.keys(v); return keys.length === 1 && keys[0] === key; };

/** A call's result as FORMAT.md lists them: a number, nil, {exit: code} or {throw: message}. */
function isResult(r: unknown): r is CallResult {
  if (r === null || typeof r === 'number' || typeof r === 'bigint') return true;
  if (typeof r !== 'object' || r instanceof Uint8Array || Array.isArray(r)) return false;
  const m = r as { exit?: unknown; throw?: unknown };
  if (isOnlyKey(m, 'exit')) return typeof m.exit === 'number' && Number.isInteger(m.exit);
  if (isOnlyKey(m, 'throw')) return typeof m.throw === 'string';
  return false;
}

/**
 * Decodes the events of one frame payload. Byte strings are views into `payload` (copy them to keep them
 * beyond the frame). Blob pieces carry over between frames through `blobs` (pass the same array for every
 * frame of a trace).
 */
export class EventDecoder {
  private pos = 0;
  private view: DataView;
  private readonly pendingBlobs: Uint8Array[] = [];
  /** Events (calls and blob pieces) the loaded frame declares, when known, and how many were started so far. */
  private declared: number | undefined;
  private started = 0;
  /**
   * Where the last full call event of the loaded payload starts while the events after it are repeat events of it
   * (what a repeat event now stands for); -1 when the last event was not a call (or none was read yet), UNKNOWN after
   * a seek (fullBefore() finds it).
   */
  private lastFull = -1;
  /** While the current event is a repeat event: the payload it is in, and where the next event starts there. */
  private outer: { payload: Uint8Array; view: DataView; resume: number } | null = null;
  /** fullBefore()'s walk so far over the loaded payload: the event it stands at, and the lastFull there. */
  private walkAt = 0;
  private walkFull = -1;
  /** The bytes of the last repeat event expanded (expandRepeat), for the delta event after it. */
  private readonly chain: RepeatChain = { payload: null, full: -1, at: -1, lo: 0, hi: 0 };

  constructor(private payload: Uint8Array = new Uint8Array(0)) {
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  }

  /**
   * Decodes every event of a frame payload, in order. `count`: the number of events (calls and blob pieces) the
   * frame declares; EventDecodeError when it holds another number.
   */
  decodeFrame(payload: Uint8Array, count?: number): CallEvent[] {
    this.load(payload, count);
    const out: CallEvent[] = [];
    while (this.pos < payload.length) {
      this.startEvent();
      const ev = this.event();
      if (ev) out.push(ev);
    }
    this.endFrame();
    return out;
  }

  /**
   * The events of a frame payload one at a time, as decodeFrame gives them all at once: a reader that goes on
   * with each event holds one, not a whole frame of them. An EventDecodeError comes when the walk reaches the
   * damage (after the events before it). `count` as for decodeFrame.
   */
  *eventsOf(payload: Uint8Array, count?: number): Generator<CallEvent> {
    this.load(payload, count);
    while (this.pos < payload.length) {
      this.startEvent();
      const ev = this.event();
      if (ev) yield ev;
    }
    this.endFrame();
  }

  /**
   * Walks the events of a frame payload without building them, for checking a whole trace quickly: every event
   * must be a call event or a blob event of well-formed msgpack (their fields are not checked further), and
   * `count` is checked as by decodeFrame. Calls `onCall` with each call event's import index.
   */
  scanFrame(payload: Uint8Array, count: number, onCall: (imp: number) => void): void {
    this.load(payload, count);
    let lastImp = -1; // the import of the untimed call event before, for a repeat event
    while (this.pos < payload.length) {
      this.startEvent();
      if (isRepeatHead(payload[this.pos]!)) {
        if (lastImp < 0) this.fail('repeat event without an untimed call event before it');
        this.skipValue();
        onCall(lastImp);
        continue;
      }
      const len = this.arrayLen();
      const imp = this.value();
      lastImp = -1;
      if (len === 2 && imp === -1) {
        if (!(this.value() instanceof Uint8Array)) this.fail('blob piece is not bytes');
        continue;
      }
      if (len === 4 && imp === -2) { this.checkpointBody(); continue; }
      if ((len !== 7 && len !== 5) || typeof imp !== 'number' || !Number.isSafeInteger(imp) || imp < 0) this.fail('not a call event');
      for (let i = 1; i < len; i++) this.skipValue();
      onCall(imp);
      if (len === 5) lastImp = imp;
    }
    this.endFrame();
  }

  /** Starts reading a frame payload in place (the replay path below); `count` as for decodeFrame. */
  load(payload: Uint8Array, count?: number): void {
    this.outer = null;
    this.payload = payload;
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    this.pos = 0;
    this.declared = count;
    this.started = 0;
    this.lastFull = -1;
    this.walkAt = 0;
    this.walkFull = -1;
    this.chain.at = -1;
  }

  /**
   * Moves the replay path to `offset` of the loaded payload, where an event starts (a reader that found the events
   * itself: replay/flat.ts); then nextCall as usual.
   */
  seek(offset: number): void {
    this.leaveRepeat();
    this.pos = offset;
    this.lastFull = UNKNOWN;
  }

  /**
   * The lastFull for an event at `offset` of the loaded payload: walks its events from the start (or from where the
   * last walk stopped, when that is not past `offset`). Seeks come in order, so a frame is walked about once.
   */
  private fullBefore(offset: number): number {
    const p = this.outer ? this.outer.payload : this.payload;
    if (this.walkAt > offset) { this.walkAt = 0; this.walkFull = -1; }
    let i = this.walkAt;
    let full = this.walkFull;
    while (i < offset) {
      const b = p[i]!;
      if (b === 0x95 || b === 0x97) full = i;
      else if (!isRepeatHead(b)) full = -1;
      i = skipAt(p, i);
      if (!(i >= 0)) { i = offset; full = -1; } // damage before it: the event at offset says the rest
    }
    this.walkAt = i;
    this.walkFull = full;
    return full;
  }

  /**
   * Reads the repeat event at `at` (of the payload being read) from here on as the full call event it stands for,
   * until leaveRepeat(): the replay path and event() then read that call event in place.
   */
  private enterRepeat(at: number): void {
    if (this.lastFull === UNKNOWN) this.lastFull = this.fullBefore(at);
    const x = expandRepeat(this.payload, this.lastFull, at, this.chain);
    if (typeof x === 'string') { this.pos = at; this.fail(x); }
    this.outer = { payload: this.payload, view: this.view, resume: x.end };
    this.payload = x.event;
    this.view = new DataView(x.event.buffer, x.event.byteOffset, x.event.byteLength);
    this.pos = 0;
  }

  /** After a repeat event: back to the payload it is in, at the event after it. */
  private leaveRepeat(): void {
    const o = this.outer;
    if (o === null) return;
    this.outer = null;
    this.payload = o.payload;
    this.view = o.view;
    this.pos = o.resume;
  }

  /** Counts an event about to be read: one more than the frame declares is corruption. */
  private startEvent(): void {
    if (this.declared !== undefined && this.started === this.declared) {
      throw new EventDecodeError(`it holds more than the ${this.declared} events its header declares`);
    }
    this.started++;
  }

  /** At the end of a frame's bytes: fewer events than it declares is corruption. */
  private endFrame(): void {
    if (this.declared !== undefined && this.started !== this.declared) {
      throw new EventDecodeError(`it holds ${this.started} events, its header declares ${this.declared}`);
    }
  }

  /**
   * Decodes the one call event that starts at `offset` of `payload` (for reports): byte strings that travelled as
   * blob pieces show empty. EventDecodeError when the bytes there are not a call event.
   */
  decodeAt(payload: Uint8Array, offset: number): CallEvent {
    const saved = [this.payload, this.view, this.pos, this.declared, this.started, this.lastFull, this.outer, this.walkAt, this.walkFull] as const;
    const savedBlobs = this.pendingBlobs.splice(0);
    this.load(payload);
    this.pos = offset;
    this.lastFull = UNKNOWN;
    this.blobsShowEmpty = true;
    try {
      const ev = this.event();
      if (!ev) this.fail('not a call event');
      return ev;
    } finally {
      this.blobsShowEmpty = false;
      this.pendingBlobs.splice(0, this.pendingBlobs.length, ...savedBlobs);
      [this.payload, this.view, this.pos, this.declared, this.started, this.lastFull, this.outer, this.walkAt, this.walkFull] = saved;
    }
  }

  /** Set while decodeAt runs: a blob reference then reads as empty bytes instead of taking pending pieces. */
  private blobsShowEmpty = false;

  // ---- replay path: reads the current event in place, allocating nothing in the common case -------------

  /** Offset of the call event `nextCall` positioned at. */
  eventStart = 0;
  private resultPos = 0;
  /** Whether the call event `nextCall` positioned at carries times (7 fields) or not (5). */
  private timed = true;

  /**
   * Told of every checkpoint event as it is passed (by nextCall, decodeFrame and scanFrame); may throw to stop.
   * Without it checkpoints are checked for form and skipped.
   */
  onCheckpoint?: (c: Checkpoint) => void;

  /** The rest of a checkpoint event `[-2, after, size, hash]` after its -2. */
  private checkpointBody(): void {
    const after = this.value();
    const size = this.value();
    const hash = this.value();
    if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0 || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0
      || !(hash instanceof Uint8Array)) this.fail('bad checkpoint');
    this.onCheckpoint?.({ after, size, hash });
  }

  /**
   * Moves to the next call event of the loaded payload (absorbing blob pieces before it); false at its end.
   * Then: matchCall, applyWrites, matchInputs, result, in that order.
   */
  nextCall(): boolean {
    this.leaveRepeat();
    for (;;) {
      if (this.pos >= this.payload.length) { this.endFrame(); return false; }
      this.startEvent();
      const start = this.pos;
      this.eventStart = start;
      if (isRepeatHead(this.payload[start]!)) {
        this.enterRepeat(start);
        this.arrayLen();
        this.timed = false;
        return true;
      }
      const len = this.arrayLen();
      this.lastFull = -1;
      if (len === 2) {
        if (this.value() !== -1) this.fail('not a blob piece');
        const piece = this.value();
        if (!(piece instanceof Uint8Array)) this.fail('blob piece is not bytes');
        this.pendingBlobs.push(Uint8Array.from(piece));
        continue;
      }
      if (len === 4) {
        if (this.value() !== -2) this.fail('not a checkpoint');
        this.checkpointBody();
        continue;
      }
      if (len !== 7 && len !== 5) this.fail('not a call event');
      this.timed = len === 7;
      this.lastFull = start;
      return true;
    }
  }

  /**
   * After nextCall: decodes the whole current call event (a blob reference takes its pending pieces) and moves past
   * it, instead of matchCall..result. Byte strings are views into the payload. (replay --module matches by meaning.)
   */
  readCall(): CallEvent {
    this.pos = this.outer ? 0 : this.eventStart;
    const ev = this.event();
    if (!ev) this.fail('not a call event');
    return ev;
  }

  /** Reads imp and args and compares them with a call (i64 args as bigint, i32 as number). */
  matchCall(imp: number, args: ArrayLike<unknown>): boolean {
    if (this.value() !== imp) return false;
    const n = this.arrayLen();
    if (n !== args.length) return false;
    for (let i = 0; i < n; i++) {
      const rec = this.value();
      const act = args[i];
      if (rec === act) continue;
      if (typeof act === 'bigint') {
        // exact: a safe integer equals Number(act) only when act is that very value
        if (typeof rec === 'number' ? !(Number.isSafeInteger(rec) && Number(act) === rec) : rec !== act) return false;
      } else if (!(typeof act === 'number' && typeof rec === 'number' && Object.is(rec, act))) {
        return false;
      }
    }
    this.resultPos = this.pos;
    this.skipValue();
    return true;
  }

  /**
   * Copies the event's memory writes into `mem` (after matchCall); false when one falls outside it.
   * Writes come before the inputs in an event, so they are applied before matchInputs checks the call's data:
   * if that check fails the replay stops anyway.
   */
  applyWrites(mem: Uint8Array): boolean {
    const n = this.arrayLen();
    if (n % 2) this.fail('bad writes');
    for (let i = 0; i < n; i += 2) {
      const addr = this.value();
      if (!isAddress(addr)) this.fail('bad write address');
      const b = this.payload[this.pos];
      if (b === 0xc4 || b === 0xc5 || b === 0xc6) {
        const len = this.binLength();
        if (addr + len > mem.length) return false;
        const p = this.payload;
        const at = this.pos;
        if (len <= 32) for (let j = 0; j < len; j++) mem[addr + j] = p[at + j]!;
        else mem.set(p.subarray(at, at + len), addr);
        this.pos += len;
      } else {
        const bytes = this.bytesField(this.value());
        if (addr + bytes.length > mem.length) return false;
        mem.set(bytes, addr);
      }
    }
    return true;
  }

  /** Compares the event's input bytes with the call's (after applyWrites), then skips the times. */
  matchInputs(actual: Uint8Array | null): boolean {
    const b = this.payload[this.pos];
    let same: boolean;
    if (b === 0xc0) { this.pos++; same = actual === null; }
    else if (actual === null) return false;
    else if (b !== 0xc4 && b !== 0xc5 && b !== 0xc6) same = Buffer.compare(this.bytesField(this.value()), actual) === 0;
    else {
      const n = this.binLength();
      if (n !== actual.length) return false;
      const p = this.payload;
      const at = this.pos;
      this.pos += n;
      same = true;
      if (n <= 64) { for (let i = 0; i < n; i++) if (p[at + i] !== actual[i]) { same = false; break; } }
      else same = Buffer.compare(p.subarray(at, at + n), actual) === 0;
    }
    if (!same) return false;
    if (this.timed) {
      this.skipValue();
      this.skipValue();
    }
    return true;
  }

  /** The event's result (after matchCall). */
  result(): CallResult {
    const after = this.pos;
    this.pos = this.resultPos;
    const r = this.value(true);
    if (!isResult(r)) this.fail('bad result');
    this.pos = after;
    return r;
  }

  private binLength(): number {
    const b = this.byte();
    const v = this.view;
    if (b === 0xc4) { this.need(1); const n = v.getUint8(this.pos++); this.need(n); return n; }
    if (b === 0xc5) { this.need(2); const n = v.getUint16(this.pos); this.pos += 2; this.need(n); return n; }
    this.need(4);
    const n = v.getUint32(this.pos);
    this.pos += 4;
    this.need(n);
    return n;
  }

  /** Skips one value without building it. */
  private skipValue(): void {
    const b = this.byte();
    if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return;
    if ((b & 0xf0) === 0x90 || (b & 0xf0) === 0x80) {
      const n = (b & 0x0f) * ((b & 0xf0) === 0x80 ? 2 : 1);
      for (let i = 0; i < n; i++) this.skipValue();
      return;
    }
    if ((b & 0xe0) === 0xa0) { this.skip(b & 0x1f); return; }
    switch (b) {
      case 0xcc: case 0xd0: this.skip(1); return;
      case 0xcd: case 0xd1: this.skip(2); return;
      case 0xce: case 0xd2: case 0xca: this.skip(4); return;
      case 0xcf: case 0xd3: case 0xcb: this.skip(8); return;
      case 0xc4: case 0xc5: case 0xc6: this.pos--; this.skip(this.binLength()); return;
      default: this.pos--; this.value();
    }
  }

  private skip(n: number): void { this.need(n); this.pos += n; }


  private fail(what: string): never {
    throw new EventDecodeError(`malformed event at byte ${this.pos} of its frame: ${what}`);
  }

  private byte(): number {
    if (this.pos >= this.payload.length) this.fail('unexpected end');
    return this.payload[this.pos++]!;
  }

  private need(n: number): void { if (this.pos + n > this.payload.length) this.fail('unexpected end'); }

  private arrayLen(): number {
    const b = this.byte();
    if ((b & 0xf0) === 0x90) return b & 0x0f;
    if (b === 0xdc) { this.need(2); const n = this.view.getUint16(this.pos); this.pos += 2; return n; }
    if (b === 0xdd) { this.need(4); const n = this.view.getUint32(this.pos); this.pos += 4; return n; }
    return this.fail('expected an array');
  }

  /** Any msgpack value this format uses; 64-bit ints become numbers when safe unless `keepBig`. */
  private value(keepBig = false): unknown {
    const b = this.byte();
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xf0) === 0x90) { this.pos--; return this.array(); }
    if ((b & 0xf0) === 0x80) return this.map(b & 0x0f);
    if ((b & 0xe0) === 0xa0) return this.strBody(b & 0x1f);
    const v = this.view;
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: { this.need(1); const n = v.getUint8(this.pos); this.pos += 1; return this.binBody(n); }
      case 0xc5: { this.need(2); const n = v.getUint16(this.pos); this.pos += 2; return this.binBody(n); }
      case 0xc6: { this.need(4); const n = v.getUint32(this.pos); this.pos += 4; return this.binBody(n); }
      case 0xca: { this.need(4); const n = v.getFloat32(this.pos); this.pos += 4; return n; }
      case 0xcb: { this.need(8); const n = v.getFloat64(this.pos); this.pos += 8; return n; }
      case 0xcc: { this.need(1); return v.getUint8(this.pos++); }
      case 0xcd: { this.need(2); const n = v.getUint16(this.pos); this.pos += 2; return n; }
      case 0xce: { this.need(4); const n = v.getUint32(this.pos); this.pos += 4; return n; }
      case 0xcf: { this.need(8); const n = v.getBigUint64(this.pos); this.pos += 8; return !keepBig && n <= 9007199254740991n ? Number(n) : n; }
      case 0xd0: { this.need(1); return v.getInt8(this.pos++); }
      case 0xd1: { this.need(2); const n = v.getInt16(this.pos); this.pos += 2; return n; }
      case 0xd2: { this.need(4); const n = v.getInt32(this.pos); this.pos += 4; return n; }
      case 0xd3: { this.need(8); const n = v.getBigInt64(this.pos); this.pos += 8; return !keepBig && n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n; }
      case 0xd9: { this.need(1); const n = v.getUint8(this.pos); this.pos += 1; return this.strBody(n); }
      case 0xda: { this.need(2); const n = v.getUint16(this.pos); this.pos += 2; return this.strBody(n); }
      case 0xdb: { this.need(4); const n = v.getUint32(this.pos); this.pos += 4; return this.strBody(n); }
      case 0xdc: case 0xdd: this.pos--; return this.array();
      case 0xde: { this.need(2); const n = v.getUint16(this.pos); this.pos += 2; return this.map(n); }
      default: return this.fail(`unsupported msgpack type 0x${b.toString(16)}`);
    }
  }

  private array(): unknown[] {
    const n = this.arrayLen();
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value();
    return out;
  }

  private map(n: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.value();
      if (typeof k !== 'string') this.fail('map key is not a string');
      out[k] = this.value();
    }
    return out;
  }

  private binBody(n: number): Uint8Array {
    this.need(n);
    const b = this.payload.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  private strBody(n: number): string {
    return Buffer.from(this.binBody(n)).toString('utf8');
  }

  /** A bin, or the bytes of a {blob: n} reference taken from the pending blob pieces. */
  private bytesField(v: unknown): Uint8Array {
    if (v instanceof Uint8Array) return v;
    const n = (v as { blob?: unknown } | null)?.blob;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return this.fail('expected bytes');
    if (this.blobsShowEmpty) return new Uint8Array(0);
    const have = this.pendingBlobs.reduce((s, p) => s + p.length, 0);
    if (have < n) this.fail(`blob of ${n} bytes but only ${have} bytes of blob pieces precede it`);
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const piece = this.pendingBlobs[0]!;
      const take = Math.min(piece.length, n - at);
      out.set(piece.subarray(0, take), at);
      at += take;
      if (take === piece.length) this.pendingBlobs.shift(); else this.pendingBlobs[0] = piece.subarray(take);
    }
    return out;
  }

  /**
   * The next event, or undefined for a blob piece (kept for the call event that refers to it) or a checkpoint
   * (passed to onCheckpoint).
   */
  private event(): CallEvent | undefined {
    const start = this.pos;
    if (this.outer === null && isRepeatHead(this.payload[start]!)) {
      this.enterRepeat(start);
      const ev = this.event();
      this.leaveRepeat();
      return ev;
    }
    const len = this.arrayLen();
    const imp = this.value();
    if (this.outer === null) this.lastFull = -1;
    if (imp === -1 && len === 2) {
      const piece = this.value();
      if (!(piece instanceof Uint8Array)) this.fail('blob piece is not bytes');
      this.pendingBlobs.push(Uint8Array.from(piece));
      return undefined;
    }
    if (imp === -2 && len === 4) { this.checkpointBody(); return undefined; }
    if ((len !== 7 && len !== 5) || typeof imp !== 'number' || !Number.isSafeInteger(imp) || imp < 0) { this.pos = start; this.fail('not a call event'); }
    if (this.outer === null) this.lastFull = start;
    const args = this.value();
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'number' || typeof a === 'bigint')) this.fail('bad args');
    const result = this.value(true); // an int64-encoded result is an i64 and stays a bigint
    if (!isResult(result)) this.fail('bad result');
    const flat = this.value();
    if (!Array.isArray(flat) || flat.length % 2) this.fail('bad writes');
    const writes: CallEvent['writes'] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const addr = flat[i];
      if (!isAddress(addr)) this.fail('bad write address');
      writes.push({ addr, bytes: this.bytesField(flat[i + 1]) });
    }
    const rawInputs = this.value();
    const inputs = rawInputs === null ? null : this.bytesField(rawInputs);
    if (len === 5) return { imp, args: args as Scalar[], result, writes, inputs, gap: 0, dur: 0, untimed: true };
    const gap = this.value();
    const dur = this.value();
    if (!isTime(gap) || !isTime(dur)) this.fail('bad times');
    return { imp, args: args as Scalar[], result, writes, inputs, gap, dur };
  }
}

// ---- a fast walk for the writer's seek index -------------------------------------------------------------

/** End of the msgpack value at `i` of `p` (NaN or past the end when the bytes end first; -1 for a type this format never uses). */
function skipAt(p: Uint8Array, i: number): number {
  const b = p[i]!;
  if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return i + 1;
  let n: number;
  if (b <= 0x8f) { n = (b & 15) * 2; i++; }
  else if (b <= 0x9f) { n = b & 15; i++; }
  else if (b <= 0xbf) return i + 1 + (b & 31);
  else {
    switch (b) {
      case 0xc4: case 0xd9: return i + 2 + p[i + 1]!;
      case 0xc5: case 0xda: return i + 3 + ((p[i + 1]! << 8) | p[i + 2]!);
      case 0xc6: case 0xdb: return i + 5 + (p[i + 1]! * 0x1000000 + ((p[i + 2]! << 16) | (p[i + 3]! << 8) | p[i + 4]!));
      case 0xcc: case 0xd0: return i + 2;
      case 0xcd: case 0xd1: return i + 3;
      case 0xce: case 0xd2: case 0xca: return i + 5;
      case 0xcf: case 0xd3: case 0xcb: return i + 9;
      case 0xdc: n = (p[i + 1]! << 8) | p[i + 2]!; i += 3; break;
      case 0xde: n = ((p[i + 1]! << 8) | p[i + 2]!) * 2; i += 3; break;
      default: return -1;
    }
  }
  while (n-- > 0) {
    const c = p[i]!;
    // The common elements inline: small ints and nil, 32-bit ints (addresses), bins up to 255 bytes.
    if (c < 0x80 || c >= 0xe0 || c === 0xc0) { i++; continue; }
    if (c === 0xce || c === 0xd2) { i += 5; continue; }
    if (c === 0xc4) { i += 2 + p[i + 1]!; continue; }
    if (!(i < p.length)) return NaN;
    i = skipAt(p, i);
    if (i < 0) return -1;
  }
  return i;
}

/**
 * What expandRepeat knew last of a chain of repeat events: in `payload`, the event at `at` (of the template at
 * `full`) wrote the 8 bytes whose u64 halves are `lo` and `hi`. at -1: nothing.
 */
export interface RepeatChain { payload: Uint8Array | null; full: number; at: number; lo: number; hi: number }

const u32le = (p: Uint8Array, i: number): number => (p[i]! | (p[i + 1]! << 8) | (p[i + 2]! << 16) | (p[i + 3]! << 24)) >>> 0;

/**
 * The full call event the repeat or delta event at `at` of `p` stands for (FORMAT.md, "repeat event", "delta
 * event"): a copy of the untimed call event at `fullAt` with its writes' bytes replaced by the bin's, in order, or
 * (a delta event) its one 8-byte write's bytes by those of the event before plus the delta; and where the event at
 * `at` ends. A string saying what is wrong when `fullAt` is negative (no call event right before), the event there
 * is not an untimed call event whose writes are bins and whose inputs are nil, the bin's length is not their sum, a
 * delta event's template has writes other than one of 8 bytes, or an event between is not a repeat or delta event.
 * `chain` (kept by the caller across calls, in order along a frame) saves walking from the template for each delta.
 */
export function expandRepeat(p: Uint8Array, fullAt: number, at: number,
  chain: RepeatChain = { payload: null, full: -1, at: -1, lo: 0, hi: 0 }): { event: Uint8Array; end: number } | string {
  const n = p.length;
  const h = p[at];
  let len: number;
  let from: number;
  let d = NaN;
  let deltaEnd = 0;
  if (h === 0xc4 && at + 2 <= n) { len = p[at + 1]!; from = at + 2; }
  else if (h === 0xc5 && at + 3 <= n) { len = (p[at + 1]! << 8) | p[at + 2]!; from = at + 3; }
  else if (h === 0xc6 && at + 5 <= n) { len = p[at + 1]! * 0x1000000 + ((p[at + 2]! << 16) | (p[at + 3]! << 8) | p[at + 4]!); from = at + 5; }
  else if (h !== undefined && isDeltaHead(h) && !Number.isNaN(d = intAt(p, at))) { len = 8; from = -1; deltaEnd = intRead.end; }
  else return 'unexpected end';
  if (from >= 0 ? from + len > n : deltaEnd > n) return 'unexpected end';
  if (fullAt < 0) return 'repeat event without a call event before it';
  if (p[fullAt] !== 0x95) return 'repeat event of a call event that is not an untimed call event';
  const bad = 'repeat event of a call event whose writes are not all bins or whose inputs are not nil';
  let i = fullAt + 1;
  for (let k = 0; k < 3; k++) { // imp, args, result
    i = skipAt(p, i);
    if (!(i >= 0 && i < n)) return bad;
  }
  const wb = p[i]!;
  if ((wb & 0xf0) !== 0x90 || wb & 1) return bad;
  i++;
  const holes: number[] = []; // offset and length of each write's bytes
  let total = 0;
  for (let w = 0; w < (wb & 0x0f) >> 1; w++) {
    i = skipAt(p, i); // addr
    if (!(i >= 0 && i < n) || !isBinHead(p[i]!)) return bad;
    const end = skipAt(p, i);
    if (!(end >= 0 && end <= n)) return bad;
    const bytes = p[i] === 0xc4 ? 2 : p[i] === 0xc5 ? 3 : 5;
    holes.push(i + bytes - fullAt, end - i - bytes);
    total += end - i - bytes;
    i = end;
  }
  if (!(i < n) || p[i] !== 0xc0) return bad;
  const one8 = holes.length === 2 && holes[1] === 8;
  if (from < 0 && !one8) return 'delta event of a call event without exactly one write of 8 bytes';
  if (total !== len) return `repeat event of ${len} bytes for writes of ${total} bytes`;
  const event = p.slice(fullAt, i + 1);
  if (from < 0) {
    // the bytes of the event before: from the chain when it is about an event between the template and this one
    let k = fullAt;
    let lo = u32le(p, fullAt + holes[0]!);
    let hi = u32le(p, fullAt + holes[0]! + 4);
    if (chain.payload === p && chain.full === fullAt && chain.at > fullAt && chain.at < at) { k = chain.at; lo = chain.lo; hi = chain.hi; }
    k = skipAt(p, k);
    while (k < at) {
      const b = p[k]!;
      if (b === 0xc4 && p[k + 1] === 8) { lo = u32le(p, k + 2); hi = u32le(p, k + 6); k += 10; continue; }
      const e = isDeltaHead(b) ? intAt(p, k) : NaN;
      if (Number.isNaN(e)) return 'delta event after an event that is not a repeat of the same call';
      addDelta(lo, hi, e);
      lo = sum.lo;
      hi = sum.hi;
      k = intRead.end;
    }
    if (k !== at) return 'delta event after an event that is not a repeat of the same call';
    addDelta(lo, hi, d);
    const o = holes[0]!;
    const l = sum.lo;
    const hh = sum.hi;
    event[o] = l & 0xff; event[o + 1] = (l >>> 8) & 0xff; event[o + 2] = (l >>> 16) & 0xff; event[o + 3] = l >>> 24;
    event[o + 4] = hh & 0xff; event[o + 5] = (hh >>> 8) & 0xff; event[o + 6] = (hh >>> 16) & 0xff; event[o + 7] = hh >>> 24;
    chain.payload = p;
    chain.full = fullAt;
    chain.at = at;
    chain.lo = l;
    chain.hi = hh;
    return { event, end: deltaEnd };
  }
  let src = from;
  for (let k = 0; k < holes.length; k += 2) {
    event.set(p.subarray(src, src + holes[k + 1]!), holes[k]!);
    src += holes[k + 1]!;
  }
  if (one8) {
    chain.payload = p;
    chain.full = fullAt;
    chain.at = at;
    chain.lo = u32le(p, from);
    chain.hi = u32le(p, from + 4);
  }
  return { event, end: from + len };
}

/** The time (gap or dur) at `i` of `p` and the end of it, or undefined when it is not a time. */
function timeAt(p: Uint8Array, i: number, end: { at: number }): number | undefined {
  const b = p[i]!;
  let v: number;
  if (b < 0x80) { end.at = i + 1; return b; }
  switch (b) {
    case 0xcc: v = p[i + 1]!; end.at = i + 2; break;
    case 0xcd: v = (p[i + 1]! << 8) | p[i + 2]!; end.at = i + 3; break;
    case 0xce: v = p[i + 1]! * 0x1000000 + ((p[i + 2]! << 16) | (p[i + 3]! << 8) | p[i + 4]!); end.at = i + 5; break;
    case 0xcf: case 0xcb: {
      if (i + 9 > p.length) return undefined;
      const view = new DataView(p.buffer, p.byteOffset + i + 1, 8);
      v = b === 0xcb ? view.getFloat64(0) : Number(view.getBigUint64(0));
      if (b === 0xcf && v > Number.MAX_SAFE_INTEGER) return undefined;
      end.at = i + 9;
      break;
    }
    default: return undefined;
  }
  return end.at <= p.length && isTime(v) ? v : undefined;
}

/**
 * Nonzero at the indices of an import table (the header's `imports`) whose preview1 function may change the fd
 * table: the calls a frame's `seek` entry counts in fdCalls (a recorder counts them too, see TraceWriter.appendEvents).
 */
export function fdImportMarks(imports: unknown): Uint8Array {
  // An index past the table (an event of a malformed trace) reads as undefined: not an fd call.
  const out = new Uint8Array(Array.isArray(imports) ? imports.length : 0);
  if (!Array.isArray(imports)) return out;
  imports.forEach((e: unknown, i) => {
    const wasi = (e as { wasi?: unknown } | null)?.wasi;
    const name = typeof wasi === 'number' ? FUNCTIONS[wasi]?.name : undefined;
    if (name !== undefined && FD_EFFECT_FUNCTIONS.has(name)) out[i] = 1;
  });
  return out;
}

/** Where the frames walked so far leave a run (walkCalls moves it on; the writer's seek index is made of it). */
export interface WalkState {
  /** Call events so far. */
  calls: number;
  /** The sum of their gap and dur, added in order (as a reader adds them). */
  time: number;
  /** Blob pieces after the last call event so far (carried into what follows). */
  pieces: number;
  /** Call events of the frames walked whose import is marked in walkCalls' `marked` (the caller resets it). */
  marked: number;
}

/**
 * Walks the `count` events of a frame payload without decoding them, for the writer's seek index, moving `st` on
 * past them (`marked[imp]` nonzero: counted in st.marked). Returns false (st left as it was) when the bytes are
 * not `count` well-formed call, checkpoint and blob events. Several times faster than scanFrame, which checks more.
 */
export function walkCalls(p: Uint8Array, count: number, st: WalkState, marked: Uint8Array): boolean {
  const end = { at: 0 };
  const n = p.length;
  let i = 0;
  let calls = st.calls;
  let time = st.time;
  let pieces = st.pieces;
  let hits = st.marked;
  let lastImp = -1; // the import of the untimed call event before, for a repeat event
  for (let e = 0; e < count; e++) {
    if (!(i < n)) return false;
    const head = p[i]!;
    if (isRepeatHead(head)) { // a repeat or delta event: a call of the import before it, untimed
      if (lastImp < 0) return false;
      i = skipAt(p, i);
      if (!(i >= 0 && i <= n)) return false;
      calls++;
      pieces = 0;
      if (marked[lastImp]) hits++;
      continue;
    }
    lastImp = -1;
    if (head === 0x92) {
      if (p[i + 1] !== 0xff) return false;
      const b = p[i + 2];
      if (b !== 0xc4 && b !== 0xc5 && b !== 0xc6) return false;
      i = skipAt(p, i + 2);
      if (!(i >= 0 && i <= n)) return false;
      pieces++;
      continue;
    }
    if (head === 0x94 && p[i + 1] === 0xfe) { // a checkpoint [-2, after, size, hash]: no call
      i += 2;
      for (let k = 0; k < 3; k++) {
        if (!(i < n)) return false;
        i = skipAt(p, i);
        if (!(i >= 0)) return false;
      }
      continue;
    }
    // A call: 7 elements, or 5 when it was not timed (no gap, no dur).
    const timed = head === 0x97;
    if (!timed && head !== 0x95) return false;
    let imp = p[i + 1]!;
    if (imp < 0x80) i += 2;
    else if (imp === 0xcc) { imp = p[i + 2]!; i += 3; }
    else if (imp === 0xcd) { imp = (p[i + 2]! << 8) | p[i + 3]!; i += 4; }
    else return false;
    // args, result, writes, inputs: small values inline, anything else through skipAt.
    for (let k = 0; k < 4; k++) {
      const b = p[i]!;
      if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0x90) i++;
      else {
        if (!(i < n)) return false;
        i = skipAt(p, i);
        if (!(i >= 0)) return false;
      }
    }
    if (!timed) {
      calls++;
      pieces = 0;
      if (marked[imp]) hits++;
      lastImp = imp;
      continue;
    }
    if (!(i < n)) return false;
    let gap: number | undefined = p[i]!;
    if (gap < 0x80) i++;
    else { gap = timeAt(p, i, end); if (gap === undefined) return false; i = end.at; }
    if (!(i < n)) return false;
    let dur: number | undefined = p[i]!;
    if (dur < 0x80) i++;
    else { dur = timeAt(p, i, end); if (dur === undefined) return false; i = end.at; }
    calls++;
    time = time + gap + dur;
    pieces = 0;
    if (marked[imp]) hits++;
  }
  if (i !== n) return false;
  st.calls = calls;
  st.time = time;
  st.pieces = pieces;
  st.marked = hits;
  return true;
}
