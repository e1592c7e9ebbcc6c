// A frame's call events decoded once into typed arrays (the "flat" form), so that the replaying thread only compares
// numbers and copies bytes: no msgpack, no objects per call. The reader thread flattens frames as it reads them
// (prefetch.ts); the cursor flattens a frame itself when it came without (cursor.ts).
//
// Contract: flatten() returns a FlatFrame only for a frame the generic EventDecoder reads without an error: exactly
// `count` events, every call event well formed (FORMAT.md, "Events"). Anything else (damage, a type this format never
// uses) gives null, and the cursor then reads that frame with the generic decoder, which reports the damage where it
// always did. A call event is FAST when the flat form says all a replay needs about it: integer or float args that are
// JS numbers, a number or nil result, writes and inputs as inline bins. Every other call (an i64 result, a result map
// such as {exit}, a blob reference, a 64-bit arg beyond 2^53) is SLOW: the cursor reads it with the generic decoder at
// its offset. Blob pieces and checkpoints are not calls: the generic decoder reads them (from PRE, or TAIL at the end
// of the frame) when the cursor passes them, as it always did.

/** Fields of one call in FlatFrame.c (STRIDE int32s each). */
export const IMP = 0;
/** Offset of the call event in the payload (for reports and SLOW calls). */
export const AT = 1;
/** Offset of the first blob piece or checkpoint between the previous call and this one; -1 for none. */
export const PRE = 2;
/** FAST_INT (result in RESULT), FAST_NUMBER (result in vals after the args), FAST_NIL (no result) or SLOW. */
export const KIND = 3;
/** First arg in vals, and how many. */
export const ARGS = 4;
export const ARGC = 5;
/** First write in w (an index of a write, not of an int32), and how many. */
export const WRITES = 6;
export const WRITEC = 7;
/** Offset of the inputs' bytes in the payload, -1 for nil; their length. */
export const INPUTS = 8;
export const INPUTLEN = 9;
/** The result of a FAST_INT call (an int32: no double to box on the way back to the guest). */
export const RESULT = 10;
export const STRIDE = 11;

export const FAST_INT = 0;
export const FAST_NUMBER = 1;
export const FAST_NIL = 2;
export const SLOW = 3;

/**
 * Per write in FlatFrame.w: guest address (as int32: read it with >>> 0), length, offset of its bytes in the payload,
 * and for a write of at most 8 bytes those bytes as two little-endian int32s (lo, hi; missing bytes 0).
 */
export const W_STRIDE = 5;

export interface FlatFrame {
  /** Call events in the frame. */
  calls: number;
  /** STRIDE fields per call (IMP, AT, ...). */
  c: Int32Array;
  /** Args of FAST calls, each followed by its result when KIND is FAST_NUMBER. */
  vals: Float64Array;
  /** W_STRIDE fields per write of FAST calls. */
  w: Int32Array;
  /** Offset of the blob pieces or checkpoints after the last call (read before the next frame); -1 for none. */
  tail: number;
}

/** The buffers of a flat frame, to transfer it to another thread without a copy. */
export const flatBuffers = (f: FlatFrame): ArrayBuffer[] => [f.c.buffer as ArrayBuffer, f.vals.buffer as ArrayBuffer, f.w.buffer as ArrayBuffer];

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

/** Growable typed arrays for one frame. */
let c = new Int32Array(STRIDE * 1024);
let vals = new Float64Array(4096);
let w = new Int32Array(W_STRIDE * 1024);

function grow<T extends Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/**
 * The flat form of a frame's events (see the contract at the top), or null when the generic decoder must read it.
 * `count`: the number of events the frame declares (undefined: not checked).
 */
export function flatten(payload: Uint8Array, count?: number): FlatFrame | null {
  p = payload;
  pos = 0;
  end = payload.length;
  bad = false;
  // Each frame gets its own arrays (they go to another thread); sized for the events it declares.
  const guess = Math.max(1, count ?? 64);
  c = new Int32Array(STRIDE * guess);
  vals = new Float64Array(4 * guess);
  w = new Int32Array(W_STRIDE * guess);
  calls = 0;
  nv = 0;
  nw = 0;
  pre = -1;
  let events = 0;
  let ok = true;
  while (ok && pos < end) {
    if (count !== undefined && events === count) { ok = false; break; } // more events than declared
    events++;
    ok = event();
  }
  p = EMPTY;
  if (!ok || pos !== end || bad || (count !== undefined && events !== count)) return null;
  return { calls, c: c.subarray(0, calls * STRIDE), vals: vals.subarray(0, nv), w: w.subarray(0, nw * W_STRIDE), tail: pre };
}

