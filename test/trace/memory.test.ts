import { randomFillSync } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { tempDir } from './helpers.js';

// Record the size of every read the trace code makes.
const reads = vi.hoisted(() => ({ sizes: [] as number[] }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readSync = ((...args: Parameters<typeof fs.readSync>) => {
    const n = fs.readSync(...args);
    reads.sizes.push(n);
    return n;
  }) as typeof fs.readSync;
  return { ...fs, default: { ...fs, readSync }, readSync };
});

const dir = tempDir();

// Loaded afresh, so that they read through the mock even when an earlier test file in this worker loaded them
// (vitest.config.ts: files share a worker's modules).
vi.resetModules();
const { TraceReader } = await import('../../src/trace/reader.js');
const { TraceWriter } = await import('../../src/trace/writer.js');

test('frames() streams a 48 MiB trace one frame at a time', async () => {
  const path = join(dir, 'big.bin');
  const writer = await TraceWriter.create(path, {}, new Uint8Array(0), { level: 1 });
  // 48 frames of one incompressible 1 MiB event each (a msgpack bin32 of 1 MiB - 5 bytes).
  const event = new Uint8Array(1 << 20);
  event[0] = 0xc6;
  new DataView(event.buffer).setUint32(1, (1 << 20) - 5);
  for (let i = 0; i < 48; i++) {
    randomFillSync(event, 5);
    writer.appendEvents(event, 1);
  }
  writer.finish({});
  const size = statSync(path).size;
  expect(size).toBeGreaterThan(48 << 20);

  const reader = await TraceReader.open(path);
  reads.sizes.length = 0;
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let frames = 0;
  let bytes = 0;
  for (const frame of reader.frames()) {
    frames++;
    bytes += frame.payload.length;
    if (frames === 1) {
      // Only the first frame has been read so far.
      const sofar = reads.sizes.reduce((a, b) => a + b, 0);
      expect(sofar).toBeGreaterThan(1 << 20);
      expect(sofar).toBeLessThan(1.1 * (1 << 20));
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  expect(frames).toBe(48);
  expect(bytes).toBe(48 << 20);
  expect(reader.ending).toEqual({ complete: true });
  // No read is bigger than one stored frame, and the file is read about once.
  expect(Math.max(...reads.sizes)).toBeLessThanOrEqual((1 << 20) + 1024);
  const total = reads.sizes.reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThan(48 << 20); // the spy saw the reads
  expect(total).toBeLessThan(size + 4096);
  expect(rssPeak - rssBefore).toBeLessThan(100 << 20);
});
