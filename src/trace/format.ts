/**
 * Constants and byte layouts of the trace container, format version 6 (see FORMAT.md; readers also read
 * versions 1 to 5; versions 3 to 6 have version 2's container: version 3's events may also be untimed calls and
 * checkpoints, version 4's also repeat events, version 5's also delta events; version 6 hashes memory with XXH64). Shared by the writer and the reader; nothing here knows what an event means.
 * It imports nothing, so that a thread which only reads a trace's module (src/replay/module-ahead.ts) loads no msgpack
 * (msgpack.ts has the msgpackr settings).
 */

/** The version this wasi-trace writes, and the highest it reads. */
export const FORMAT_VERSION = 6;
/** The oldest version this wasi-trace reads. */
export const OLDEST_FORMAT_VERSION = 1;

/** "wasitrc\0" */
export const MAGIC: Uint8Array = Uint8Array.of(0x77, 0x61, 0x73, 0x69, 0x74, 0x72, 0x63, 0x00);
/** "wtrcend\0" */
export const TRAILER_MAGIC: Uint8Array = Uint8Array.of(0x77, 0x74, 0x72, 0x63, 0x65, 0x6e, 0x64, 0x00);

export const PREAMBLE_SIZE = 16;
export const BLOCK_HEADER_SIZE = 20;
export const TRAILER_SIZE = 16;

export const BLOCK_HEADER = 1;
export const BLOCK_MODULE = 2;
export const BLOCK_EVENTS = 3;
export const BLOCK_FOOTER = 4;

export const CODEC_RAW = 0;
export const CODEC_ZSTD = 1;

/** Largest size of the events of an EVENTS frame and of a MODULE chunk: 1 MiB. */
export const MAX_FRAME_BYTES = 1 << 20;
/**
 * zstd level of the MODULE chunks (version 3 compresses them). Fixed, whatever `record --level` says for the events:
 * a module is compressed once and cached (src/record/module-cache.ts), so a trace's bytes never depend on whether
 * its module was in the cache. Level 3 on 1 MiB chunks: within 2% of `zstd -3` of the whole module (esbuild).
 */
export const MODULE_LEVEL = 3;

/**
 * Version 2: every EVENTS frame's raw payload starts with this prefix, which binds the frame to its trace and its
 * place in it: the trace id (TRACE_ID_BYTES, as the header's `traceId` gives it in hex) and the frame's sequence
 * number (u32, little-endian, 0 for the first frame). The events follow it.
 */
export const FRAME_PREFIX_SIZE = 20;
export const TRACE_ID_BYTES = 16;
/** Largest raw size of a zstd block: a frame's events plus its prefix. */
export const MAX_ZSTD_RAW_BYTES = MAX_FRAME_BYTES + FRAME_PREFIX_SIZE;
/** Largest stored or raw size of any block a reader accepts (a raw HEADER or FOOTER). */
export const MAX_BLOCK_BYTES = 64 << 20;
/** Largest module a reader assembles (V8's limit on a wasm module is 1 GiB). */
export const MAX_MODULE_BYTES = 1 << 30;

export interface BlockHeader {
  type: number;
  codec: number;
  reserved: number;
  storedLength: number;
  rawLength: number;
  crc: number;
  count: number;
}

export function writeBlockHeader(target: Uint8Array, at: number, h: BlockHeader): void {
  const v = new DataView(target.buffer, target.byteOffset + at, BLOCK_HEADER_SIZE);
  v.setUint8(0, h.type);
  v.setUint8(1, h.codec);
  v.setUint16(2, h.reserved, true);
  v.setUint32(4, h.storedLength, true);
  v.setUint32(8, h.rawLength, true);
  v.setUint32(12, h.crc, true);
  v.setUint32(16, h.count, true);
}

export function readBlockHeader(source: Uint8Array, at = 0): BlockHeader {
  const v = new DataView(source.buffer, source.byteOffset + at, BLOCK_HEADER_SIZE);
  return {
    type: v.getUint8(0),
    codec: v.getUint8(1),
    reserved: v.getUint16(2, true),
    storedLength: v.getUint32(4, true),
    rawLength: v.getUint32(8, true),
    crc: v.getUint32(12, true),
    count: v.getUint32(16, true),
  };
}

/** How messages name a block of each type. */
export function blockName(type: number): string {
  switch (type) {
    case BLOCK_HEADER:
      return 'header block';
    case BLOCK_MODULE:
      return 'module chunk';
    case BLOCK_EVENTS:
      return 'frame';
    case BLOCK_FOOTER:
      return 'footer block';
    default:
      return `block of unknown type ${type}`;
  }
}

/** The frame prefix of version 2 (FRAME_PREFIX_SIZE bytes) into `target` at `at`. */
export function writeFramePrefix(target: Uint8Array, at: number, traceId: Uint8Array, seq: number): void {
  target.set(traceId, at);
  new DataView(target.buffer, target.byteOffset + at + TRACE_ID_BYTES, 4).setUint32(0, seq, true);
}

/** A trace id as the header gives it (lower-case hex) as bytes, or undefined when it is not one. */
export function traceIdBytes(hex: unknown): Uint8Array | undefined {
  if (typeof hex !== 'string' || !/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function encodePreamble(version = FORMAT_VERSION): Uint8Array {
  const out = new Uint8Array(PREAMBLE_SIZE);
  out.set(MAGIC, 0);
  const v = new DataView(out.buffer);
  v.setUint16(8, version, true);
  v.setUint16(10, 0, true); // flags
  v.setUint32(12, 0, true); // reserved
  return out;
}

export function encodeTrailer(footerOffset: number): Uint8Array {
  const out = new Uint8Array(TRAILER_SIZE);
  new DataView(out.buffer).setBigUint64(0, BigInt(footerOffset), true);
  out.set(TRAILER_MAGIC, 8);
  return out;
}

export function hasBytes(source: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at < 0 || at + expected.length > source.length) return false;
  for (let i = 0; i < expected.length; i++) if (source[at + i] !== expected[i]) return false;
  return true;
}

export function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
