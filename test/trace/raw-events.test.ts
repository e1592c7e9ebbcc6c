// EVENTS frames stored raw (TraceWriter's rawEventBytes; a recording's first 512 KiB of events, see
// src/record/pipeline.ts RAW_EVENT_BYTES): frames are raw while the events so far fit the allowance, compressed from
// the first frame that does not fit on; readers read both alike.
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import { RAW_EVENT_BYTES } from '../../src/record/pipeline.js';
import { record } from '../../src/record/record.js';
import { replay } from '../../src/replay/replay.js';
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { guestPath } from '../helpers.js';
import { msgpackEvents, readBytes, tempDir, walkBlocks } from './helpers.js';

const dir = tempDir();
const packr = new Packr({ useRecords: false });
const PREFIX = 20;

describe('raw event frames', () => {
  test('frames are raw while the events fit rawEventBytes, then all compressed; the events read back the same', async () => {
    const path = join(dir, 'raw.bin');
    const writer = await TraceWriter.create(path, { tool: 'test' }, new Uint8Array(8), { rawEventBytes: 3 * 1000 + 3 * PREFIX + 10 });
    const events: unknown[] = [];
    // Five frames of 1000 bytes of events each (a 1000-byte binary value is one event of 1003 bytes).
    for (let f = 0; f < 5; f++) {
      const e = new Uint8Array(997).fill(f + 1);
      events.push(Buffer.from(e));
      writer.appendEvents(packr.pack(e), 1);
      writer.flush();
    }
    // A small frame after a compressed one is compressed too.
    events.push(7);
    writer.appendEvents(packr.pack(7), 1);
    writer.finish({ exit: 0 });
    const frames = walkBlocks(readBytes(path)).filter((b) => b.type === 3);
    expect(frames.map((b) => b.rawLength)).toEqual([1020, 1020, 1020, 1020, 1020, 21]);
    expect(frames.map((b) => b.codec)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(frames.slice(0, 3).every((b) => b.storedLength === b.rawLength)).toBe(true);
    const reader = await TraceReader.open(path);
    expect([...msgpackEvents(reader)]).toEqual(events);
    expect(reader.footerMap).toMatchObject({ rawBytes: 5 * 1020 + 21 });
    reader.close();
  });

  test('a recording stores its first frames raw (hello: all of them), and replays from them', async () => {
    expect(RAW_EVENT_BYTES).toBe(512 << 10);
    const trace = join(dir, 'hello.bin');
    await record({ module: guestPath('hello'), output: trace, stdout: () => {}, stderr: () => {}, stdin: new Uint8Array(0) });
    const frames = walkBlocks(readBytes(trace)).filter((b) => b.type === 3);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((b) => b.codec === 0)).toBe(true);
    const out: Buffer[] = [];
    const r = await replay({ trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {} });
    expect(r.end).toEqual({ kind: 'exit', code: 0 });
    expect(Buffer.concat(out).toString()).toBe('hello, world\n');
  });
});
