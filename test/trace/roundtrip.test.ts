import { existsSync, readdirSync, readFileSync, truncateSync, appendFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Packr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import { TraceReader, TraceError, type TraceFrame } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { msgpackEvents, randomish, readBytes, sameBytes, tempDir, walkBlocks } from './helpers.js';

const dir = tempDir();
let serial = 0;
const fresh = (name = 'trace.bin'): string => join(dir, `${++serial}-${name}`);
const packr = new Packr({ useRecords: false });

function frameList(reader: TraceReader): TraceFrame[] {
  return [...reader.frames()];
}

describe('round trip', () => {
  test('header, a 2.5 MiB module in 3 chunks, 100k events over several frames, footer', async () => {
    const path = fresh();
    const module = randomish(2.5 * 1024 * 1024, 7);
    const header = {
      tool: 'wasi-trace 0.1.0',
      argv: ['app.wasm', '--flag'],
      env: { A: '1' },
      sha256: new Uint8Array(32).fill(9),
      big: 2n ** 64n - 1n,
      nested: { list: [1, 2.5, null, true, 'x'] },
    };
    const writer = await TraceWriter.create(path, header, module, { frameBytes: 256 * 1024 });
    const N = 100_000;
    let batch: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      const event = { i, fn: i % 7, t: 1_732_340_000_000_000_000n + BigInt(i) * 1000n, r: i % 3 === 0 ? 0 : 28 };
      if (i < 50_000) {
        writer.appendEvents(packr.pack(event), 1);
      } else {
        batch.push(packr.pack(event));
        if (batch.length === 100) {
          writer.appendEvents(Buffer.concat(batch), batch.length);
          batch = [];
        }
      }
    }
    expect(writer.eventCount).toBe(N);
    writer.finish({ exit: 0, events: 'overridden', note: 'kept' });
    expect(writer.frameCount).toBeGreaterThanOrEqual(5);

    const file = readBytes(path);
    const blocks = walkBlocks(file);
    expect(blocks.map((b) => b.type).slice(0, 4)).toEqual([1, 2, 2, 2]);
    expect(blocks.filter((b) => b.type === 2).map((b) => [b.count, b.rawLength])).toEqual([
      [0, 1 << 20],
      [1, 1 << 20],
      [2, 512 * 1024],
    ]);
    // frames and (version 3) module chunks are compressed; the header and footer are stored raw
    expect(blocks.map((b) => b.codec)).toEqual(blocks.map((b) => (b.type === 2 || b.type === 3 ? 1 : 0)));
    const eventBlocks = blocks.filter((b) => b.type === 3);
    expect(eventBlocks.length).toBe(writer.frameCount);
    // 256 KiB of events and the 20-byte prefix (trace id, sequence number)
    expect(eventBlocks.every((b) => b.rawLength <= 256 * 1024 + 20)).toBe(true);
    expect(blocks.at(-1)!.type).toBe(4);
    expect(blocks.at(-1)!.end).toBe(file.length - 16);
    expect(Buffer.from(file.subarray(0, 16)).toString('hex')).toBe('7761736974726300' + '0600' + '0000' + '00000000');
    expect(Buffer.from(file.subarray(file.length - 8)).toString('latin1')).toBe('wtrcend\0');

    const reader = await TraceReader.open(path);
    expect(reader.version).toBe(6);
    expect(reader.path).toBe(path);
    expect(reader.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(reader.traceId).toBe(writer.traceId);
    expect(reader.headerMap).toEqual({ ...header, sha256: Buffer.from(header.sha256), traceId: writer.traceId });
    expect(typeof reader.headerMap.big).toBe('bigint');
    expect(sameBytes(reader.module, module)).toBe(true);
    const moduleBlocks = blocks.filter((b) => b.type === 2);
    expect(reader.moduleStorage).toEqual({
      storedBytes: moduleBlocks.reduce((s, b) => s + b.storedLength, 0), rawBytes: module.length, chunks: 3, compressed: true,
    });
    // The footer is there right after open, through the trailer.
    const footer = reader.footerMap!;
    expect(footer.exit).toBe(0);
    expect(footer.note).toBe('kept');
    expect(footer.events).toBe(N);
    expect(footer.frames).toBe(eventBlocks.length);
    expect(footer.index).toEqual(eventBlocks.map((b) => b.offset));
    expect(footer.rawBytes).toBe(eventBlocks.reduce((s, b) => s + b.rawLength, 0));
    expect(footer.storedBytes).toBe(eventBlocks.reduce((s, b) => s + b.storedLength, 0));
    expect(footer.traceId).toBe(writer.traceId);
    expect(reader.ending).toEqual({ complete: true });

    const frames = frameList(reader);
    expect(frames.map((f) => f.offset)).toEqual(footer.index);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    // Each frame's raw payload is the prefix (the trace id, the sequence number) and then the events.
    expect(frames.map((f) => f.rawLength - f.payload.length)).toEqual(frames.map(() => 20));
    expect(frames.reduce((s, f) => s + f.count, 0)).toBe(N);

    let i = 0;
    for (const e of msgpackEvents(reader)) {
      const ev = e as { i: number; t: bigint; r: number; fn: number };
      if (ev.i !== i || ev.t !== 1_732_340_000_000_000_000n + BigInt(i) * 1000n || ev.fn !== i % 7) {
        throw new Error(`event ${i} came back as ${JSON.stringify(ev, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
      }
      i++;
    }
    expect(i).toBe(N);
    expect(reader.ending).toEqual({ complete: true });
  });

  test('u64 values stay exact bigints, numbers stay numbers, binary comes back as bytes', async () => {
    const path = fresh();
    const writer = await TraceWriter.create(path, {}, new Uint8Array(0));
    const values = [
      { u64: 2n ** 64n - 1n, i64: -(2n ** 63n), small: 5n, num: 2 ** 53 - 1, neg: -1, f: 0.5 },
      { data: Uint8Array.of(0, 1, 2, 255), empty: new Uint8Array(0), s: 'é✓' },
      [1, 'two', null],
      42,
    ];
    writer.appendEvents(Buffer.concat(values.map((v) => packr.pack(v))), values.length);
    writer.finish({});
    const reader = await TraceReader.open(path);
    expect(reader.module.length).toBe(0);
    const got = [...msgpackEvents(reader)] as [Record<string, unknown>, Record<string, unknown>, unknown, unknown];
    expect(got[0]).toEqual(values[0]);
    expect(typeof got[0].small).toBe('bigint');
    expect(typeof got[0].num).toBe('number');
    expect(got[1].data).toBeInstanceOf(Uint8Array);
    expect([...(got[1].data as Uint8Array)]).toEqual([0, 1, 2, 255]);
    expect((got[1].empty as Uint8Array).length).toBe(0);
    expect(got[1].s).toBe('é✓');
    expect(got[2]).toEqual([1, 'two', null]);
    expect(got[3]).toBe(42);
  });

  test('each frame decodes on its own: msgpackr records with a fresh sequential Packr per frame', async () => {
    const path = fresh();
    const writer = await TraceWriter.create(path, {}, new Uint8Array(10));
    let p = new Packr({ sequential: true });
    writer.appendEvents(Buffer.concat([p.pack({ fn: 'a', t: 1n }), p.pack({ fn: 'b', t: 2n })]), 2);
    writer.flush();
    p = new Packr({ sequential: true });
    // 0x40..0x7f are record references in msgpackr: after frame 1 defined records, a plain 64
    // in frame 2 must still read as 64.
    writer.appendEvents(Buffer.concat([p.pack(64), p.pack({ x: 1 }), p.pack(65)]), 3);
    writer.finish({});
    const reader = await TraceReader.open(path);
    expect([...msgpackEvents(reader)]).toEqual([{ fn: 'a', t: 1n }, { fn: 'b', t: 2n }, 64, { x: 1 }, 65]);
    expect(reader.footerMap!.frames).toBe(2);
  });

  test('a trace with no events, and a header larger than 1 MiB (stored raw)', async () => {
    const path = fresh();
    const blob = randomish(1_500_000, 11);
    const writer = await TraceWriter.create(path, { blob }, Uint8Array.of(0, 0x61, 0x73, 0x6d));
    writer.finish({ exit: 3 });
    expect(walkBlocks(readBytes(path))[0].codec).toBe(0);
    const reader = await TraceReader.open(path);
    expect(sameBytes(reader.headerMap.blob as Uint8Array, blob)).toBe(true);
    expect([...reader.module]).toEqual([0, 0x61, 0x73, 0x6d]);
    expect([...reader.frames()]).toEqual([]);
    expect(reader.footerMap).toMatchObject({ exit: 3, frames: 0, events: 0, index: [], rawBytes: 0, storedBytes: 0 });
    expect(reader.ending).toEqual({ complete: true });
  });

  test('frame boundaries: frameBytes, an event larger than frameBytes, flush', async () => {
    const path = fresh();
    const writer = await TraceWriter.create(path, {}, new Uint8Array(0), { frameBytes: 1000, level: 1 });
    const ev = (n: number): Uint8Array => packr.pack(new Uint8Array(n)); // bin8: n + 2 bytes, bin16: n + 3
    writer.appendEvents(ev(200), 1); // 202
    writer.appendEvents(ev(300), 1); // 505
    writer.appendEvents(ev(400), 1); // 908
    expect(writer.frameCount).toBe(0);
    expect(writer.pendingBytes).toBe(908);
    writer.appendEvents(ev(300), 1); // would exceed: frame 1 written, 303 pending
    expect(writer.frameCount).toBe(1);
    writer.appendEvents(ev(5000), 1); // larger than frameBytes: pending flushed, then its own frame
    expect(writer.frameCount).toBe(3);
    expect(writer.pendingBytes).toBe(0);
    writer.flush();
    writer.flush();
    expect(writer.frameCount).toBe(3);
    writer.appendEvents(ev(10), 1);
    writer.flush();
    expect(writer.frameCount).toBe(4);
    writer.appendEvents(new Uint8Array(0), 0); // nothing
    writer.finish({});
    const reader = await TraceReader.open(path);
    expect(frameList(reader).map((f) => [f.count, f.payload.length])).toEqual([
      [3, 908],
      [1, 303],
      [1, 5003],
      [1, 12],
    ]);
    expect(reader.footerMap!.events).toBe(6);
  });

  test('frame boundaries by events (frameEvents): a batch that would pass it starts the next frame; a larger batch is one frame', async () => {
    const path = fresh();
    const writer = await TraceWriter.create(path, {}, new Uint8Array(0), { frameEvents: 4, level: 1 });
    const batch = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i); // n fixints: n events
    writer.appendEvents(batch(2), 2);
    writer.appendEvents(batch(2), 2); // 4: still one frame
    expect(writer.frameCount).toBe(0);
    writer.appendEvents(batch(1), 1); // would make 5: frame 1 written
    expect(writer.frameCount).toBe(1);
    writer.appendEvents(batch(6), 6); // more than frameEvents in one batch: frame 2 written, this one pending whole
    writer.appendEvents(batch(1), 1);
    writer.finish({});
    const reader = await TraceReader.open(path);
    expect(frameList(reader).map((f) => f.count)).toEqual([4, 1, 6, 1]);
    reader.close();
  });

  test('writer rejects what the format cannot hold', async () => {
    await expect(TraceWriter.create(fresh(), {}, new Uint8Array(0), { level: 10 })).rejects.toThrow(/level 10/);
    await expect(TraceWriter.create(fresh(), {}, new Uint8Array(0), { level: 0 })).rejects.toThrow(/level 0/);
    await expect(TraceWriter.create(fresh(), {}, new Uint8Array(0), { frameBytes: (1 << 20) + 1 })).rejects.toThrow(/frame size/);
    await expect(TraceWriter.create(fresh(), {}, new Uint8Array(0), { frameBytes: 0 })).rejects.toThrow(/frame size/);
    const writer = await TraceWriter.create(fresh(), {}, new Uint8Array(0));
    expect(() => writer.appendEvents(new Uint8Array((1 << 20) + 1), 1)).toThrow(/larger than the trace format's 1 MiB frame limit/);
    expect(() => writer.appendEvents(new Uint8Array((1 << 20) + 1), 2)).toThrow(/never split/);
    expect(() => writer.appendEvents(new Uint8Array(3), 4)).toThrow(RangeError);
    expect(() => writer.appendEvents(new Uint8Array(3), 0)).toThrow(RangeError);
    expect(() => writer.appendEvents(new Uint8Array(0), 1)).toThrow(RangeError);
    expect(() => writer.appendEvents(new Uint8Array(3), 1.5)).toThrow(RangeError);
    // Exactly 1 MiB is fine.
    writer.appendEvents(new Uint8Array(1 << 20), 1);
    expect(writer.frameCount).toBe(1);
    writer.finish({});
    expect(() => writer.appendEvents(Uint8Array.of(1), 1)).toThrow(/finished/);
    expect(() => writer.finish({})).toThrow(/finished/);
    writer.abandon(); // no-op once finished
    expect(existsSync(writer.path)).toBe(true);
  });
});

describe('atomic replacement', () => {
  test('the final path appears only at finish; the temp file sits beside it', async () => {
    const path = fresh();
    const writer = await TraceWriter.create(path, { a: 1 }, randomish(1000, 1));
    expect(dirname(writer.tempPath)).toBe(dirname(writer.path));
    expect(basename(writer.tempPath)).toBe(`.${basename(path)}.${process.pid}.tmp`);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(writer.tempPath)).toBe(true);
    writer.appendEvents(packr.pack({ x: 1 }), 1);
    writer.flush();
    expect(existsSync(path)).toBe(false);
    writer.finish({});
    expect(existsSync(path)).toBe(true);
    expect(existsSync(writer.tempPath)).toBe(false);
    expect(readdirSync(dir).some((n) => n.startsWith(`.${basename(path)}.`))).toBe(false);
  });

  test('an existing file is replaced only at finish', async () => {
    const path = fresh();
    writeFileSync(path, 'old contents');
    const writer = await TraceWriter.create(path, { a: 2 }, new Uint8Array(0));
    writer.appendEvents(packr.pack('hello'), 1);
    writer.flush();
    expect(readFileSync(path, 'utf8')).toBe('old contents');
    writer.finish({});
    const reader = await TraceReader.open(path);
    expect(reader.headerMap).toEqual({ a: 2, traceId: writer.traceId });
    expect([...msgpackEvents(reader)]).toEqual(['hello']);
  });

  test('two writers for the same target in one process get different temp files', async () => {
    const path = fresh();
    const a = await TraceWriter.create(path, { w: 'a' }, new Uint8Array(0));
    const b = await TraceWriter.create(path, { w: 'b' }, new Uint8Array(0));
    expect(a.tempPath).not.toBe(b.tempPath);
    a.finish({});
    b.finish({});
    expect((await TraceReader.open(path)).headerMap).toEqual({ w: 'b', traceId: b.traceId });
    expect(a.traceId).not.toBe(b.traceId);
  });

  test('abandon deletes the temp file and leaves the target alone', async () => {
    const path = fresh();
    writeFileSync(path, 'keep me');
    const writer = await TraceWriter.create(path, {}, new Uint8Array(100));
    writer.appendEvents(packr.pack(1), 1);
    writer.abandon();
    writer.abandon();
    expect(existsSync(writer.tempPath)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
    expect(() => writer.appendEvents(packr.pack(1), 1)).toThrow(/abandoned/);
  });
});

describe('a recording cut short', () => {
  async function killedRecording(): Promise<{ writer: TraceWriter; module: Uint8Array }> {
    const module = randomish(1_200_000, 5); // two MODULE chunks
    const writer = await TraceWriter.create(fresh(), { run: 'killed' }, module, { frameBytes: 1024 });
    for (let i = 0; i < 2000; i++) writer.appendEvents(packr.pack({ i }), 1);
    // No finish(): as after SIGKILL, the temp file holds every completed frame.
    return { writer, module };
  }

  test('a temp file without a footer reads up to its last complete frame', async () => {
    const { writer, module } = await killedRecording();
    const framesWritten = writer.frameCount;
    expect(framesWritten).toBeGreaterThan(3);
    const reader = await TraceReader.open(writer.tempPath);
    expect(reader.footerMap).toBeUndefined();
    expect(reader.headerMap).toEqual({ run: 'killed', traceId: writer.traceId });
    expect(sameBytes(reader.module, module)).toBe(true);
    expect(reader.ending).toMatchObject({ complete: false, reason: 'no footer (recording was cut short)' });
    const events = [...msgpackEvents(reader)] as { i: number }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(2000); // the pending frame was never written
    expect(events.map((e) => e.i)).toEqual([...Array(events.length).keys()]);
    const size = readBytes(writer.tempPath).length;
    expect(reader.ending).toEqual({ complete: false, offset: size, reason: 'no footer (recording was cut short)' });
    writer.abandon();
  });

  test('a partial last frame is ignored and reported', async () => {
    const { writer } = await killedRecording();
    const file = readBytes(writer.tempPath);
    const blocks = walkBlocks(file);
    const last = blocks.at(-1)!;
    expect(last.type).toBe(3);
    truncateSync(writer.tempPath, last.offset + 20 + 5);
    const reader = await TraceReader.open(writer.tempPath);
    const frames = frameList(reader);
    expect(frames.length).toBe(blocks.filter((b) => b.type === 3).length - 1);
    expect(reader.ending).toEqual({
      complete: false,
      offset: last.offset,
      reason: 'file ends inside a frame (recording was cut short)',
    });
    truncateSync(writer.tempPath, last.offset + 7);
    const r2 = await TraceReader.open(writer.tempPath);
    frameList(r2);
    expect(r2.ending).toEqual({ complete: false, offset: last.offset, reason: 'file ends inside a block header (recording was cut short)' });
    writer.abandon();
  });

  test('a tail of zero bytes (as a crash may leave) is the end of the trace, not corruption', async () => {
    const { writer } = await killedRecording();
    const size = readBytes(writer.tempPath).length;
    appendFileSync(writer.tempPath, new Uint8Array(10_000));
    const reader = await TraceReader.open(writer.tempPath);
    const n = frameList(reader).length;
    expect(n).toBe(writer.frameCount);
    expect(reader.ending).toMatchObject({ complete: false, offset: size });
    expect((reader.ending as { reason: string }).reason).toMatch(/zero bytes/);
    appendFileSync(writer.tempPath, Uint8Array.of(1));
    const r2 = await TraceReader.open(writer.tempPath);
    expect(() => frameList(r2)).toThrow(TraceError);
    writer.abandon();
  });

  test('the reader can follow a recording in progress', async () => {
    const writer = await TraceWriter.create(fresh(), {}, new Uint8Array(0), { frameBytes: 100 });
    const reader = await TraceReader.open(writer.tempPath);
    expect(frameList(reader)).toEqual([]);
    for (let i = 0; i < 100; i++) writer.appendEvents(packr.pack(i), 1);
    expect([...msgpackEvents(reader)].length).toBe(100);
    writer.abandon();
  });
});
