// The memory hash a recording keeps of guest memory (footer, checkpoints) and replay --verify compares.
import { createHash } from 'node:crypto';

/**
 * Bytes given to one hash update: node:crypto refuses a single buffer of 2 GiB or more ("data is too long"), and
 * a wasm32 memory may be up to 4 GiB.
 */
export const HASH_PIECE = 1 << 30;

/** sha256 (hex) of guest memory, of any size up to the 4 GiB of wasm32; `piece` is for tests. */
export function memoryHash(bytes: Uint8Array, piece = HASH_PIECE): string {
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.length; at += piece) hash.update(bytes.subarray(at, Math.min(bytes.length, at + piece)));
  return hash.digest('hex');
}

/**
 * The hash of a memory checkpoint (FORMAT.md, "checkpoint event"): sha1, the fastest hash node:crypto has here
 * (~1.2 GB/s against sha256's ~0.8), of all of guest memory. It only has to tell two memories of one run apart,
 * not resist an attacker; the trace keeps its first 16 bytes.
 */
export function checkpointHash(bytes: Uint8Array, piece = HASH_PIECE): Uint8Array {
  const hash = createHash('sha1');
  for (let at = 0; at < bytes.length; at += piece) hash.update(bytes.subarray(at, Math.min(bytes.length, at + piece)));
  return hash.digest().subarray(0, 16);
}
