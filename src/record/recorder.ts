// The recording hot path: turns each intercepted call into an encoded event in the current chunk, and hands
// full chunks of whole events to a sink (the trace writer, directly or through a worker's shared buffers).
import { checkpointHash } from '../calls/hash.js';
import {
  BLOB_THRESHOLD, blobBound, blobPieces, callBound, CHECKPOINT_BOUND, EventEncoder, FixedTemplate, type CallResult,
} from '../trace/events.js';
import { ChunkConsumer, ChunkProducer, CHUNK_EVENTS, createChunkPool, publishCounts, publishProgress, type TakeEvents } from './chunks.js';

/**
 * Which calls get host times (`record --timing`): 'io' (the default) times only the calls that do I/O or may
 * block (the fd, path, poll and sock families, and imports the schema does not know); clock, random, args,
 * environ, sched_yield and proc calls are recorded without times. 'all' times every call.
 */
export type Timing = 'io' | 'all';

/** How a recording records, besides where its events go. Plain data (it crosses to the guest thread). */
export interface RecordingSettings {
  timing?: Timing;
  /**
   * Memory checkpoints (FORMAT.md, "checkpoint event"): a hash of guest memory every N calls; 0 for none; by
   * default ('auto') at most every CHECKPOINT_MIN_CALLS calls and only while checkpoints have cost at most
   * CHECKPOINT_SHARE of the run's time so far (so a guest with a large memory gets fewer).
   */
  checkpoints?: number | 'auto';
}

/** Fewest calls between two automatic checkpoints. */
export const CHECKPOINT_MIN_CALLS = 1024;
/** Most of the run's time automatic checkpoints may take (hashing memory on the guest's thread). */
export const CHECKPOINT_SHARE = 0.02;

/** Receives a chunk of whole encoded events; returns the buffer to encode into next (it may reuse `bytes`). */
export type ChunkSink = (bytes: Uint8Array, count: number) => Uint8Array;

/**
 * A performance.now() interval (ms) as trace nanoseconds, rounded to 16 ns: reading the clock costs more than
 * that, so the rounding loses nothing real, and the noise it drops is most of what a clock-heavy trace
 * would otherwise spend its bytes on.
 */
const toTraceNs = (ms: number): number => Math.max(0, Math.round(ms * 62_500) * 16);

export class Recorder {
  private readonly enc: EventEncoder;
  private lastEnd: number;
  /** Calls recorded per import index. */
  readonly counts: number[];
  calls = 0;
  /** The call count at which the proxy calls checkpoint() next (for a checkpoint, or the warm-up); Infinity: never. */
  nextCheckpoint: number;
  private readonly checkpointEvery: number;
  private readonly autoCheckpoints: boolean;
  /** ms spent on checkpoints so far, and what the last one cost for how many bytes (to estimate the next). */
  private checkpointMs = 0;
  private lastCheckpoint = { ms: 1, bytes: 1_000_000 };
  checkpoints = 0;
  /**
   * Where the run is for the writer's seek index (WalkState in trace/events.ts), published with the progress:
   * calls of imports marked in `fdImports` so far, blob pieces since the last call, the sum of gaps and durations.
   */
  private marked = 0;
  private pieces = 0;
  private time = 0;
  /**
   * How many publications in a row were of untimed repeat events (of one template: any other event publishes through
   * publish(), which sets it to 0) of an import that marks nothing: from the third on, only bytes, events and calls
   * change from the two before (publishCounts).
   */
  private runLength = 0;

  /**
   * `start`: performance.now() at the start of the run (times are ns from it). `progress`, when given, is a
   * chunk pool's control words: the bytes and events of the current chunk and the calls recorded so far are
   * published there after every event (publishProgress in chunks.ts), with where the run is for the writer's
   * seek index; `fdImports`: nonzero at the imports whose calls may change the fd table (fdImportMarks).
   */
  constructor(private readonly sink: ChunkSink, chunk: Uint8Array, imports: number, private start: number,
    private readonly progress?: Int32Array, settings: RecordingSettings = {},
    private readonly fdImports: Uint8Array = new Uint8Array(imports)) {
    this.enc = new EventEncoder(chunk);
    this.counts = new Array<number>(imports).fill(0);
    this.lastEnd = start;
    const every = settings.checkpoints ?? 'auto';
    this.autoCheckpoints = every === 'auto';
    this.checkpointEvery = every === 'auto' ? CHECKPOINT_MIN_CALLS : every;
    // with checkpoints off, checkpoint() is still called once, to warm the recorder up
    this.nextCheckpoint = this.checkpointEvery > 0 ? this.checkpointEvery : CHECKPOINT_MIN_CALLS;
  }

  /** Restarts the run's clock at `now` (performance.now()), before the first call: a recorder made ahead of its run. */
  startClock(now: number): void {
    if (this.calls !== 0) throw new Error('startClock after the first call');
    this.start = now;
    this.lastEnd = now;
  }

