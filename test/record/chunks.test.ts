// The chunk protocol between the guest thread and the trace writer (src/record/chunks.ts), driven from one thread
// so that every interleaving below is exact: the writer side takes the completed events of the chunk being
// filled (takeFilling) and later only the rest of it, and every byte goes out once, in order.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_BY_NAME, MODULE_NAME } from '../../src/abi/index.js';
import { ChunkConsumer, ChunkProducer, createChunkPool, publishProgress } from '../../src/record/chunks.js';
import { Recorder } from '../../src/record/recorder.js';
import { fdImportMarks, type WalkState } from '../../src/trace/events.js';
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { initZstd } from '../../src/trace/zstd.js';
import { tempDir } from '../trace/helpers.js';

const wasi = (name: string) => ({ module: MODULE_NAME, name, wasi: FUNCTIONS_BY_NAME.get(name)!.index });

/** A producer that "encodes" events of one byte each (the event's number, mod 256) the way the recorder does. */
function setup(chunks = 2, bytes = 8) {
  const pool = createChunkPool(chunks, bytes);
  const producer = new ChunkProducer(pool, () => {});
  const consumer = new ChunkConsumer(pool);
  let chunk = producer.first();
  let pos = 0;
  let count = 0;
  let calls = 0;
  const taken: { bytes: number[]; events: number }[] = [];
  const take = (b: Uint8Array, n: number) => { taken.push({ bytes: [...b], events: n }); };
  return {
    consumer, taken, take,
    /** Records one event: into the current chunk, or, when it is full, into the next after handing it over. */
    event() {
      if (pos === chunk.length) {
        chunk = producer.full(pos, count);
        pos = 0;
        count = 0;
      }
      chunk[pos++] = calls & 0xff;
      count++;
      calls++;
      publishProgress(producer.progress, pos, count, calls);
    },
    /** Everything taken so far, in order. */
    all: () => taken.flatMap((t) => t.bytes),
    events: () => taken.reduce((n, t) => n + t.events, 0),
  };
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i & 0xff);

describe('chunks: the writer side takes what the guest side completed', () => {
  it('a request is answered at the next event; the next tick takes what the answer gives', () => {
    const s = setup();
    s.consumer.takeFilling(s.take); // asks
    s.event(); s.event(); s.event(); // the first of these answers (1 event done)
    s.consumer.takeFilling(s.take);
    expect(s.taken).toEqual([{ bytes: [0], events: 1 }]);
    s.event(); // answers the second request: 4 events
    s.consumer.takeFilling(s.take);
    expect(s.all()).toEqual(upTo(4));
    expect(s.events()).toBe(4);
  });

  it('a guest side that records nothing for a whole tick (waiting in a host call) has its events taken anyway', () => {
    const s = setup();
    s.consumer.takeFilling(s.take); // asks
    s.consumer.takeFilling(s.take); // no answer yet, nothing published: nothing to take, and no new request
    s.event(); s.event(); // the first answers the request (1 event done)
    s.consumer.takeFilling(s.take); // takes the answer (1 event), asks again; the record moved since the last tick
    s.consumer.takeFilling(s.take); // no answer, but nothing published since: the record that stood still (2 events)
    expect(s.all()).toEqual(upTo(2));
    expect(s.events()).toBe(2);
  });

  it('a full chunk hands over only what was not taken, and every byte goes out once, in order', () => {
    const s = setup(2, 8);
    for (let i = 0; i < 5; i++) s.event();
    s.consumer.takeFilling(s.take);
    s.consumer.takeFilling(s.take); // stood still: 5 events of chunk 0
    for (let i = 0; i < 3; i++) s.event(); // chunk 0 is full (8) but handed over at the next event
    s.event(); // chunk 0 FULL, chunk 1 has 1 event
    s.consumer.drain(s.take);
    expect(s.taken.map((t) => t.bytes.length)).toEqual([5, 3]);
    for (let i = 0; i < 10; i++) s.event(); // fills chunk 1 (waits for nothing: chunk 0 was freed), then chunk 0 again
    s.consumer.drain(s.take);
    s.consumer.salvage(s.take);
    expect(s.all()).toEqual(upTo(19));
    expect(s.events()).toBe(19);
  });

  it('salvage after the guest side stopped takes the rest of the chunk it was filling', () => {
    const s = setup(3, 16);
    for (let i = 0; i < 20; i++) s.event();
    s.consumer.takeFilling(s.take); // asks; nothing answered yet
    s.consumer.drain(s.take);
    s.consumer.salvage(s.take);
    expect(s.all()).toEqual(upTo(20));
    expect(s.events()).toBe(20);
    s.consumer.salvage(s.take); // nothing twice
    expect(s.events()).toBe(20);
  });
});

