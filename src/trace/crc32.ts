/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the same checksum zlib, gzip and PNG
 * use. Table driven with slicing-by-8 (about 0.8 GB/s) so that it keeps up with zstd on every
 * frame; where Node has `zlib.crc32` (20.15 and later, about 3 GB/s) `crc32` uses that instead, once an input of
 * NATIVE_FROM bytes comes: node:zlib costs ~6 ms to load, more than the table takes over all of a small trace.
 */

/** Eight 256-entry tables in one array: table k at [k * 256, k * 256 + 256). */
const TABLES: Int32Array = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/**
 * CRC-32 of `data[start, end)`. Pass the result of an earlier call as `previous` to continue
 * a checksum over several pieces: `crc32(b, 0, b.length, crc32(a))` equals the CRC of a ‖ b.
 * Returns an unsigned 32-bit integer.
 */
export function crc32(data: Uint8Array, start = 0, end = data.length, previous = 0): number {
  checkRange(data, start, end);
  const native = end - start >= 64 && (nativeCrc32 !== undefined || end - start >= NATIVE_FROM) ? nativeCrc32 ?? findNative() : null;
  if (native) {
    const view = start === 0 && end === data.length ? data : data.subarray(start, end);
    return native(view, previous) >>> 0;
  }
  return crc32Table(data, start, end, previous);
}

/** The input size from which `crc32` loads node:zlib for its native crc32 (then used for all but the tiniest). */
const NATIVE_FROM = 1 << 16;
type NativeCrc32 = (data: Uint8Array, value?: number) => number;
/** zlib.crc32 once looked up (null: this Node has none, or no process.getBuiltinModule to load it with). */
let nativeCrc32: NativeCrc32 | null | undefined;
/**
 * Loads node:zlib for crc32 now rather than at the first large input: for a thread that will check large frames,
 * while it has nothing better to do (the replay's reader thread, as it starts).
 */
export function loadNativeCrc32(): void {
  if (nativeCrc32 === undefined) findNative();
}
const findNative = (): NativeCrc32 | null => {
  const zlib = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:zlib') : undefined;
  const f = (zlib as { crc32?: NativeCrc32 } | undefined)?.crc32;
  return (nativeCrc32 = typeof f === 'function' ? f : null);
};

function checkRange(data: Uint8Array, start: number, end: number): void {
  if (!(start >= 0 && end <= data.length && start <= end)) {
    throw new RangeError(`crc32: range [${start}, ${end}) is outside the ${data.length}-byte input`);
  }
}

/** The pure table-driven implementation (same contract as `crc32`). */
export function crc32Table(data: Uint8Array, start = 0, end = data.length, previous = 0): number {
  checkRange(data, start, end);
  const t = TABLES;
  let crc = ~previous;
  let i = start;
  // Byte-wise until 8 bytes remain aligned to the end of the unrolled loop.
  const fastEnd = end - ((end - i) & 7);
  while (i < fastEnd) {
    const a = crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    crc =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + data[i + 4]] ^
      t[512 + data[i + 5]] ^
      t[256 + data[i + 6]] ^
      t[data[i + 7]];
    i += 8;
  }
  while (i < end) crc = t[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
