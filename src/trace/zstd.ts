/**
 * zstd through zstd-codec (emscripten), wrapped so that every failure is a thrown Error with
 * a clear message.
 *
 * zstd-codec's quirks, all handled here:
 * - `ZstdCodec.run` is asynchronous; `initZstd()` runs it once and caches the instance, after
 *   which `compress` and `decompress` are synchronous.
 * - Its heap is a fixed 16 MiB. Running out throws a plain string ("abort(OOM)...") and prints
 *   "OOM" to stdout and stderr, which would corrupt a replayed guest's output. So inputs are
 *   limited to 1 MiB, levels to 1–9 (level 10 and above run out of memory on 1 MiB), and
 *   `decompress` checks the frame's declared content size and the compressed length before
 *   handing anything to zstd-codec.
 * - Other failures return null instead of throwing.
 * - `Simple.decompress` returns null for frames without a content size, and for a content
 *   size of 0 (so empty content is handled here without calling it).
 * - Frames carry no checksum (zstd-codec does not enable one): corrupt input may decompress
 *   "successfully" to garbage. The trace format's CRC-32 over the stored bytes covers that.
 */
import zstdCodec from 'zstd-codec';
import { describeError } from './errors.js';
import { MAX_ZSTD_RAW_BYTES } from './format.js';

/** Largest input `compress` accepts and largest output `decompress` produces: 1 MiB (plus a frame's 20-byte prefix). */
export const ZSTD_MAX_INPUT = MAX_ZSTD_RAW_BYTES;
export const ZSTD_MIN_LEVEL = 1;
export const ZSTD_MAX_LEVEL = 9;
export const ZSTD_DEFAULT_LEVEL = 3;

let simple: zstdCodec.Simple | undefined;
let starting: Promise<void> | undefined;

/** Starts zstd-codec once; later calls return the same promise. */
export function initZstd(): Promise<void> {
  if (starting === undefined) {
    starting = new Promise<void>((resolve, reject) => {
      try {
        zstdCodec.ZstdCodec.run((zstd) => {
          try {
            simple = new zstd.Simple();
            resolve();
          } catch (error) {
            reject(new Error(`zstd-codec failed to start: ${describeError(error)}`));
          }
        });
      } catch (error) {
        reject(new Error(`zstd-codec failed to start: ${describeError(error)}`));
      }
    });
    starting.catch(() => {
      starting = undefined; // let a later call try again
    });
  }
  return starting;
}

/** True once `initZstd()` has completed. */
export function zstdReady(): boolean {
  return simple !== undefined;
}

function codec(): zstdCodec.Simple {
  if (simple === undefined) throw new Error('zstd is not initialized: await initZstd() first');
  return simple;
}

/** ZSTD_COMPRESSBOUND: the most bytes zstd's one-shot compression can produce for n bytes. */
export function zstdCompressBound(n: number): number {
  return n + (n >>> 8) + (n < 131072 ? (131072 - n) >>> 11 : 0);
}

/** Compresses `bytes` (at most 1 MiB) into one zstd frame that records its content size. */
export function compress(bytes: Uint8Array, level: number = ZSTD_DEFAULT_LEVEL): Uint8Array {
  if (!Number.isInteger(level) || level < ZSTD_MIN_LEVEL || level > ZSTD_MAX_LEVEL) {
    throw new RangeError(
      `zstd level ${level} is not supported: use ${ZSTD_MIN_LEVEL} to ${ZSTD_MAX_LEVEL} ` +
        '(zstd-codec runs out of its fixed 16 MiB heap at level 10 and above)',
    );
  }
  if (bytes.length > ZSTD_MAX_INPUT) {
    throw new RangeError(
      `cannot compress ${bytes.length} bytes at once: zstd-codec is limited to ${ZSTD_MAX_INPUT} bytes per frame`,
    );
  }
  const zstd = codec();
  let out: Uint8Array | null;
  try {
    out = zstd.compress(bytes, level);
  } catch (error) {
    throw new Error(`zstd compression of ${bytes.length} bytes failed: ${describeError(error)}`);
  }
  if (out == null) throw new Error(`zstd compression of ${bytes.length} bytes failed (zstd-codec returned no data)`);
  return out;
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
 * Decompresses one zstd frame that must hold exactly `rawLength` bytes (at most 1 MiB).
 * Checks the declared size before decompressing, so corrupt input never makes zstd-codec
 * allocate beyond its heap.
 */
export function decompress(bytes: Uint8Array, rawLength: number): Uint8Array {
  if (!Number.isInteger(rawLength) || rawLength < 0 || rawLength > ZSTD_MAX_INPUT) {
    throw new RangeError(`cannot decompress to ${rawLength} bytes: zstd-codec is limited to ${ZSTD_MAX_INPUT} bytes per frame`);
  }
  if (bytes.length > zstdCompressBound(rawLength)) {
    throw new Error(`${bytes.length} bytes of zstd data are too many for ${rawLength} bytes of content`);
  }
  const declared = zstdContentSize(bytes);
  if (declared !== rawLength) {
    throw new Error(`zstd frame holds ${declared} bytes, expected ${rawLength}`);
  }
  const zstd = codec();
  if (rawLength === 0) return new Uint8Array(0);
  let out: Uint8Array | null;
  try {
    out = zstd.decompress(bytes);
  } catch (error) {
    throw new Error(`zstd decompression failed: ${describeError(error)}`);
  }
  if (out == null) throw new Error('zstd data is corrupt or incomplete (zstd-codec could not decompress it)');
  if (out.length !== rawLength) {
    throw new Error(`zstd frame decompressed to ${out.length} bytes, expected ${rawLength}`);
  }
  return out;
}
