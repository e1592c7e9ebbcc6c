// The memory hashes a recording keeps of guest memory (the footer's, at the end; each checkpoint event's) and
// replay --verify compares. From format version 6 on both are XXH64 (calls/xxh64.ts): it only has to tell two
// memories of one run apart, not resist an attacker, and it hashes 3-5x faster than sha256, which a recording
// otherwise paid at its end (~25 ms for esbuild's 29 MB) and at every checkpoint. Up to version 5 the footer held the
// sha256 of memory and a checkpoint event the first 16 bytes of its sha1: the match functions still check those.
import { createHash } from 'node:crypto';
import { xxh64 } from './xxh64.js';

/** The footer's memory hashes from format version 6 on begin so; a version 1-5 hash is a bare sha256 in hex. */
const XXH64_PREFIX = 'xxh64:';

/** The footer's memory hash of `bytes`, as a recording writes it: "xxh64:" and the 16 hex digits of its XXH64. */
export function memoryHash(bytes: Uint8Array): string {
  return XXH64_PREFIX + Buffer.from(xxh64(bytes)).toString('hex');
}

/** The hash a checkpoint event keeps of `bytes`, as a recording writes it: their XXH64 (8 bytes, big-endian). */
export function checkpointHash(bytes: Uint8Array): Uint8Array {
  return xxh64(bytes);
}

/**
 * The algorithm and the digest (hex) of a footer memory hash: 'xxh64' (format 6 on), 'sha256' (versions 1-5), or
 * undefined for a string that is neither.
 */
export function memoryHashParts(recorded: string): { algorithm: 'xxh64' | 'sha256'; hex: string } | undefined {
  if (recorded.startsWith(XXH64_PREFIX) && /^[0-9a-f]{16}$/.test(recorded.slice(XXH64_PREFIX.length))) {
    return { algorithm: 'xxh64', hex: recorded.slice(XXH64_PREFIX.length) };
  }
  return /^[0-9a-f]{64}$/.test(recorded) ? { algorithm: 'sha256', hex: recorded } : undefined;
}

/** Whether `bytes` have the footer memory hash `recorded` (of any format version; false for a malformed one). */
export function matchesMemoryHash(recorded: string, bytes: Uint8Array): boolean {
  const parts = memoryHashParts(recorded);
  if (parts === undefined) return false;
  return recorded === (parts.algorithm === 'xxh64' ? memoryHash(bytes) : sha256OfMemory(bytes));
}

/**
 * Whether `bytes` have the checkpoint hash `recorded`: 8 bytes are an XXH64 (format 6 on), 16 the first 16 bytes of
 * a sha1 (versions 3-5); false for any other length.
 */
export function matchesCheckpointHash(recorded: Uint8Array, bytes: Uint8Array): boolean {
  if (recorded.length === 8) return Buffer.from(xxh64(bytes)).equals(recorded);
  if (recorded.length === 16) return Buffer.from(sha1Prefix(bytes)).equals(recorded);
  return false;
}

/**
 * Bytes given to one node:crypto hash update: it refuses a single buffer of 2 GiB or more ("data is too long"), and
 * a wasm32 memory may be up to 4 GiB.
 */
export const HASH_PIECE = 1 << 30;

/** The node:crypto digest `algorithm` of guest memory of any size up to the 4 GiB of wasm32, `piece` bytes per update. */
function cryptoDigest(algorithm: 'sha256' | 'sha1', bytes: Uint8Array, piece: number): Buffer {
  const hash = createHash(algorithm);
  for (let at = 0; at < bytes.length; at += piece) hash.update(bytes.subarray(at, Math.min(bytes.length, at + piece)));
  return hash.digest();
}

/** sha256 (hex) of guest memory (the memory hash up to version 5); `piece` is for tests. */
export function sha256OfMemory(bytes: Uint8Array, piece = HASH_PIECE): string {
  return cryptoDigest('sha256', bytes, piece).toString('hex');
}

/** The first 16 bytes of the sha1 of guest memory (a checkpoint's hash in versions 3-5). */
function sha1Prefix(bytes: Uint8Array): Uint8Array {
  return cryptoDigest('sha1', bytes, HASH_PIECE).subarray(0, 16);
}
