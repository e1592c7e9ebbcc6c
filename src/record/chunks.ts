// Shared-memory chunks that carry encoded events from a guest thread (a worker) to the thread that writes the
// trace. The guest side fills one chunk at a time and publishes its progress after every event, so the writer
// side can take the completed events of the chunk being filled while the guest runs (so that events never wait
// long for their chunk to fill; see ChunkConsumer.takeFilling), and salvage every completed event if the guest
// thread is terminated mid-run (SIGINT, SIGTERM).
//
// control (Int32Array over a SharedArrayBuffer):
//   [0] index of the chunk being filled   [1] its sequence number   [2] progress records published (wraps)
//   [3] next sequence number   [4] calls recorded so far (call events in every chunk, blob pieces not counted)
//   [5..13] and [14..22]: two progress records of RECORD_INTS words; record n is at 5 + 9 * (n & 1), so the one
//     being rewritten is never the newest. A record: chunk sequence number, bytes used, events, then where the
//     run is after those events (the writer's seek index, WalkState): calls, marked (fd) calls, blob pieces after
//     the last call, and the run's time in ns as its low and high 32 bits; then the offset in the chunk of the
//     full call event that a repeat event after those events stands for (-1: none may follow; EventEncoder.templateAt)
//   [23] the writer side's last request (Atomics.store)   [24] the last request answered (Atomics.store)
//   [25..33] the progress record the answer gives
//   then per chunk i at 36 + 12*i: state (FREE | FILLING | FULL), then a record as above (for a full chunk: its
//     bytes and events, and where the run is at its end)
//
// The guest side publishes with plain stores, which cost next to nothing on the hot path, and answers a request
// of the writer side at its next event: it copies its progress record into the answer, then stores the request's
// number with Atomics.store, which makes what it wrote before visible to a writer side that loads that number.
// A guest side that records no event (it waits in a host call, or computes) answers nothing; the writer side
// then takes the newest record once it has stood still for a whole tick (written long before; nothing writes it).
//
// A frame's events must not depend on an earlier frame's, but a repeat (or delta) event stands for the call event before it.
// So when the events passed on start with a repeat event (the part of a chunk after what an earlier pass took), the
// first is passed on as the full call event it stands for (expandRepeat), from the full event the record says.
import { isRepeatHead } from '../trace/event-heads.js';
import { expandRepeat, type WalkState } from '../trace/events.js';

const FREE = 0;
const FILLING = 1;
const FULL = 2;
const CURRENT = 0;
const CURRENT_SEQ = 1;
const PUBLISHED = 2;
const NEXT_SEQ = 3;
const CALLS = 4;
const RECORDS = 5;
/** A progress record: seq, bytes, events, calls, marked, pieces, time low, time high, template (offsets below). */
const RECORD_INTS = 9;
const R_SEQ = 0;
const R_BYTES = 1;
const R_EVENTS = 2;
const R_CALLS = 3;
const R_MARKED = 4;
const R_PIECES = 5;
const R_TIME_LO = 6;
const R_TIME_HI = 7;
const R_TEMPLATE = 8;
const REQUEST = 23;
const ANSWERED = 24;
const ANSWER = 25;
const HEAD = 36;
/** Per chunk: its state, then a progress record. */
const CHUNK_INTS = 12;
const TWO_32 = 4294967296;

/**
 * The most events a chunk (and so a frame: TraceWriter's frameEvents) holds. A loop reading the clock takes about a
 * byte a call, so a 1 MiB chunk of them would be near a million calls, and a replay's flat form of a frame takes
 * ~20 bytes a call (flat.ts): frames of at most this many calls keep the replay's memory small.
 */
export const CHUNK_EVENTS = 128 << 10;

export interface ChunkPool {
  control: SharedArrayBuffer;
  chunks: SharedArrayBuffer[];
}

export function createChunkPool(count: number, bytes: number): ChunkPool {
  return {
    control: new SharedArrayBuffer(4 * (HEAD + CHUNK_INTS * count)),
    chunks: Array.from({ length: count }, () => new SharedArrayBuffer(bytes)),
  };
}

