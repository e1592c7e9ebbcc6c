// The module through the reader thread (src/replay/prefetch.ts, format version 3): the thread CRC-checks and
// decompresses the MODULE chunks and sends the module before the frames; a damaged chunk is a TraceError with its
// offset; a replay on such a thread reproduces the run.
import { createHash } from 'node:crypto';
import { openSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { PrefetchedFrames, readAhead, servePrefetch, type PrefetchMessage } from '../../src/replay/prefetch.js';
import { replay } from '../../src/replay/replay.js';
import { record } from '../../src/record/record.js';
import type { CallEvent } from '../../src/trace/events.js';
import { TraceError, TraceReader } from '../../src/trace/reader.js';
import { guestPath } from '../helpers.js';
import { assemble, randomish, tempDir, traceParts, walkBlocks } from '../trace/helpers.js';
import { moduleOf, readModuleWork, unclaimedChunks } from '../../src/trace/module-chunks.js';
import { EventEmitter } from 'node:events';
import type { PrefetchStart } from '../../src/replay/prefetch.js';
import { writeTrace } from './helpers.js';

const dir = tempDir();
const readerThread = () => new Worker(fileURLToPath(new URL('../../dist/src/replay/prefetch-worker.js', import.meta.url)));
/** 2.5 MiB: three compressed chunks, the last one partial. */
const module = randomish(2.5 * (1 << 20), 21);
const events = Array.from({ length: 300 }, (_, i): CallEvent => ({ imp: 0, args: [i], result: 0, writes: [], inputs: null, gap: 0, dur: 0 }));

/** A trace of `bytes` as its module; `calls` events in frames of 256 bytes (a few calls: at most 8 frames). */
async function traceWithModule(name: string, bytes = module, calls = events.length): Promise<string> {
  return writeTrace(join(dir, name), {
    header: { tool: 'wasi-trace', argv: ['x'], env: [], imports: [], module: { name: 'x', sha256: '' } },
    module: bytes, events: events.slice(0, calls), footer: { end: { kind: 'exit', code: 0 } },
  }, { frameBytes: 256 });
}

async function onThread<T>(path: string, body: (p: PrefetchedFrames) => T): Promise<T> {
  const reader = await TraceReader.open(path, { module: 'skip' });
  const p = await PrefetchedFrames.start(reader.file, reader.traceId, readerThread(), true);
  try {
    return body(p);
  } finally {
    await p.close();
    reader.close();
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The module servePrefetch sends (on this thread: a trace of at most 8 frames) for the trace at `path`, or its
 * error; the module's sha256 must come right after it.
 */
async function servedModule(path: string): Promise<Buffer | string> {
  const { port1, port2 } = new MessageChannel();
  const reader = await TraceReader.open(path, { module: 'skip' });
  await servePrefetch({ file: reader.file, traceId: reader.traceId, module: true, port: port2, control: new SharedArrayBuffer(4) }, () => {});
  reader.close();
  let first = receiveMessageOnPort(port1)?.message as PrefetchMessage;
  while ('moduleWork' in first) first = receiveMessageOnPort(port1)?.message as PrefetchMessage; // work shared, all done there
  const second = receiveMessageOnPort(port1)?.message as PrefetchMessage | undefined;
  port1.close();
  if (!('module' in first)) return 'error' in first ? first.error : 'frames first';
  expect(second).toEqual({ moduleSha256: sha256(first.module) });
  return Buffer.from(first.module);
}

/** Whether servedModule gave exactly `bytes` (compared as Buffers: vitest's deep equality is slow on megabytes). */
const same = (got: Buffer | string, bytes: Uint8Array) => typeof got !== 'string' && got.equals(Buffer.from(bytes));

describe('the module on the reader thread', () => {
  it('read ahead from a guessed path, it is used when the replay opens that very file, and only then', async () => {
    const path = await traceWithModule('ahead.bin', module, 20);
    utimesSync(path, 1_700_000_000, 1_700_000_000); // whole seconds: restored exactly below
    await readAhead(path);
    // Damage a module chunk in place, size and time kept: served from what was read ahead, the module is intact.
    const chunk = walkBlocks(readFileSync(path)).filter((b) => b.type === 2)[0]!;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([0xde, 0xad]), 0, 2, chunk.offset + 40);
    closeSync(fd);
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    expect(statSync(path).mtimeMs).toBe(1_700_000_000_000);
    expect(same(await servedModule(path), module)).toBe(true);
    // Read ahead once only: the next replay of the same damaged file reads it afresh.
    expect(await servedModule(path)).toBe(`corrupt trace: module chunk at offset ${chunk.offset} fails its CRC check`);
    // Another file renamed onto the path after the read-ahead: its own module is read.
    const good = await traceWithModule('ahead-good.bin', module, 20);
    await readAhead(good);
    const otherModule = randomish(1.5 * (1 << 20), 22);
    renameSync(await traceWithModule('ahead-other.bin', otherModule, 20), good);
    const served = await servedModule(good);
    expect(typeof served === 'string' ? served : served.length).toBe(otherModule.length);
    expect(same(served, otherModule)).toBe(true);
    await readAhead(path); // a damaged trace read ahead: nothing comes of it
    expect(await servedModule(path)).toMatch(/fails its CRC check/);
  });

  it('comes first, decompressed, then the frames as TraceReader gives them', async () => {
    const path = await traceWithModule('three-chunks.bin');
    expect(walkBlocks(readFileSync(path)).filter((b) => b.type === 2).map((b) => b.codec)).toEqual([1, 1, 1]);
    const expected = [...(await TraceReader.open(path)).frames()].map((f) => [f.offset, f.count]);
    const got = await onThread(path, (p) => ({ module: Buffer.from(p.module()), sha256: p.moduleSha256(), frames: [...p.frames()].map((f) => [f.offset, f.count]) }));
    expect(got.module.equals(Buffer.from(module))).toBe(true);
    expect(got.sha256).toBe(sha256(module));
    expect(got.frames).toEqual(expected);
  });

  it('a damaged module chunk is a TraceError naming its offset', async () => {
    const path = await traceWithModule('damaged.bin');
    const bytes = Buffer.from(readFileSync(path));
    const second = walkBlocks(bytes).filter((b) => b.type === 2)[1]!;
    bytes[second.offset + 20 + 1000]! ^= 0x10;
    const bad = join(dir, 'damaged-2.bin');
    writeFileSync(bad, bytes);
    const err = await onThread(bad, (p) => { try { p.module(); return undefined; } catch (e) { return e; } });
    expect(err).toBeInstanceOf(TraceError);
    expect((err as TraceError).message).toBe(`corrupt trace: module chunk at offset ${second.offset} fails its CRC check`);
    expect((err as TraceError).offset).toBe(second.offset);
  });

  it("a module that is not the one the header's sha256 names is refused, with a reader thread or without", async () => {
    const trace = join(dir, 'clock-for-sha.bin');
    await record({ module: guestPath('clock_random'), output: trace, stdout: () => {}, stderr: () => {}, stdin: new Uint8Array(0) });
    const parts = traceParts(readFileSync(trace));
    const recorded = (parts.header.module as { sha256: string }).sha256;
    parts.header.module = { ...(parts.header.module as object), sha256: recorded.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    const bad = join(dir, 'clock-other-sha.bin');
    writeFileSync(bad, assemble(parts));
    const refused = /: corrupt trace: the module chunks do not hold the module the header block at offset 16 describes \(its sha256 differs\)$/;
    for (const prefetch of [readerThread(), false]) {
      await expect(replay({ trace: bad, prefetch, stdout: () => {}, stderr: () => {} })).rejects.toThrow(refused);
    }
    await expect(replay({ trace, prefetch: readerThread(), stdout: () => {}, stderr: () => {} })).resolves.toMatchObject({ complete: true, prefetched: true });
  });

  it('a replay given a reader thread takes the module from it', async () => {
    const trace = join(dir, 'clock.bin');
    const out: Buffer[] = [];
    await record({ module: guestPath('clock_random'), output: trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {}, stdin: new Uint8Array(0) });
    const again: Buffer[] = [];
    const r = await replay({ trace, prefetch: readerThread(), stdout: (b) => again.push(Buffer.from(b)), stderr: () => {}, verify: true });
    expect(r).toMatchObject({ complete: true, verified: true, prefetched: true });
    expect(Buffer.concat(again).toString()).toBe(Buffer.concat(out).toString());
  });

  it('while the reader thread still decompresses the module, the replaying thread takes chunks too', async () => {
    const bytes = randomish(5 * (1 << 20), 23);
    const path = await traceWithModule('help.bin', bytes, 20);
    const fd = openSync(path, 'r');
    const work = readModuleWork(fd, statSync(path).size)!;
    closeSync(fd);
    // A stand-in for the reader thread: it shares the work, then sends the module once all its chunks are done.
    let start: PrefetchStart | undefined;
    const fake = Object.assign(new EventEmitter(), {
      ref() {}, unref() {}, terminate: async () => 0,
      postMessage(m: PrefetchStart) { start = m; setImmediate(() => fake.emit('message', 'ready')); },
    });
    const reader = await TraceReader.open(path, { module: 'skip' });
    const p = await PrefetchedFrames.start(reader.file, reader.traceId, fake as unknown as Worker, true);
    const send = (m: PrefetchMessage) => { start!.port.postMessage(m); Atomics.add(new Int32Array(start!.control), 0, 1); };
    send({ moduleWork: work });
    send({ module: work.module });
    expect(unclaimedChunks(work)).toBe(5);
    const got = p.module();
    expect(unclaimedChunks(work)).toBe(0); // this thread decompressed them all: the stand-in did none
    expect(Buffer.from(moduleOf(work)!).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true); // the same shared memory
    start!.port.close();
    await p.close();
    reader.close();
  });
});
