// Walks a trace's call events in order, one frame in memory at a time. A frame comes in its flat form (flat.ts:
// typed arrays the reader thread decoded it into, or the cursor decodes it so itself): a call is then matched by
// comparing numbers and copying bytes. The generic EventDecoder reads what the flat form leaves to it (blob pieces,
// checkpoints, SLOW calls) in place, and whole frames that have no flat form (damaged ones: it reports the damage).
import { i64FromHalves } from '../runtime/trampoline.js';
import { EventDecoder, EventDecodeError, type CallEvent, type CallResult, type Checkpoint } from '../trace/events.js';
import { TraceError, type TraceFrame } from '../trace/reader.js';
import { F_INPUTS, F_PRE, F_REPEAT, F_WIDE, flatten, recordEnd, R_INT, R_MASK, R_NIL, R_SLOW, spare, type FlatFrame } from './flat.js';

/** Why the next event does not match a call. */
export type Mismatch = 'end' | 'call' | 'inputs' | 'memory';

/**
 * A frame for the cursor: what it reads of a TraceFrame (where it is, its declared event count, its events), and
 * `flat`, its flat form (flatten()), null when it has none, absent when not made yet.
 */
export type CursorFrame = Pick<TraceFrame, 'offset' | 'count' | 'payload'> & { flat?: FlatFrame | null };

/** A frame the last events came from, for divergence reports. */
interface RecentFrame {
  payload: Uint8Array;
  frameOffset: number;
  /** Index of its first call event. */
  base: number;
  flat: FlatFrame | null;
  /** Without a flat form: where each of its calls the cursor reached starts. */
  starts: number[];
}

const NO_RECORDS = new Int32Array(0);

export class EventCursor {
  private readonly decoder = new EventDecoder();
  private payload: Uint8Array = new Uint8Array(0);
  private frameOffset = 0;
  /** The current frame's flat form; null while the generic decoder reads the frame. */
  private flat: FlatFrame | null = null;
  // The flat form's records and doubles, and its call count (0 without one): read on every call (and by the
  // functions flatImport makes, which move `at`, `rp` and `index` past a call as matchFlat does).
  /** @internal */ r: Int32Array = NO_RECORDS;
  private vals: Float64Array = new Float64Array(0);
  /** @internal */ calls = 0;
  /** The flat frame's next call, and where its record starts. */
  /** @internal */ at = 0;
  /** @internal */ rp = 0;
  /** The flat frame's call whose preceding blob pieces and checkpoints were read (advance); -1 for none yet. */
  private prepared = -1;
  /** Whether the flat frame's events after its last call were read. */
  private tailRead = false;
  /** Index of the next event. */
  index = 0;
  /** The last recorded i64 arg matchFlat compared (NaN: none yet), and it as a bigint. */
  private bigRec = NaN;
  private bigVal = 0n;
  /** Frames the last `keepRecent` events came from, oldest first. */
  private readonly recent: RecentFrame[] = [];

  /**
   * `frames`: the trace's frames in order (TraceReader.frames(), or prefetched on another thread). `release`: told of
   * each frame the cursor is done with, its flat form (null for none) and its payload: their arrays may then be
   * filled again (flat.ts spare(), PrefetchedFrames.spare); nothing the cursor gave out refers to them any more.
   */
  constructor(private readonly frames: Iterator<CursorFrame>, private readonly keepRecent = 6,
    private readonly release: (f: FlatFrame | null, payload: Uint8Array) => void = (f) => { if (f) spare(f); }) {}

  /**
   * Told of each memory checkpoint as the cursor passes it, before the call after it is matched (guest memory is
   * then as the recording hashed it); may throw to stop the replay.
   */
  set onCheckpoint(f: ((c: Checkpoint) => void) | undefined) { this.decoder.onCheckpoint = f; }