/** Makes a pool that no thread uses any more ready for a new recording (every chunk free, counters zero). */
export function resetChunkPool(pool: ChunkPool): void {
  new Int32Array(pool.control).fill(0);
}

/**
 * Publishes the progress of the chunk being filled (after every event): its bytes and events so far, the calls
 * recorded in all, and where the run is for the writer's seek index (`marked`: calls of imports that may change
 * the fd table, `pieces`: blob pieces after the last call, `time`: the sum of the calls' gaps and durations, in
 * ns; WalkState in trace/events.ts), and `template`, the offset of the full call event a repeat event after these
 * events would stand for (-1: none); answers the writer side's request, if there is a new one. Called by the
 * recorder on the guest thread with the pool's control words.
 */
export function publishProgress(control: Int32Array, bytes: number, events: number, calls: number,
  marked = 0, pieces = 0, time = 0, template = -1): void {
  const n = (control[PUBLISHED]! + 1) | 0;
  const at = RECORDS + RECORD_INTS * (n & 1);
  const seq = control[CURRENT_SEQ]!;
  const high = Math.floor(time / TWO_32);
  control[at + R_SEQ] = seq;
  control[at + R_BYTES] = bytes;
  control[at + R_EVENTS] = events;
  control[at + R_CALLS] = calls;
  control[at + R_MARKED] = marked;
  control[at + R_PIECES] = pieces;
  control[at + R_TIME_LO] = time - high * TWO_32;
  control[at + R_TIME_HI] = high;
  control[at + R_TEMPLATE] = template;
  control[CALLS] = calls;
  control[PUBLISHED] = n;
  answer(control, at);
}

/**
 * publishProgress for an event after which only `bytes`, `events` and `calls` differ from the two publications before
 * it (a run of repeat events: the same chunk, template, marked calls, pieces and time), which wrote every other word
 * of the record this one goes to: writes only those. The caller (Recorder) knows the two before were of that run.
 */
export function publishCounts(control: Int32Array, bytes: number, events: number, calls: number): void {
  const n = (control[PUBLISHED]! + 1) | 0;
  const at = RECORDS + RECORD_INTS * (n & 1);
  control[at + R_BYTES] = bytes;
  control[at + R_EVENTS] = events;
  control[at + R_CALLS] = calls;
  control[CALLS] = calls;
  control[PUBLISHED] = n;
  answer(control, at);
}

/** Answers the writer side's request, if there is a new one, with the progress record at `at`. */
function answer(control: Int32Array, at: number): void {
  const request = control[REQUEST]!;
  if (request !== control[ANSWERED]) {
    for (let k = 0; k < RECORD_INTS; k++) control[ANSWER + k] = control[at + k]!;
    Atomics.store(control, ANSWERED, request);
  }
}

/** Copies the newest progress record to `to` (words of `control`). */
function copyNewest(control: Int32Array, to: number): void {
  const from = RECORDS + RECORD_INTS * (control[PUBLISHED]! & 1);
  for (let k = 0; k < RECORD_INTS; k++) control[to + k] = control[from + k]!;
}

/** The guest side: hands out chunks to encode into, and marks them full for the writer side. */
export class ChunkProducer {
  private readonly control: Int32Array;
  private current = 0;

  /** `notify` tells the writer side that a chunk is full (e.g. a postMessage). */
  constructor(private readonly pool: ChunkPool, private readonly notify: () => void) {
    this.control = new Int32Array(pool.control);
  }

  /** The control words the recorder publishes its progress into (publishProgress). */
  get progress(): Int32Array { return this.control; }

  /** The first chunk to encode into. */
  first(): Uint8Array { return this.claim(0); }

