import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { newUnpackr } from '../../src/trace/format.js';
import { TraceError, TraceReader } from '../../src/trace/reader.js';

/** A fresh temporary directory, removed after the test file. Call at the top level of a test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasi-trace-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes that compress somewhat, like code: runs of a small alphabet mixed with noise. */
export function randomish(length: number, seed: number): Uint8Array {
  const rnd = prng(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rnd() < 0.5 ? (rnd() * 16) | 0 : (rnd() * 256) | 0;
  return out;
}

export interface RawBlock {
  offset: number;
  type: number;
  codec: number;
  storedLength: number;
  rawLength: number;
  crc: number;
  count: number;
  end: number;
}

/** Walks the block headers of a complete trace file independently of the reader. */
export function walkBlocks(file: Uint8Array): RawBlock[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const blocks: RawBlock[] = [];
  let at = 16;
  while (at + 20 <= file.length - 16 || (blocks.length === 0 && at + 20 <= file.length)) {
    const b: RawBlock = {
      offset: at,
      type: v.getUint8(at),
      codec: v.getUint8(at + 1),
      storedLength: v.getUint32(at + 4, true),
      rawLength: v.getUint32(at + 8, true),
      crc: v.getUint32(at + 12, true),
      count: v.getUint32(at + 16, true),
      end: 0,
    };
    b.end = at + 20 + b.storedLength;
    blocks.push(b);
    at = b.end;
    if (b.type === 4) break;
  }
  return blocks;
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** Byte equality that stays fast on megabytes (vitest's toEqual walks elements generically). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Every event of a trace decoded with msgpackr (maps as plain objects, 64-bit integers as bigints), one frame at a
 * time: what a third-party reader of the container sees. The container tests write arbitrary msgpack values as
 * events; wasi-trace itself decodes call events with src/trace/events.ts.
 */
export function* msgpackEvents(reader: TraceReader): Generator<unknown> {
  const unpackr = newUnpackr();
  for (const frame of reader.frames()) {
    let values: unknown[];
    try {
      values = unpackr.unpackMultiple(frame.payload) as unknown[];
    } catch (error) {
      throw new TraceError(`corrupt trace: frame at offset ${frame.offset} does not decode as msgpack: ${(error as Error).message}`, frame.offset);
    }
    if (values.length !== frame.count) {
      throw new TraceError(`corrupt trace: frame at offset ${frame.offset} holds ${values.length} events, its header says ${frame.count}`, frame.offset);
    }
    yield* values;
  }
}
