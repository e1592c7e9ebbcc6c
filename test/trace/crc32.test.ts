import { describe, expect, test } from 'vitest';
import * as zlib from 'node:zlib';
import { crc32, crc32Table } from '../../src/trace/crc32.js';
import { randomish } from './helpers.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.each([
  ['crc32', crc32],
  ['crc32Table', crc32Table],
])('%s', (_name, f) => {
  test('known vectors', () => {
    expect(f(new Uint8Array(0))).toBe(0);
    expect(f(text('123456789'))).toBe(0xcbf43926);
    expect(f(text('a'))).toBe(0xe8b7be43);
    expect(f(text('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(f(new Uint8Array(32))).toBe(0x190a55ad);
    expect(f(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  test('start/end select a range; previous continues a checksum', () => {
    const data = randomish(100_003, 1);
    const whole = f(data);
    for (const cut of [0, 1, 7, 8, 9, 64, 65, 50_000, 100_003]) {
      expect(f(data, cut, data.length, f(data, 0, cut))).toBe(whole);
    }
    expect(f(data, 5, 1005)).toBe(f(data.slice(5, 1005)));
    expect(f(data.subarray(3), 2, 99)).toBe(f(data.slice(5, 102)));
    expect(() => f(data, 10, 5)).toThrow(RangeError);
    expect(() => f(data, 0, data.length + 1)).toThrow(RangeError);
  });
});

test('table version agrees with the native one on every length up to 300 and on 1 MiB', () => {
  const data = randomish(1 << 20, 2);
  for (let n = 0; n <= 300; n++) expect(crc32Table(data, 0, n)).toBe(crc32(data.subarray(0, n)));
  expect(crc32Table(data)).toBe(crc32(data));
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native) expect(crc32Table(data)).toBe(native(data) >>> 0);
});