  /** Marks the current chunk full with `bytes`/`events`, then returns the next one (waiting while it is in use). */
  full(bytes: number, events: number): Uint8Array {
    const at = HEAD + CHUNK_INTS * this.current;
    // Where the run is at the chunk's end: the newest progress record (published after its last event).
    copyNewest(this.control, at + 1);
    this.control[at + 1 + R_BYTES] = bytes;
    this.control[at + 1 + R_EVENTS] = events;
    Atomics.store(this.control, at, FULL);
    this.notify();
    const next = (this.current + 1) % this.pool.chunks.length;
    while (Atomics.load(this.control, HEAD + CHUNK_INTS * next) !== FREE) Atomics.wait(this.control, HEAD + CHUNK_INTS * next, FULL, 1000);
    return this.claim(next);
  }

  private claim(i: number): Uint8Array {
    const c = this.control;
    const at = HEAD + CHUNK_INTS * i;
    const seq = c[NEXT_SEQ]!;
    c[at + 1 + R_SEQ] = seq;
    c[NEXT_SEQ] = seq + 1;
    Atomics.store(c, at, FILLING);
    this.current = i;
    c[CURRENT] = i;
    c[CURRENT_SEQ] = seq;
    // The new chunk starts where the run is (the newest record's calls, marked calls, pieces and time).
    const r = RECORDS + RECORD_INTS * (c[PUBLISHED]! & 1);
    publishProgress(c, 0, 0, c[CALLS]!, c[r + R_MARKED], c[r + R_PIECES], timeOf(c, r));
    return new Uint8Array(this.pool.chunks[i]!);
  }
}

/** The run's time of the progress record at `at`. */
const timeOf = (c: Int32Array, at: number): number => c[at + R_TIME_HI]! * TWO_32 + (c[at + R_TIME_LO]! >>> 0);

/** A progress record as read: which chunk, how far into it, where the run is there, and its R_TEMPLATE. */
interface Progress { seq: number; bytes: number; events: number; after: WalkState; template: number }

/** The progress record at `at` of `c`. */
function recordAt(c: Int32Array, at: number): Progress {
  return {
    seq: c[at + R_SEQ]!, bytes: c[at + R_BYTES]!, events: c[at + R_EVENTS]!,
    after: { calls: c[at + R_CALLS]!, marked: c[at + R_MARKED]!, pieces: c[at + R_PIECES]!, time: timeOf(c, at) },
    template: c[at + R_TEMPLATE]!,
  };
}

/**
 * Receives events the writer side passes on: `bytes` holding `events` whole events, and where the run is after
 * them (WalkState: calls, time, blob pieces after the last call, and `marked` counting every fd-table call so far).
 */
export type TakeEvents = (bytes: Uint8Array, events: number, after: WalkState) => void;

/**
 * The writer side: takes the events of each chunk in order — the completed events of the chunk being filled when
 * asked (takeFilling), the rest once it is full (drain) — and frees full chunks for the producer.
 */
export class ChunkConsumer {
  private readonly control: Int32Array;
  private nextSeq = 0;
  /** What of chunk `nextSeq` was already passed on. */
  private takenBytes = 0;
  private takenEvents = 0;
  /** The R_TEMPLATE of the record that far: what a repeat event at takenBytes stands for. */
  private takenTemplate = -1;
  /** The last request made of the producer (see the layout at the top). */
  private request = 0;
  /** The producer's publication count at the previous takeFilling. */
  private lastPublished = -1;

  constructor(private readonly pool: ChunkPool) {
    this.control = new Int32Array(pool.control);
  }

  /** Calls the producer had completed when it last published (after it stopped: every call salvage passes on). */
  get calls(): number { return Atomics.load(this.control, CALLS); }

  /**
   * Passes the events of every full chunk not passed on yet, in order, to `take`, and frees the chunk; at most
   * `limit` chunks, so that a producer that fills chunks as fast as they are freed cannot keep the caller here (its
   * event loop, and so its signal handlers and timers, would starve).
   */
  drain(take: TakeEvents, limit = Infinity): void {
    for (let n = 0; n < limit; n++) {
      const i = this.findSeq(this.nextSeq);
      if (i < 0 || Atomics.load(this.control, HEAD + CHUNK_INTS * i) !== FULL) return;
      const at = HEAD + CHUNK_INTS * i;
      this.pass(i, recordAt(this.control, at + 1), take);
      Atomics.store(this.control, at, FREE);
      Atomics.notify(this.control, at);
      this.nextSeq++;
      this.takenBytes = 0;
      this.takenEvents = 0;
      this.takenTemplate = -1;
    }
  }

