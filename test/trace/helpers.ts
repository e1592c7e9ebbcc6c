import { readFileSync } from 'node:fs';
import { crc32 } from '../../src/trace/crc32.js';
import { newUnpackr, packMap } from '../../src/trace/msgpack.js';
import { TraceError, TraceReader } from '../../src/trace/reader.js';

export { tempDir } from '../temp-dir.js';

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

/**
 * An EVENTS block (version 2) as a writer would make it, CRC and all: the prefix (trace id `traceId` in hex,
 * sequence number `seq`) and then `events`, compressed; `count` is its item count. Needs initZstd().
 */
export async function eventsBlock(traceId: string, seq: number, events: Uint8Array, count: number): Promise<Uint8Array> {
  const { compress } = await import('../../src/trace/zstd.js');
  const raw = new Uint8Array(20 + events.length);
  raw.set(Buffer.from(traceId, 'hex'), 0);
  new DataView(raw.buffer).setUint32(16, seq, true);
  raw.set(events, 20);
  const stored = compress(raw, 1);
  const block = new Uint8Array(20 + stored.length);
  const v = new DataView(block.buffer);
  v.setUint8(0, 3);
  v.setUint8(1, 1);
  v.setUint32(4, stored.length, true);
  v.setUint32(8, raw.length, true);
  v.setUint32(12, crc32(stored), true);
  v.setUint32(16, count, true);
  block.set(stored, 20);
  return block;
}

/** A complete trace file taken apart: the preamble, the header map, the blocks as they are, the footer map. */
export interface TraceParts {
  preamble: Uint8Array;
  header: Record<string, unknown>;
  modules: Uint8Array[];
  frames: Uint8Array[];
  footer: Record<string, unknown>;
}

/** Takes a complete trace file apart (walkBlocks), decoding the raw header and footer maps. */
export function traceParts(file: Uint8Array): TraceParts {
  const blocks = walkBlocks(file);
  const slice = (b: RawBlock) => file.slice(b.offset, b.end);
  const map = (b: RawBlock) => newUnpackr().unpack(file.subarray(b.offset + 20, b.end)) as Record<string, unknown>;
  return {
    preamble: file.slice(0, 16),
    header: map(blocks[0]!),
    modules: blocks.filter((b) => b.type === 2).map(slice),
    frames: blocks.filter((b) => b.type === 3).map(slice),
    footer: map(blocks.at(-1)!),
  };
}

/** A raw (codec 0) block of `type` holding `map` as msgpack, CRC and all. */
export function mapBlock(type: number, map: Record<string, unknown>): Uint8Array {
  const raw = packMap(map);
  const block = new Uint8Array(20 + raw.length);
  const v = new DataView(block.buffer);
  v.setUint8(0, type);
  v.setUint32(4, raw.length, true);
  v.setUint32(8, raw.length, true);
  v.setUint32(12, crc32(raw), true);
  v.setUint32(16, 1, true);
  block.set(raw, 20);
  return block;
}

/**
 * Puts a trace file together from its parts, as a writer would: the footer's container fields (frames, events,
 * index, rawBytes, storedBytes) are computed from the frames and the trailer points at the footer, so the file
 * is consistent whatever the parts hold. `footer` may change the footer map after that (to damage those fields).
 */
export function assemble(p: TraceParts, footer: (m: Record<string, unknown>) => Record<string, unknown> = (m) => m): Uint8Array {
  const head = [p.preamble, mapBlock(1, p.header), ...p.modules];
  let at = head.reduce((s, b) => s + b.length, 0);
  const index: number[] = [];
  let events = 0;
  let rawBytes = 0;
  let storedBytes = 0;
  for (const f of p.frames) {
    const v = new DataView(f.buffer, f.byteOffset, 20);
    index.push(at);
    events += v.getUint32(16, true);
    rawBytes += v.getUint32(8, true);
    storedBytes += v.getUint32(4, true);
    at += f.length;
  }
  const footerBlock = mapBlock(4, footer({ ...p.footer, frames: p.frames.length, events, index, rawBytes, storedBytes }));
  const trailer = new Uint8Array(16);
  new DataView(trailer.buffer).setBigUint64(0, BigInt(at), true);
  trailer.set(new TextEncoder().encode('wtrcend\0'), 8);
  return Buffer.concat([...head, ...p.frames, footerBlock, trailer]);
}
