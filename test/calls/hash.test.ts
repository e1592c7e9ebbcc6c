// The memory hashes (src/calls/hash.ts, src/calls/xxh64.ts): XXH64 from format version 6 on; the sha256 and sha1
// of versions 1-5 still match the traces that hold them.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkpointHash, matchesCheckpointHash, matchesMemoryHash, memoryHash, memoryHashParts, sha256OfMemory,
} from '../../src/calls/hash.js';
import { CHUNK, xxh64 } from '../../src/calls/xxh64.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A fixed pattern: byte i is (i * 131 + (i >> 9)) & 0xff. */
function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >> 9)) & 0xff;
  return b;
}

describe('xxh64', () => {
  // Each value was checked against two independent XXH64 implementations (the xxhash-wasm and xxhashjs packages).
  it('gives the XXH64 (seed 0) of known inputs, in canonical (big-endian) order', () => {
    expect(hex(xxh64(new Uint8Array(0)))).toBe('ef46db3751d8e999');
    expect(hex(xxh64(text('abc')))).toBe('44bc2cf5ad770999');
    expect(hex(xxh64(text('Nobody inspects the spammish repetition')))).toBe('fbcea83c8a378bf1');
    expect(hex(xxh64(pattern(31)))).toBe('1add2d10328c4897'); // no whole stripe
    expect(hex(xxh64(pattern(32)))).toBe('333288d992cf3b16'); // exactly one
    expect(hex(xxh64(pattern(100)))).toBe('acd07a6400e07def');
    expect(hex(xxh64(pattern(1_000_003)))).toBe('af199931750714ec');
    expect(hex(xxh64(pattern(3 * CHUNK + 17)))).toBe('cce4442158044335'); // several chunks and a tail
  });

  it('is the same however the input is cut into chunks', () => {
    const bytes = pattern(3 * 4096 + 45);
    const whole = hex(xxh64(bytes));
    for (const chunk of [32, 64, 96, 4096, 3 * 4096 + 32]) expect(hex(xxh64(bytes, chunk)), `chunk ${chunk}`).toBe(whole);
    for (const len of [0, 5, 31, 32, 33, 64, 65]) expect(hex(xxh64(bytes.subarray(0, len), 32)), `length ${len}`).toBe(hex(xxh64(bytes.subarray(0, len))));
  });

  it('refuses a chunk that is not a multiple of 32 up to CHUNK', () => {
    for (const chunk of [0, 31, 48, CHUNK + 32]) expect(() => xxh64(new Uint8Array(1), chunk)).toThrow(RangeError);
  });
});

describe('the memory hashes a recording writes, and the ones of older traces', () => {
  const memory = pattern(5 * (1 << 20) + 123);
  const changed = Uint8Array.from(memory);
  changed[4 << 20] ^= 1;

  it('footer: "xxh64:" and the XXH64 in hex; a memory that differs in one bit does not match it', () => {
    const h = memoryHash(memory);
    expect(h).toBe(`xxh64:${hex(xxh64(memory))}`);
    expect(memoryHashParts(h)).toEqual({ algorithm: 'xxh64', hex: hex(xxh64(memory)) });
    expect(matchesMemoryHash(h, memory)).toBe(true);
    expect(matchesMemoryHash(h, changed)).toBe(false);
  });

  it('footer of versions 1-5: the bare sha256 matches as it did', () => {
    const h = createHash('sha256').update(memory).digest('hex');
    expect(memoryHashParts(h)).toEqual({ algorithm: 'sha256', hex: h });
    expect(matchesMemoryHash(h, memory)).toBe(true);
    expect(matchesMemoryHash(h, changed)).toBe(false);
  });

  it('a footer hash of neither form matches nothing', () => {
    for (const h of ['', 'xxh64:', `xxh64:${'0'.repeat(15)}`, `xxh64:${'A'.repeat(16)}`, 'f'.repeat(63), `sha256:${'0'.repeat(64)}`]) {
      expect(memoryHashParts(h), h).toBeUndefined();
      expect(matchesMemoryHash(h, memory), h).toBe(false);
    }
  });

  it('checkpoint: the 8 bytes of the XXH64; versions 3-5 kept the first 16 bytes of the sha1', () => {
    expect(hex(checkpointHash(memory))).toBe(hex(xxh64(memory)));
    expect(matchesCheckpointHash(checkpointHash(memory), memory)).toBe(true);
    expect(matchesCheckpointHash(checkpointHash(memory), changed)).toBe(false);
    const sha1 = createHash('sha1').update(memory).digest().subarray(0, 16);
    expect(matchesCheckpointHash(sha1, memory)).toBe(true);
    expect(matchesCheckpointHash(sha1, changed)).toBe(false);
    expect(matchesCheckpointHash(new Uint8Array(12), memory)).toBe(false);
  });
});

describe('the sha256 of memory (versions 1-5) is taken in pieces (wasm32 memories reach 4 GiB)', () => {
  const bytes = new Uint8Array(5 * (1 << 20) + 123);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  const oneShot = createHash('sha256').update(bytes).digest('hex');
  for (const piece of [1 << 20, 4097, bytes.length, bytes.length + 1]) {
    it(`pieces of ${piece} bytes give the one-shot sha256`, () => {
      expect(sha256OfMemory(bytes, piece)).toBe(oneShot);
    });
  }
  it('the default pieces give the one-shot sha256', () => {
    expect(sha256OfMemory(bytes)).toBe(oneShot);
    expect(sha256OfMemory(new Uint8Array(0))).toBe(createHash('sha256').digest('hex'));
  });
});