const EMPTY = new Uint8Array(0);
/** The frame so far: calls, vals and writes used, where the non-call events since the last call start (-1: none). */
let calls = 0;
let nv = 0;
let nw = 0;
let pre = -1;

/** Bytes [i, i+n) of q (n <= 8) as two little-endian int32s at out[at], out[at+1]. */
function inline8(q: Uint8Array, i: number, n: number, out: Int32Array, at: number): void {
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < n && k < 4; k++) lo |= q[i + k]! << (8 * k);
  for (let k = 4; k < n; k++) hi |= q[i + k]! << (8 * (k - 4));
  out[at] = lo;
  out[at + 1] = hi;
}

/** End of the value intAt read. */
let next = 0;

/**
 * The int at `i` of `q` in the encodings the recorder writes for small ints (fixints, 8 to 32 bits), its end in
 * `next`; NaN for any other encoding. Past the end of `q` it reads garbage: the caller checks `next` against it.
 */
function intAt(q: Uint8Array, i: number): number {
  const b = q[i]!;
  if (b < 0x80) { next = i + 1; return b; }
  if (b >= 0xe0) { next = i + 1; return b - 256; }
  switch (b) {
    case 0xcc: next = i + 2; return q[i + 1]!;
    case 0xcd: next = i + 3; return (q[i + 1]! << 8) | q[i + 2]!;
    case 0xce: next = i + 5; return q[i + 1]! * 0x1000000 + ((q[i + 2]! << 16) | (q[i + 3]! << 8) | q[i + 4]!);
    case 0xd0: next = i + 2; return (q[i + 1]! << 24) >> 24;
    case 0xd1: next = i + 3; return (((q[i + 1]! << 8) | q[i + 2]!) << 16) >> 16;
    case 0xd2: next = i + 5; return (q[i + 1]! << 24) | (q[i + 2]! << 16) | (q[i + 3]! << 8) | q[i + 4]!;
    default: return NaN;
  }
}

/**
 * The common call event, the way the recorder writes it (fixarrays, small ints, bins, nil inputs or a bin): read
 * with locals only. False, having written nothing that counts, for anything else: event() then reads it.
 */
function commonCall(): boolean {
  const q = p;
  const start = pos;
  const head = q[start];
  if (head !== 0x97 && head !== 0x95) return false;
  const imp = intAt(q, start + 1);
  if (!(imp >= 0)) return false;
  let i = next;
  const ab = q[i]!;
  if ((ab & 0xf0) !== 0x90) return false;
  const argc = ab & 0x0f;
  i++;
  if (vals.length < nv + argc + 1) vals = grow(vals, nv + argc + 1);
  const v = vals;
  for (let k = 0; k < argc; k++) {
    const a = intAt(q, i);
    if (a !== a) return false;
    v[nv + k] = a;
    i = next;
  }
  let kind = FAST_INT;
  let result = 0;
  if (q[i] === 0xc0) { kind = FAST_NIL; i++; }
  else {
    const r = intAt(q, i);
    if (r !== r) return false;
    if ((r | 0) === r) result = r;
    else { kind = FAST_NUMBER; v[nv + argc] = r; }
    i = next;
  }
  const wb = q[i]!;
  if ((wb & 0xf0) !== 0x90 || wb & 1) return false;
  const writes = (wb & 0x0f) >> 1;
  i++;
  if (w.length < (nw + writes) * W_STRIDE) w = grow(w, (nw + writes) * W_STRIDE);
  const ww = w;
  for (let k = 0, q3 = nw * W_STRIDE; k < writes; k++, q3 += W_STRIDE) {
    const addr = intAt(q, i);
    if (!(addr >= 0)) return false;
    i = next;
    const bb = q[i];
    let n: number;
    if (bb === 0xc4) { n = q[i + 1]!; i += 2; }
    else if (bb === 0xc5) { n = (q[i + 1]! << 8) | q[i + 2]!; i += 3; }
    else return false;
    ww[q3] = addr | 0;
    ww[q3 + 1] = n;
    ww[q3 + 2] = i;
    if (n <= 8) inline8(q, i, n, ww, q3 + 3);
    i += n;
  }
  let inputs = -1;
  let inputLen = 0;
  const ib = q[i];
  if (ib === 0xc0) i++;
  else if (ib === 0xc4) { inputLen = q[i + 1]!; inputs = i + 2; i = inputs + inputLen; }
  else if (ib === 0xc5) { inputLen = (q[i + 1]! << 8) | q[i + 2]!; inputs = i + 3; i = inputs + inputLen; }
  else return false;
  if (head === 0x97) {
    const gap = intAt(q, i);
    if (!(gap >= 0)) return false;
    const dur = intAt(q, next);
    if (!(dur >= 0)) return false;
    i = next;
  }
  if (i > end) return false;
  if (c.length < (calls + 1) * STRIDE) c = grow(c, (calls + 1) * STRIDE);
  const o = calls * STRIDE;
  const cc = c;
  cc[o + IMP] = imp;
  cc[o + AT] = start;
  cc[o + PRE] = pre;
  cc[o + KIND] = kind;
  cc[o + ARGS] = nv;
  cc[o + ARGC] = argc;
  cc[o + WRITES] = nw;
  cc[o + WRITEC] = writes;
  cc[o + INPUTS] = inputs;
  cc[o + INPUTLEN] = inputLen;
  cc[o + RESULT] = result;
  pre = -1;
  calls++;
  nv += argc + 1;
  nw += writes;
  pos = i;
  return true;
}

