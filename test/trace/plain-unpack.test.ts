// The trace reader decodes header and footer maps with plain-unpack.ts instead of msgpackr: it must give exactly
// msgpackr's values for what it takes, and leave everything else to msgpackr.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BLOCK_FOOTER, BLOCK_HEADER, BLOCK_HEADER_SIZE, CODEC_RAW } from '../../src/trace/format.js';
import { newUnpackr, packMap } from '../../src/trace/msgpack.js';
import { NOT_PLAIN, unpackPlain } from '../../src/trace/plain-unpack.js';
import { decompress, initZstd } from '../../src/trace/zstd.js';
import { guestPath, recordLikeCli } from '../helpers.js';
import { tempDir, walkBlocks } from './helpers.js';

const traces = fileURLToPath(new URL('../../traces/', import.meta.url));

/** The same value, bins as views of the same bytes (msgpackr gives views of what it decodes). */
function expectSame(bytes: Uint8Array): void {
  const ours = unpackPlain(bytes);
  const theirs = newUnpackr().unpack(bytes);
  expect(ours).not.toBe(NOT_PLAIN);
  expect(isDeepStrictEqual(ours, theirs)).toBe(true);
  const bins = (v: unknown, out: Uint8Array[] = []): Uint8Array[] => {
    if (v instanceof Uint8Array) out.push(v);
    else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) bins(x, out);
    return out;
  };
  const a = bins(ours);
  const b = bins(theirs);
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    expect(x.buffer).toBe(bytes.buffer);
    expect([x.byteOffset, x.length, x.constructor]).toEqual([b[i]!.byteOffset, b[i]!.length, b[i]!.constructor]);
  });
}

describe('plain-unpack', () => {
  it('decodes the header and footer of every golden trace, and of a trace recorded now, as msgpackr does', async () => {
    await initZstd();
    const fresh = join(tempDir(), 'hello.bin');
    await recordLikeCli({ module: guestPath('hello'), output: fresh });
    let maps = 0;
    for (const path of [...readdirSync(traces).filter((n) => n.endsWith('.bin')).map((n) => traces + n), fresh]) {
      const file = readFileSync(path);
      for (const b of walkBlocks(file)) {
        if (b.type !== BLOCK_HEADER && b.type !== BLOCK_FOOTER) continue;
        const stored = file.subarray(b.offset + BLOCK_HEADER_SIZE, b.end);
        expectSame(b.codec === CODEC_RAW ? stored : Buffer.from(decompress(stored, b.rawLength)));
        maps++;
      }
    }
    expect(maps).toBeGreaterThanOrEqual(10); // a header and a footer in each of the (at least 4) goldens and the new one
  });

  it('decodes every plain kind as msgpackr does', () => {
    const value = {
      ints: [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31)],
      big: [2n ** 63n, 1n, -(2n ** 63n), -5n], floats: [0.5, -1.25e300, 2 ** 40, -(2 ** 35)],
      strings: ['', 'a', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300), 'ü€😀', 'é'.repeat(70000), '\ufeffbom'],
      bins: [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7), new Uint8Array(70000).fill(9)],
      nested: { a: { b: { c: [null, true, false, [], {}] } } },
      many: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
    };
    expectSame(Buffer.from(packMap(value)));
    expectSame(Buffer.from(packMap({ long: Array.from({ length: 70000 }, (_, i) => i & 0xff) })));
    expectSame(Buffer.of(0xca, 0x3f, 0xc0, 0x00, 0x00)); // a float32 (1.5): the writer never writes one
    expectSame(Buffer.from(packMap({ a: undefined, b: [undefined, 1] }))); // msgpackr's undefined (ext type 0)
  });

  it('leaves to msgpackr what it does not take', () => {
    const notPlain = [
      Buffer.of(0xd4, 0x00, 0x01), // ext type 0 with another filler byte than msgpackr's undefined
      packMap({ when: new Date(0) }), // an ext (timestamp)
      Buffer.concat([packMap({ a: 1 }), Buffer.of(0xc0)]), // bytes after the value
      packMap({ a: 'abc' }).subarray(0, 5), // ends inside it
      Buffer.of(0x81, 0x01, 0x02), // a key that is not a string
      Buffer.of(0x81, 0xa9, ...Buffer.from('__proto__'), 0x01),
      Buffer.of(0xa2, 0xc3, 0x28), // invalid UTF-8
      Buffer.of(0xc1),
      Buffer.of(0xdd, 0xff, 0xff, 0xff, 0xff), // an array longer than its bytes
      Buffer.alloc(0),
    ];
    for (const bytes of notPlain) expect(unpackPlain(bytes)).toBe(NOT_PLAIN);
    const deep = Buffer.concat([Buffer.alloc(200000, 0x91), Buffer.of(0xc0)]); // nested deeper than the stack
    expect(unpackPlain(deep)).toBe(NOT_PLAIN);
  });
});
