// readModuleChunks (src/trace/module-chunks.ts): the module straight from a trace's MODULE chunks, for the reader
// thread's read-ahead; anything it cannot read as a whole module is undefined (the usual reader reports it).
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initZstd } from '../../src/trace/zstd.js';
import { Worker } from 'node:worker_threads';
import { decompressNextChunk, moduleOf, readModuleChunks, readModuleWork, unclaimedChunks, type ModuleWork } from '../../src/trace/module-chunks.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { randomish, tempDir, walkBlocks } from './helpers.js';

const dir = tempDir();
/** 2.5 MiB: three chunks, the last one partial. */
const module = randomish(2.5 * (1 << 20), 31);
const header = { tool: 'wasi-trace', argv: ['x'], env: [], imports: [], module: { name: 'x', sha256: '' } };

async function trace(name: string, moduleLevel?: 'raw'): Promise<string> {
  const path = join(dir, name);
  const w = await TraceWriter.create(path, header, module, { level: 1, moduleLevel });
  w.finish({ end: { kind: 'exit', code: 0 }, calls: 0 });
  return path;
}

/** `readFrom(fd, size)` on the trace at `path`. */
function onFile<T>(path: string, readFrom: (fd: number, size: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return readFrom(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}
const read = (path: string): Uint8Array | undefined => onFile(path, readModuleChunks);
const work = (path: string): ModuleWork | undefined => onFile(path, readModuleWork);

/** A copy of the trace at `path` with `change` applied to its bytes. */
function altered(path: string, name: string, change: (b: Buffer) => Buffer): string {
  const out = join(dir, name);
  writeFileSync(out, change(Buffer.from(readFileSync(path))));
  return out;
}

describe('readModuleChunks', () => {
  it('gives the module of compressed and of raw chunks, in shared memory', async () => {
    await initZstd();
    for (const path of [await trace('zstd.bin'), await trace('raw.bin', 'raw')]) {
      const got = read(path)!;
      expect(got.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.from(got).equals(Buffer.from(module))).toBe(true);
    }
    expect(walkBlocks(readFileSync(join(dir, 'zstd.bin'))).filter((b) => b.type === 2).map((b) => b.codec)).toEqual([1, 1, 1]);
    expect(walkBlocks(readFileSync(join(dir, 'raw.bin'))).filter((b) => b.type === 2).map((b) => b.codec)).toEqual([0, 0, 0]);
  });

  it('is undefined for what it cannot read as a whole module', async () => {
    await initZstd();
    const good = await trace('good.bin');
    const chunks = walkBlocks(readFileSync(good)).filter((b) => b.type === 2);
    const notATrace = join(dir, 'not-a-trace.bin');
    writeFileSync(notATrace, Buffer.from(module.subarray(0, 4096)));
    const cases = {
      notATrace,
      newerVersion: altered(good, 'newer.bin', (b) => { b.writeUInt16LE(99, 8); return b; }),
      damagedChunk: altered(good, 'damaged.bin', (b) => { b[chunks[1]!.offset + 20 + 100]! ^= 0x01; return b; }),
      cutInsideChunk: altered(good, 'cut.bin', (b) => b.subarray(0, chunks[2]!.offset + 30)),
      wrongIndex: altered(good, 'index.bin', (b) => { b.writeUInt32LE(5, chunks[1]!.offset + 16); return b; }),
    };
    for (const [what, path] of Object.entries(cases)) expect([what, read(path)]).toEqual([what, undefined]);
  });

  it('shares the decompression between threads: each chunk is claimed once, the module is whole once all are done', async () => {
    await initZstd();
    const w = work(await trace('shared.bin'))!;
    expect(w.stored.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(unclaimedChunks(w)).toBe(3);
    expect(decompressNextChunk(w)).toBe(true); // chunk 0 here, the rest on another thread
    const url = new URL('../../dist/src/trace/module-chunks.js', import.meta.url).href;
    const zstdUrl = new URL('../../dist/src/trace/zstd.js', import.meta.url).href;
    const helper = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        (await import(${JSON.stringify(zstdUrl)})).initZstdNow();
        const { decompressNextChunk } = await import(${JSON.stringify(url)});
        let n = 0;
        while (decompressNextChunk(workerData)) n++;
        parentPort.postMessage(n);
      })();`, { eval: true, workerData: w });
    const theirs = await new Promise((resolve, reject) => { helper.once('message', resolve); helper.once('error', reject); });
    await helper.terminate();
    expect(theirs).toBe(2);
    expect(unclaimedChunks(w)).toBe(0);
    expect(decompressNextChunk(w)).toBe(false);
    expect(Buffer.from(moduleOf(w)!).equals(Buffer.from(module))).toBe(true);
  });

  it('gives no module when a chunk fails its CRC, or when a claimed chunk is never finished', async () => {
    await initZstd();
    const good = await trace('shared-good.bin');
    const second = walkBlocks(readFileSync(good)).filter((b) => b.type === 2)[1]!;
    const damaged = work(altered(good, 'shared-damaged.bin', (b) => { b[second.offset + 20 + 100]! ^= 0x01; return b; }))!;
    while (decompressNextChunk(damaged));
    expect(moduleOf(damaged)).toBeUndefined();
    const abandoned = work(good)!;
    Atomics.add(abandoned.state, 0, 1); // chunk 0 claimed by a thread that is gone
    while (decompressNextChunk(abandoned));
    expect(moduleOf(abandoned, 20)).toBeUndefined();
  });
});
