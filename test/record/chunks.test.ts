// The chunk protocol between the guest thread and the trace writer (src/record/chunks.ts), driven from one thread
// so that every interleaving below is exact: the writer side takes the completed events of the chunk being
// filled (takeFilling) and later only the rest of it, and every byte goes out once, in order.
import { describe, expect, it } from 'vitest';
import { ChunkConsumer, ChunkProducer, createChunkPool, publishProgress } from '../../src/record/chunks.js';

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
