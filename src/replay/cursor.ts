// Walks a trace's call events in order, one frame in memory at a time. A frame comes in its flat form (flat.ts:
// typed arrays the reader thread decoded it into, or the cursor decodes it so itself): a call is then matched by
// comparing numbers and copying bytes. The generic EventDecoder reads what the flat form leaves to it (blob pieces,
// checkpoints, SLOW calls) in place, and whole frames that have no flat form (damaged ones: it reports the damage).
import { EventDecoder, EventDecodeError, type CallEvent, type CallResult, type Checkpoint } from '../trace/events.js';
import { TraceError, type TraceFrame } from '../trace/reader.js';
import { AT, ARGC, ARGS, FAST_INT, FAST_NIL, flatten, IMP, INPUTLEN, INPUTS, KIND, PRE, RESULT, SLOW, STRIDE, WRITEC, WRITES, W_STRIDE, type FlatFrame } from './flat.js';

/** Why the next event does not match a call. */
export type Mismatch = 'end' | 'call' | 'inputs' | 'memory';

/** A frame for the cursor: `flat` is its flat form (flatten()), null when it has none, absent when not made yet. */
export type CursorFrame = TraceFrame & { flat?: FlatFrame | null };

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

const NO_FLAT = new Int32Array(0);

export class EventCursor {
  private readonly decoder = new EventDecoder();
  private payload: Uint8Array = new Uint8Array(0);
  private frameOffset = 0;
  /** The current frame's flat form; null while the generic decoder reads the frame. */
  private flat: FlatFrame | null = null;
  // The flat form's arrays, and its call count (0 without one): read on every call.
  private c: Int32Array = NO_FLAT;
  private vals: Float64Array = new Float64Array(0);
  private w: Int32Array = NO_FLAT;
  private calls = 0;
  /** The flat frame's next call. */
  private at = 0;
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

