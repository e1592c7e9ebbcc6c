// Format version 3: a recording stores its module compressed (zstd MODULE chunks), `info` says how the module is
// stored (compressed and raw size) for every version, and older traces (module stored raw) still replay.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestPath, repoRoot, wt } from '../helpers.js';
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { tempDir, walkBlocks } from './helpers.js';

const dir = tempDir();

describe('format version 3: the module compressed', () => {
  it('record writes version 6 (which stores the module as version 3 does) with zstd module chunks, and info shows the compressed and the raw size, and the memory hash', async () => {
    const trace = join(dir, 'clock_random.bin');
    const rec = await wt(['record', '-o', trace, guestPath('clock_random')]);
    expect(rec.status).toBe(0);
    const file = readFileSync(trace);
    expect(file.readUInt16LE(8)).toBe(6);
    const chunks = walkBlocks(file).filter((b) => b.type === 2);
    const size = readFileSync(guestPath('clock_random')).length;
    expect(chunks.map((c) => [c.codec, c.rawLength])).toEqual([[1, size]]); // one chunk: the module is < 1 MiB
    const stored = chunks[0]!.storedLength;
    expect(stored).toBeLessThan(size / 2);
    const reader = await TraceReader.open(trace);
    expect(Buffer.from(reader.module).equals(readFileSync(guestPath('clock_random')))).toBe(true);
    const memoryHash = reader.footer?.memoryHash;
    expect(memoryHash).toMatch(/^xxh64:[0-9a-f]{16}$/);
    reader.close();

    const info = await wt(['info', trace]);
    expect(info.status).toBe(0);
    expect(info.stdout).toContain(`format      version 6, `);
    expect(info.stdout).toMatch(new RegExp(`\\nmemory      \\d+ bytes at the end, xxh64 ${memoryHash!.slice('xxh64:'.length)}\\n`));
    expect(info.stdout).toContain(`(${size} bytes; compressed to ${stored} bytes, ${(size / stored).toFixed(2)}x)`);
    const json = JSON.parse((await wt(['info', '--json', '--quick', trace])).stdout) as { module: Record<string, unknown> };
    expect(json.module).toMatchObject({ size, storedBytes: stored, compressed: true });

    const replay = await wt(['replay', trace]);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toBe(rec.stdout);
  });

  it('syncWritten (the early fsync after a large module) leaves the trace as it was, and is refused once finished', async () => {
    const path = join(dir, 'synced.bin');
    const module = readFileSync(guestPath('clock_random'));
    const writer = await TraceWriter.create(path, { module: { name: 'm', size: module.length, sha256: '' }, imports: [] }, module);
    const before = writer.bytesWritten;
    expect(before).toBeGreaterThan(module.length / 4);
    writer.syncWritten();
    expect(writer.bytesWritten).toBe(before);
    expect(readFileSync(writer.tempPath).length).toBe(before);
    writer.appendEvents(Uint8Array.of(0x90), 1);
    writer.finish({ end: { kind: 'exit', code: 0 }, calls: 0 });
    expect(() => writer.syncWritten()).toThrow(/finished; syncWritten is not possible/);
    const reader = await TraceReader.open(path);
    expect(Buffer.from(reader.module).equals(module)).toBe(true);
    expect([...reader.frames()].map((f) => f.count)).toEqual([1]);
    reader.close();
  });

  it('a version 2 trace (module stored raw) says so, and still replays', async () => {
    const v2 = join(repoRoot, 'traces/hello-v2.bin');
    const info = await wt(['info', v2]);
    expect(info.stdout).toContain('format      version 2, ');
    expect(info.stdout).toContain('test/guests/hello.wasm (14062 bytes; stored uncompressed)');
    const json = JSON.parse((await wt(['info', '--json', v2])).stdout) as { module: Record<string, unknown> };
    expect(json.module).toMatchObject({ size: 14062, storedBytes: 14062, compressed: false });
    const replay = await wt(['replay', v2]);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toBe('hello, world\n');
  });
});
