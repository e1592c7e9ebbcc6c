// Walks a trace's call events in order, one frame in memory at a time, reading each event in place.
import { EventDecoder, EventDecodeError, type CallEvent, type CallResult, type Checkpoint } from '../trace/events.js';
import { TraceError, type TraceFrame } from '../trace/reader.js';

/** Why the next event does not match a call. */
export type Mismatch = 'end' | 'call' | 'inputs' | 'memory';

export class EventCursor {
  private readonly decoder = new EventDecoder();
  private payload: Uint8Array = new Uint8Array(0);
  private frameOffset = 0;
  /** Index of the next event. */
  index = 0;
  /** Where the last events started (payload, offset), newest last, for divergence reports. */
  private readonly recent: { payload: Uint8Array; offset: number; index: number; frameOffset: number }[];

  /** `frames`: the trace's frames in order (TraceReader.frames(), or prefetched on another thread). */
  constructor(private readonly frames: Iterator<TraceFrame>, private readonly keepRecent = 6) {
    this.recent = Array.from({ length: keepRecent }, () => ({ payload: this.payload, offset: 0, index: -1, frameOffset: 0 }));
  }

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

  /** Positions at the next call event; false at the end of the trace. */
  private advance(): boolean {
    for (;;) {
      let found: boolean;
      try { found = this.decoder.nextCall(); } catch (e) { return this.guard(() => { throw e; }); }
      if (found) return true;
      const f = this.frames.next();
      if (f.done) return false;
      this.payload = f.value.payload;
      this.frameOffset = f.value.offset;
      this.decoder.load(this.payload, f.value.count); // the decoder checks the count the frame declares
    }
  }

  /**
   * Matches the next event against a call (import, args, input bytes); on a match writes its memory ranges
   * into `mem` and returns its result, else returns what did not match (the cursor then stays on that event).
   */
  step(imp: number, args: ArrayLike<unknown>, inputs: Uint8Array | null, mem: Uint8Array): CallResult | Mismatch {
    if (!this.advance()) return 'end';
    const d = this.decoder;
    this.remember();
    this.index++;
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
   * Moves onto the next call event without matching it, if there is one: once the guest has ended, an event left
   * over is a divergence, and the report shows it as the one expected. False at the end of the trace.
   */
  skipToNext(): boolean {
    if (this.peeked) return true; // peeked and not taken: it is the event left over
    if (!this.advance()) return false;
    this.remember();
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
    this.remember();
    this.index++;
    const d = this.decoder;
    this.peeked = this.guard(() => d.readCall());
    return this.peeked;
  }

  /** Moves past the event peek() returned. */
  take(): void {
    this.peeked = undefined;
  }

  /** Notes where the current event starts, in a ring of the last `keepRecent` events. */
  private remember(): void {
    const slot = this.recent[this.index % this.keepRecent]!;
    slot.payload = this.payload;
    slot.offset = this.decoder.eventStart;
    slot.index = this.index;
    slot.frameOffset = this.frameOffset;
  }

  /** The last events handed out, decoded, oldest first: [index, event]. The newest is the current one. */
  recentEvents(): { index: number; event: CallEvent }[] {
    return this.recent
      .filter((r) => r.index >= 0 && r.index < this.index)
      .sort((a, b) => a.index - b.index)
      .map((r) => ({ index: r.index, event: this.guard(() => new EventDecoder().decodeAt(r.payload, r.offset), r.frameOffset) }));
  }
}
