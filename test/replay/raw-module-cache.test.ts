// Replay's decompressed modules in the module cache (src/replay/raw-module-cache.ts): an entry reads back only
// whole; the CLI's read-ahead keeps a large compressed module decompressed and uses it the next time, and so does a
// replay without a reader thread with a module of any size; an entry that is not the trace's module is removed and
// the trace's own chunks are replayed.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { readAhead, servePrefetch, type PrefetchMessage } from '../../src/replay/prefetch.js';
import { RAW_CACHE_MIN_BYTES, rawEntryPath, rawModuleKey, readRawEntry, readRawEntryWithDigest, writeRawEntry } from '../../src/replay/raw-module-cache.js';
import { replay } from '../../src/replay/replay.js';
import { moduleCacheDir } from '../../src/trace/cache-dir.js';
import { moduleChunkList, readModuleWork } from '../../src/trace/module-chunks.js';
import { TraceReader } from '../../src/trace/reader.js';
import { sha256Hex } from '../../src/trace/sha256.js';
import { record } from '../../src/record/record.js';
import { guestPath, paddedGuest } from '../helpers.js';
import { randomish, tempDir } from '../trace/helpers.js';

const dir = tempDir();
const readerThread = () => new Worker(fileURLToPath(new URL('../../dist/src/replay/prefetch-worker.js', import.meta.url)));

/** Records `module` into `trace`; the header's module sha256. */
async function recordGuest(module: Uint8Array, trace: string, stdout: (b: Uint8Array) => void = () => {}): Promise<{ sha256: string }> {
  await record({ module, output: trace, stdout, stderr: () => {}, stdin: new Uint8Array(0) });
  const reader = await TraceReader.open(trace, { module: 'skip' });
  try {
    return { sha256: reader.header.module.sha256 };
  } finally {
    reader.close();
  }
}

function keyOf(trace: string): { key: string; size: number } {
  const fd = openSync(trace, 'r');
  try {
    const work = readModuleWork(fd, fstatSync(fd).size)!;
    return { key: rawModuleKey(work), size: work.module.length };
  } finally {
    closeSync(fd);
  }
}

/**
 * What servePrefetch sends first for `trace` (after a read-ahead of it, or none: as for the API's replay), told the
 * header's module sha256 is `sha256`.
 */
async function served(trace: string, sha256: string, ahead = true): Promise<Extract<PrefetchMessage, { module: Uint8Array }>> {
  if (ahead) await readAhead(trace);
  const { port1, port2 } = new MessageChannel();
  const reader = await TraceReader.open(trace, { module: 'skip' });
  await servePrefetch({ file: reader.file, traceId: reader.traceId, module: true, moduleSha256: sha256, port: port2, control: new SharedArrayBuffer(4) }, () => {});
  reader.close();
  let first = receiveMessageOnPort(port1)?.message as PrefetchMessage;
  while ('moduleWork' in first) first = receiveMessageOnPort(port1)?.message as PrefetchMessage; // work shared, all done there
  port1.close();
  if (!('module' in first)) throw new Error(`not a module: ${JSON.stringify(first).slice(0, 200)}`);
  return first;
}

