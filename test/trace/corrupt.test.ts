import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { beforeAll, describe, expect, test } from 'vitest';
import { TraceError, TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { eventsBlock, msgpackEvents, prng, randomish, readBytes, sameBytes, tempDir, walkBlocks, type RawBlock } from './helpers.js';

const dir = tempDir();
let serial = 0;
function put(bytes: Uint8Array, name = 'case.bin'): string {
  const path = join(dir, `${++serial}-${name}`);
  writeFileSync(path, bytes);
  return path;
}

interface Outcome {
  reader: TraceReader;
  events: unknown[];
}
async function readAll(path: string): Promise<Outcome> {
  const reader = await TraceReader.open(path);
  const events = [...msgpackEvents(reader)];
  return { reader, events };
}
async function readError(path: string): Promise<TraceError> {
  try {
    await readAll(path);
  } catch (error) {
    if (error instanceof TraceError) return error;
    throw error;
  }
  throw new Error(`reading ${path} succeeded`);
}

function patched(file: Uint8Array, at: number, bytes: number[]): Uint8Array {
  const copy = file.slice();
  copy.set(bytes, at);
  return copy;
}
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

/** A trace with two MODULE chunks and many small frames. */
let big: { file: Uint8Array; blocks: RawBlock[]; module: Uint8Array; events: unknown[] };
/** A small trace for the fuzz test. */
let small: { file: Uint8Array; blocks: RawBlock[]; events: unknown[] };

async function build(path: string, module: Uint8Array, events: unknown[], frameBytes: number): Promise<Uint8Array> {
  const packr = new Packr({ useRecords: false });
  const writer = await TraceWriter.create(path, { kind: 'test' }, module, { frameBytes, level: 1 });
  for (const e of events) writer.appendEvents(packr.pack(e), 1);
  writer.finish({ exit: 0 });
  return readBytes(path);
}

function sampleEvents(n: number, seed: number): unknown[] {
  const rnd = prng(seed);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const k = (rnd() * 4) | 0;
    if (k === 0) out.push({ i, t: BigInt(i) * 1_000_000_007n, fn: 'clock_time_get' });
    else if (k === 1) out.push({ i, data: Buffer.from(randomish((rnd() * 40) | 0, i)), fn: 'fd_read' });
    else if (k === 2) out.push([i, 'x'.repeat((rnd() * 20) | 0), rnd() < 0.5]);
    else out.push(i * 3.25);
  }
  return out;
}

beforeAll(async () => {
  mkdirSync(join(dir, 'src'), { recursive: true });
  // Two MODULE chunks; repetitive so that the file stays small and each case is cheap.
  const module = new Uint8Array((1 << 20) + 5000);
  const motif = randomish(4099, 21);
  for (let at = 0; at < module.length; at += motif.length) module.set(motif.subarray(0, module.length - at), at);
  const events = sampleEvents(600, 1);
  const file = await build(join(dir, 'src', 'big.bin'), module, events, 600);
  big = { file, blocks: walkBlocks(file), module, events };
  const sevents = sampleEvents(200, 2);
  const sfile = await build(join(dir, 'src', 'small.bin'), randomish(1500, 3), sevents, 300);
  small = { file: sfile, blocks: walkBlocks(sfile), events: sevents };
});

