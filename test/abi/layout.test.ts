// The schema's type layouts: sizes and offsets written out by hand from the spec (typenames.test.ts computes them
// from the vendored typenames.witx), and the generic struct reader and writer.
import { describe, expect, it } from 'vitest';
import { STRUCTS, memTypeSize, readStruct, writeStruct } from '../../src/abi/index.js';

const offsets = (name: keyof typeof STRUCTS) =>
  Object.fromEntries(STRUCTS[name].fields.map((f) => [f.name, f.offset]));

describe('struct layouts', () => {
  it('have the sizes the spec gives', () => {
    expect(STRUCTS.filestat.size).toBe(64);
    expect(STRUCTS.dirent.size).toBe(24);
    expect(STRUCTS.subscription.size).toBe(48);
    expect(STRUCTS.event.size).toBe(32);
    expect(STRUCTS.prestat.size).toBe(8);
    expect(STRUCTS.fdstat.size).toBe(24);
    expect(STRUCTS.iovec.size).toBe(8);
    expect(STRUCTS.ciovec.size).toBe(8);
  });

  it('filestat fields are at the spec offsets', () => {
    expect(offsets('filestat')).toEqual({ dev: 0, ino: 8, filetype: 16, nlink: 24, size: 32, atim: 40, mtim: 48, ctim: 56 });
  });
  it('fdstat fields are at the spec offsets', () => {
    expect(offsets('fdstat')).toEqual({ fs_filetype: 0, fs_flags: 2, fs_rights_base: 8, fs_rights_inheriting: 16 });
  });
  it('dirent fields are at the spec offsets', () => {
    expect(offsets('dirent')).toEqual({ d_next: 0, d_ino: 8, d_namlen: 16, d_type: 20 });
  });
  it('subscription fields (tag and both union arms) are at the spec offsets', () => {
    expect(offsets('subscription')).toEqual({
      userdata: 0, tag: 8, 'clock.id': 16, 'clock.timeout': 24, 'clock.precision': 32, 'clock.flags': 40,
      'fd_readwrite.file_descriptor': 16,
    });
  });
  it('event fields are at the spec offsets', () => {
    expect(offsets('event')).toEqual({ userdata: 0, error: 8, type: 10, 'fd_readwrite.nbytes': 16, 'fd_readwrite.flags': 24 });
  });
  it('prestat and iovec fields are at the spec offsets', () => {
    expect(offsets('prestat')).toEqual({ tag: 0, 'dir.pr_name_len': 4 });
    expect(offsets('iovec')).toEqual({ buf: 0, buf_len: 4 });
  });

  it('no field overlaps another of the same arm or runs past the struct', () => {
    for (const t of Object.values(STRUCTS)) {
      for (const f of t.fields) expect(f.offset + memTypeSize(f.type)).toBeLessThanOrEqual(t.size);
      const plain = t.fields.filter((f) => !f.name.includes('.'));
      const arms = new Set(t.fields.filter((f) => f.name.includes('.')).map((f) => f.name.split('.')[0]));
      for (const arm of [undefined, ...arms]) {
        const fs = [...plain, ...t.fields.filter((f) => f.name.split('.')[0] === arm)]
          .sort((a, b) => a.offset - b.offset);
        for (let i = 1; i < fs.length; i++) {
          expect(fs[i]!.offset, `${t.name}.${fs[i]!.name}`).toBeGreaterThanOrEqual(fs[i - 1]!.offset + memTypeSize(fs[i - 1]!.type));
        }
      }
    }
  });

  it('writes little-endian values at the offsets and zero-fills padding', () => {
    const view = new DataView(new ArrayBuffer(80));
    new Uint8Array(view.buffer).fill(0xaa);
    writeStruct(view, 8, STRUCTS.filestat, { dev: 1n, ino: 2n, filetype: 4, nlink: 3n, size: 0x1122334455n, atim: 5n, mtim: 6n, ctim: 7n });
    const b = new Uint8Array(view.buffer);
    expect(b[8 + 16]).toBe(4);
    expect([...b.subarray(8 + 17, 8 + 24)]).toEqual([0, 0, 0, 0, 0, 0, 0]); // padding after filetype
    expect([...b.subarray(8 + 32, 8 + 37)]).toEqual([0x55, 0x44, 0x33, 0x22, 0x11]);
    expect(b[7]).toBe(0xaa);
    expect(b[72]).toBe(0xaa);
    expect(readStruct(view, 8, STRUCTS.filestat)).toEqual({ dev: 1n, ino: 2n, filetype: 4, nlink: 3n, size: 0x1122334455n, atim: 5n, mtim: 6n, ctim: 7n });
  });

  it('reads only the live arm of a union', () => {
    const view = new DataView(new ArrayBuffer(48));
    writeStruct(view, 0, STRUCTS.subscription, { userdata: 9n, tag: 1, 'fd_readwrite.file_descriptor': 5 });
    expect(readStruct(view, 0, STRUCTS.subscription)).toEqual({ userdata: 9n, tag: 1, 'fd_readwrite.file_descriptor': 5 });
  });
});