  /**
   * Passes on the events the producer has completed in the chunk it is filling (beyond those passed on before) as
   * far as this side knows them: call it on a timer, after drain. Safe while the producer runs. What the producer
   * completed by one call is passed on by the next: through the producer's answer to this call's request, or,
   * when the producer recorded nothing in between (it waited in a host call), from its record that stood still.
   * The rest of the chunk follows when it is full.
   */
  takeFilling(take: TakeEvents): void {
    const c = this.control;
    let best: Progress | undefined;
    if (Atomics.load(c, ANSWERED) === this.request) {
      best = recordAt(c, ANSWER);
      Atomics.store(c, REQUEST, ++this.request);
    }
    const published = Atomics.load(c, PUBLISHED);
    if (published === this.lastPublished) {
      const still = this.newest();
      // Unless the producer just woke up and rewrote it while it was read.
      if (Atomics.load(c, PUBLISHED) === published) best = newer(best, still);
    }
    this.lastPublished = published;
    this.takeFrom(best, take);
  }

  /**
   * After the producer has stopped for good (its thread ended): passes on the full chunks, then the events the
   * producer had completed in the chunk it was filling.
   */
  salvage(take: TakeEvents): void {
    this.drain(take);
    this.takeFrom(this.newest(), take);
  }

  private takeFrom(p: Progress | undefined, take: TakeEvents): void {
    if (p === undefined || p.seq !== this.nextSeq) return;
    const i = this.findSeq(this.nextSeq);
    if (i < 0 || Atomics.load(this.control, HEAD + CHUNK_INTS * i) !== FILLING) return;
    this.pass(i, p, take);
  }

  /**
   * Passes bytes [takenBytes, p.bytes) of chunk i (p.events in all from its start) to `take`, a repeat event at their
   * start as the call event it stands for.
   */
  private pass(i: number, p: Progress, take: TakeEvents): void {
    if (p.bytes <= this.takenBytes) return;
    const chunk = new Uint8Array(this.pool.chunks[i]!, 0, p.bytes);
    let events: Uint8Array = chunk.subarray(this.takenBytes);
    const head = chunk[this.takenBytes];
    if (this.takenBytes > 0 && this.takenTemplate >= 0 && isRepeatHead(head!)) {
      const x = expandRepeat(chunk, this.takenTemplate, this.takenBytes);
      // The recorder wrote the chunk and the record: a string here is a defect of the recorder, not of a trace.
      if (typeof x === 'string') throw new Error(`recorder chunk ${p.seq} at byte ${this.takenBytes}: ${x}`);
      events = new Uint8Array(x.event.length + p.bytes - x.end);
      events.set(x.event);
      events.set(chunk.subarray(x.end), x.event.length);
    }
    take(events, p.events - this.takenEvents, p.after);
    this.takenBytes = p.bytes;
    this.takenEvents = p.events;
    this.takenTemplate = p.template;
  }

  /** The newest progress record (the other one may be being rewritten). */
  private newest(): Progress {
    const c = this.control;
    return recordAt(c, RECORDS + RECORD_INTS * (Atomics.load(c, PUBLISHED) & 1));
  }

  private findSeq(seq: number): number {
    for (let i = 0; i < this.pool.chunks.length; i++) {
      const at = HEAD + CHUNK_INTS * i;
      if (this.control[at + 1 + R_SEQ] === seq && this.control[at] !== FREE) return i;
    }
    return -1;
  }
}

/** The later of two progress records (of one producer). */
const newer = (a: Progress | undefined, b: Progress): Progress =>
  (a === undefined || b.seq > a.seq || (b.seq === a.seq && b.bytes > a.bytes) ? b : a);
