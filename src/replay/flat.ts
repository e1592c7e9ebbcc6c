// A frame's call events decoded once into typed arrays (the "flat" form), so that the replaying thread only compares
// numbers and copies bytes: no msgpack, no objects per call. The reader thread flattens frames as it reads them
// (prefetch.ts); the cursor flattens a frame itself when it came without (cursor.ts).
//
// Contract: flatten() returns a FlatFrame only for a frame the generic EventDecoder reads without an error: exactly
// `count` events, every call event well formed (FORMAT.md, "Events"). Anything else (damage, a type this format never
// uses) gives null, and the cursor then reads that frame with the generic decoder, which reports the damage where it
// always did. A call is FAST when its record says all a replay needs: args that are JS numbers, a number or nil
// result, writes and inputs as inline bins. Every other call (an i64 result, a result map such as {exit}, a blob
// reference, a 64-bit arg beyond 2^53, more than 255 args or writes) is SLOW: its record has only its header, and the
// cursor reads the call with the generic decoder at its offset. Blob pieces and checkpoints are not calls: the generic
// decoder reads them (from the PRE offset of the call after them, or `tail` at the end of the frame) when the cursor
// passes them, as it always did.
//
// A call's record in FlatFrame.r (int32s, one record after the other, read in order):
//   imp
//   argc | writec << 8 | flags << 16      flags: F_PRE, F_INPUTS, F_WIDE, and the result kind (R_MASK)
//   [pre]                                  F_PRE: offset of the first blob piece or checkpoint before the call
//   (nothing more for R_SLOW)
//   args: argc int32s, or with F_WIDE one index into vals where argc doubles are
//   result: R_INT one int32; R_NUMBER an index into vals; R_NIL nothing
//   writes, each: addr (as int32: read it >>> 0), len, then for len <= 8 its bytes as two little-endian int32s
//     (lo, hi; missing bytes 0), else the offset of its bytes in the payload
//   inputs (F_INPUTS; else nil): offset of their bytes in the payload, length
// A call that repeats the template (a repeat event, or a call event the same as the template up to its write's bytes:
// FORMAT.md, "Repeat events") has a short record instead, which refers to the template's (in the same frame):
//   imp
//   argc | writec << 8 | flags << 16      flags: F_REPEAT and the template's result kind (R_INT or R_NIL), no other
//   the index in r of the template's args (its record's args, result and write address and length are this call's)
//   writec 1: its write's bytes as two little-endian int32s (lo, hi; the template's write has at most 8 bytes)
// The template is a call commonCalls read in full: args all int32s, an int or nil result, at most one write of at most
// 8 bytes, nil inputs.

import { intAt, intRead, isDeltaHead } from '../trace/event-heads.js';

export const F_PRE = 1;
export const F_INPUTS = 2;
export const F_WIDE = 4;
export const F_REPEAT = 32;
export const R_MASK = 24;
export const R_INT = 0;
export const R_NUMBER = 8;
export const R_NIL = 16;
export const R_SLOW = 24;

export interface FlatFrame {
  /** Call events in the frame. */
  calls: number;
  /** The calls' records, in order (layout above). */
  r: Int32Array;
  /** Offset of each call event in the payload (for reports and SLOW calls). */
  at: Int32Array;
  /** Doubles that records point to: args that are not all int32s, results that are not one. */
  vals: Float64Array;
  /** Offset of the blob pieces or checkpoints after the last call (read before the next frame); -1 for none. */
  tail: number;
}

/** The buffers of a flat frame, to transfer it to another thread without a copy (and back, for reuse: `spare`). */
export const flatBuffers = (f: FlatFrame): ArrayBuffer[] => [f.r.buffer as ArrayBuffer, f.at.buffer as ArrayBuffer, f.vals.buffer as ArrayBuffer];

/** The index of the record after the one at `k` of `r`. */
export function recordEnd(r: Int32Array, k: number): number {
  const h = r[k + 1]!;
  const flags = h >>> 16;
  if (flags & F_REPEAT) return k + 3 + 2 * ((h >>> 8) & 0xff);
  let i = k + 2 + (flags & F_PRE);
  if ((flags & R_MASK) === R_SLOW) return i;
  i += flags & F_WIDE ? 1 : h & 0xff;
  const kind = flags & R_MASK;
  if (kind === R_INT || kind === R_NUMBER) i++;
  for (let n = (h >>> 8) & 0xff; n > 0; n--) i += r[i + 1]! <= 8 ? 4 : 3;
  return flags & F_INPUTS ? i + 2 : i;
}

// The walk below keeps its state in module variables (one frame at a time, on one thread): no object per value.
let p: Uint8Array = new Uint8Array(0);
let pos = 0;
let end = 0;
/** The value number() read; `big` is set when it does not fit a JS number exactly (the generic decoder keeps a bigint). */
let num = 0;
let big = false;
/** Set by a walk that met bytes the generic decoder would reject (or a type it never reads). */
let bad = false;

const u16 = (i: number) => (p[i]! << 8) | p[i + 1]!;
const u32 = (i: number) => p[i]! * 0x1000000 + ((p[i + 1]! << 16) | (p[i + 2]! << 8) | p[i + 3]!);
const scratch = new DataView(new ArrayBuffer(8));
const float = (i: number, n: 4 | 8): number => {
  for (let k = 0; k < n; k++) scratch.setUint8(k, p[i + k]!);
  return n === 4 ? scratch.getFloat32(0) : scratch.getFloat64(0);
};
const int64 = (i: number, signed: boolean): void => {
  for (let k = 0; k < 8; k++) scratch.setUint8(k, p[i + k]!);
  const v = signed ? scratch.getBigInt64(0) : scratch.getBigUint64(0);
  big = v > 9007199254740991n || v < -9007199254740991n;
  num = Number(v);
};