describe('the decompressed modules replay keeps', () => {
  it('read back whole only: every CRC, the size, the key', () => {
    const module = randomish(3 * (1 << 20) + 5, 41);
    const cache = join(dir, 'entries');
    expect(writeRawEntry(cache, 'k1', module)).toBe(true);
    const back = readRawEntry(cache, 'k1', module.length)!;
    expect(back.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(back).equals(Buffer.from(module))).toBe(true);
    expect(readRawEntry(cache, 'k1', module.length - 1)).toBeUndefined();
    expect(readRawEntry(cache, 'k2', module.length)).toBeUndefined(); // no such entry
    const file = Buffer.from(readFileSync(rawEntryPath(cache, 'k1')));
    writeFileSync(rawEntryPath(cache, 'k3'), file); // the right bytes under another key
    expect(readRawEntry(cache, 'k3', module.length)).toBeUndefined();
    file[file.length - 100]! ^= 1;
    writeFileSync(rawEntryPath(cache, 'k1'), file);
    expect(readRawEntry(cache, 'k1', module.length)).toBeUndefined();
    // A writer killed before its rename left a temporary entry: the next writer removes it once it is old.
    const leftover = join(cache, '.raw-k9.123.abcd.tmp');
    writeFileSync(leftover, 'partial');
    expect(writeRawEntry(cache, 'k4', module)).toBe(true);
    expect(existsSync(leftover)).toBe(true); // fresh: maybe still being written
    expect(writeRawEntry(cache, 'k4', module, Date.now() + 11 * 60_000)).toBe(true);
    expect(existsSync(leftover)).toBe(false);
    // The module's sha256, when the writer gives it, comes back with it (a reader need not hash the module).
    expect(writeRawEntry(cache, 'k5', module, Date.now(), sha256Hex(module))).toBe(true);
    expect(readRawEntryWithDigest(cache, 'k5', module.length)?.sha256).toBe(sha256Hex(module));
    expect(readRawEntryWithDigest(cache, 'k4', module.length)?.sha256).toBeUndefined();
    writeFileSync(join(dir, 'a-file'), '');
    expect(writeRawEntry(join(dir, 'a-file', 'sub'), 'k1', module)).toBe(false); // a cache that cannot be written
  });

  it('the read-ahead keeps a large compressed module once it is the header\'s, and reads it from there next time', async () => {
    const trace = join(dir, 'big.bin');
    const bytes = paddedGuest('hello', RAW_CACHE_MIN_BYTES);
    const { sha256 } = await recordGuest(bytes, trace);
    const { key, size } = keyOf(trace);
    const entry = rawEntryPath(moduleCacheDir()!, key);
    expect(size).toBe(bytes.length);
    // Told another sha256 than the module's: decompressed, not kept.
    expect((await served(trace, '0'.repeat(64))).cacheEntry).toBeUndefined();
    expect(existsSync(entry)).toBe(false);
    const first = await served(trace, sha256);
    expect(first.cacheEntry).toBeUndefined();
    expect(Buffer.from(first.module).equals(Buffer.from(bytes))).toBe(true);
    expect(existsSync(entry)).toBe(true);
    const second = await served(trace, sha256);
    expect(second.cacheEntry).toBe(entry);
    expect(Buffer.from(second.module).equals(Buffer.from(bytes))).toBe(true);
  });

  it('without a read-ahead (the API\'s replay on a reader thread), the module is kept and read from there the same way', async () => {
    const trace = join(dir, 'api.bin');
    const bytes = paddedGuest('hello', RAW_CACHE_MIN_BYTES + 2000);
    const { sha256 } = await recordGuest(bytes, trace);
    const entry = rawEntryPath(moduleCacheDir()!, keyOf(trace).key);
    expect((await served(trace, sha256, false)).cacheEntry).toBeUndefined();
    expect(existsSync(entry)).toBe(true);
    const again = await served(trace, sha256, false);
    expect(again.cacheEntry).toBe(entry);
    expect(Buffer.from(again.module).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a replay without a reader thread keeps a small compressed module too, reads it next time, and removes an impostor', async () => {
    const trace = join(dir, 'small.bin');
    const out: Buffer[] = [];
    const { sha256 } = await recordGuest(paddedGuest('hello', 20_000), trace, (b) => out.push(Buffer.from(b)));
    const { key, size } = keyOf(trace);
    const entry = rawEntryPath(moduleCacheDir()!, key);
    const replayed = async (): Promise<string> => {
      const again: Buffer[] = [];
      const r = await replay({ trace, stdout: (b) => again.push(Buffer.from(b)), stderr: () => {} });
      expect(r).toMatchObject({ complete: true, prefetched: false });
      return Buffer.concat(again).toString();
    };
    expect(existsSync(entry)).toBe(false);
    expect(await replayed()).toBe(Buffer.concat(out).toString());
    const kept = readRawEntryWithDigest(moduleCacheDir()!, key, size)!;
    expect(sha256Hex(kept.module)).toBe(sha256);
    expect(kept.sha256).toBe(sha256);
    // Another module of the same size under the trace's key: read, found not to be the header's, removed.
    const other = readFileSync(guestPath('exitcode')).length;
    let pad = size - other - 5;
    while (paddedGuest('exitcode', pad).length > size) pad--;
    const impostor = paddedGuest('exitcode', pad);
    expect(impostor.length).toBe(size);
    expect(writeRawEntry(moduleCacheDir()!, key, impostor)).toBe(true);
    expect(await replayed()).toBe(Buffer.concat(out).toString());
    expect(existsSync(entry)).toBe(false);
    // One that says (truly) it holds another module: removed without being compiled or hashed.
    expect(writeRawEntry(moduleCacheDir()!, key, impostor, Date.now(), sha256Hex(impostor))).toBe(true);
    expect(await replayed()).toBe(Buffer.concat(out).toString());
    expect(existsSync(entry)).toBe(false);
  });

  it('an entry kept without its module\'s sha256 (by an older wasi-trace) is kept again with it after a replay', async () => {
    const trace = join(dir, 'digestless.bin');
    const bytes = paddedGuest('hello', 25_000);
    const { sha256 } = await recordGuest(bytes, trace);
    const { key, size } = keyOf(trace);
    expect(writeRawEntry(moduleCacheDir()!, key, bytes)).toBe(true);
    expect(readRawEntryWithDigest(moduleCacheDir()!, key, size)?.sha256).toBeUndefined();
    expect(await replay({ trace, stdout: () => {}, stderr: () => {} })).toMatchObject({ complete: true, prefetched: false });
    const kept = readRawEntryWithDigest(moduleCacheDir()!, key, size)!;
    expect(kept.sha256).toBe(sha256);
    expect(Buffer.from(kept.module).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a damaged entry is not used: the trace\'s own module is replayed, and kept again whole', async () => {
    const trace = join(dir, 'damaged-entry.bin');
    const out: Buffer[] = [];
    const bytes = paddedGuest('hello', 25_000);
    await recordGuest(bytes, trace, (b) => out.push(Buffer.from(b)));
    const { key, size } = keyOf(trace);
    const path = rawEntryPath(moduleCacheDir()!, key);
    expect(writeRawEntry(moduleCacheDir()!, key, bytes, Date.now(), sha256Hex(bytes))).toBe(true);
    const file = readFileSync(path);
    file[file.length - 100]! ^= 0x01; // in the module's padding: it would still compile and run
    writeFileSync(path, file);
    expect(readRawEntry(moduleCacheDir()!, key, size)).toBeUndefined();
    const again: Buffer[] = [];
    expect(await replay({ trace, stdout: (b) => again.push(Buffer.from(b)), stderr: () => {} })).toMatchObject({ complete: true });
    expect(Buffer.concat(again).toString()).toBe(Buffer.concat(out).toString());
    expect(Buffer.from(readRawEntry(moduleCacheDir()!, key, size)!).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a damaged module chunk is reported even when the module cache holds the module', async () => {
    const trace = join(dir, 'sound.bin');
    await recordGuest(paddedGuest('hello', 30_000), trace);
    await replay({ trace, stdout: () => {}, stderr: () => {} }); // keeps the module
    const { key, size } = keyOf(trace);
    expect(readRawEntry(moduleCacheDir()!, key, size)).toBeDefined();
    const fd = openSync(trace, 'r');
    const list = moduleChunkList(fd, fstatSync(fd).size)!;
    closeSync(fd);
    const bytes = readFileSync(trace);
    bytes[list.start + list.chunks[0]!.from + 10]! ^= 0x40; // its stored bytes (the chunk headers, so the key, unchanged)
    const damaged = join(dir, 'damaged.bin');
    writeFileSync(damaged, bytes);
    expect(keyOf(damaged).key).toBe(key);
    await expect(replay({ trace: damaged, stdout: () => {}, stderr: () => {} })).rejects.toThrow(/module chunk at offset \d+ fails its CRC check/);
  });

  it('an entry that is not the trace\'s module is removed, and the trace\'s own module is replayed', async () => {
    const trace = join(dir, 'other.bin');
    const out: Buffer[] = [];
    await recordGuest(paddedGuest('hello', RAW_CACHE_MIN_BYTES + 1000), trace, (b) => out.push(Buffer.from(b)));
    const { key, size } = keyOf(trace);
    const impostor = paddedGuest('clock_random', size - readFileSync(fileURLToPath(new URL('../guests/clock_random.wasm', import.meta.url))).length - 6);
    expect(impostor.length).toBe(size);
    const entry = rawEntryPath(moduleCacheDir()!, key);
    expect(writeRawEntry(moduleCacheDir()!, key, impostor)).toBe(true);
    const w = readerThread();
    w.postMessage({ readAhead: trace });
    const again: Buffer[] = [];
    const r = await replay({ trace, prefetch: w, stdout: (b) => again.push(Buffer.from(b)), stderr: () => {} });
    expect(r).toMatchObject({ complete: true, prefetched: true });
    expect(Buffer.concat(again).toString()).toBe(Buffer.concat(out).toString());
    expect(existsSync(entry)).toBe(false);
  });
});
