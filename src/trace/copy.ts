// Copying bytes to or from shared memory (the recorder's chunks are SharedArrayBuffers) at full speed.

/** A buffer for copyInto, grown on demand. */
let staging = new Uint8Array(0);

/** Below this many bytes a copy is mostly call overhead: copied directly. */
const STAGE_FROM = 256;

/**
 * `to.set(from, at)`, fast when either side is in shared memory too. V8 copies to or from a SharedArrayBuffer
 * word by word only when source and target are aligned alike (to 8 bytes), and byte by byte otherwise (4-8x
 * slower: ~1 ms per MiB); such a copy goes through a staging buffer aligned like the shared side, so that the
 * shared copy is aligned and the other one is a plain memmove.
 */
export function copyInto(to: Uint8Array, at: number, from: Uint8Array): void {
  // Small copies first, before anything reads `from.buffer`: that would move a small array's bytes off V8's heap.
  if (from.length < STAGE_FROM) {
    to.set(from, at);
    return;
  }
  const fromShared = from.buffer instanceof SharedArrayBuffer;
  const fromSkew = from.byteOffset & 7;
  const toSkew = (to.byteOffset + at) & 7;
  if (fromSkew === toSkew || !(fromShared || to.buffer instanceof SharedArrayBuffer)) {
    to.set(from, at);
    return;
  }
  // Aligned like the shared side (both shared: like the source; the second copy is then the unaligned one).
  const skew = fromShared ? fromSkew : toSkew;
  if (staging.length < from.length + 8) staging = new Uint8Array(from.length + 8);
  staging.set(from, skew);
  to.set(staging.subarray(skew, skew + from.length), at);
}
