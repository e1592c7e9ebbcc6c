import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex, WASM_MAX_BYTES } from '../../src/trace/sha256.js';
import { randomish } from './helpers.js';

const reference = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('sha256Hex (src/trace/sha256.ts)', () => {
  it('gives the known digests', () => {
    expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it("agrees with node:crypto on every length around the padding's block edges, and on inputs that grow its memory", () => {
    const data = randomish(WASM_MAX_BYTES + 70_000, 7);
    for (let n = 0; n <= 200; n++) expect(sha256Hex(data.subarray(0, n)), `${n} bytes`).toBe(reference(data.subarray(0, n)));
    // Sizes that need more of the module's memory than the last one (it grows), up to and just past the wasm's limit.
    for (const n of [1000, 65_535, 65_536, 65_537, 100_003, WASM_MAX_BYTES - 1, WASM_MAX_BYTES, WASM_MAX_BYTES + 1, data.length]) {
      expect(sha256Hex(data.subarray(0, n)), `${n} bytes`).toBe(reference(data.subarray(0, n)));
    }
    // Offsets into a larger buffer, and shared memory (modules read from a trace are in a SharedArrayBuffer).
    expect(sha256Hex(data.subarray(3, 5003))).toBe(reference(data.subarray(3, 5003)));
    const shared = new Uint8Array(new SharedArrayBuffer(12_345));
    shared.set(data.subarray(0, shared.length));
    expect(sha256Hex(shared)).toBe(reference(data.subarray(0, shared.length)));
  });
});