  /** Runs `f`; an EventDecodeError becomes a TraceError naming the frame at `frameOffset`. */
  private guard<T>(f: () => T, frameOffset = this.frameOffset): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof EventDecodeError) {
        throw new TraceError(`corrupt trace: frame at offset ${frameOffset}: ${e.message}`, frameOffset);
      }
      throw e;
    }
  }

  /** Loads the next frame; false at the end of the trace. */
  private nextFrame(): boolean {
    const next = this.frames.next();
    if (next.done) return false;
    const f = next.value;
    this.payload = f.payload;
    this.frameOffset = f.offset;
    const flat = f.flat === undefined ? flatten(f.payload, f.count) : f.flat;
    this.flat = flat;
    if (flat) {
      this.decoder.load(this.payload); // for what the flat form leaves to it: flatten() checked the event count
      this.r = flat.r;
      this.vals = flat.vals;
      this.calls = flat.calls;
    } else {
      this.decoder.load(this.payload, f.count); // the decoder checks the count the frame declares
      this.r = NO_RECORDS;
      this.calls = 0;
    }
    this.at = 0;
    this.rp = 0;
    this.prepared = -1;
    this.tailRead = false;
    const recent = this.recent;
    recent.push({ payload: this.payload, frameOffset: this.frameOffset, base: this.index, flat, starts: [] });
    // The oldest frame goes once the one after it starts at or before the first event a report shows.
    while (recent.length > 1 && recent[1]!.base <= this.index - this.keepRecent) {
      const gone = recent.shift()!;
      this.release(gone.flat, gone.payload);
    }
    return true;
  }

  /**
   * Positions at the next call event, having read the blob pieces and checkpoints before it; false at the end of
   * the trace. In a flat frame the call is #at (the decoder stands at it when it had events before it); else the
   * decoder stands at it.
   */
  private advance(): boolean {
    const d = this.decoder;
    for (;;) {
      if (this.flat) {
        if (this.at < this.calls) {
          if (this.prepared !== this.at) {
            this.prepared = this.at;
            const k = this.rp;
            if ((this.r[k + 1]! >>> 16) & F_PRE) { d.seek(this.r[k + 2]!); this.guard(() => d.nextCall()); }
          }
          return true;
        }
        if (this.flat.tail >= 0 && !this.tailRead) {
          this.tailRead = true;
          d.seek(this.flat.tail);
          this.guard(() => d.nextCall()); // false: the frame ends with them
        }
      } else if (this.guard(() => d.nextCall())) {
        return true;
      }
      if (!this.nextFrame()) return false;
    }
  }

  /** After advance() in a flat frame: the generic decoder stands at call #at (for a SLOW call or peek()). */
  private decoderAtCall(): void {
    if ((this.r[this.rp + 1]! >>> 16) & F_PRE) return; // advance() read up to it
    const d = this.decoder;
    d.seek(this.flat!.at[this.at]!);
    this.guard(() => d.nextCall());
  }

  /** Moves past call #at of a flat frame without matching it. */
  private pass(): void {
    this.rp = recordEnd(this.r, this.rp);
    this.at++;
  }

  /**
   * Matches the next event against a call (import, args, input bytes); on a match writes its memory ranges
   * into `mem` and returns its result, else returns what did not match (that event is then the newest in
   * recentEvents(): the replay stops there).
   */
  step(imp: number, args: ArrayLike<unknown>, inputs: Uint8Array | null, mem: Uint8Array): CallResult | Mismatch {
    if (this.at < this.calls) {
      const flags = this.r[this.rp + 1]! >>> 16;
      if ((flags & F_PRE) === 0 && (flags & R_MASK) !== R_SLOW) {
        this.at++;
        this.index++;
        return this.matchFlat(imp, args, inputs, mem);
      }
    }
    return this.stepSlow(imp, args, inputs, mem);
  }

  /** step() for a call the fast path does not take: after blob pieces or a checkpoint, SLOW, in another frame. */
  private stepSlow(imp: number, args: ArrayLike<unknown>, inputs: Uint8Array | null, mem: Uint8Array): CallResult | Mismatch {
    if (!this.advance()) return 'end';
    if (this.flat) {
      if (((this.r[this.rp + 1]! >>> 16) & R_MASK) !== R_SLOW) {
        this.at++;
        this.index++;
        return this.matchFlat(imp, args, inputs, mem);
      }
      this.decoderAtCall();
      this.pass();
    } else {
      this.remember();
    }
    this.index++;
    const d = this.decoder;
    try {
      if (!d.matchCall(imp, args)) return 'call';
      if (!d.applyWrites(mem)) return 'memory';
      if (!d.matchInputs(inputs)) return 'inputs';
      return d.result();
    } catch (e) {
      return this.guard(() => { throw e; });
    }
  }

  /**
   * The generic decoder's matchCall, applyWrites, matchInputs and result, on the record at this.rp (not SLOW; `at`
   * already moved past it), which it moves past: the same answers, in the same order.
   */
  private matchFlat(imp: number, args: ArrayLike<unknown>, inputs: Uint8Array | null, mem: Uint8Array): CallResult | Mismatch {
    const r = this.r;
    const k0 = this.rp;
    const h = r[k0 + 1]!;
    const flags = h >>> 16;
    const n = h & 0xff;
    if (r[k0]! !== imp || n !== args.length) return this.mismatch(k0, 'call');
    // a repeat record: the template's args, result and write address (flat.ts), this call's write bytes
    const repeat = (flags & F_REPEAT) !== 0;
    let k = repeat ? r[k0 + 2]! : k0 + 2 + (flags & F_PRE);
    if (flags & F_WIDE) {
      if (!this.wideArgs(r[k++]!, n, args)) return this.mismatch(k0, 'call');
    } else {
      for (let a = 0; a < n; a++) {
        const rec = r[k++]!;
        const act = args[a];
        // As the generic decoder compares: equal numbers; a bigint equal to the (int32) recorded value. The actual
        // arg's type is asked first (a number is never compared with a bigint).
        if (typeof act === 'number') {
          if (rec !== act) return this.mismatch(k0, 'call');
        } else if (typeof act === 'bigint') {
          // The bigint of the last recorded i64 arg is kept: comparing two bigints is cheaper than Number(act).
          if (rec !== this.bigRec) {
            this.bigRec = rec;
            this.bigVal = BigInt(rec);
          }
          if (act !== this.bigVal) return this.mismatch(k0, 'call');
        } else {
          return this.mismatch(k0, 'call');
        }
      }
    }
    const kind = flags & R_MASK;
    const result = kind === R_NIL ? 0 : r[k++]!;
    const wn = (h >>> 8) & 0xff;
    if (repeat) {
      if (wn !== 0 && !this.writeSmall(r[k]! >>> 0, r[k + 1]!, r[k0 + 3]!, r[k0 + 4]!, mem)) return this.mismatch(k0, 'memory');
      if (inputs !== null) return this.mismatch(k0, 'inputs');
      this.rp = k0 + 3 + 2 * wn;
      return kind === R_INT ? result : null;
    }
    if (wn !== 0) {
      k = this.writeFlat(k, wn, mem);
      if (k < 0) return this.mismatch(k0, 'memory');
    }
    const p = this.payload;
    if (flags & F_INPUTS) {
      if (inputs === null) return this.mismatch(k0, 'inputs');
      const from = r[k]!;
      const len = r[k + 1]!;
      k += 2;
      if (len !== inputs.length) return this.mismatch(k0, 'inputs');
      if (len <= 64) { for (let j = 0; j < len; j++) if (p[from + j] !== inputs[j]) return this.mismatch(k0, 'inputs'); }
      else if (Buffer.compare(p.subarray(from, from + len), inputs) !== 0) return this.mismatch(k0, 'inputs');
    } else if (inputs !== null) {
      return this.mismatch(k0, 'inputs');
    }
    this.rp = k;
    return kind === R_INT ? result : kind === R_NIL ? null : this.vals[result]!;
  }

  /**
   * Writes the `n` writes of the record whose writes start at `k` into `mem`, in order; the index after them, or -1
   * when one does not fit in `mem` (the writes before it are made, as matchFlat has always made them).
   * @internal for flatImport's functions
   */
  writeFlat(k: number, n: number, mem: Uint8Array): number {
    const r = this.r;
    for (; n > 0; n--) {
      const addr = r[k]! >>> 0;
      const len = r[k + 1]!;
      if (addr + len > mem.length) return -1;
      if (len <= 8) {
        this.writeSmall(addr, len, r[k + 2]!, r[k + 3]!, mem);
        k += 4;
      } else {
        const p = this.payload;
        const from = r[k + 2]!;
        if (len <= 32) for (let j = 0; j < len; j++) mem[addr + j] = p[from + j]!;
        else mem.set(p.subarray(from, from + len), addr);
        k += 3;
      }
    }
    return k;
  }

  /**
   * Writes the `len` (at most 8) bytes that `lo` and `hi` hold (little-endian) at `addr` of `mem`; false, writing
   * nothing, when they do not fit in it.
   */
  private writeSmall(addr: number, len: number, lo: number, hi: number, mem: Uint8Array): boolean {
    if (addr + len > mem.length) return false;
    if (len === 8 || len === 4) {
      // the common out-params (a timestamp, a size, an fd)
      const dv = mem === this.memBytes ? this.memView : this.viewOf(mem);
      dv.setInt32(addr, lo, true);
      if (len === 8) dv.setInt32(addr + 4, hi, true);
    } else {
      for (let j = 0; j < len; j++) mem[addr + j] = (j < 4 ? lo >>> (8 * j) : hi >>> (8 * (j - 4))) & 0xff;
    }
    return true;
  }

  /** Recorded args that are not all int32s (in vals from `from`) against a call's, as the generic decoder compares. */
  private wideArgs(from: number, n: number, args: ArrayLike<unknown>): boolean {
    const v = this.vals;
    for (let a = 0; a < n; a++) {
      const rec = v[from + a]!;
      const act = args[a];
      if (rec === act) continue;
      if (typeof act === 'bigint') {
        // exact: a safe integer equals Number(act) only when act is that very value
        if (!(Number.isSafeInteger(rec) && Number(act) === rec)) return false;
      } else if (!(typeof act === 'number' && Object.is(rec, act))) {
        return false;
      }
    }
    return true;
  }

  /** A mismatch of the record at `k0`, which the cursor moves past (the replay stops there). */
  private mismatch(k0: number, m: Mismatch): Mismatch {
    this.rp = recordEnd(this.r, k0);
    return m;
  }

  /** The guest memory matchFlat last wrote, and a DataView of it. */
  private memBytes: Uint8Array | undefined;
  private memView: DataView = new DataView(new ArrayBuffer(0));

  private viewOf(mem: Uint8Array): DataView {
    this.memBytes = mem;
    this.memView = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    return this.memView;
  }

  /**
   * Moves onto the next call event without matching it, if there is one: once the guest has ended, an event left
   * over is a divergence, and the report shows it as the one expected. False at the end of the trace.
   */
  skipToNext(): boolean {
    if (this.peeked) return true; // peeked and not taken: it is the event left over
    if (!this.advance()) return false;
    if (this.flat) this.pass(); else this.remember();
    this.index++;
    return true;
  }

  /** The event peek() decoded and take() has not moved past yet. */
  private peeked: CallEvent | undefined;

  /**
   * The next call event, decoded in full, without moving past it (a replay that matches calls by meaning decides
   * itself whether a call is this event's): the same event until take(). Counted in `index` and shown in
   * recentEvents() as the current event from the first peek on. Undefined at the end of the trace.
   */
  peek(): CallEvent | undefined {
    if (this.peeked) return this.peeked;
    if (!this.advance()) return undefined;
    if (this.flat) { this.decoderAtCall(); this.pass(); } else this.remember();
    this.index++;
    const d = this.decoder;
    this.peeked = this.guard(() => d.readCall());
    return this.peeked;
  }

  /** Moves past the event peek() returned. */
  take(): void {
    this.peeked = undefined;
  }

  /** Notes where the current event of a frame without a flat form starts. */
  private remember(): void {
    this.recent[this.recent.length - 1]!.starts.push(this.decoder.eventStart);
  }

  /** The last events handed out, decoded, oldest first: [index, event]. The newest is the current one. */
  recentEvents(): { index: number; event: CallEvent }[] {
    const out: { index: number; event: CallEvent }[] = [];
    for (let index = Math.max(0, this.index - this.keepRecent); index < this.index; index++) {
      let f: RecentFrame | undefined;
      for (const r of this.recent) if (r.base <= index) f = r;
      if (!f) continue;
      const local = index - f.base;
      const offset = f.flat ? f.flat.at[local] : f.starts[local];
      if (offset === undefined) continue;
      const frame = f;
      out.push({ index, event: this.guard(() => new EventDecoder().decodeAt(frame.payload, offset), frame.frameOffset) });
    }
    return out;
  }
}