describe('chunks: drain with a limit', () => {
  // The writer drains as many chunks as the pool holds per message, then returns to its event loop: a guest that
  // fills chunks as fast as they are freed must not keep it from a stop signal or a timeout.
  it('passes at most `limit` full chunks, in order; the next drain goes on from there', () => {
    const s = setup(4, 4);
    for (let i = 0; i < 13; i++) s.event(); // chunks 0, 1 and 2 full, chunk 3 being filled
    s.consumer.drain(s.take, 2);
    expect(s.taken.map((t) => t.events)).toEqual([4, 4]);
    expect(s.all()).toEqual(upTo(8));
    s.consumer.drain(s.take);
    expect(s.all()).toEqual(upTo(12)); // the chunk being filled is not full: not drained
  });
});

describe('chunks: where the run is, for the seek index', () => {
  // The recorder publishes where the run is after each event (calls, fd calls, blob pieces, time); the writer
  // makes its seek index from that instead of walking the frames. Both ways must give the very same index.
  it('the seek index from the published state is the one walking the frames gives (timed, untimed, blobs, fd calls, checkpoints, partial takes)', async () => {
    await initZstd();
    const dir = tempDir();
    const imports = [wasi('clock_time_get'), wasi('path_open'), wasi('fd_write'), wasi('fd_close')];
    const CHUNK = 300 * 1024;
    const pool = createChunkPool(3, CHUNK);
    const producer = new ChunkProducer(pool, () => {});
    const consumer = new ChunkConsumer(pool);
    const told = await TraceWriter.create(join(dir, 'told.bin'), { imports }, new Uint8Array(0), { level: 1, frameBytes: CHUNK });
    const walked = await TraceWriter.create(join(dir, 'walked.bin'), { imports }, new Uint8Array(0), { level: 1, frameBytes: CHUNK });
    const take = (b: Uint8Array, n: number, after: WalkState) => { told.appendEvents(b, n, after); walked.appendEvents(b, n); };
    const rec = new Recorder((b, n) => { const next = producer.full(b.length, n); consumer.drain(take); return next; },
      producer.first(), imports.length, 0, producer.progress, { checkpoints: 500 }, fdImportMarks(imports));
    const mem = new Uint8Array(700 * 1024);
    let t = 0;
    const call = (imp: number, args: number[], inputs: Uint8Array | null, timed: boolean) => {
      if (rec.calls >= rec.nextCheckpoint) rec.checkpoint(mem);
      const start = timed ? (t += 3.3e-3) : NaN;
      rec.call(imp, args, 0, [16, 8], mem, inputs, start, timed ? (t += 1.7e-3) : NaN);
    };
    for (let k = 0; k < 30_000; k++) {
      call(0, [1, 1, 16], null, k % 3 === 0);
      if (k % 997 === 0) call(1, [3, 0, 0, 5, 0, 0, 0, 0, 16], new TextEncoder().encode('a.txt'), true);
      if (k % 4001 === 0) call(2, [1, 0, 1, 16], new Uint8Array(k % 8002 ? 600 * 1024 : 1000).fill(k & 0xff), true);
      if (k % 5003 === 0) call(3, [4], null, false);
      // The pipeline's timer: the completed events of the chunk being filled, and a frame of what is pending.
      if (k % 1500 === 0) { consumer.takeFilling(take); told.flush(); walked.flush(); }
    }
    rec.flush();
    consumer.salvage(take);
    for (const w of [told, walked]) w.finish({ end: { kind: 'exit', code: 0 }, calls: rec.calls });
    const seekOf = async (name: string) => {
      const r = await TraceReader.open(join(dir, name));
      const s = r.seekIndex;
      r.close();
      return s;
    };
    const walkedSeek = await seekOf('walked.bin');
    expect(walkedSeek!.length).toBeGreaterThan(10);
    expect(walkedSeek!.some((f) => f.carried > 0)).toBe(true);
    expect(walkedSeek!.some((f) => f.fdCalls > 1)).toBe(true);
    expect(await seekOf('told.bin')).toEqual(walkedSeek);
  });
});
