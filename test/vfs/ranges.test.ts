// readRange/writeRange (src/vfs/types.ts): the runtime hands each guest buffer to a handle as a range of guest
// memory. Host fds pass the range straight to the system call; other handles get a view. Either way exactly the
// bytes [start, start+len) move, at the offset given (streams ignore it).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errno, WasiError } from '../../src/abi/index.js';
import { openHostDirectory } from '../../src/vfs/host/index.js';
import { anonymousFile } from '../../src/vfs/memory/index.js';
import { CallbackOutput, HostStream } from '../../src/vfs/stream.js';
import type { FileHandle } from '../../src/vfs/types.js';

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-ranges-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** "0123456789abcdef" as the guest memory the ranges are taken from. */
const memory = (): Uint8Array => new TextEncoder().encode('0123456789abcdef');
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('seekable files: the range at the offset', () => {
  const files: [string, () => { h: FileHandle; contents: () => string }][] = [
    ['a host file', () => {
      const h = openHostDirectory(tmp).createFile('file.bin').open({ read: true, write: true, truncate: true });
      return { h, contents: () => fs.readFileSync(join(tmp, 'file.bin'), 'latin1') };
    }],
    ['an in-memory file', () => {
      const h = anonymousFile();
      return { h, contents: () => { const b = new Uint8Array(64); return text(b.subarray(0, h.read(b, 0n))); } };
    }],
  ];
  for (const [name, make] of files) {
    it(name, () => {
      const { h, contents } = make();
      const mem = memory();
      expect(h.writeRange(mem, 4, 3, 0n)).toBe(3); // "456"
      expect(h.writeRange(mem, 10, 2, 3n)).toBe(2); // "ab" after it
      expect(h.writeRange(mem, 0, 0, 9n)).toBe(0); // nothing, not even a gap
      expect(contents()).toBe('456ab');
      const into = new Uint8Array(8).fill(0x2e); // "........"
      expect(h.readRange(into, 2, 3, 1n)).toBe(3);
      expect(text(into)).toBe('..56a...');
      expect(h.readRange(into, 0, 8, 4n)).toBe(1); // a short read at the end
      expect(text(into)).toBe('b.56a...');
      h.close();
    });
  }
});

describe('a host file: offsets out of range fail before any system call', () => {
  it('reads: EINVAL below 0 and beyond int64 (number or bigint); writes: EINVAL below 0, EFBIG beyond 2^53; number offsets work', () => {
    const h = openHostDirectory(tmp).createFile('offsets.bin').open({ read: true, write: true, truncate: true });
    const errnoOf = (f: () => unknown): number | undefined => {
      try { f(); } catch (e) { return (e as WasiError).errno; }
      return undefined;
    };
    const into = new Uint8Array(4);
    expect(errnoOf(() => h.readRange(into, 0, 1, -1))).toBe(Errno.INVAL);
    expect(errnoOf(() => h.readRange(into, 0, 1, -1n))).toBe(Errno.INVAL);
    expect(errnoOf(() => h.readRange(into, 0, 1, 2n ** 63n))).toBe(Errno.INVAL);
    expect(errnoOf(() => h.writeRange(memory(), 0, 1, -1))).toBe(Errno.INVAL);
    expect(errnoOf(() => h.writeRange(memory(), 0, 2, Number.MAX_SAFE_INTEGER - 1))).toBe(Errno.FBIG);
    expect(h.writeRange(memory(), 0, 4, 2)).toBe(4);
    expect(h.readRange(into, 0, 4, 3)).toBe(3);
    expect(text(into.subarray(0, 3))).toBe('123');
    expect(h.readRange(into, 0, 4, 2n ** 62n)).toBe(0); // a bigint within int64: end of file, no error
    h.close();
  });
});

describe('streams: the range, offsets ignored', () => {
  it('a host fd written through HostStream, and a callback, receive exactly the range', () => {
    const path = join(tmp, 'stream.txt');
    const fd = fs.openSync(path, 'w');
    const stream: FileHandle = new HostStream(fd, 'write'); // (called as the runtime calls any FileHandle: with an offset)
    const mem = memory();
    expect(stream.writeRange(mem, 1, 4, 99n)).toBe(4);
    expect(stream.writeRange(mem, 12, 4, 0n)).toBe(4);
    fs.closeSync(fd);
    expect(fs.readFileSync(path, 'latin1')).toBe('1234cdef');
    const got: string[] = [];
    const callback: FileHandle = new CallbackOutput((b) => got.push(text(b)));
    expect(callback.writeRange(mem, 6, 2, 0n)).toBe(2);
    expect(got).toEqual(['67']);
  });

  it('a host stream reads into exactly the range', () => {
    const path = join(tmp, 'in.txt');
    fs.writeFileSync(path, 'XYZ');
    const fd = fs.openSync(path, 'r');
    const into = new Uint8Array(6).fill(0x2e);
    const stream: FileHandle = new HostStream(fd, 'read');
    expect(stream.readRange(into, 2, 2, 0n)).toBe(2);
    fs.closeSync(fd);
    expect(text(into)).toBe('..XY..');
  });
});
