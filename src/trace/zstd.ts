/**
 * zstd, from wasi-trace's own build of zstd 1.5.7 (third_party/zstd/zstd.wasm: a module with no imports, built
 * by third_party/zstd/build.sh), wrapped so that every failure is a thrown Error with a clear message.
 *
 * - `initZstd()` (or `initZstdNow()`) compiles and instantiates the module once per thread; `compress` and
 *   `decompress` are synchronous after it. Compile it before any guest: V8 fixes a module's tiers when it compiles it, and a guest compiled for
 *   the baseline tier sets a process-wide flag (src/engine.ts).
 * - Frames are one-shot, at most 1 MiB of content (the trace format's limit), record their content size and carry
 *   no checksum: corrupt input may decompress "successfully" to garbage. The trace format's CRC-32 over the stored
 *   bytes covers that.
 * - `decompress` checks the frame's declared content size and the compressed length before calling zstd, and zstd
 *   writes into a buffer of exactly the expected size, so corrupt input can neither allocate nor overrun anything.
 * - Levels 1–9: the CLI's `--level` range (zstd itself goes to 22; higher levels compress a trace's events little
 *   better and far slower).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { copyInto } from './copy.js';
import { describeError } from './errors.js';
import { MAX_ZSTD_RAW_BYTES } from './format.js';

/** Largest input `compress` accepts and largest output `decompress` produces: 1 MiB (plus a frame's 20-byte prefix). */
export const ZSTD_MAX_INPUT = MAX_ZSTD_RAW_BYTES;
export const ZSTD_MIN_LEVEL = 1;
export const ZSTD_MAX_LEVEL = 9;
export const ZSTD_DEFAULT_LEVEL = 3;

/** What third_party/zstd/zstd-exports.c exports (pointers and sizes are byte offsets and lengths in `memory`). */
interface ZstdExports {
  readonly memory: WebAssembly.Memory;
  _initialize(): void;
  buffer_new(size: number): number;
  cctx_new(): number;
  dctx_new(): number;
  compress(cctx: number, dst: number, capacity: number, src: number, size: number, level: number): number;
  decompress(dctx: number, dst: number, capacity: number, src: number, size: number): number;
  is_error(code: number): number;
  error_name(code: number): number;
}

/** One instance per thread: its contexts and two buffers big enough for any frame, reused for every call. */
interface Zstd {
  readonly exports: ZstdExports;
  readonly cctx: number;
  readonly dctx: number;
  /** Input of compress, output of decompress: ZSTD_MAX_INPUT bytes. */
  readonly raw: number;
  /** Output of compress, input of decompress: zstdCompressBound(ZSTD_MAX_INPUT) bytes. */
  readonly packed: number;
}

let zstd: Zstd | undefined;

/** zstd.wasm from the source tree (src/trace/ → ../../) or from the build (dist/src/trace/ → ../../../). */
function wasmFile(): string {
  const candidates = ['../../third_party/zstd/zstd.wasm', '../../../third_party/zstd/zstd.wasm'];
  const files = candidates.map((c) => fileURLToPath(new URL(c, import.meta.url)));
  return files.find((f) => existsSync(f)) ?? files[0]!;
}

function start(): Zstd {
  const module = new WebAssembly.Module(readFileSync(wasmFile()));
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as ZstdExports;
  exports._initialize();
  const cctx = exports.cctx_new();
  const dctx = exports.dctx_new();
  const raw = exports.buffer_new(ZSTD_MAX_INPUT);
  const packed = exports.buffer_new(zstdCompressBound(ZSTD_MAX_INPUT));
  if (cctx === 0 || dctx === 0 || raw === 0 || packed === 0) throw new Error('out of memory');
  return { exports, cctx, dctx, raw, packed };
}

/** Starts zstd in this thread at once, if not started yet. Throws "zstd failed to start: …" (a later call tries again). */
export function initZstdNow(): void {
  if (zstd !== undefined) return;
  try {
    zstd = start();
  } catch (error) {
    throw new Error(`zstd failed to start: ${describeError(error)}`);
  }
}

const started = Promise.resolve();

