// The module cache (src/record/module-cache.ts): where it lives, what an entry holds, that a damaged or foreign entry
// is never used, that a cache which cannot be written is skipped, and that a recording through it stores the same
// trace bytes as one without it. Every cache here is a temporary directory (never the home directory).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_MIN_BYTES, encodedModuleFor, moduleCacheDir } from '../../src/record/module-cache.js';
import { record } from '../../src/record/record.js';
import { replay } from '../../src/replay/replay.js';
import { crc32 } from '../../src/trace/crc32.js';
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { decompress, initZstd } from '../../src/trace/zstd.js';
import { guestPath } from '../helpers.js';
import { randomish } from '../trace/helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('cache-test');
let serial = 0;
const freshDir = () => join(dir, `cache-${++serial}`);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const MiB = 1 << 20;

/** A module-sized byte string that compresses somewhat (2.5 MiB: three chunks, the last one partial). */
const bytes = randomish(2.5 * MiB, 11);

/** The module an EncodedModule holds, decompressed chunk by chunk. */
function modulesOf(blocks: readonly Uint8Array[]): Buffer {
  return Buffer.concat(blocks.map((b) => {
    const view = new DataView(b.buffer, b.byteOffset, 20);
    return decompress(b.subarray(20), view.getUint32(8, true));
  }));
}

/** hello.wasm with a custom section of `pad` bytes at its end (still a valid module), so that it is worth caching. */
function paddedHello(pad: number): Uint8Array {
  const hello = readFileSync(guestPath('hello'));
  const name = Buffer.from('pad');
  const body = Buffer.concat([Buffer.from([name.length]), name, Buffer.from(randomish(pad, 5))]);
  const size: number[] = [];
  for (let n = body.length; ; ) { const b = n & 0x7f; n >>>= 7; if (n) size.push(b | 0x80); else { size.push(b); break; } }
  return Buffer.concat([hello, Buffer.from([0, ...size]), body]);
}

