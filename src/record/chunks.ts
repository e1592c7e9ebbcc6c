// Shared-memory chunks that carry encoded events from a guest thread (a worker) to the thread that writes the
// trace. The guest side fills one chunk at a time and publishes its progress after every event, so the writer
// side can salvage every completed event even if the guest thread is terminated mid-run (SIGINT, SIGTERM).
//
// control (Int32Array over a SharedArrayBuffer):
//   [0] index of the chunk being filled   [1] bytes used in it   [2] events in it   [3] next sequence number
//   [4] calls recorded so far (call events in every chunk, blob pieces not counted)
//   then per chunk i at 5 + 4*i: state (FREE | FILLING | FULL), bytes, events, sequence number

const FREE = 0;
const FILLING = 1;
const FULL = 2;
const HEAD = 5;

export interface ChunkPool {
  control: SharedArrayBuffer;
  chunks: SharedArrayBuffer[];
}

export function createChunkPool(count: number, bytes: number): ChunkPool {
  return {
    control: new SharedArrayBuffer(4 * (HEAD + 4 * count)),
    chunks: Array.from({ length: count }, () => new SharedArrayBuffer(bytes)),
  };
}

/** Makes a pool that no thread uses any more ready for a new recording (every chunk free, counters zero). */
export function resetChunkPool(pool: ChunkPool): void {
  new Int32Array(pool.control).fill(0);
}

/** The guest side: hands out chunks to encode into, and marks them full for the writer side. */
export class ChunkProducer {
  private readonly control: Int32Array;
  private current = 0;

  /** `notify` tells the writer side that a chunk is full (e.g. a postMessage). */
  constructor(private readonly pool: ChunkPool, private readonly notify: () => void) {
    this.control = new Int32Array(pool.control);
  }

  /** The progress words the recorder updates after each event (see the layout above). */
  get progress(): Int32Array { return this.control; }

  /** The first chunk to encode into. */
  first(): Uint8Array { return this.claim(0); }

  /** Marks the current chunk full with `bytes`/`events`, then returns the next one (waiting while it is in use). */
  full(bytes: number, events: number): Uint8Array {
    const at = HEAD + 4 * this.current;
    this.control[at + 1] = bytes;
    this.control[at + 2] = events;
    Atomics.store(this.control, at, FULL);
    this.notify();
    const next = (this.current + 1) % this.pool.chunks.length;
    while (Atomics.load(this.control, HEAD + 4 * next) !== FREE) Atomics.wait(this.control, HEAD + 4 * next, FULL, 1000);
    return this.claim(next);
  }

  private claim(i: number): Uint8Array {
    const at = HEAD + 4 * i;
    this.control[at + 3] = this.control[3]!;
    this.control[3]!++;
    Atomics.store(this.control, at, FILLING);
    this.current = i;
    this.control[0] = i;
    this.control[1] = 0;
    this.control[2] = 0;
    return new Uint8Array(this.pool.chunks[i]!);
  }
}

/** The writer side: takes full chunks in order; after the producer stopped, also the partly filled one. */
export class ChunkConsumer {
  private readonly control: Int32Array;
  private nextSeq = 0;

  constructor(private readonly pool: ChunkPool) {
    this.control = new Int32Array(pool.control);
  }

  /** Calls the producer had completed when it last published (after it stopped: every call salvage passes on). */
  get calls(): number { return Atomics.load(this.control, 4); }

  /** Passes every full chunk, in order, to `take`, and frees it for the producer. */
  drain(take: (bytes: Uint8Array, events: number) => void): void {
    for (;;) {
      const i = this.findSeq(this.nextSeq);
      if (i < 0 || Atomics.load(this.control, HEAD + 4 * i) !== FULL) return;
      const at = HEAD + 4 * i;
      take(new Uint8Array(this.pool.chunks[i]!, 0, this.control[at + 1]!), this.control[at + 2]!);
      Atomics.store(this.control, at, FREE);
      Atomics.notify(this.control, at);
      this.nextSeq++;
    }
  }

  /**
   * After the producer has stopped for good (its thread ended): drains the full chunks, then the events the
   * producer had completed in the chunk it was filling.
   */
  salvage(take: (bytes: Uint8Array, events: number) => void): void {
    this.drain(take);
    const i = this.findSeq(this.nextSeq);
    if (i < 0 || Atomics.load(this.control, HEAD + 4 * i) !== FILLING || this.control[0] !== i) return;
    const bytes = this.control[1]!;
    const events = this.control[2]!;
    if (events > 0) take(new Uint8Array(this.pool.chunks[i]!, 0, bytes), events);
    Atomics.store(this.control, HEAD + 4 * i, FREE);
    this.nextSeq++;
  }

  private findSeq(seq: number): number {
    for (let i = 0; i < this.pool.chunks.length; i++) {
      const at = HEAD + 4 * i;
      if (this.control[at + 3] === seq && this.control[at] !== FREE) return i;
    }
    return -1;
  }
}
