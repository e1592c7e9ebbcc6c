// copyInto: the bytes of Uint8Array.set, through a staging buffer when shared memory is copied unaligned.
import { describe, expect, it } from 'vitest';
import { copyInto } from '../../src/trace/copy.js';

const make = (n: number, shared: boolean): Uint8Array =>
  new Uint8Array(shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));

describe('copyInto', () => {
  it('copies exactly what set() copies, for shared and plain buffers at every alignment', () => {
    for (const fromShared of [false, true]) {
      for (const toShared of [false, true]) {
        for (const length of [0, 1, 255, 256, 257, 5000]) {
          for (const fromOffset of [0, 1, 3, 8, 13]) {
            for (const at of [0, 1, 5, 8, 20]) {
              const source = make(length + 16, fromShared);
              for (let i = 0; i < source.length; i++) source[i] = (i * 31 + length) & 0xff;
              const from = source.subarray(fromOffset, fromOffset + length);
              const to = make(length + 32, toShared).subarray(3);
              to.fill(0xee);
              const expected = new Uint8Array(to.length).fill(0xee);
              expected.set(from, at);
              copyInto(to, at, from);
              const same = Buffer.compare(Buffer.from(to.buffer, to.byteOffset, to.length), expected) === 0;
              expect(same, `${fromShared}/${toShared} ${length} bytes from ${fromOffset} to ${at}`).toBe(true);
            }
          }
        }
      }
    }
  });
});
