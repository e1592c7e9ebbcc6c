// The recording hot path: turns each intercepted call into an encoded event in the current chunk, and hands
// full chunks of whole events to a sink (the trace writer, directly or through a worker's shared buffers).
import { BLOB_THRESHOLD, blobBound, blobPieces, callBound, EventEncoder, type CallResult } from '../trace/events.js';
import { publishProgress } from './chunks.js';

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

  /**
   * `start`: performance.now() at the start of the run (times are ns from it). `progress`, when given, is a
   * chunk pool's control words: the bytes and events of the current chunk and the calls recorded so far are
   * published there after every event (publishProgress in chunks.ts).
   */
  constructor(private readonly sink: ChunkSink, chunk: Uint8Array, imports: number, start: number,
    private readonly progress?: Int32Array) {
    this.enc = new EventEncoder(chunk);
    this.counts = new Array<number>(imports).fill(0);
    this.lastEnd = start;
  }

  /** Hands the current chunk to the sink, if it holds any event. */
  flush(): void {
    if (this.enc.count === 0) return;
    const next = this.sink(this.enc.buf.subarray(0, this.enc.pos), this.enc.count);
    this.enc.reset(next);
  }

  private publish(): void {
    const p = this.progress;
    if (p !== undefined) publishProgress(p, this.enc.pos, this.enc.count, this.calls);
  }

  private ensure(bytes: number): void {
    if (bytes > this.enc.free) this.flush();
    if (bytes > this.enc.free) throw new Error(`event of ${bytes} bytes does not fit in a trace frame`);
  }

  private blobs(bytes: Uint8Array): void {
    for (const piece of blobPieces(bytes)) {
      this.ensure(blobBound(piece));
      this.enc.blobPiece(piece);
      this.publish();
    }
  }

  /**
   * Records one call. `writes` is [addr, len, ...] into `mem`; `start`/`end` are performance.now() values.
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
    this.enc.call(imp, args, result, writes, mem, inputs, toTraceNs(start - this.lastEnd), toTraceNs(end - start));
    this.lastEnd = end;
    this.counts[imp]!++;
    this.calls++;
    this.publish();
  }
}