/**
 * Reads a number (an int or float encoding) at pos into `num` (and `big`) and moves past it; false, not moving, for
 * any other value.
 */
function number(): boolean {
  if (pos >= end) return false;
  const b = p[pos]!;
  big = false;
  if (b < 0x80) { num = b; pos++; return true; }
  if (b >= 0xe0) { num = b - 0x100; pos++; return true; }
  let n: number;
  switch (b) {
    case 0xcc: n = 1; break;
    case 0xcd: case 0xd1: n = 2; break;
    case 0xce: case 0xd2: case 0xca: n = 4; break;
    case 0xcf: case 0xd3: case 0xcb: n = 8; break;
    case 0xd0: n = 1; break;
    default: return false;
  }
  if (pos + 1 + n > end) return false;
  const i = pos + 1;
  switch (b) {
    case 0xcc: num = p[i]!; break;
    case 0xcd: num = u16(i); break;
    case 0xce: num = u32(i); break;
    case 0xd0: num = (p[i]! << 24) >> 24; break;
    case 0xd1: num = (u16(i) << 16) >> 16; break;
    case 0xd2: num = u32(i) | 0; break;
    case 0xca: num = float(i, 4); break;
    case 0xcb: num = float(i, 8); break;
    case 0xcf: int64(i, false); break;
    case 0xd3: int64(i, true); break;
  }
  pos = i + n;
  return true;
}

/** The length of the array at pos, moving past its header; -1 (not moving) when no array starts there. */
function arrayLen(): number {
  if (pos >= end) return -1;
  const b = p[pos]!;
  if ((b & 0xf0) === 0x90) { pos++; return b & 0x0f; }
  if (b === 0xdc && pos + 3 <= end) { pos += 3; return u16(pos - 2); }
  if (b === 0xdd && pos + 5 <= end) { pos += 5; return u32(pos - 4); }
  return -1;
}

/** The length of the bin at pos, moving to its bytes (checked to be there); -1 (not moving) for anything else. */
function binLen(): number {
  if (pos >= end) return -1;
  const b = p[pos]!;
  let n: number; let h: number;
  if (b === 0xc4 && pos + 2 <= end) { n = p[pos + 1]!; h = 2; }
  else if (b === 0xc5 && pos + 3 <= end) { n = u16(pos + 1); h = 3; }
  else if (b === 0xc6 && pos + 5 <= end) { n = u32(pos + 1); h = 5; }
  else return -1;
  if (pos + h + n > end) return -1;
  pos += h;
  return n;
}

/**
 * Moves past one value of any type the generic decoder reads (its value()); sets `bad` for a type it rejects, for
 * a map key that is not a string, or for bytes that end first.
 */
function skip(): void {
  if (pos >= end) { bad = true; return; }
  const b = p[pos++]!;
  if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return;
  let n = -1; // elements to skip after a header
  let map = false;
  if ((b & 0xf0) === 0x90) n = b & 0x0f;
  else if ((b & 0xf0) === 0x80) { n = b & 0x0f; map = true; }
  else if ((b & 0xe0) === 0xa0) { pos += b & 0x1f; }
  else {
    switch (b) {
      case 0xc4: case 0xd9: if (pos + 1 > end) { bad = true; return; } pos += 1 + p[pos]!; break;
      case 0xc5: case 0xda: if (pos + 2 > end) { bad = true; return; } pos += 2 + u16(pos); break;
      case 0xc6: case 0xdb: if (pos + 4 > end) { bad = true; return; } pos += 4 + u32(pos); break;
      case 0xcc: case 0xd0: pos += 1; break;
      case 0xcd: case 0xd1: pos += 2; break;
      case 0xce: case 0xd2: case 0xca: pos += 4; break;
      case 0xcf: case 0xd3: case 0xcb: pos += 8; break;
      case 0xdc: if (pos + 2 > end) { bad = true; return; } n = u16(pos); pos += 2; break;
      case 0xdd: if (pos + 4 > end) { bad = true; return; } n = u32(pos); pos += 4; break;
      case 0xde: if (pos + 2 > end) { bad = true; return; } n = u16(pos); pos += 2; map = true; break;
      default: bad = true; return;
    }
  }
  if (pos > end) { bad = true; return; }
  for (let i = 0; i < n && !bad; i++) {
    if (map) {
      const k = pos < end ? p[pos]! : 0;
      if (!((k & 0xe0) === 0xa0 || k === 0xd9 || k === 0xda || k === 0xdb)) { bad = true; return; }
      skip();
    }
    skip();
  }
}

/** The arrays being filled for the frame: records, call offsets, doubles; how much of each is used. */
let r: Int32Array = new Int32Array(0);
let at: Int32Array = new Int32Array(0);
let vals: Float64Array = new Float64Array(0);
let nr = 0;
let calls = 0;
let nv = 0;
/** Where the blob pieces and checkpoints since the last call start (-1: none). */
let pre = -1;
/** Events read in the frame so far. */
let events = 0;
/** The payload as a DataView (sameBytes). */
let qv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
/**
 * The template commonCalls compares each event with: the frame's last call it read in full that has at most one
 * write, of at most 8 bytes, and nil inputs. Its body (after the array header) from `from`, `n` bytes up to its
 * write's bytes (`w` of them; `write`: whether it has a write) or, without one, up to its nil inputs; its record at
 * `k` in r, with an F_PRE slot when `pre`. n 0: none yet.
 */
