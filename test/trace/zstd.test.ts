import { beforeAll, expect, test } from 'vitest';
import { compress, decompress, initZstd, zstdCompressBound, zstdContentSize, zstdReady } from '../../src/trace/zstd.js';
import { randomish, sameBytes } from './helpers.js';

beforeAll(async () => {
  await initZstd();
});

test('initZstd caches one instance', async () => {
  const a = initZstd();
  const b = initZstd();
  expect(a).toBe(b);
  await a;
  expect(zstdReady()).toBe(true);
});

test('round trip at every level 1-9, including 1 MiB of incompressible data', () => {
  const data = randomish(300_000, 3);
  for (let level = 1; level <= 9; level++) {
    const c = compress(data, level);
    expect(zstdContentSize(c)).toBe(data.length);
    expect(sameBytes(decompress(c, data.length), data)).toBe(true);
  }
  const noise = new Uint8Array(1 << 20);
  for (let i = 0; i < noise.length; i++) noise[i] = (Math.imul(i, 2654435761) >>> 13) ^ (i >>> 3);
  const c = compress(noise, 9);
  expect(c.length).toBeLessThanOrEqual(zstdCompressBound(noise.length));
  expect(sameBytes(decompress(c, noise.length), noise)).toBe(true);
});

test('subarray views and empty input', () => {
  const data = randomish(10_000, 4);
  const view = data.subarray(1000, 2000);
  expect(sameBytes(decompress(compress(view), 1000), data.slice(1000, 2000))).toBe(true);
  const empty = compress(new Uint8Array(0));
  expect(zstdContentSize(empty)).toBe(0);
  expect(sameBytes(decompress(empty, 0), new Uint8Array(0))).toBe(true);
});

test('decompress into a given array writes its first rawLength bytes only', () => {
  const data = randomish(70_000, 6);
  const into = new Uint8Array(new SharedArrayBuffer(80_000)).fill(7);
  const out = decompress(compress(data), data.length, into.subarray(5_000));
  expect(out.buffer).toBe(into.buffer);
  expect(sameBytes(into.subarray(5_000, 75_000), data)).toBe(true);
  expect(into[4_999]).toBe(7);
  expect(into[75_000]).toBe(7);
  expect(() => decompress(compress(data), data.length, new Uint8Array(69_999))).toThrow(/into 69999/);
});

test('content size field sizes (1, 2, 4 bytes)', () => {
  for (const n of [1, 255, 256, 300, 65_791, 65_792, 70_000, 1 << 20]) {
    const data = randomish(n, n);
    const c = compress(data, 1);
    expect(zstdContentSize(c)).toBe(n);
    expect(sameBytes(decompress(c, n), data)).toBe(true);
  }
});

test('bad levels and oversized input throw before reaching zstd', () => {
  const data = new Uint8Array(100);
  for (const level of [0, 10, 19, -1, 2.5, NaN]) expect(() => compress(data, level)).toThrow(/zstd level/);
  // 1 MiB, and the 20 bytes of a version 2 frame's prefix.
  compress(new Uint8Array((1 << 20) + 20));
  expect(() => compress(new Uint8Array((1 << 20) + 21))).toThrow(/limited to 1048596 bytes/);
});

test('decompress failures are thrown Errors with clear messages', () => {
  const data = randomish(50_000, 5);
  const c = compress(data);
  expect(() => decompress(c, data.length - 1)).toThrow(/holds 50000 bytes, expected 49999/);
  expect(() => decompress(c, (1 << 20) + 21)).toThrow(/limited to 1048596/);
  expect(() => decompress(c.subarray(0, c.length - 3), data.length)).toThrow(/corrupt or incomplete/);
  const flipped = c.slice();
  for (let i = 20; i < flipped.length; i += 7) flipped[i] ^= 0x5a; // a valid header over a damaged body
  expect(() => decompress(flipped, data.length)).toThrow(/corrupt or incomplete \(.+\)/);
  expect(() => decompress(new Uint8Array([1, 2, 3, 4, 5, 6]), 6)).toThrow(/not a zstd frame/);
  expect(() => decompress(new Uint8Array(0), 0)).toThrow(/not a zstd frame/);
  const tooLong = new Uint8Array(zstdCompressBound(10) + 1);
  tooLong.set(c.subarray(0, 8));
  expect(() => decompress(tooLong, 10)).toThrow(/too many/);
  // A frame header without a content size (descriptor 0x00 with a window byte).
  expect(() => zstdContentSize(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0, 0, 0))).toThrow(/content size/);
  // A frame that claims 1 GiB is rejected without allocating it.
  const huge = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0x40, 1, 0, 0);
  expect(zstdContentSize(huge)).toBe(1 << 30);
  expect(() => decompress(huge, 1 << 20)).toThrow(/holds 1073741824 bytes/);
});