  /**
   * Called by the proxy as the guest makes a call once `calls` reached `nextCheckpoint`: records a checkpoint of
   * `mem` as it is now (before the call runs), unless the automatic budget says to wait; sets the next one due.
   * With checkpoints off, it is called once, and only warms the recorder up (warmRecorder).
   */
  checkpoint(mem: Uint8Array): void {
    // The first time in this thread (the run has made CHECKPOINT_MIN_CALLS calls, or the N of checkpoints every N:
    // long enough to be worth ~5 ms, early enough that V8 has not optimized the hot path yet): not checkpoint time.
    warmRecorder();
    if (this.checkpointEvery === 0) { // checkpoints off: called for the warm-up only
      this.nextCheckpoint = Infinity;
      return;
    }
    this.nextCheckpoint = this.calls + this.checkpointEvery;
    const t0 = performance.now();
    if (this.autoCheckpoints) {
      const estimate = (this.lastCheckpoint.ms * mem.length) / this.lastCheckpoint.bytes;
      if (this.checkpointMs + estimate > CHECKPOINT_SHARE * (t0 - this.start)) return;
    }
    const hash = checkpointHash(mem);
    this.ensure(CHECKPOINT_BOUND);
    this.enc.checkpoint(this.calls - 1, mem.length, hash);
    this.checkpoints++;
    this.publish();
    const ms = performance.now() - t0;
    this.checkpointMs += ms;
    if (mem.length > 0) this.lastCheckpoint = { ms, bytes: mem.length };
  }

  /**
   * Records a call of the proxy's fast path (calls/capture.ts fixedOutParams): a numeric result, no inputs, every
   * write a fixed-size out-param; `bound` bounds its event's size; `tpl`: the import's FixedTemplate, which keeps
   * this event for repeat(). Times as for call().
   */
  fixedCall(imp: number, args: ArrayLike<unknown>, result: number, writes: readonly number[], mem: Uint8Array,
    start: number, end: number, bound: number, tpl?: FixedTemplate): void {
    if (bound > this.enc.free || this.enc.count >= CHUNK_EVENTS) this.ensure(bound);
    if (start === start) { // timed (not NaN)
      const gap = toTraceNs(start - this.lastEnd);
      const dur = toTraceNs(end - start);
      this.enc.fixedCall(imp, args, result, writes, mem, gap, dur, tpl);
      this.lastEnd = end;
      this.time = this.time + gap + dur;
    } else {
      this.enc.fixedCall(imp, args, result, writes, mem, -1, -1, tpl);
    }
    this.called(imp);
  }

  /**
   * Records a call of the fast path that FixedTemplate.matches: `tpl`'s event again, with its out-params' bytes as
   * they are in `mem` now; `bound` as for the fixedCall that made `tpl`. Times as for call().
   */
  repeat(imp: number, tpl: FixedTemplate, mem: Uint8Array, start: number, end: number, bound: number): void {
    if (bound > this.enc.free || this.enc.count >= CHUNK_EVENTS) this.ensure(bound);
    const template = this.enc.templateAt;
    if (start !== start && template >= 0 && !this.fdImports[imp] && this.progress !== undefined) {
      if (!this.enc.delta(tpl, mem)) this.enc.repeat(tpl, mem, -1, -1); // (delta() first: V8 inlines it here)
      if (this.enc.templateAt === template) { // a repeat (or delta) event of it
        this.count(imp);
        if (this.runLength >= 2) publishCounts(this.progress, this.enc.pos, this.enc.count, this.calls);
        else publishProgress(this.progress, this.enc.pos, this.enc.count, this.calls, this.marked, 0, this.time, template);
        this.runLength++;
        return;
      }
      this.called(imp);
      return;
    }
    if (start === start) { // timed (not NaN)
      const gap = toTraceNs(start - this.lastEnd);
      const dur = toTraceNs(end - start);
      this.enc.repeat(tpl, mem, gap, dur);
      this.lastEnd = end;
      this.time = this.time + gap + dur;
    } else {
      this.enc.repeat(tpl, mem, -1, -1);
    }
    this.called(imp);
  }

  /** Hands the current chunk to the sink, if it holds any event. */
  flush(): void {
    if (this.enc.count === 0) return;
    const next = this.sink(this.enc.buf.subarray(0, this.enc.pos), this.enc.count);
    this.enc.reset(next);
  }

  /** After a call event of import `imp`: counts it and publishes. */
  private called(imp: number): void {
    this.count(imp);
    if (this.fdImports[imp]) this.marked++;
    this.publish();
  }

  /** Counts a call event of import `imp` (no blob pieces after it yet). */
  private count(imp: number): void {
    this.counts[imp]!++;
    this.calls++;
    this.pieces = 0;
  }