const tmpl = { from: 0, n: 0, w: 0, write: false, k: 0, pre: false };
/**
 * Whether the last event read was a call whose record is the template's (it, or a call that repeats it): a repeat
 * event (format version 4) or delta event (5) then gets a repeat record with its own bytes. One after anything else
 * (another call, a blob piece, a checkpoint) leaves the frame to the generic decoder.
 */
let tPrev = false;
/**
 * With a template of one 8-byte write: the bytes the last call of its chain (it, or a repeat of it) wrote, as a u64's
 * low and high halves (unsigned), for the delta event after it (format version 5).
 */
let chainLo = 0;
let chainHi = 0;

/** Whether the n bytes of the payload at a and at b are the same (4 at a time; both ranges inside it). */
function sameBytes(v: DataView<ArrayBufferLike>, a: number, b: number, n: number): boolean {
  let j = 0;
  for (; j + 4 <= n; j += 4) if (v.getInt32(a + j) !== v.getInt32(b + j)) return false;
  for (; j < n; j++) if (v.getUint8(a + j) !== v.getUint8(b + j)) return false;
  return true;
}
const EMPTY = new Uint8Array(0);

function growI(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** `a`, or when it is shorter than `need`, a new array of `need` int32s (what `a` held is not kept). */
function roomI(a: Int32Array, need: number): Int32Array {
  return need <= a.length ? a : new Int32Array(need);
}

/** A frame of at least this many bytes is worth warm()ing the decoder up for, first; warmed: done. */
const WARM_FROM = 32 << 10;
let warmed = false;

/** Arrays handed back (spare), for the next frames: no fresh memory to fault in for every frame. */
const pool: FlatFrame[] = [];

/** Keeps the arrays of a flat frame that is no longer used, for flatten() to fill again. */
export function spare(f: FlatFrame): void {
  if (pool.length < 4) pool.push(f);
}

/**
 * The flat form of a frame's events (see the contract at the top), or null when the generic decoder must read it.
 * `count`: the number of events the frame declares (undefined: not checked). The arrays may be ones given to spare().
 */
export function flatten(payload: Uint8Array, count?: number): FlatFrame | null {
  if (!warmed && payload.length >= WARM_FROM) {
    warmed = true;
    warm();
  }
  p = payload;
  pos = 0;
  end = payload.length;
  bad = false;
  const guess = Math.max(1, count ?? 64);
  const reuse = pool.pop();
  r = reuse ? new Int32Array(reuse.r.buffer) : new Int32Array(0);
  at = reuse ? new Int32Array(reuse.at.buffer) : new Int32Array(0);
  vals = reuse ? new Float64Array(reuse.vals.buffer) : new Float64Array(0);
  // room for a frame of repeat records (5 int32s; commonCalls and repeats grow r for longer ones as they go)
  r = roomI(r, 6 * guess + 64);
  // room for every call: at most `count` events, or one per byte (a delta event) when not declared
  at = roomI(at, count ?? payload.length);
  if (vals.length < 16) vals = new Float64Array(256);
  nr = 0;
  calls = 0;
  nv = 0;
  pre = -1;
  events = 0;
  qv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  tmpl.n = 0;
  tPrev = false;
  const limit = count ?? Infinity;
  let ok = true;
  try {
    while (ok && pos < end) {
      commonCalls(limit);
      if (pos >= end) break;
      if (events === limit) { ok = false; break; } // more events than declared
      events++;
      ok = event();
    }
  } catch {
    ok = false; // whatever went wrong, the generic decoder reads the frame and says what is wrong with it
  }
  p = EMPTY;
  qv = new DataView(EMPTY.buffer);
  if (!ok || pos !== end || bad || (count !== undefined && events !== count)) return null;
  return { calls, r: r.subarray(0, nr), at: at.subarray(0, calls), vals: vals.subarray(0, nv), tail: pre };
}

/** Bytes [i, i+n) of q (n <= 8) as two little-endian int32s at out[o], out[o+1]. */
function inline8(q: Uint8Array, i: number, n: number, out: Int32Array, o: number): void {
  let lo = 0;
  let hi = 0;
  if (n === 8 || n === 4) {
    lo = q[i]! | (q[i + 1]! << 8) | (q[i + 2]! << 16) | (q[i + 3]! << 24);
    if (n === 8) hi = q[i + 4]! | (q[i + 5]! << 8) | (q[i + 6]! << 16) | (q[i + 7]! << 24);
  } else {
    for (let k = 0; k < n && k < 4; k++) lo |= q[i + k]! << (8 * k);
    for (let k = 4; k < n; k++) hi |= q[i + k]! << (8 * (k - 4));
  }
  out[o] = lo;
  out[o + 1] = hi;
}

/**
 * Reads the common call events at pos, the way the recorder writes them (fixarrays, int32 args and result, bins of
 * at most 64 KiB, nil inputs or a bin), one after the other, until `limit` events were counted or an event is not
 * one of them (event() then reads it). Its state is kept in locals and stored once when it stops: this loop is the
 * reader thread's hot path.
 */
function commonCalls(limit: number): void {
  const q = p;
  const e = end;
  let i = pos;
  let k = nr;
  let c = calls;
  let ev = events;
  let pr = pre;
  let rr = r;
  const aa = at;
  const v = qv;
  let tFrom = tmpl.from;
  let tn = tmpl.n;
  let tw = tmpl.w;
  let tWrite = tmpl.write;
  let tk = tmpl.k;
  let tPre = tmpl.pre;
  let prevIsTemplate = tPrev;
  // The committed state: where the event being read starts, and where its record starts.
  let start = i;
  let k0 = k;
  let whole = true; // the loop ran out (end or limit), not stopped by an event it does not take
  for (; i < e && ev < limit; ev++) {
    start = i;
    k0 = k;
    whole = false;
    const head = q[i]!;
    // a repeat event (format version 4) or a delta event (5): of the template, right after it, or else none
    const compact = head === 0xc4 || (tw === 8 && isDeltaHead(head));
    if (compact ? !prevIsTemplate : head !== 0x97 && head !== 0x95) break;
    // Repeats of the template (below): repeat events, and call events whose bytes up to their write's data are the
    // template's, make repeat records; only the write's bytes (and the times) are read. In a
    // small function of its own, which V8 optimizes at once.
    if (compact || (tn > 0 && pr < 0)) {
      const n = repeats(q, v, i, e, k, c, limit - ev, tFrom, tn, tw, tWrite, tk, tPre, compact);
      if (n > 0) {
        i = rpI;
        k = rpK;
        c = rpC;
        rr = r;
        ev += n - 1; // and the loop's ev++
        whole = true;
        prevIsTemplate = compact || q[aa[c - 1]!] === 0x95; // a repeat event may follow an untimed call only
        continue;
      }
      if (compact) break;
    }
    prevIsTemplate = false;
    let imp = q[i + 1]!;
    if (imp < 0x80) i += 2;
    else { imp = intAt(q, i + 1); if (!(imp >= 0 && imp <= 0x7fffffff)) break; i = intRead.end; }
    const ab = q[i]!;
    if ((ab & 0xf0) !== 0x90) break;
    const argc = ab & 0x0f;
    i++;
    // at most: header 3, args 15, result 1, 7 writes of 4, inputs 2
    if (rr.length < k + 64) rr = r = growI(rr, k + 64);
    k += pr >= 0 ? 3 : 2;
    let ok = true;
    for (let a = 0; a < argc; a++) {
      const b = q[i]!;
      if (b < 0x80) { rr[k++] = b; i++; continue; } // a positive fixint, the most common arg
      const v = intAt(q, i);
      if ((v | 0) !== v) { ok = false; break; } // not an int32 (or not an int): event() keeps it as a double
      rr[k++] = v;
      i = intRead.end;
    }
    if (!ok) break;
    let flags = pr >= 0 ? F_PRE : 0;
    const rb = q[i]!;
    if (rb < 0x80) { rr[k++] = rb; i++; }
    else if (rb === 0xc0) { flags |= R_NIL; i++; }
    else {
      const v = intAt(q, i);
      if ((v | 0) !== v) break;
      rr[k++] = v;
      i = intRead.end;
    }
    const wb = q[i]!;
    if ((wb & 0xf0) !== 0x90 || wb & 1) break;
    const writes = (wb & 0x0f) >> 1;
    i++;
    let hole = i; // the last write's bytes, or (no writes) the inputs
    let holeLen = 0;
    for (let n = 0; n < writes; n++) {
      const addr = intAt(q, i);
      if (!(addr >= 0)) { ok = false; break; }
      i = intRead.end;
      const bb = q[i];
      let len: number;
      if (bb === 0xc4) { len = q[i + 1]!; i += 2; }
      else if (bb === 0xc5) { len = (q[i + 1]! << 8) | q[i + 2]!; i += 3; }
      else { ok = false; break; }
      rr[k] = addr | 0;
      rr[k + 1] = len;
      if (len === 8) { // a timestamp, a filesize: inline
        rr[k + 2] = q[i]! | (q[i + 1]! << 8) | (q[i + 2]! << 16) | (q[i + 3]! << 24);
        rr[k + 3] = q[i + 4]! | (q[i + 5]! << 8) | (q[i + 6]! << 16) | (q[i + 7]! << 24);
        k += 4;
      } else if (len <= 8) { inline8(q, i, len, rr, k + 2); k += 4; }
      else { rr[k + 2] = i; k += 3; }
      hole = i;
      holeLen = len;
      i += len;
    }
    if (!ok) break;
    if (writes === 0) hole = i;
    const ib = q[i];
    if (ib === 0xc0) i++;
    else {
      let len: number;
      if (ib === 0xc4) { len = q[i + 1]!; i += 2; }
      else if (ib === 0xc5) { len = (q[i + 1]! << 8) | q[i + 2]!; i += 3; }
      else break;
      flags |= F_INPUTS;
      rr[k] = i;
      rr[k + 1] = len;
      k += 2;
      i += len;
    }
    if (head === 0x97) {
      const gap = intAt(q, i);
      if (!(gap >= 0)) break;
      const dur = intAt(q, intRead.end);
      if (!(dur >= 0)) break;
      i = intRead.end;
    }
    if (i > e) break;
    rr[k0] = imp;
    rr[k0 + 1] = argc | (writes << 8) | (flags << 16);
    // The template for the events after it: a call with at most one write, of at most 8 bytes (inline), and nil inputs.
    if (writes <= 1 && holeLen <= 8 && (flags & F_INPUTS) === 0) {
      tFrom = start + 1;
      tn = hole - tFrom;
      tw = holeLen;
      tWrite = writes === 1;
      tk = k0;
      tPre = pr >= 0;
      prevIsTemplate = head === 0x95; // a repeat event may follow an untimed call only
      if (holeLen === 8) { chainLo = rr[k - 2]! >>> 0; chainHi = rr[k - 1]! >>> 0; } // no inputs: its bytes end the record
    }
    if (pr >= 0) { rr[k0 + 2] = pr; pr = -1; }
    aa[c++] = start; // flatten() made room for every call
    whole = true;
  }
  // Stopped by an event this loop does not take: its start is pos, the records before it end at nr.
  pos = whole ? i : start;
  nr = whole ? k : k0;
  calls = c;
  events = ev;
  pre = pr;
  r = rr;
  tmpl.from = tFrom;
  tmpl.n = tn;
  tmpl.w = tw;
  tmpl.write = tWrite;
  tmpl.k = tk;
  tmpl.pre = tPre;
  tPrev = prevIsTemplate;
}

/** Where repeats() stopped: the next event, the end of the records, the calls. */
let rpI = 0;
let rpK = 0;
let rpC = 0;

/**
 * Takes the events from `i` (at most `max`, before `e`) that repeat the template (tmpl's fields, given as they are in
 * commonCalls): with `compact`, repeat events (format version 4: a bin of the write's `tw` bytes) and delta events
 * (version 5: an int added to the bytes before, chainLo and chainHi, for a `tw` of 8); else call events
 * with the same `tn` bytes from `tFrom` after the array header, then the write's `tw` bytes, nil inputs, and for a
 * timed event two non-negative ints. For each it writes a repeat record (the template's record is at `tk`, with an F_PRE
 * slot when `tPre`) to `k` with the write's bytes, and its offset into `at` at `c`. Returns how many it took; rpI,
 * rpK, rpC say where it stopped (`r` may have grown).
 */
function repeats(q: Uint8Array, v: DataView<ArrayBufferLike>, i: number, e: number, k: number, c: number, max: number,
  tFrom: number, tn: number, tw: number, tWrite: boolean, tk: number, tPre: boolean, compact: boolean): number {
  if (compact && tw === 8 && tWrite && q[i]! !== 0xc4) return deltas(q, i, e, k, c, max, tk, tPre);
  let rr = r;
  const aa = at;
  const imp = rr[tk]!;
  const th = rr[tk + 1]!;
  const head = (th & 0xffff) | ((((th >>> 16) & R_MASK) | F_REPEAT) << 16);
  const args = tk + 2 + (tPre ? 1 : 0);
  const size = tWrite ? 5 : 3;
  let lo = chainLo;
  let hi = chainHi;
  let taken = 0;
  for (; taken < max && i < e; taken++) {
    let hole: number; // where the write's bytes are; -1 for a delta event's
    let j: number; // where the event ends
    let d = 0;
    if (compact) {
      const b = q[i]!;
      if (b < 0x80 && tw === 8) { // a delta event of a positive fixint, the most common
        d = b;
        hole = -1;
        j = i + 1;
      } else if (b === 0xc4) {
        if (q[i + 1] !== tw) break;
        hole = i + 2;
        j = hole + tw;
      } else {
        if (tw !== 8) break; // a delta event needs a template of one 8-byte write
        d = intAt(q, i);
        if (Number.isNaN(d)) break;
        hole = -1;
        j = intRead.end;
      }
    } else {
      const head = q[i]!;
      if (head !== 0x95 && head !== 0x97) break;
      hole = i + 1 + tn; // (without a write: where the nil inputs are)
      const after = hole + tw; // the nil inputs
      if (!(after < e && q[after] === 0xc0 && sameBytes(v, i + 1, tFrom, tn))) break;
      j = after + 1;
      if (head === 0x97) {
        if (!(intAt(q, j) >= 0 && intAt(q, intRead.end) >= 0)) break;
        j = intRead.end;
      }
    }
    if (j > e) break;
    if (rr.length < k + 64) rr = r = growI(rr, k + 64);
    rr[k] = imp;
    rr[k + 1] = head;
    rr[k + 2] = args;
    if (tWrite) {
      if (hole < 0) { // the last bytes plus d (−2^31 ≤ d < 2^32: one carry or borrow at most), modulo 2^64
        // event-heads.ts addDelta, in place (its call costs this loop ~10 ns an event)
        lo += d;
        if (lo >= 0x100000000) { lo -= 0x100000000; hi = (hi + 1) >>> 0; } else if (lo < 0) { lo += 0x100000000; hi = (hi - 1) >>> 0; }
        rr[k + 3] = lo | 0;
        rr[k + 4] = hi | 0;
      } else if (tw === 8) {
        rr[k + 3] = q[hole]! | (q[hole + 1]! << 8) | (q[hole + 2]! << 16) | (q[hole + 3]! << 24);
        rr[k + 4] = q[hole + 4]! | (q[hole + 5]! << 8) | (q[hole + 6]! << 16) | (q[hole + 7]! << 24);
        lo = rr[k + 3]! >>> 0;
        hi = rr[k + 4]! >>> 0;
      } else {
        inline8(q, hole, tw, rr, k + 3);
      }
    }
    aa[c++] = i;
    k += size;
    i = j;
  }
  return stopped(i, k, c, lo, hi, taken);
}

/**
 * repeats() for delta events (format version 5) of a template with one 8-byte write, the events a clock storm is
 * made of: the same records and the same stop (rpI, rpK, rpC), in a loop that reads nothing else. It stops at the
 * first event that is not a delta event of at most 32 bits (repeats() takes a repeat event there, or nothing).
 */
function deltas(q: Uint8Array, i: number, e: number, k: number, c: number, max: number, tk: number, tPre: boolean): number {
  const n = Math.min(max, e - i); // each delta event takes one byte at least
  let rr = r;
  if (rr.length < k + 5 * n + 64) rr = r = growI(rr, k + 5 * n + 64);
  const aa = at;
  const imp = rr[tk]!;
  const th = rr[tk + 1]!;
  const head = (th & 0xffff) | ((((th >>> 16) & R_MASK) | F_REPEAT) << 16);
  const args = tk + 2 + (tPre ? 1 : 0);
  let lo = chainLo;
  let hi = chainHi;
  let taken = 0;
  for (; taken < n && i < e; taken++) {
    const b = q[i]!;
    let d: number;
    let j: number;
    if (b < 0x80) { d = b; j = i + 1; } // a positive fixint, or (next) a uint 8: the most common
    else if (b === 0xcc) { d = q[i + 1]!; j = i + 2; }
    else if (b === 0xcd) { d = (q[i + 1]! << 8) | q[i + 2]!; j = i + 3; }
    else { d = intAt(q, i); if (Number.isNaN(d)) break; j = intRead.end; } // (the lines above: intAt's, inline)
    if (j > e) break;
    // the last bytes plus d (−2^31 ≤ d < 2^32: one carry or borrow at most), modulo 2^64 (event-heads.ts addDelta)
    lo += d;
    if (lo >= 0x100000000) { lo -= 0x100000000; hi = (hi + 1) >>> 0; } else if (lo < 0) { lo += 0x100000000; hi = (hi - 1) >>> 0; }
    rr[k] = imp;
    rr[k + 1] = head;
    rr[k + 2] = args;
    rr[k + 3] = lo | 0;
    rr[k + 4] = hi | 0;
    aa[c++] = i;
    k += 5;
    i = j;
  }
  return stopped(i, k, c, lo, hi, taken);
}

/** How repeats() and deltas() end: where they stopped (rpI, rpK, rpC) and the delta chain's bytes; `taken`. */
function stopped(i: number, k: number, c: number, lo: number, hi: number, taken: number): number {
  rpI = i;
  rpK = k;
  rpC = c;
  chainLo = lo;
  chainHi = hi;
  return taken;
}

/** Scratch for the args of a call event() reads. */
let argScratch: Float64Array = new Float64Array(16);

/** Reads the event at pos into the arrays (one commonCall() did not take); false when the frame needs the generic decoder. */
function event(): boolean {
  const start = pos;
  tPrev = false;
  const len = arrayLen();
  if (len === 2 || len === 4) {
    // A blob piece [-1, bin] or a checkpoint [-2, after, size, hash]: the generic decoder reads it in passing.
    if (!number() || big || num !== (len === 2 ? -1 : -2)) return false;
    if (len === 2) {
      const n = binLen();
      if (n < 0) return false; // blob piece is not bytes
      pos += n;
    } else if (!checkpointBody()) return false;
    if (pre < 0) pre = start;
    return true;
  }
  if (len !== 7 && len !== 5) return false;
  // imp: a non-negative integer (the generic decoder rejects others in reports).
  if (!number() || big || !Number.isInteger(num) || num < 0 || num > 0x7fffffff) return false;
  const imp = num;
  let slow = false;
  // args: numbers (a 64-bit int beyond 2^53 stays a bigint in the generic decoder: SLOW).
  const argc = arrayLen();
  if (argc < 0 || argc > end - pos) return false; // each arg takes a byte at least: a damaged count
  if (argc > 255) slow = true;
  if (argScratch.length < argc) argScratch = new Float64Array(argc);
  let wide = false;
  for (let k = 0; k < argc; k++) {
    if (!number()) return false; // bad args
    if (big) slow = true;
    argScratch[k] = num;
    if ((num | 0) !== num || Object.is(num, -0)) wide = true;
  }
  // result: a number or nil; an int64 encoding is an i64 result (a bigint): SLOW, as is a map ({exit}, {throw}).
  const rb = pos < end ? p[pos]! : -1;
  let kind = R_NUMBER;
  let result = 0;
  if (rb === 0xc0) { pos++; kind = R_NIL; }
  else if (rb === 0xcf || rb === 0xd3) { slow = true; skip(); }
  else if (number()) { result = num; if ((num | 0) === num && !Object.is(num, -0)) kind = R_INT; }
  else if ((rb & 0xf0) === 0x80) { slow = true; if (!resultMapOk()) return false; }
  else return false; // bad result
  // The record up to the writes (dropped again for a SLOW call).
  const k0 = nr;
  r = growI(r, k0 + 8);
  let k = k0 + 2 + (pre >= 0 ? 1 : 0);
  if (wide) {
    if (vals.length < nv + argc + 1) { const b = new Float64Array(Math.max(vals.length * 2, nv + argc + 1)); b.set(vals); vals = b; }
    r[k++] = nv;
    vals.set(argScratch.subarray(0, argc), nv);
    nv += argc;
  } else {
    r = growI(r, k + argc + 8);
    for (let a = 0; a < argc; a++) r[k++] = argScratch[a]!;
  }
  if (kind === R_INT) r[k++] = result;
  else if (kind === R_NUMBER) {
    if (vals.length < nv + 1) { const b = new Float64Array(Math.max(vals.length * 2, nv + 1)); b.set(vals); vals = b; }
    r[k++] = nv;
    vals[nv++] = result;
  }
  // writes: addr, bin, ... (a blob reference {blob: n} instead of a bin: SLOW)
  const wn = arrayLen();
  if (wn < 0 || wn % 2 || wn > end - pos) return false;
  const writes = wn >> 1;
  if (writes > 255) slow = true;
  for (let n = 0; n < writes; n++) {
    if (!number() || big || !Number.isInteger(num) || num < 0 || num >= 4294967296) return false; // bad write address
    const addr = num;
    const blen = binLen();
    if (blen >= 0) {
      r = growI(r, k + 8);
      r[k] = addr | 0;
      r[k + 1] = blen;
      if (blen <= 8) { inline8(p, pos, blen, r, k + 2); k += 4; }
      else { r[k + 2] = pos; k += 3; }
      pos += blen;
    } else {
      if (!blobRefOk()) return false; // expected bytes
      slow = true;
    }
  }
  // inputs: nil or a bin (or a blob reference: SLOW)
  let flags = pre >= 0 ? F_PRE : 0;
  if (pos < end && p[pos] === 0xc0) pos++;
  else {
    const n = binLen();
    if (n >= 0) { r = growI(r, k + 4); r[k] = pos; r[k + 1] = n; k += 2; pos += n; flags |= F_INPUTS; }
    else { if (!blobRefOk()) return false; slow = true; }
  }
  // times: non-negative numbers
  if (len === 7) {
    for (let t = 0; t < 2; t++) if (!number() || big || !(Number.isFinite(num) && num >= 0)) return false;
  }
  if (slow) { flags = (flags & F_PRE) | R_SLOW; k = k0 + 2 + (pre >= 0 ? 1 : 0); }
  else flags |= kind | (wide ? F_WIDE : 0);
  r[k0] = imp;
  r[k0 + 1] = (slow ? 0 : argc | (writes << 8)) | (flags << 16);
  if (pre >= 0) r[k0 + 2] = pre;
  nr = k;
  if (at.length <= calls) at = growI(at, calls + 1);
  at[calls++] = start;
  pre = -1;
  return true;
}

/** Moves past the rest of a checkpoint [-2, after, size, hash]: false unless the generic decoder accepts it. */
function checkpointBody(): boolean {
  if (!number() || big || !Number.isSafeInteger(num) || num < 0) return false;
  if (!number() || big || !Number.isSafeInteger(num) || num < 0) return false;
  const n = binLen();
  if (n < 0) return false;
  pos += n;
  return true;
}

/** Moves past {blob: n} (a byte string that travelled as blob pieces): false for anything else. */
function blobRefOk(): boolean {
  if (pos + 6 > end || p[pos] !== 0x81 || p[pos + 1] !== 0xa4) return false;
  if (p[pos + 2] !== 0x62 || p[pos + 3] !== 0x6c || p[pos + 4] !== 0x6f || p[pos + 5] !== 0x62) return false; // "blob"
  pos += 6;
  return number() && !big && Number.isSafeInteger(num) && num >= 0;
}

/** Moves past a result map: {exit: int} or {throw: str}, as the generic decoder's isResult accepts them. */
function resultMapOk(): boolean {
  if (pos + 2 > end || p[pos] !== 0x81) return false;
  const k = p[pos + 1]!;
  if (k === 0xa4 && pos + 6 <= end && p[pos + 2] === 0x65 && p[pos + 3] === 0x78 && p[pos + 4] === 0x69 && p[pos + 5] === 0x74) { // "exit"
    pos += 6;
    return number() && !big && Number.isInteger(num);
  }
  if (k === 0xa5 && pos + 7 <= end && p[pos + 2] === 0x74 && p[pos + 3] === 0x68 && p[pos + 4] === 0x72 && p[pos + 5] === 0x6f && p[pos + 6] === 0x77) { // "throw"
    pos += 7;
    const b = pos < end ? p[pos]! : 0;
    if (!((b & 0xe0) === 0xa0 || b === 0xd9 || b === 0xda || b === 0xdb)) return false;
    skip();
    return !bad;
  }
  return false;
}

/**
 * A frame with a call event of each shape the recorder writes (and a few that event() reads): int encodings of every
 * width, results that are negative or nil, writes of 3, 4, 8 and 24 bytes, one and two of them or none, inputs, times,
 * calls that repeat the one before them, repeat and delta events. For warm().
 */
export function sampleFrame(): { bytes: Uint8Array; count: number } {
  const u32 = (v: number) => [0xce, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  const run = (n: number, from: number) => Array.from({ length: n }, (_, i) => (from + i) & 0xff);
  const clock = (addr: number, head = 0x95) => [head, 0x02, 0x93, 0x01, 0x01, ...u32(addr), 0x00, 0x92, ...u32(addr), 0xc4, 8, ...run(8, addr)];
  const events = [
    [...clock(0x11580), 0xc0],
    // delta events (format version 5) right after their call, as a clock storm has them (deltas() reads them): each
    // encoding, a carry into the high half and a borrow from it
    [0x07],
    [0xcc, 0x90],
    [0xcd, 0x01, 0x00],
    [0xff],
    [0xce, 0xff, 0xff, 0xff, 0xff],
    [0xd2, 0x80, 0x00, 0x00, 0x00],
    [0xd2, 0x80, 0x00, 0x00, 0x00],
    [...clock(0x11580), 0xc0], // a repeat
    [0xc4, 8, ...run(8, 40)], // a repeat event (format version 4)
    [0xc4, 8, ...run(8, 48)],
    [0x07], // delta events after a repeat event (repeats() reads them)
    [0xcc, 0x90],
    [0xcd, 0x01, 0x00],
    [0xd0, 0x80],
    [0xce, 0xff, 0xff, 0xff, 0xff],
    [...clock(0x11580, 0x97), 0xc0, 0x00, 0xcd, 0x01, 0x00], // a repeat with times
    [...clock(0x11588), 0xc0],
    [0x95, 0x03, 0x92, 0xcc, 0xc8, 0xd0, 0x80, 0xff, 0x92, 0x10, 0xc4, 4, ...run(4, 1), 0xc0],
    [0x95, 0x03, 0x92, 0xcd, 0x01, 0x00, 0xd1, 0xff, 0x00, 0x00, 0x92, 0x20, 0xc4, 3, ...run(3, 2), 0xc0],
    [0x95, 0x03, 0x92, 0xcd, 0x01, 0x00, 0xd1, 0xff, 0x00, 0x00, 0x92, 0x20, 0xc4, 3, ...run(3, 5), 0xc0],
    [0x95, 0x04, 0x91, 0xd2, 0xff, 0xff, 0xff, 0x00, 0x00, 0x92, 0x30, 0xc4, 24, ...run(24, 3), 0xc0],
    [0x95, 0x05, 0x91, 0x01, 0xc0, 0x94, 0x40, 0xc4, 4, ...run(4, 4), 0x48, 0xc4, 8, ...run(8, 5), 0xc0],
    [0x97, 0x06, 0x94, 0x01, 0x10, 0x01, 0x50, 0x00, 0x92, 0x50, 0xc4, 4, 5, 0, 0, 0, 0xc4, 5, ...run(5, 104), 0x01, 0x02],
    [0x95, 0x07, 0x90, 0x00, 0x90, 0xc0],
    [0x95, 0x07, 0x90, 0x00, 0x90, 0xc0], // a repeat without writes
    [0xc4, 0], // a repeat event without writes
    [0x95, 0x08, 0x91, 0x01, 0x00, 0x92, 0x60, 0xc5, 0x00, 0x0a, ...run(10, 6), 0xc0],
    [0x95, 0x09, 0x91, 0x01, 0x00, 0x90, 0xc5, 0x00, 0x03, ...run(3, 7)],
    [0x95, 0xcc, 0x80, 0x90, 0x00, 0x90, 0xc0], // import #128
    [0x95, 0x02, 0x91, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x00, 0x90, 0xc0], // an arg of 1.5: event()
    [...clock(0x11580), 0xc0],
  ];
  return { bytes: Uint8Array.from(events.flat()), count: events.length };
}

/**
 * Makes V8 optimize the decoder before real frames come (the reader thread calls it while the replay compiles the
 * guest): flattens a frame of a few thousand repeated calls a few times (in full, as versions up to 3 write them, as
 * repeat events and as delta events), so that the first megabyte frames are not decoded by V8's interpreter while its optimizing
 * compiler works on the loop (~2 µs instead of ~0.1 µs a call).
 */
export function warmUp(): void {
  const { bytes, count } = sampleFrame();
  const call = bytes.subarray(0, 28); // the first event: a clock_time_get with a write of 8 bytes
  const delta = Uint8Array.of(0x11, 0xcc, 0x90); // two delta events of it (fixint and uint 8, which come mixed)
  const repeat = Uint8Array.of(0xc4, 8, 1, 2, 3, 4, 5, 6, 7, 8); // a repeat event of it
  const n = 750;
  // its calls in full, then delta events right after one (deltas()), then repeat events after another (repeats())
  const parts = [bytes, ...Array<Uint8Array>(n).fill(call), call, ...Array<Uint8Array>(n).fill(delta), call, ...Array<Uint8Array>(n).fill(repeat)];
  const frame = Buffer.concat(parts);
  for (let i = 0; i < 4; i++) {
    const f = flatten(i & 1 ? frame : new Uint8Array(frame), count + 4 * n + 2);
    if (f) spare(f);
  }
}

/**
 * Runs the decoder over sampleFrame() before the first frame big enough to make it hot (flatten: WARM_FROM): each of
 * its branches then has type feedback, so the optimized code V8 makes once real frames make it hot covers the shapes a
 * frame has now and then (an fd_write's 4-byte count after a million clock calls) instead of being thrown away, and
 * made again, at the first of them. A replay of a few small frames never pays for it.
 */
function warm(): void {
  const { bytes, count } = sampleFrame();
  // As a Uint8Array and as a Buffer (frames come as either); V8 gives a function the vector its feedback goes to only
  // after its first few calls: a dozen, to be sure.
  const buffer = Buffer.from(bytes);
  for (let i = 0; i < 12; i++) flatten(i & 1 ? buffer : bytes, count);
}
