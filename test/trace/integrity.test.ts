// Format version 2 binds every frame to its trace and its place: a trace id in the header, the footer and each
// frame's prefix, and each frame's sequence number, all inside the CRC-checked bytes. A frame of another trace
// (with a valid CRC), frames swapped, duplicated or dropped, and a footer of another trace are TraceErrors naming
// the offset. The reader reads through the one descriptor it opened, and refuses what is not a regular file.
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, renameSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { beforeAll, describe, expect, test } from 'vitest';
import { EventDecodeError, EventDecoder } from '../../src/trace/events.js';
import { TraceError, TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { decompress, initZstd } from '../../src/trace/zstd.js';
import { assemble, eventsBlock, msgpackEvents, readBytes, tempDir, traceParts, walkBlocks, type TraceParts } from './helpers.js';

const dir = tempDir();
let serial = 0;
const put = (bytes: Uint8Array): string => {
  const path = join(dir, `${++serial}.bin`);
  writeFileSync(path, bytes);
  return path;
};
const packr = new Packr({ useRecords: false });
const EVENTS = Array.from({ length: 40 }, (_, i) => ({ i, name: `event ${i}` }));

/** A trace of EVENTS in frames of 64 bytes; the same events again make its twin (another trace id). */
async function write(path: string): Promise<TraceWriter> {
  const w = await TraceWriter.create(path, { kind: 'test' }, Uint8Array.of(1, 2, 3), { frameBytes: 64, level: 1 });
  for (const e of EVENTS) w.appendEvents(packr.pack(e), 1);
  w.finish({ exit: 0 });
  return w;
}

let a: { path: string; id: string; file: Uint8Array; parts: TraceParts };
let b: { path: string; id: string; file: Uint8Array; parts: TraceParts };

async function readError(path: string): Promise<TraceError> {
  const reader = await TraceReader.open(path).catch((e: unknown) => e);
  try {
    if (!(reader instanceof TraceReader)) throw reader;
    for (const _ of msgpackEvents(reader)) { /* read on */ }
  } catch (e) {
    if (e instanceof TraceError) return e;
    throw e;
  } finally {
    if (reader instanceof TraceReader) reader.close();
  }
  throw new Error(`${path} was read without an error`);
}

beforeAll(async () => {
  await initZstd();
  for (const name of ['a', 'b'] as const) {
    const path = join(dir, `${name}.bin`);
    const w = await write(path);
    const file = readBytes(path);
    const t = { path, id: w.traceId, file, parts: traceParts(file) };
    if (name === 'a') a = t; else b = t;
  }
  expect(a.parts.frames.length).toBeGreaterThanOrEqual(5);
  expect(a.id).not.toBe(b.id);
});

describe('what version 2 writes', () => {
  test('the header and the footer carry the trace id, every frame the id and its sequence number', async () => {
    expect(a.parts.header.traceId).toBe(a.id);
    expect(a.parts.footer.traceId).toBe(a.id);
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    a.parts.frames.forEach((f, seq) => {
      const v = new DataView(f.buffer, f.byteOffset);
      const raw = decompress(f.subarray(20), v.getUint32(8, true));
      expect(Buffer.from(raw.subarray(0, 16)).toString('hex')).toBe(a.id);
      expect(new DataView(raw.buffer, raw.byteOffset).getUint32(16, true)).toBe(seq);
    });
    // Twins hold the same events: their frames differ only in the prefix.
    const reader = await TraceReader.open(b.path);
    expect([...msgpackEvents(reader)]).toEqual(EVENTS);
    reader.close();
  });
});

describe('a frame out of place is rejected, naming its offset', () => {
  const offsetOf = (file: Uint8Array, k: number) => walkBlocks(file).filter((x) => x.type === 3)[k]!.offset;

  test('a frame of another trace (valid CRC, the very same events)', async () => {
    const file = assemble({ ...a.parts, frames: a.parts.frames.map((f, k) => (k === 2 ? b.parts.frames[2]! : f)) });
    const e = await readError(put(file));
    const at = offsetOf(file, 2);
    expect(e.message).toBe(`corrupt trace: frame at offset ${at} belongs to another trace (trace id ${b.id}, this trace's is ${a.id})`);
    expect(e.offset).toBe(at);
    // The same in a trace cut short (no footer to disagree with).
    const cut = file.subarray(0, offsetOf(file, 4));
    expect((await readError(put(cut))).message).toBe(e.message);
  });

  test('two frames swapped, a frame duplicated, a frame dropped', async () => {
    const f = a.parts.frames;
    const cases: [string, Uint8Array[], number, number, number][] = [
      ['swapped', [f[0]!, f[2]!, f[1]!, ...f.slice(3)], 1, 2, 1],
      ['duplicated', [f[0]!, f[1]!, f[1]!, ...f.slice(2)], 2, 1, 2],
      ['dropped', [f[0]!, ...f.slice(2)], 1, 2, 1],
    ];
    for (const [what, frames, k, said, due] of cases) {
      const file = assemble({ ...a.parts, frames });
      const e = await readError(put(file));
      const at = offsetOf(file, k);
      expect(e.message, what).toBe(`corrupt trace: frame at offset ${at} is frame #${said} of this trace, but frame #${due} belongs there (frames swapped, duplicated or missing)`);
      expect(e.offset, what).toBe(at);
    }
  });

  test('a footer of another trace, a header without a trace id', async () => {
    const file = assemble(a.parts, (m) => ({ ...m, traceId: b.id }));
    const at = walkBlocks(file).at(-1)!.offset;
    await expect(TraceReader.open(put(file))).rejects.toThrow(
      `corrupt trace: the footer block at offset ${at} belongs to another trace (trace id ${b.id}, the header's is ${a.id})`,
    );
    const { traceId: _, ...header } = a.parts.header;
    await expect(TraceReader.open(put(assemble({ ...a.parts, header })))).rejects.toThrow(
      'corrupt trace: the header block at offset 16 has no valid trace id (traceId: 32 hex digits)',
    );
    await expect(TraceReader.open(put(assemble({ ...a.parts, header: { ...header, traceId: 'x' } })))).rejects.toThrow(/no valid trace id/);
  });

  test('the frame index, totals and trace id of a footer are checked however the footer was found', async () => {
    // Damaged trailer: the footer is found by scanning, and its index must still agree.
    const file = assemble(a.parts, (m) => ({ ...m, index: [...(m.index as number[]).slice(0, -1), 5] }));
    const n = (traceParts(file).footer.index as number[]).length;
    await expect(readError(put(file))).resolves.toMatchObject({ message: expect.stringMatching(new RegExp(`says index\\[${n - 1}\\] is 5`)) });
    const scanned = file.slice();
    scanned[scanned.length - 1] ^= 1;
    expect((await readError(put(scanned))).message).toMatch(/says index\[\d+\] is 5/);
  });
});

describe('the item count a frame declares', () => {
  test('is checked against the events it holds', async () => {
    const decoder = new EventDecoder();
    // Two call events [imp, args, result, writes, inputs, gap, dur].
    const two = Buffer.concat([packr.pack([0, [1], 0, [], null, 0, 0]), packr.pack([0, [2], 0, [], null, 0, 0])]);
    expect(decoder.decodeFrame(two, 2)).toHaveLength(2);
    expect(() => decoder.decodeFrame(two, 3)).toThrow(new EventDecodeError('it holds 2 events, its header declares 3'));
    expect(() => decoder.decodeFrame(two, 1)).toThrow(new EventDecodeError('it holds more than the 1 events its header declares'));
    // So does the walk that checks a trace without decoding it (info), which also reports each call's import.
    const imps: number[] = [];
    decoder.scanFrame(Buffer.concat([two, packr.pack([-1, new Uint8Array(3)])]), 3, (imp) => imps.push(imp));
    expect(imps).toEqual([0, 0]);
    expect(() => decoder.scanFrame(two, 3, () => {})).toThrow(new EventDecodeError('it holds 2 events, its header declares 3'));
    expect(() => decoder.scanFrame(packr.pack([0, 1]), 1, () => {})).toThrow(/not a call event/);
    // The replay path counts the same way.
    decoder.load(two, 3);
    expect(decoder.nextCall()).toBe(true);
    decoder.matchCall(0, [1]);
    decoder.applyWrites(new Uint8Array(8));
    decoder.matchInputs(null);
    expect(decoder.nextCall()).toBe(true);
    decoder.matchCall(0, [2]);
    decoder.applyWrites(new Uint8Array(8));
    decoder.matchInputs(null);
    expect(() => decoder.nextCall()).toThrow(/holds 2 events, its header declares 3/);
  });

  test('a frame whose CRC-checked events are fewer than its count (as a writer bug would leave it)', async () => {
    const events = Buffer.concat([packr.pack([0, [1], 0, [], null, 0, 0])]);
    const file = assemble({ ...a.parts, frames: [await eventsBlock(a.id, 0, events, 2)] });
    const reader = await TraceReader.open(put(file));
    const [frame] = [...reader.frames()];
    expect(frame!.count).toBe(2);
    expect(() => new EventDecoder().decodeFrame(frame!.payload, frame!.count)).toThrow(/holds 1 events, its header declares 2/);
    reader.close();
  });
});

describe('one descriptor', () => {
  test('a trace renamed over while it is read is still read as the file that was opened', async () => {
    const path = join(dir, 'replaced.bin');
    copyFileSync(a.path, path);
    const reader = await TraceReader.open(path);
    // Another trace (its twin: same layout, other id) replaces it atomically.
    const other = join(dir, 'other.bin');
    copyFileSync(b.path, other);
    renameSync(other, path);
    expect([...msgpackEvents(reader)]).toEqual(EVENTS);
    expect(reader.ending).toEqual({ complete: true });
    expect(reader.traceId).toBe(a.id);
    reader.close();
    expect(() => [...reader.frames()]).toThrow(/is closed/);
    expect((await TraceReader.open(path)).traceId).toBe(b.id);
  });

  test('a descriptor handed in is read through and left open', async () => {
    const fd = openSync(a.path, 'r');
    const reader = await TraceReader.open({ fd, path: 'the trace' });
    expect(reader.file).toEqual({ fd, path: 'the trace' });
    expect([...msgpackEvents(reader)]).toEqual(EVENTS);
    reader.close();
    expect(fstatSync(fd).size).toBe(a.file.length); // still open
    closeSync(fd);
  });

  test('a FIFO is refused at once (opening it does not wait for a writer)', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(TraceReader.open(fifo)).rejects.toThrow(`cannot read trace ${fifo}: it is a FIFO (pipe), not a regular file (save the trace to a file first)`);
  });
});