describe('module cache', () => {
  it('lives in $XDG_CACHE_HOME/wasi-trace/modules, ~/.cache when unset or relative; WASI_TRACE_MODULE_CACHE=off or 0 turns it off', () => {
    expect(moduleCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/wasi-trace/modules');
    expect(moduleCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/wasi-trace/modules');
    expect(moduleCacheDir({ XDG_CACHE_HOME: 'rel/cache', HOME: '/home/u' })).toBe('/home/u/.cache/wasi-trace/modules');
    expect(moduleCacheDir({ XDG_CACHE_HOME: '/x', WASI_TRACE_MODULE_CACHE: 'off' })).toBeUndefined();
    expect(moduleCacheDir({ XDG_CACHE_HOME: '/x', WASI_TRACE_MODULE_CACHE: '0' })).toBeUndefined();
    expect(moduleCacheDir({ XDG_CACHE_HOME: '/x', WASI_TRACE_MODULE_CACHE: 'on' })).toBe('/x/wasi-trace/modules');
  });

  it('the tests themselves run with a temporary XDG_CACHE_HOME (never the home directory)', () => {
    expect(process.env.XDG_CACHE_HOME).toMatch(/wasi-trace-test-cache-/);
  });

  it('stores a module once as <sha256>.zst and then serves the very same blocks from it', async () => {
    await initZstd();
    const cache = freshDir();
    const first = encodedModuleFor(bytes, undefined, { dir: cache });
    expect(first.outcome).toBe('stored');
    expect(readdirSync(cache)).toEqual([`${sha(bytes)}.zst`]); // no temporary file left behind
    const second = encodedModuleFor(bytes, sha(bytes), { dir: cache });
    expect(second.outcome).toBe('hit');
    expect(second.encoded.blocks.map((b) => Buffer.from(b).toString('hex'))).toEqual(first.encoded.blocks.map((b) => Buffer.from(b).toString('hex')));
    expect(modulesOf(second.encoded.blocks).equals(Buffer.from(bytes))).toBe(true);
    // Byte for byte what the writer makes without any cache.
    const plain = TraceWriter.encodeModule(bytes);
    expect(Buffer.concat(second.encoded.blocks).equals(Buffer.concat(plain.blocks))).toBe(true);
  });

  it('an entry is a zstd file: a skippable frame, then the chunks as zstd frames', async () => {
    await initZstd();
    const cache = freshDir();
    const { encoded } = encodedModuleFor(bytes, undefined, { dir: cache });
    const entry = readFileSync(join(cache, `${sha(bytes)}.zst`));
    expect(entry.readUInt32LE(0)).toBe(0x184d2a57); // a zstd skippable frame (RFC 8878 §3.1.2)
    const head = 8 + entry.readUInt32LE(4);
    const meta = JSON.parse(entry.subarray(40, head).toString()) as Record<string, unknown>;
    expect(meta).toEqual({
      wasiTraceModuleCache: 1, sha256: sha(bytes), size: bytes.length, level: 3, chunk: MiB, frames: encoded.payloads.map((p) => p.length),
      crcs: encoded.payloads.map((p) => crc32(p)),
    });
    expect(entry.subarray(head).equals(Buffer.concat(encoded.payloads))).toBe(true);
    expect(entry.readUInt32LE(head)).toBe(0xfd2fb528); // the first chunk's zstd frame magic
  });

  it('an entry without CRCs (written before they were kept) serves the same blocks, with the CRCs computed', async () => {
    await initZstd();
    const cache = freshDir();
    const { encoded } = encodedModuleFor(bytes, undefined, { dir: cache });
    const path = join(cache, `${sha(bytes)}.zst`);
    const entry = readFileSync(path);
    const meta = JSON.parse(entry.subarray(40, 8 + entry.readUInt32LE(4)).toString()) as Record<string, unknown>;
    delete meta.crcs;
    const json = Buffer.from(JSON.stringify(meta));
    const frames = entry.subarray(8 + entry.readUInt32LE(4));
    const head = Buffer.alloc(40);
    head.writeUInt32LE(0x184d2a57, 0);
    head.writeUInt32LE(32 + json.length, 4);
    createHash('sha256').update(json).update(frames).digest().copy(head, 8);
    writeFileSync(path, Buffer.concat([head, json, frames]));
    const again = encodedModuleFor(bytes, sha(bytes), { dir: cache });
    expect(again.outcome).toBe('hit');
    expect(Buffer.concat(again.encoded.blocks).equals(Buffer.concat(encoded.blocks))).toBe(true);
  });

  it('never uses a damaged, cut or foreign entry: compresses afresh and replaces it', async () => {
    await initZstd();
    const cache = freshDir();
    encodedModuleFor(bytes, undefined, { dir: cache });
    const path = join(cache, `${sha(bytes)}.zst`);
    const good = readFileSync(path);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 100]! ^= 0x40;
    const other = randomish(MiB, 99);
    encodedModuleFor(other, undefined, { dir: cache });
    const foreign = readFileSync(join(cache, `${sha(other)}.zst`));
    for (const [what, content] of [['a flipped byte', flipped], ['cut short', good.subarray(0, good.length - 1)], ['empty', Buffer.alloc(0)],
      ['another module', foreign], ['not an entry', Buffer.from('hello')]] as const) {
      writeFileSync(path, content);
      const r = encodedModuleFor(bytes, undefined, { dir: cache });
      expect(r.outcome, what).toBe('stored');
      expect(modulesOf(r.encoded.blocks).equals(Buffer.from(bytes)), what).toBe(true);
      expect(readFileSync(path).equals(good), what).toBe(true);
    }
  });

  it('a cache that cannot be written is skipped; modules below minBytes are not cached (by default every module is)', async () => {
    await initZstd();
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the cache directory would go');
    const r = encodedModuleFor(bytes, undefined, { dir: join(blocked, 'modules') });
    expect(r.outcome).toBe('uncached');
    expect(modulesOf(r.encoded.blocks).equals(Buffer.from(bytes))).toBe(true);
    if (process.getuid?.() !== 0) { // root writes anywhere
      const readOnly = freshDir();
      encodedModuleFor(randomish(1000, 3), undefined, { dir: readOnly });
      chmodSync(readOnly, 0o500);
      expect(encodedModuleFor(bytes, undefined, { dir: readOnly }).outcome).toBe('uncached');
      chmodSync(readOnly, 0o700);
    }
    const cache = freshDir();
    const small = randomish(1000, 4);
    expect(encodedModuleFor(small, undefined, { dir: cache, minBytes: 1001 }).outcome).toBe('uncached');
    expect(existsSync(cache)).toBe(false);
    expect(CACHE_MIN_BYTES).toBe(0);
    expect(encodedModuleFor(small, undefined, { dir: cache }).outcome).toBe('stored');
    expect(encodedModuleFor(small, undefined, { dir: cache }).outcome).toBe('hit');
    expect(encodedModuleFor(bytes, undefined, { dir: undefined }).outcome).toBe('uncached');
  });

  it('record fills the cache of XDG_CACHE_HOME, a second recording is served from it, and both traces replay', async () => {
    const module = paddedHello(CACHE_MIN_BYTES + 1000);
    const saved = { xdg: process.env.XDG_CACHE_HOME, off: process.env.WASI_TRACE_MODULE_CACHE };
    const home = freshDir();
    process.env.XDG_CACHE_HOME = home;
    const entry = join(home, 'wasi-trace', 'modules', `${sha(module)}.zst`);
    try {
      const traces: string[] = [];
      let inode = -1;
      for (const [i, off] of [[0, undefined], [1, undefined], [2, 'off']] as const) {
        if (off) process.env.WASI_TRACE_MODULE_CACHE = off; else delete process.env.WASI_TRACE_MODULE_CACHE;
        const out: Uint8Array[] = [];
        const trace = join(dir, `padded-${i}.bin`);
        await record({ module, output: trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {}, stdin: new Uint8Array(0) });
        expect(Buffer.concat(out).toString()).toMatch(/hello/i);
        if (i === 0) inode = statSync(entry).ino;
        else expect(statSync(entry).ino, 'the entry is neither rewritten nor removed').toBe(inode);
        traces.push(trace);
      }
      const stat = readdirSync(join(home, 'wasi-trace', 'modules'));
      expect(stat).toEqual([`${sha(module)}.zst`]);
      const storages = [];
      for (const trace of traces) {
        const reader = await TraceReader.open(trace);
        expect(Buffer.from(reader.module).equals(Buffer.from(module))).toBe(true);
        storages.push(reader.moduleStorage);
        reader.close();
        const r = await replay({ trace, stdout: () => {}, stderr: () => {} });
        expect(r.complete).toBe(true);
      }
      // The same compressed module with and without the cache.
      expect(storages[1]).toEqual(storages[0]);
      expect(storages[2]).toEqual(storages[0]);
      expect(storages[0]!.compressed).toBe(true);
    } finally {
      process.env.XDG_CACHE_HOME = saved.xdg;
      if (saved.off === undefined) delete process.env.WASI_TRACE_MODULE_CACHE; else process.env.WASI_TRACE_MODULE_CACHE = saved.off;
    }
  });
});