/** Reads the event at pos into the arrays; false when the frame needs the generic decoder. */
function event(): boolean {
  if (commonCall()) return true;
  const start = pos;
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
  if (c.length < (calls + 1) * STRIDE) c = grow(c, (calls + 1) * STRIDE);
  const o = calls * STRIDE;
  c[o + AT] = start;
  c[o + PRE] = pre;
  pre = -1;
  calls++;
  // imp: a non-negative integer (the generic decoder rejects others in reports).
  if (!number() || big || !Number.isInteger(num) || num < 0 || num > 0x7fffffff) return false;
  c[o + IMP] = num;
  let slow = false;
  // args: numbers (a 64-bit int beyond 2^53 stays a bigint in the generic decoder: SLOW).
  const argc = arrayLen();
  if (argc < 0) return false;
  if (vals.length < nv + argc + 1) vals = grow(vals, nv + argc + 1);
  c[o + ARGS] = nv;
  c[o + ARGC] = argc;
  for (let k = 0; k < argc; k++) {
    if (!number()) return false; // bad args
    if (big) slow = true;
    vals[nv + k] = num;
  }
  // result: a number or nil; an int64 encoding is an i64 result (a bigint): SLOW, as is a map ({exit}, {throw}).
  const rb = pos < end ? p[pos]! : -1;
  let kind = FAST_NUMBER;
  c[o + RESULT] = 0;
  if (rb === 0xc0) { pos++; kind = FAST_NIL; }
  else if (rb === 0xcf || rb === 0xd3) { slow = true; skip(); }
  else if (number()) {
    if ((num | 0) === num && !Object.is(num, -0)) { kind = FAST_INT; c[o + RESULT] = num; }
    else vals[nv + argc] = num;
  }
  else if ((rb & 0xf0) === 0x80) { slow = true; if (!resultMapOk()) return false; }
  else return false; // bad result
  nv += argc + 1;
  // writes: addr, bin, ... (a blob reference {blob: n} instead of a bin: SLOW)
  const wn = arrayLen();
  if (wn < 0 || wn % 2) return false;
  const writes = wn >> 1;
  if (w.length < (nw + writes) * W_STRIDE) w = grow(w, (nw + writes) * W_STRIDE);
  c[o + WRITES] = nw;
  c[o + WRITEC] = writes;
  for (let k = 0; k < writes; k++) {
    if (!number() || big || !Number.isInteger(num) || num < 0 || num >= 4294967296) return false; // bad write address
    const addr = num;
    const n = binLen();
    if (n >= 0) {
      const q = (nw + k) * W_STRIDE;
      w[q] = addr | 0;
      w[q + 1] = n;
      w[q + 2] = pos;
      if (n <= 8) inline8(p, pos, n, w, q + 3);
      pos += n;
    } else {
      if (!blobRefOk()) return false; // expected bytes
      slow = true;
    }
  }
  nw += writes;
  // inputs: nil or a bin (or a blob reference: SLOW)
  if (pos < end && p[pos] === 0xc0) { pos++; c[o + INPUTS] = -1; c[o + INPUTLEN] = 0; }
  else {
    const n = binLen();
    if (n >= 0) { c[o + INPUTS] = pos; c[o + INPUTLEN] = n; pos += n; }
    else { if (!blobRefOk()) return false; slow = true; }
  }
  // times: non-negative numbers
  if (len === 7) {
    for (let k = 0; k < 2; k++) if (!number() || big || !(Number.isFinite(num) && num >= 0)) return false;
  }
  c[o + KIND] = slow ? SLOW : kind;
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