/** What flatImport's functions read guest memory through (GuestMemory: its current bytes). */
export interface MemoryBytes { readonly bytes: Uint8Array }

/**
 * The replay's import function for the calls of import `imp` (named `name`) whose wasm params are `params` (an i32
 * comes as a number, an i64 as a bigint, or with `split` as two numbers, its low and its high 32 bits, signed: what
 * runtime/trampoline.ts splitTrampoline passes): generated as a straight-line function of exactly those params, so that
 * the common call costs no args array and no walk over them. When the cursor's next event is a flat call (flat.ts)
 * of this import after nothing else (no blob pieces or checkpoints before it), with these very args, an int result
 * and no inputs (its own record or, for a repeat record, the template's says so), it makes the call's writes into `mem.bytes` and returns its result, moving the cursor past it as
 * step() does. Any other case (another frame, a SLOW or WIDE record, an arg that differs, inputs, a write past the
 * end of memory) goes to `slow` with the args as an array, which does all of step()'s work from that same event
 * (this function moves nothing before the whole call matched; a write it made is made again there): every answer
 * and report stays step()'s. For imports whose calls read no inputs and need nothing done on success but returning
 * the result (replay.ts decides which).
 */
export function flatImport(cursor: EventCursor, imp: number, name: string, params: readonly ('i32' | 'i64')[],
  mem: MemoryBytes, slow: (args: unknown[]) => unknown, split = false): (...args: unknown[]) => unknown {
  const n = params.length;
  const ps = params.map((kind, i) => (split && kind === 'i64' ? `p${i}lo, p${i}hi` : `p${i}`));
  // the args as the slow path takes them: a split i64 as the bigint it is
  const args = params.map((kind, i) => (split && kind === 'i64' ? `i64FromHalves(p${i}lo, p${i}hi)` : `p${i}`));
  const setup: string[] = [];
  const checks: string[] = [];
  params.forEach((kind, i) => {
    if (kind === 'i32') { checks.push(`if (r[a + ${i}] !== p${i}) break match;`); return; }
    // a split i64 arg: the int32 recorded, sign-extended to 64 bits
    if (split) { checks.push(`if (p${i}lo !== r[a + ${i}] || p${i}hi !== r[a + ${i}] >> 31) break match;`); return; }
    // an i64 arg: compared with the bigint of the int32 recorded (kept while the recorded value stays the same)
    setup.push(`let rec${i} = NaN, big${i} = 0n;`);
    checks.push(`if (r[a + ${i}] !== rec${i}) { rec${i} = r[a + ${i}]; big${i} = BigInt(rec${i}); }`, `if (p${i} !== big${i}) break match;`);
  });
  const fname = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : 'replayed';
  const source = [
    ...setup,
    '/** The guest memory the last 8-byte write went to, and a DataView of it. */',
    'let bytes = null, view = null;',
    `return function ${fname}(${ps.join(', ')}) {`,
    '  const c = cursor;',
    '  match: if (c.at < c.calls) {',
    '    const r = c.r;',
    '    const k = c.rp;',
    '    const h = r[k + 1];',
    // the import, this arg count, flags 0 (an int result, no inputs, nothing before it, not SLOW or WIDE) or a repeat
    // record of a template with an int result (flat.ts): its args, result and write address are at `a` on
    `    if (r[k] !== ${imp}) break match;`,
    `    const f = h & ${~0xff00};`,
    `    const repeat = f !== ${n};`,
    `    if (repeat && f !== ${n | (F_REPEAT << 16)}) break match;`,
    '    const a = repeat ? r[k + 2] : k + 2;',
    ...checks.map((l) => `    ${l}`),
    `    let e = a + ${n + 1};`,
    '    const wn = (h >>> 8) & 0xff;',
    '    if (wn !== 0) {',
    '      const m = mem.bytes;',
    '      const to = r[e] >>> 0;',
    // one write of 8 bytes (a timestamp, a size), the most common: here; any other writes: writeFlat (or step())
    '      if (wn === 1 && r[e + 1] === 8 && to + 8 <= m.length) {',
    '        if (m !== bytes) { bytes = m; view = new DataView(m.buffer, m.byteOffset, m.byteLength); }',
    '        const b = repeat ? k + 3 : e + 2;',
    '        view.setInt32(to, r[b], true);',
    '        view.setInt32(to + 4, r[b + 1], true);',
    '        e += 4;',
    '      } else if (repeat || (e = c.writeFlat(e, wn, m)) < 0) break match;',
    '    }',
    '    c.rp = repeat ? k + 3 + 2 * wn : e;',
    '    c.at++;',
    '    c.index++;',
    `    return r[a + ${n}];`,
    '  }',
    `  return slow([${args.join(', ')}]);`,
    '};',
  ].join('\n');
  return new Function('cursor', 'mem', 'slow', 'i64FromHalves', source)(cursor, mem, slow, i64FromHalves) as (...args: unknown[]) => unknown;
}