/** Starts zstd once in this thread (initZstdNow); later calls return the same promise. Rejects when it cannot start. */
export function initZstd(): Promise<void> {
  try {
    initZstdNow();
    return started;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** True once zstd has started in this thread. */
export function zstdReady(): boolean {
  return zstd !== undefined;
}

function instance(): Zstd {
  if (zstd === undefined) throw new Error('zstd is not initialized: await initZstd() first');
  return zstd;
}

/** zstd's description of an error code (e.g. "Data corruption detected"). */
function errorName(z: Zstd, code: number): string {
  const memory = new Uint8Array(z.exports.memory.buffer);
  const at = z.exports.error_name(code);
  const end = memory.indexOf(0, at);
  return Buffer.from(memory.subarray(at, end < 0 ? at : end)).toString('latin1');
}

/** ZSTD_COMPRESSBOUND: the most bytes zstd's one-shot compression can produce for n bytes. */
export function zstdCompressBound(n: number): number {
  return n + (n >>> 8) + (n < 131072 ? (131072 - n) >>> 11 : 0);
}

/** Compresses `bytes` (at most 1 MiB) into one zstd frame that records its content size. */
export function compress(bytes: Uint8Array, level: number = ZSTD_DEFAULT_LEVEL): Uint8Array {
  if (!Number.isInteger(level) || level < ZSTD_MIN_LEVEL || level > ZSTD_MAX_LEVEL) {
    throw new RangeError(`zstd level ${level} is not supported: use ${ZSTD_MIN_LEVEL} to ${ZSTD_MAX_LEVEL}`);
  }
  if (bytes.length > ZSTD_MAX_INPUT) {
    throw new RangeError(`cannot compress ${bytes.length} bytes at once: frames are limited to ${ZSTD_MAX_INPUT} bytes`);
  }
  const z = instance();
  copyInto(new Uint8Array(z.exports.memory.buffer, z.raw, bytes.length), 0, bytes); // bytes may be shared (a chunk)
  let size: number;
  try {
    size = z.exports.compress(z.cctx, z.packed, zstdCompressBound(ZSTD_MAX_INPUT), z.raw, bytes.length, level);
  } catch (error) {
    throw new Error(`zstd compression of ${bytes.length} bytes failed: ${describeError(error)}`);
  }
  if (z.exports.is_error(size)) throw new Error(`zstd compression of ${bytes.length} bytes failed: ${errorName(z, size)}`);
  return new Uint8Array(z.exports.memory.buffer, z.packed, size).slice(); // the memory may grow later: copy out
}

/**
 * Reads the Frame_Content_Size from a zstd frame header (RFC 8878 §3.1.1.1). Throws when the
 * bytes are not a zstd frame or the frame does not record its content size.
 */
export function zstdContentSize(bytes: Uint8Array): number {
  if (bytes.length < 5 || bytes[0] !== 0x28 || bytes[1] !== 0xb5 || bytes[2] !== 0x2f || bytes[3] !== 0xfd) {
    throw new Error('not a zstd frame (bad magic number)');
  }
  const descriptor = bytes[4];
  const fcsFlag = descriptor >>> 6;
  const singleSegment = (descriptor >>> 5) & 1;
  if (descriptor & 0x08) throw new Error('bad zstd frame header (reserved bit set)');
  if (descriptor & 0x03) throw new Error('zstd frame needs a dictionary');
  const at = 5 + (singleSegment ? 0 : 1);
  const size = fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag];
  if (size === 0) throw new Error('zstd frame does not record its content size');
  if (bytes.length < at + size) throw new Error('zstd frame header is cut short');
  switch (size) {
    case 1:
      return bytes[at];
    case 2:
      return (bytes[at] | (bytes[at + 1] << 8)) + 256;
    case 4:
      return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
    default: {
      const low = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
      const high = (bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24)) >>> 0;
      return high * 0x100000000 + low; // only compared against lengths of at most 1 MiB
    }
  }
}

/**
 * Decompresses one zstd frame that must hold exactly `rawLength` bytes (at most 1 MiB) into `into` (a fresh array
 * by default; else at least `rawLength` bytes long, of which the first `rawLength` are written) and returns the
 * decompressed bytes. Checks the declared size before decompressing.
 */
export function decompress(bytes: Uint8Array, rawLength: number, into?: Uint8Array): Uint8Array {
  if (!Number.isInteger(rawLength) || rawLength < 0 || rawLength > ZSTD_MAX_INPUT) {
    throw new RangeError(`cannot decompress to ${rawLength} bytes: frames are limited to ${ZSTD_MAX_INPUT} bytes`);
  }
  if (bytes.length > zstdCompressBound(rawLength)) {
    throw new Error(`${bytes.length} bytes of zstd data are too many for ${rawLength} bytes of content`);
  }
  const declared = zstdContentSize(bytes);
  if (declared !== rawLength) {
    throw new Error(`zstd frame holds ${declared} bytes, expected ${rawLength}`);
  }
  const z = instance();
  const out = into === undefined ? new Uint8Array(rawLength) : into.subarray(0, rawLength);
  if (out.length !== rawLength) throw new RangeError(`cannot decompress ${rawLength} bytes into ${into!.length}`);
  if (rawLength === 0) return out;
  copyInto(new Uint8Array(z.exports.memory.buffer, z.packed, bytes.length), 0, bytes); // bytes may be shared
  let size: number;
  try {
    size = z.exports.decompress(z.dctx, z.raw, rawLength, z.packed, bytes.length);
  } catch (error) {
    throw new Error(`zstd decompression failed: ${describeError(error)}`);
  }
  if (z.exports.is_error(size)) throw new Error(`zstd data is corrupt or incomplete (${errorName(z, size)})`);
  if (size !== rawLength) throw new Error(`zstd frame decompressed to ${size} bytes, expected ${rawLength}`);
  copyInto(out, 0, new Uint8Array(z.exports.memory.buffer, z.raw, rawLength)); // out may be shared
  return out;
}
