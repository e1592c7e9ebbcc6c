// cli/prewarm.ts: which traces `replay` reads without a reader thread.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SMALL_TRACE_BYTES, smallTrace } from '../../cli/prewarm.js';
import { BLOCK_EVENTS, BLOCK_HEADER, BLOCK_HEADER_SIZE, BLOCK_MODULE, PREAMBLE_SIZE, writeBlockHeader } from '../../src/trace/format.js';
import { tempDir } from '../trace/helpers.js';

describe('smallTrace', () => {
  it('takes regular files of at most SMALL_TRACE_BYTES, not larger ones, directories or missing paths', async () => {
    const dir = tempDir();
    const at = (name: string, size: number) => { const p = join(dir, name); fs.writeFileSync(p, Buffer.alloc(size)); return p; };
    expect(await smallTrace(at('small.bin', 100))).toBe(true);
    expect(await smallTrace(at('limit.bin', SMALL_TRACE_BYTES))).toBe(true);
    expect(await smallTrace(at('large.bin', SMALL_TRACE_BYTES + 1))).toBe(false);
    expect(await smallTrace(dir)).toBe(false);
    expect(await smallTrace(join(dir, 'missing.bin'))).toBe(false);
  });

  it("does not count the trace's module: only what follows it (the frames and footer)", async () => {
    const dir = tempDir();
    /** A file laid out as a trace: preamble, header block, module chunks of `chunks` stored bytes, then `rest` bytes. */
    const trace = (name: string, chunks: number[], rest: number, firstType = BLOCK_HEADER): string => {
      const blocks = [{ type: firstType, stored: 40 }, ...chunks.map((n) => ({ type: BLOCK_MODULE, stored: n })), { type: BLOCK_EVENTS, stored: rest - BLOCK_HEADER_SIZE }];
      const parts = [Buffer.alloc(PREAMBLE_SIZE)];
      for (const b of blocks) {
        const head = Buffer.alloc(BLOCK_HEADER_SIZE);
        writeBlockHeader(head, 0, { type: b.type, codec: 0, reserved: 0, storedLength: b.stored, rawLength: b.stored, crc: 0, count: 0 });
        parts.push(head, Buffer.alloc(b.stored));
      }
      const p = join(dir, name);
      fs.writeFileSync(p, Buffer.concat(parts));
      return p;
    };
    expect(await smallTrace(trace('big-module.bin', [1 << 20, 1 << 20, 5000], SMALL_TRACE_BYTES))).toBe(true);
    expect(await smallTrace(trace('big-frames.bin', [1 << 20, 5000], SMALL_TRACE_BYTES + 1))).toBe(false);
    // Not laid out as a trace (its first block is no header block): the whole file counts.
    expect(await smallTrace(trace('no-header.bin', [SMALL_TRACE_BYTES, 5000], 1000, BLOCK_EVENTS))).toBe(false);
  });
});