  /** `frames`: the trace's frames in order (TraceReader.frames(), or prefetched on another thread). */
  constructor(private readonly frames: Iterator<CursorFrame>, private readonly keepRecent = 6) {}

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
      this.c = flat.c;
      this.vals = flat.vals;
      this.w = flat.w;
      this.calls = flat.calls;
    } else {
      this.decoder.load(this.payload, f.count); // the decoder checks the count the frame declares
      this.c = NO_FLAT;
      this.calls = 0;
    }
    this.at = 0;
    this.prepared = -1;
    this.tailRead = false;
    const recent = this.recent;
    recent.push({ payload: this.payload, frameOffset: this.frameOffset, base: this.index, flat, starts: [] });
    // The oldest frame goes once the one after it starts at or before the first event a report shows.
    while (recent.length > 1 && recent[1]!.base <= this.index - this.keepRecent) recent.shift();
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
            const pre = this.c[this.at * STRIDE + PRE]!;
            if (pre >= 0) { d.seek(pre); this.guard(() => d.nextCall()); }
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
    const o = this.at * STRIDE;
    if (this.c[o + PRE]! >= 0) return; // advance() read up to it
    const d = this.decoder;
    d.seek(this.c[o + AT]!);
    this.guard(() => d.nextCall());
  }

  /**
   * Matches the next event against a call (import, args, input bytes); on a match writes its memory ranges
   * into `mem` and returns its result, else returns what did not match (that event is then the newest in
   * recentEvents(): the replay stops there).
   */
  step(imp: number, args: ArrayLike<unknown>, inputs: Uint8Array | null, mem: Uint8Array): CallResult | Mismatch {
    const i = this.at;
    if (i < this.calls) {
      const o = i * STRIDE;
      const c = this.c;
      if (c[o + PRE]! < 0 && c[o + KIND] !== SLOW) {
        this.at = i + 1;
        this.index++;
        return this.matchFlat(o, imp, args, inputs, mem);
      }
    }
    return this.stepSlow(imp, args, inputs, mem);
  }

  /** step() for a call the fast path does not take: after blob pieces or a checkpoint, SLOW, in another frame. */
  private stepSlow(imp: number, args: ArrayLike<unknown>, inputs: Uint8Array | null, mem: Uint8Array): CallResult | Mismatch {
    if (!this.advance()) return 'end';
    if (this.flat) {
      const o = this.at * STRIDE;
      if (this.c[o + KIND] !== SLOW) {
        this.at++;
        this.index++;
        return this.matchFlat(o, imp, args, inputs, mem);
      }
      this.decoderAtCall();
      this.at++;
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
   * The generic decoder's matchCall, applyWrites, matchInputs and result, on the flat form of the call at `o` of
   * this.c: the same answers, in the same order.
   */
  private matchFlat(o: number, imp: number, args: ArrayLike<unknown>, inputs: Uint8Array | null, mem: Uint8Array): CallResult | Mismatch {
    const c = this.c;
    if (c[o + IMP] !== imp) return 'call';
    const n = c[o + ARGC]!;
    if (n !== args.length) return 'call';
    const v = this.vals;
    const first = c[o + ARGS]!;
    for (let k = 0; k < n; k++) {
      const rec = v[first + k]!;
      const act = args[k];
      // As the generic decoder compares: equal numbers (NaN equals NaN); a bigint equal to a safe integer. The
      // actual arg's type is asked first, so that the recorded double is never compared with a bigint.
      if (typeof act === 'number') {
        if (rec !== act && !(rec !== rec && act !== act)) return 'call';
      } else if (typeof act === 'bigint') {
        // The bigint of the last recorded i64 arg is kept: comparing two bigints is cheaper than Number(act).
        if (rec !== this.bigRec) {
          if (!Number.isSafeInteger(rec)) return 'call';
          this.bigRec = rec;
          this.bigVal = BigInt(rec);
        }
        if (act !== this.bigVal) return 'call';
      } else {
        return 'call';
      }
    }
    const wn = c[o + WRITEC]!;
    if (wn > 0) {
      const w = this.w;
      const p = this.payload;
      for (let q = c[o + WRITES]! * W_STRIDE, e = q + wn * W_STRIDE; q < e; q += W_STRIDE) {
        const addr = w[q]! >>> 0;
        const len = w[q + 1]!;
        const at = w[q + 2]!;
        if (addr + len > mem.length) return 'memory';
        if (len === 8 || len === 4) {
          // the common out-params (a timestamp, a size, an fd): their bytes came inline
          const dv = mem === this.memBytes ? this.memView : this.viewOf(mem);
          dv.setInt32(addr, w[q + 3]!, true);
          if (len === 8) dv.setInt32(addr + 4, w[q + 4]!, true);
        } else if (len <= 32) for (let j = 0; j < len; j++) mem[addr + j] = p[at + j]!;
        else mem.set(p.subarray(at, at + len), addr);
      }
    }
    const ia = c[o + INPUTS]!;
    if (ia < 0) {
      if (inputs !== null) return 'inputs';
    } else {
      if (inputs === null) return 'inputs';
      const len = c[o + INPUTLEN]!;
      if (len !== inputs.length) return 'inputs';
      const p = this.payload;
      if (len <= 64) { for (let j = 0; j < len; j++) if (p[ia + j] !== inputs[j]) return 'inputs'; }
      else if (Buffer.compare(p.subarray(ia, ia + len), inputs) !== 0) return 'inputs';
    }
    const kind = c[o + KIND];
    return kind === FAST_INT ? c[o + RESULT]! : kind === FAST_NIL ? null : v[first + n]!;
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
    if (this.flat) this.at++; else this.remember();
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
    if (this.flat) { this.decoderAtCall(); this.at++; } else this.remember();
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
      const offset = f.flat ? (local < f.flat.calls ? f.flat.c[local * STRIDE + AT] : undefined) : f.starts[local];
      if (offset === undefined) continue;
      const frame = f;
      out.push({ index, event: this.guard(() => new EventDecoder().decodeAt(frame.payload, offset), frame.frameOffset) });
    }
    return out;
  }
}