  private publish(): void {
    this.runLength = 0;
    const p = this.progress;
    if (p !== undefined) publishProgress(p, this.enc.pos, this.enc.count, this.calls, this.marked, this.pieces, this.time, this.enc.templateAt);
  }

  /** Makes room for an event of at most `bytes` bytes: a new chunk when this one has not that much or is full of events. */
  private ensure(bytes: number): void {
    if (bytes > this.enc.free || this.enc.count >= CHUNK_EVENTS) this.flush();
    if (bytes > this.enc.free) throw new Error(`event of ${bytes} bytes does not fit in a trace frame`);
  }

  private blobs(bytes: Uint8Array): void {
    for (const piece of blobPieces(bytes)) {
      this.ensure(blobBound(piece));
      this.enc.blobPiece(piece);
      this.pieces++;
      this.publish();
    }
  }

  /**
   * Records one call. `writes` is [addr, len, ...] into `mem`; `start`/`end` are performance.now() values, NaN
   * for a call that is not timed.
   */
  call(imp: number, args: ArrayLike<unknown>, result: CallResult, writes: number[], mem: Uint8Array,
    inputs: Uint8Array | null, start: number, end: number): void {
    let large = inputs !== null && inputs.length > BLOB_THRESHOLD;
    for (let i = 1; i < writes.length && !large; i += 2) if (writes[i]! > BLOB_THRESHOLD) large = true;
    if (large) {
      for (let i = 0; i < writes.length; i += 2) {
        if (writes[i + 1]! > BLOB_THRESHOLD) this.blobs(mem.subarray(writes[i]!, writes[i]! + writes[i + 1]!));
      }
      if (inputs !== null && inputs.length > BLOB_THRESHOLD) this.blobs(inputs);
    }
    this.ensure(callBound(args, result, writes, inputs));
    if (start === start) { // timed (not NaN)
      const gap = toTraceNs(start - this.lastEnd);
      const dur = toTraceNs(end - start);
      this.enc.call(imp, args, result, writes, mem, inputs, gap, dur);
      this.lastEnd = end;
      this.time = this.time + gap + dur;
    } else {
      this.enc.call(imp, args, result, writes, mem, inputs, -1, -1);
    }
    this.called(imp);
  }
}

/**
 * Gives V8 type feedback for every branch of the recording's hot path by recording synthetic calls on a recorder of
 * its own: a call on the fast path in full, then repeats of it as delta events of each width and as a repeat event,
 * timed and untimed, into chunks small enough to fill a few times, with the writer's request for progress answered
 * (ChunkConsumer.takeFilling). The optimized code V8 makes once a guest's calls make the path hot then covers what
 * comes later (the first full chunk, at 128k calls; a delta of another width), instead of being thrown away there and
 * made again: a 10-30 ms compile on 2 cores, while the calls run unoptimized. Once per thread, from the first
 * checkpoint() (its ~5 ms would delay a short recording: on the guest thread there is no time to spare before it).
 */
export function warmRecorder(): void {
  if (warmed) return;
  warmed = true;
  recordWarmUp();
}
let warmed = false;

/**
 * warmRecorder's synthetic recording, every time: its events go to `take` (as the writer would take them); returns
 * how many chunks it filled.
 */
export function recordWarmUp(take: TakeEvents = () => {}): number {
  const pool = createChunkPool(2, 256);
  const producer = new ChunkProducer(pool, () => {});
  const consumer = new ChunkConsumer(pool);
  let filled = 0;
  const rec = new Recorder((b, n) => { filled++; return producer.full(b.length, n); }, producer.first(), 2, 0, producer.progress);
  const mem = new Uint8Array(64);
  const view = new DataView(mem.buffer);
  const tpl = new FixedTemplate();
  const args = [1, 1n, 16];
  const bound = callBound(args, 0, [16, 8], null);
  // fixint, uint 8, uint 16, a negative fixint, uint 32, int 32, one no int holds (a repeat event), then a timed call
  const steps = [5n, 200n, 40_000n, -3n, 2n ** 32n - 1n, -(2n ** 31n), 2n ** 40n, 7n];
  let time = 2n ** 32n;
  view.setBigUint64(16, time, true);
  rec.fixedCall(0, args, 0, [16, 8], mem, NaN, NaN, bound, tpl);
  for (let round = 0; round < 12; round++) {
    if (round === 4) consumer.takeFilling(take); // a request, which the next call answers
    for (const step of steps) {
      time = BigInt.asUintN(64, time + step);
      view.setBigUint64(16, time, true);
      if (step === 7n && round % 2 === 1) rec.repeat(0, tpl, mem, 1, 2, bound);
      else rec.repeat(0, tpl, mem, NaN, NaN, bound);
      consumer.drain(take, 2); // frees the chunk the recorder filled, for the one after
    }
  }
  consumer.salvage(take);
  return filled;
}
