// The parts of `mem` below the command line: names read from a module (src/inspect/symbols.ts), ranges parsed
// against them, the xxd layout, and the bound on the changes a watch lists (src/inspect/mem.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { DEFAULT_LENGTH, mem, parseRange, xxd } from '../../src/inspect/mem.js';
import { moduleNames } from '../../src/inspect/symbols.js';
import { guestPath, recordLikeCli } from '../helpers.js';

const names = moduleNames(readFileSync(guestPath('names')));
const memwatch = moduleNames(readFileSync(guestPath('memwatch')));

describe('moduleNames', () => {
  it('names.wat: immutable i32 globals set by i32.const, by export and by the name section; active segments', () => {
    expect(Object.fromEntries(names.names)).toEqual({
      addr: { address: 0x200, what: 'exported global' },
      big: { address: 0xfffffff0, what: 'exported global' }, // i32.const -16 as an unsigned address
      alias: { address: 0x300, what: 'exported global' },
      only_named: { address: 0x300, what: 'global (name section)' },
      active: { address: 0x400, size: 6, what: 'data segment (name section)' },
    });
    expect([...names.unusable.keys()].sort()).toEqual(['float', 'imported', 'mutable', 'passive', 'via_get']);
    expect(names.unusable.get('mutable')).toMatch(/^a mutable global/);
    expect(names.unusable.get('passive')).toMatch(/^a passive data segment/);
  });

  it('memwatch.c: the exported data symbols and wasm-ld segment names (addresses as wasm-objdump shows them)', () => {
    expect(memwatch.names.get('counter')?.address).toBe(1056);
    expect(memwatch.names.get('message')?.address).toBe(1072);
    expect(memwatch.names.get('seed')?.address).toBe(1088);
    expect(memwatch.names.get('__heap_base')?.address).toBe(66640);
    expect(memwatch.names.get('.rodata')).toMatchObject({ address: 1024, size: 29 });
    expect(memwatch.names.get('.data')).toMatchObject({ address: 1056, size: 32 });
    expect(memwatch.unusable.has('__stack_pointer')).toBe(true);
  });

  it('a stripped module has only its exports; a damaged one gives no names instead of throwing', () => {
    const hello = moduleNames(readFileSync(guestPath('hello')));
    expect(hello.names.size).toBe(0);
    const bytes = readFileSync(guestPath('memwatch'));
    for (const cut of [9, 20, 100, bytes.length - 7]) expect(() => moduleNames(bytes.subarray(0, cut))).not.toThrow();
  });
});

describe('parseRange', () => {
  const range = (s: string, stringLength?: number) => parseRange(s, names, stringLength);
  it('addresses in decimal or hex, LEN default 64, names with +OFF, segments their size', () => {
    expect(range('0x10:4')).toMatchObject({ address: 16, length: 4 });
    expect(range('16')).toMatchObject({ address: 16, length: DEFAULT_LENGTH });
    expect(range('addr+0x10:0x2')).toMatchObject({ address: 0x210, length: 2, name: 'addr' });
    expect(range('active')).toMatchObject({ address: 0x400, length: 6 });
    expect(range('active+1')).toMatchObject({ address: 0x401, length: DEFAULT_LENGTH });
    expect(range('active', 4096)).toMatchObject({ address: 0x400, length: 4096, atMost: true });
    expect(range('active:3', 4096)).toMatchObject({ length: 3 });
    expect(range('active:3', 4096).atMost).toBeUndefined();
  });

  it('bad ranges are one-line UserErrors naming the range', () => {
    const err = (s: string) => { try { range(s); } catch (e) { expect(e).toBeInstanceOf(UserError); return (e as Error).message; } return 'no error'; };
    expect(err('addr:zz')).toBe('addr:zz: expected ADDR[:LEN], LEN a decimal or 0x-hex byte count');
    expect(err('nope')).toBe('nope: no such name in the module (it names: addr, big, alias, only_named, active)');
    expect(err('mutable')).toMatch(/^mutable: a mutable global: its value changes/);
    expect(err('0x10:0')).toBe('0x10:0: the length is 0');
    expect(err('0xffffffff:2')).toBe('0xffffffff:2: the range goes past 4 GiB, beyond any 32-bit guest memory');
    expect(err(':4')).toMatch(/^:4: expected ADDR\[:LEN\]/);
    expect(() => parseRange('x', moduleNames(readFileSync(guestPath('hello'))))).toThrow(/the module exports no global holding an address and has no name section/);
  });
});

describe('xxd', () => {
  it('lays bytes out as xxd does (checked against xxd 2022-01-14), rows numbered from the address', () => {
    const bytes = new TextEncoder().encode('hello world\n\x00\x01\x7fABCDEFGHIJ');
    expect(xxd(bytes, 0)).toEqual([
      '00000000: 6865 6c6c 6f20 776f 726c 640a 0001 7f41  hello world....A',
      '00000010: 4243 4445 4647 4849 4a                   BCDEFGHIJ',
    ]);
    expect(xxd(bytes.subarray(0, 3), 0x420)).toEqual(['00000420: 6865 6c                                  hel']);
  });
});

describe('mem --watch on a long run', () => {
  it('lists at most maxChanges changes and counts the rest in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasi-trace-mem-'));
    try {
      const trace = join(dir, 'memwatch.bin');
      await recordLikeCli({ module: readFileSync(guestPath('memwatch')), moduleName: 'memwatch.wasm', args: [], output: trace });
      const lines: string[] = [];
      const out = { write: (s: string) => lines.push(s), line: (s: string) => lines.push(s) };
      // counter changes 4 times (before #2, #3, #4, #5)
      await mem({ trace, at: 'end', ranges: [], watch: ['counter:4'], maxChanges: 2 }, out);
      expect(lines.filter((l) => l.startsWith('watch counter: changed'))).toHaveLength(2);
      expect(lines.at(-1)).toBe('2 more changes after the first 2 not listed (narrow the range or use --at)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
