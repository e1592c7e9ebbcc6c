// The chunk protocol, across slots and threads (src/record/chunks.ts) that carries encoded events from the guest thread to the writer:
// chunks are taken in the order they were filled whatever their slot, a chunk being filled is never taken by
// drain, and salvage takes the events the producer completed in its last chunk.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ChunkConsumer, ChunkProducer, createChunkPool, publishProgress, type ChunkPool } from '../../src/record/chunks.js';
import { Recorder } from '../../src/record/recorder.js';
import { EventDecoder } from '../../src/trace/events.js';

interface Taken { bytes: number[]; events: number }

/** A consumer whose takes are collected (the bytes copied: the chunk is reused once freed). */
function collector(pool: ChunkPool) {
  const consumer = new ChunkConsumer(pool);
  const taken: Taken[] = [];
  const take = (b: Uint8Array, events: number) => { taken.push({ bytes: [...b], events }); };
  return { taken, drain: () => consumer.drain(take), salvage: () => consumer.salvage(take) };
}

/** Fills `chunk` with `n` bytes of `marker` and marks it full with `events` events. */
const fill = (p: ChunkProducer, chunk: Uint8Array, marker: number, n: number, events: number) => {
  chunk.fill(marker, 0, n);
  return p.full(n, events);
};

describe('chunk protocol', () => {
  it('drain takes the full chunks in the order they were filled, whatever their slot', () => {
    const pool = createChunkPool(3, 16);
    let notified = 0;
    const p = new ChunkProducer(pool, () => { notified++; });
    const c = collector(pool);
    let chunk = p.first();
    chunk = fill(p, chunk, 1, 2, 1); // slot 0
    chunk = fill(p, chunk, 2, 3, 2); // slot 1
    expect(notified).toBe(2);
    c.drain();
    expect(c.taken).toEqual([{ bytes: [1, 1], events: 1 }, { bytes: [2, 2, 2], events: 2 }]);
    chunk = fill(p, chunk, 3, 1, 1); // slot 2
    chunk = fill(p, chunk, 4, 4, 3); // slot 0 again: filled after slot 2, so taken after it
    c.drain();
    expect(c.taken.slice(2)).toEqual([{ bytes: [3], events: 1 }, { bytes: [4, 4, 4, 4], events: 3 }]);
    c.drain();
    expect(c.taken).toHaveLength(4); // nothing twice
  });

  it('drain never takes the chunk being filled', () => {
    const pool = createChunkPool(2, 16);
    const p = new ChunkProducer(pool, () => {});
    const c = collector(pool);
    const chunk = p.first();
    chunk.fill(9, 0, 5);
    p.progress[1] = 5;
    p.progress[2] = 2;
    c.drain();
    expect(c.taken).toEqual([]);
  });

  it('salvage takes the full chunks, then the completed events of the one being filled, once', () => {
    const pool = createChunkPool(3, 16);
    const p = new ChunkProducer(pool, () => {});
    const c = collector(pool);
    let chunk = p.first();
    chunk = fill(p, chunk, 1, 2, 1);
    chunk = fill(p, chunk, 2, 2, 1);
    chunk.fill(7, 0, 8); // 8 bytes written, but only the first 5 published: the event after them is incomplete
    publishProgress(p.progress, 5, 3, 5);
    c.salvage();
    expect(c.taken).toEqual([{ bytes: [1, 1], events: 1 }, { bytes: [2, 2], events: 1 }, { bytes: [7, 7, 7, 7, 7], events: 3 }]);
    c.salvage();
    c.drain();
    expect(c.taken).toHaveLength(3);
  });

  it('salvage takes nothing of a chunk with no completed event', () => {
    const pool = createChunkPool(2, 16);
    const p = new ChunkProducer(pool, () => {});
    const c = collector(pool);
    const chunk = fill(p, p.first(), 1, 2, 1);
    chunk.fill(5, 0, 4); // bytes of an event that never completed
    c.salvage();
    expect(c.taken).toEqual([{ bytes: [1, 1], events: 1 }]);
  });

  it('with the recorder: every event arrives once and in order, the last partial chunk by salvage', () => {
    const pool = createChunkPool(2, 256);
    const c = collector(pool);
    const p = new ChunkProducer(pool, () => c.drain());
    const rec = new Recorder((b, n) => p.full(b.length, n), p.first(), 1000, 0, p.progress);
    const mem = new Uint8Array(64);
    for (let i = 0; i < 100; i++) rec.call(i, [i, -i], 0, [], mem, null, i, i);
    // the guest thread "stops" here: no flush, the events of the current chunk are only published
    c.salvage();
    const decoder = new EventDecoder();
    const imps = c.taken.flatMap((t) => decoder.decodeFrame(Uint8Array.from(t.bytes)).map((e) => e.imp));
    expect(imps).toEqual([...Array(100).keys()]);
    expect(c.taken.length).toBeGreaterThan(2); // several chunks went round the pool of two
    expect(c.taken.reduce((n, t) => n + t.events, 0)).toBe(100);
  });

  it('across threads: a producer on a worker waits for freed chunks, and nothing is lost or reordered', async () => {
    const pool = createChunkPool(2, 64);
    const c = collector(pool);
    // the worker runs the built module (dist/, kept current by test/global-setup.ts): workers cannot load TypeScript
    const url = new URL('../../dist/src/record/chunks.js', import.meta.url).href;
    const worker = new Worker(`
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.url).then(({ ChunkProducer, publishProgress }) => {
        const p = new ChunkProducer(workerData.pool, () => parentPort.postMessage('full'));
        let chunk = p.first();
        for (let i = 1; i <= 20; i++) { chunk.fill(i, 0, i); chunk = p.full(i, i); }
        chunk.fill(99, 0, 3); publishProgress(p.progress, 3, 1, 211);
      });`, { eval: true, workerData: { pool, url } });
    worker.on('message', () => c.drain());
    await new Promise((resolve, reject) => { worker.on('exit', resolve); worker.on('error', reject); });
    c.salvage();
    expect(c.taken).toEqual([
      ...Array.from({ length: 20 }, (_, k) => ({ bytes: Array(k + 1).fill(k + 1), events: k + 1 })),
      { bytes: [99, 99, 99], events: 1 },
    ]);
  });
});