describe('not a trace, or too new', () => {
  test('bad magic', async () => {
    const path = put(new TextEncoder().encode('hello, this is not a trace at all\n'), 'text.txt');
    await expect(TraceReader.open(path)).rejects.toThrow(`${path} is not a wasi-trace file (bad magic)`);
    await expect(TraceReader.open(path)).rejects.toBeInstanceOf(TraceError);
    const wasm = put(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0), 'app.wasm');
    await expect(TraceReader.open(wasm)).rejects.toThrow(`${wasm} is not a wasi-trace file (bad magic)`);
  });

  test('empty file, short files, a directory', async () => {
    const empty = put(new Uint8Array(0));
    await expect(TraceReader.open(empty)).rejects.toThrow(`${empty} is not a wasi-trace file (it is empty)`);
    const short = put(big.file.subarray(0, 5));
    await expect(TraceReader.open(short)).rejects.toThrow(/ends inside its 16-byte preamble/);
    await expect(TraceReader.open(dir)).rejects.toThrow(/is a directory/);
  });

  test('a newer format version is rejected with a clear message', async () => {
    const v7 = put(patched(big.file, 8, [7, 0]));
    const error = await readError(v7);
    expect(error.message).toBe('trace format version 7 is newer than this wasi-trace reads (6); upgrade wasi-trace');
    await expect(TraceReader.open(put(patched(big.file, 8, [0xff, 0xff])))).rejects.toThrow(
      'trace format version 65535 is newer than this wasi-trace reads (6); upgrade wasi-trace',
    );
    await expect(TraceReader.open(put(patched(big.file, 8, [0, 0])))).rejects.toThrow(/version 0/);
    await expect(TraceReader.open(put(patched(big.file, 10, [1, 0])))).rejects.toThrow(/flags/);
  });

  test('missing files are plain system errors', async () => {
    await expect(TraceReader.open(join(dir, 'nope.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('corruption names the offset', () => {
  test('a frame that fails its CRC check', async () => {
    const frames = big.blocks.filter((b) => b.type === 3);
    const victim = frames[2];
    const bad = big.file.slice();
    bad[victim.offset + 20 + 3] ^= 0x10;
    const reader = await TraceReader.open(put(bad));
    const seen: number[] = [];
    let caught: unknown;
    try {
      for (const f of reader.frames()) seen.push(f.offset);
    } catch (error) {
      caught = error;
    }
    expect(seen).toEqual([frames[0].offset, frames[1].offset]);
    expect(caught).toBeInstanceOf(TraceError);
    expect((caught as TraceError).message).toBe(`corrupt trace: frame at offset ${victim.offset} fails its CRC check`);
    expect((caught as TraceError).offset).toBe(victim.offset);
    // The same without a trailer (a cut-short file).
    const cut = put(bad.subarray(0, frames[5].offset + 7));
    const e2 = await readError(cut);
    expect(e2.message).toBe(`corrupt trace: frame at offset ${victim.offset} fails its CRC check`);
  });

  test('header, module and footer blocks that fail their CRC check', async () => {
    const [header, chunk0] = big.blocks;
    const footer = big.blocks.at(-1)!;
    const at = (b: RawBlock): number => b.offset + 20 + 1;
    const flip = (b: RawBlock): Uint8Array => patched(big.file, at(b), [big.file[at(b)] ^ 1]);
    await expect(TraceReader.open(put(flip(header)))).rejects.toThrow('corrupt trace: header block at offset 16 fails its CRC check');
    await expect(TraceReader.open(put(flip(chunk0)))).rejects.toThrow(
      `corrupt trace: module chunk at offset ${chunk0.offset} fails its CRC check`,
    );
    await expect(TraceReader.open(put(flip(footer)))).rejects.toThrow(
      `corrupt trace: footer block at offset ${footer.offset} fails its CRC check`,
    );
  });

  test('block header fields the CRC does not cover', async () => {
    const frames = big.blocks.filter((b) => b.type === 3);
    const frame = frames[3];
    const o = frame.offset;
    const last = frames.at(-1)!;
    const cases: [number, number[], RegExp][] = [
      [o, [9], new RegExp(`unknown block type 9 at offset ${o}`)],
      [o, [2], new RegExp(`unexpected module chunk at offset ${o}`)],
      [o + 1, [7], /unknown codec 7/],
      [o + 2, [1], /nonzero reserved/],
      [o + 4, u32(frame.storedLength + 0x1000000), /claims 16777\d+ compressed bytes for \d+ raw bytes/],
      [o + 4, u32(0x7fffffff), /more than a block may hold/],
      [o + 8, u32(frame.rawLength + 1), new RegExp(`frame at offset ${o} does not decompress: zstd frame holds`)],
      [o + 16, u32(0), /claims 0 events/],
    ];
    for (const [at, bytes, message] of cases) {
      const e = await readError(put(patched(big.file, at, bytes)));
      expect(e.message).toMatch(message);
      expect(e.offset).toBe(o);
    }
    // Within the zstd bound but past the footer named by the trailer.
    const e = await readError(put(patched(big.file, last.offset + 4, u32(last.storedLength + 40))));
    expect(e.message).toBe(`corrupt trace: frame at offset ${last.offset} runs past the footer at offset ${last.end}`);
  });

  test('an item count that disagrees with the events or the footer', async () => {
    const frame = big.blocks.filter((b) => b.type === 3)[1];
    const bad = put(patched(big.file, frame.offset + 16, u32(frame.count + 1)));
    const e = await readError(bad);
    expect(e.message).toBe(
      `corrupt trace: frame at offset ${frame.offset} holds ${frame.count} events, its header says ${frame.count + 1}`,
    );
    const reader = await TraceReader.open(bad);
    expect(() => [...reader.frames()]).toThrow(/the footer at offset \d+ says events is 600, but the file holds 601/);
  });

  test('a bad trailer, or bytes after it', async () => {
    const len = big.file.length;
    const badMagic = put(patched(big.file, len - 1, [1]));
    const r1 = await TraceReader.open(badMagic);
    expect(r1.footerMap).toBeUndefined(); // found by scanning instead
    expect(() => [...r1.frames()]).toThrow(/bad trailer at offset/);
    const badOffset = put(patched(big.file, len - 16, [big.file[len - 16] ^ 4]));
    await expect(readAll(badOffset)).rejects.toThrow(/bad trailer at offset/);
    // A damaged footer length: the trailer no longer checks out, but the file was finished.
    const footer = big.blocks.at(-1)!;
    // (the footer is stored raw, so its raw length must grow with its stored length to get past that check)
    const longFooter = put(patched(big.file, footer.offset + 4, [...u32(footer.storedLength + 32), ...u32(footer.storedLength + 32)]));
    await expect(readAll(longFooter)).rejects.toThrow(
      `corrupt trace: footer block at offset ${footer.offset} runs past the end of the file, yet the file ends with a trailer`,
    );
    const extra = new Uint8Array(len + 3);
    extra.set(big.file);
    await expect(readAll(put(extra))).rejects.toThrow(TraceError);
  });

  test('a corrupt record stream inside a CRC-valid frame', async () => {
    // Rewrite frame 0 with a payload that is not whole msgpack, with a matching CRC and prefix.
    const frame = big.blocks.filter((b) => b.type === 3)[0];
    const { traceId } = await TraceReader.open(put(big.file));
    const block = await eventsBlock(traceId!, 0, Uint8Array.of(0x92, 0x01), 1); // an array of 2 with only one element
    const file = new Uint8Array([...big.file.subarray(0, frame.offset), ...block]);
    const e = await readError(put(file));
    expect(e.message).toMatch(new RegExp(`^corrupt trace: frame at offset ${frame.offset} does not decode as msgpack`));
    expect(e.offset).toBe(frame.offset);
  });
});

describe('truncation', () => {
  test('at every block boundary and inside every block', async () => {
    const { file, blocks, module, events } = big;
    const header = blocks[0];
    const chunks = blocks.filter((b) => b.type === 2);
    const frames = blocks.filter((b) => b.type === 3);
    const footer = blocks.at(-1)!;
    const dataStart = chunks.at(-1)!.end;
    const eventsBefore = (cut: number): number =>
      frames.filter((f) => f.end <= cut).reduce((s, f) => s + f.count, 0);

    const cuts = new Set<number>([0, 1, 8, 15, 16, file.length - 16, file.length - 15, file.length - 1, file.length]);
    for (const b of blocks) {
      for (const c of [b.offset, b.offset + 1, b.offset + 19, b.offset + 20, b.offset + 20 + (b.storedLength >> 1), b.end - 1]) {
        cuts.add(c);
      }
    }
    let checked = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      const path = put(file.subarray(0, cut), `cut-${cut}.bin`);
      const what = `cut at ${cut}`;
      if (cut === 0) {
        await expect(TraceReader.open(path), what).rejects.toThrow(/is empty/);
      } else if (cut < 16) {
        await expect(TraceReader.open(path), what).rejects.toThrow(/ends inside its 16-byte preamble/);
      } else if (cut < header.end) {
        await expect(TraceReader.open(path), what).rejects.toThrow(/ends inside its header block at offset 16/);
      } else if (cut < dataStart && !chunks.some((c) => c.offset === cut)) {
        const k = chunks.findIndex((c) => c.offset < cut && cut < c.end);
        await expect(TraceReader.open(path), what).rejects.toThrow(new RegExp(`ends inside module chunk ${k} at offset ${chunks[k].offset}`));
      } else if (cut < dataStart) {
        // At a chunk boundary the container cannot know more chunks were due (FORMAT.md).
        const { reader, events: got } = await readAll(path);
        expect(sameBytes(reader.module, module.subarray(0, reader.module.length)), what).toBe(true);
        expect(got, what).toEqual([]);
        expect(reader.ending, what).toEqual({ complete: false, offset: cut, reason: 'no footer (recording was cut short)' });
      } else {
        const { reader, events: got } = await readAll(path);
        expect(sameBytes(reader.module, module), what).toBe(true);
        expect(got.length, what).toBe(eventsBefore(cut));
        if (got.length > 0) expect(got.at(-1), what).toEqual(events[got.length - 1]);
        const ending = reader.ending;
        if (cut === file.length) {
          expect(got).toEqual(events);
          expect(ending, what).toEqual({ complete: true });
          expect(reader.footerMap, what).toBeDefined();
        } else if (cut >= footer.end) {
          expect(reader.footerMap, what).toMatchObject({ exit: 0, events: events.length });
          expect(ending, what).toEqual({
            complete: false,
            offset: footer.end,
            reason: 'file ends before its trailer (recording was cut short while finishing)',
          });
        } else {
          expect(reader.footerMap, what).toBeUndefined();
          const inside = blocks.find((b) => b.offset < cut && cut < b.end);
          if (!inside) {
            expect(ending, what).toEqual({ complete: false, offset: cut, reason: 'no footer (recording was cut short)' });
          } else {
            const kind = inside.type === 3 ? 'frame' : 'footer block';
            const reason =
              cut - inside.offset < 20
                ? 'file ends inside a block header (recording was cut short)'
                : `file ends inside a ${kind} (recording was cut short)`;
            expect(ending, what).toEqual({ complete: false, offset: inside.offset, reason });
          }
        }
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe('fuzz: any bytes either read or throw TraceError', () => {
  const rnd = prng(0x5eed);
  const pick = (n: number): number => Math.floor(rnd() * n);

  async function outcome(bytes: Uint8Array): Promise<'ok' | 'trace-error'> {
    const path = join(dir, 'fuzz.bin');
    writeFileSync(path, bytes);
    try {
      const reader = await TraceReader.open(path);
      for (const _ of msgpackEvents(reader)) {
        /* decode everything */
      }
      void reader.ending;
      return 'ok';
    } catch (error) {
      if (error instanceof TraceError) return 'trace-error';
      throw new Error(`a non-TraceError escaped: ${String(error)}`, { cause: error });
    }
  }

  test('cuts at random offsets read every complete frame before the cut', async () => {
    const { file, blocks, events } = small;
    const dataStart = blocks.filter((b) => b.type === 2).at(-1)!.end;
    for (let i = 0; i < 250; i++) {
      const cut = pick(file.length + 1);
      const result = await outcome(file.subarray(0, cut));
      expect(result, `cut at ${cut}`).toBe(cut >= dataStart ? 'ok' : 'trace-error');
      if (cut >= dataStart) {
        const reader = await TraceReader.open(join(dir, 'fuzz.bin'));
        const got = [...msgpackEvents(reader)];
        const complete = blocks.filter((b) => b.type === 3 && b.end <= cut).reduce((s, b) => s + b.count, 0);
        expect(got.length, `cut at ${cut}`).toBe(complete);
        if (complete > 0) expect(got.at(-1)).toEqual(events[complete - 1]);
      }
    }
  });

  test('a single flipped bit anywhere is always detected', async () => {
    const { file } = small;
    for (let i = 0; i < 250; i++) {
      const bad = file.slice();
      const at = pick(file.length);
      bad[at] ^= 1 << pick(8);
      expect(await outcome(bad), `bit flip at ${at}`).toBe('trace-error');
    }
  });

  test('several flipped bits, overwritten words, cuts and garbage', async () => {
    const { file } = small;
    const counts = { ok: 0, 'trace-error': 0 };
    for (let i = 0; i < 300; i++) {
      let bad = file.slice();
      const mode = i % 4;
      if (mode === 0) {
        for (let k = 1 + pick(6); k > 0; k--) bad[pick(bad.length)] ^= 1 << pick(8);
      } else if (mode === 1) {
        // A random 32-bit word at a random block header field.
        const b = small.blocks[pick(small.blocks.length)];
        bad.set(u32((rnd() * 2 ** 32) >>> 0), b.offset + 4 * pick(5));
      } else if (mode === 2) {
        bad = bad.subarray(0, pick(bad.length));
        if (bad.length > 0) bad[pick(bad.length)] ^= 1 << pick(8);
      } else {
        // The real preamble followed by random bytes.
        const junk = randomish(pick(3000), i);
        bad = new Uint8Array([...file.subarray(0, 16 + pick(60)), ...junk]);
      }
      counts[await outcome(bad)]++;
    }
    expect(counts['trace-error']).toBeGreaterThan(0);
  });
});
