// The frame prefetch (src/replay/prefetch.ts): a reader thread sends a trace's frames in order, then how the
// trace ends (complete, cut short, or a corrupt frame by its offset); the replaying thread takes them as
// TraceReader.frames() would give them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrefetchedFrames, servePrefetch, type PrefetchMessage } from '../../src/replay/prefetch.js';
import { TraceError, TraceReader } from '../../src/trace/reader.js';
import type { CallEvent } from '../../src/trace/events.js';
import { writeTrace, type TraceParts } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wasi-trace-prefetch-'));
/**
 * The readers whose descriptors a reader thread reads through: kept reachable until the end, since a TraceReader
 * that is garbage closes its descriptor (src/trace/reader.ts), under the thread's feet.
 */
const lent: TraceReader[] = [];
afterAll(() => {
  for (const r of lent) r.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A trace of `calls` events over frames of at most 256 bytes (a module is needed, any bytes do). */
const parts = (calls: number): TraceParts => ({
  header: { tool: 'wasi-trace', argv: ['x'], env: [], imports: [], module: { name: 'x', sha256: '' } },
  module: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]),
  events: Array.from({ length: calls }, (_, i): CallEvent => ({ imp: 0, args: [i], result: 0, writes: [], inputs: null, gap: 0, dur: 0 })),
  footer: { end: { kind: 'exit', code: 0 } },
});

let small: string; // 5 frames: fewer than the reader sends ahead, so one thread can serve them all
let large: string; // 40 frames
let framesOf: (path: string) => Promise<{ offset: number; count: number; payload: number[] }[]>;

beforeAll(async () => {
  small = await writeTrace(join(dir, 'small.bin'), parts(100), { frameBytes: 256 });
  large = await writeTrace(join(dir, 'large.bin'), parts(800), { frameBytes: 256 });
  framesOf = async (path) => [...(await TraceReader.open(path)).frames()].map((f) => ({ offset: f.offset, count: f.count, payload: [...f.payload] }));
  expect((await framesOf(small)).length).toBe(5);
  expect((await framesOf(large)).length).toBeGreaterThan(30);
});

/** Serves `path` on this thread (only for traces of at most 8 frames) and returns the messages it sent. */
async function served(path: string): Promise<{ ready: boolean; messages: PrefetchMessage[]; pending: number }> {
  const { port1, port2 } = new MessageChannel();
  const control = new SharedArrayBuffer(4);
  let ready = false;
  const reader = await TraceReader.open(path);
  await servePrefetch({ file: reader.file, traceId: reader.traceId, module: false, port: port2, control }, () => { ready = true; });
  const pending = Atomics.load(new Int32Array(control), 0);
  const messages: PrefetchMessage[] = [];
  for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) messages.push(m.message as PrefetchMessage);
  port1.close();
  reader.close(); // only now: its descriptor was read through until servePrefetch returned
  return { ready, messages, pending };
}

/** PrefetchedFrames on the trace at `path`, read through the descriptor a TraceReader opened (as replay does). */
async function prefetched(path: string, worker: Worker): Promise<PrefetchedFrames> {
  const reader = await TraceReader.open(path);
  lent.push(reader);
  return PrefetchedFrames.start(reader.file, reader.traceId, worker);
}

/** A reader thread running the built module (dist/, kept current by test/global-setup.ts). */
const readerThread = () => new Worker(fileURLToPath(new URL('../../dist/src/replay/prefetch-worker.js', import.meta.url)));

describe('frame prefetch', () => {
  it('the reader side sends every frame in order, then the ending, and counts what waits', async () => {
    const r = await served(small);
    expect(r.ready).toBe(true);
    const frames = r.messages.filter((m): m is Extract<PrefetchMessage, { frame: unknown }> => 'frame' in m);
    expect(frames.map((m) => ({ offset: m.frame.offset, count: m.frame.count, payload: [...m.frame.payload] }))).toEqual(await framesOf(small));
    expect(r.messages.at(-1)).toEqual({ ending: { complete: true } });
    expect(r.messages).toHaveLength(6);
    expect(r.pending).toBe(6); // nobody took any
  });

  it('the reader side says where a cut-short trace ends, and names a corrupt frame by its offset', async () => {
    const bytes = readFileSync(small);
    const offsets = (await framesOf(small)).map((f) => f.offset);
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, bytes.subarray(0, offsets[2]! + 25)); // inside the third frame (past its 20-byte block header)
    const c = await served(cut);
    expect(c.messages.filter((m) => 'frame' in m)).toHaveLength(2);
    expect(c.messages.at(-1)).toEqual({ ending: { complete: false, offset: offsets[2], reason: expect.stringMatching(/inside a frame/) } });
    const corrupt = join(dir, 'corrupt.bin');
    const flipped = Buffer.from(bytes);
    flipped[offsets[3]! + 30]! ^= 0xff;
    writeFileSync(corrupt, flipped);
    const k = await served(corrupt);
    expect(k.messages.filter((m) => 'frame' in m)).toHaveLength(3);
    expect(k.messages.at(-1)).toEqual({ error: expect.stringMatching(new RegExp(`frame at offset ${offsets[3]}`)), offset: offsets[3] });
  });

  it('on a thread of its own: the same frames as TraceReader, then the ending (more frames than it sends ahead)', async () => {
    const p = await prefetched(large, readerThread());
    try {
      expect(p.ending).toBeUndefined();
      const got = [...p.frames()].map((f) => ({ offset: f.offset, count: f.count, payload: [...f.payload] }));
      expect(got).toEqual(await framesOf(large));
      expect(p.ending).toEqual({ complete: true });
    } finally {
      p.close();
    }
  });

  it('on a thread of its own: a corrupt frame is a TraceError with its offset, after the frames before it', async () => {
    const bytes = Buffer.from(readFileSync(large));
    const offsets = (await framesOf(large)).map((f) => f.offset);
    bytes[offsets[20]! + 30]! ^= 0xff;
    const bad = join(dir, 'bad-large.bin');
    writeFileSync(bad, bytes);
    const p = await prefetched(bad, readerThread());
    let taken = 0;
    let err: unknown;
    try {
      for (const _ of p.frames()) taken++;
    } catch (e) {
      err = e;
    } finally {
      p.close();
    }
    expect(taken).toBe(20);
    expect(err).toBeInstanceOf(TraceError);
    expect((err as TraceError).offset).toBe(offsets[20]);
  });

  it('a reader thread that cannot start is reported before the replay relies on it', async () => {
    const dead = new Worker('process.exit(0)', { eval: true });
    const err = await prefetched(small, dead).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect((err as Error).message).toMatch(/^the trace reader thread could not start: /);
  });
});
