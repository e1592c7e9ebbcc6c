// Golden traces: every future version must keep reading the traces committed in traces/ (format version 1).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/replay/replay.js';
import { EventDecoder } from '../../src/trace/events.js';
import { TraceReader } from '../../src/trace/reader.js';
import { initZstd } from '../../src/trace/zstd.js';

const golden = (name: string) => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));

async function replayed(name: string) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const r = await replay({ trace: golden(name), verify: true, stdout: (b) => out.push(Buffer.from(b)), stderr: (b) => err.push(Buffer.from(b)) });
  return { ...r, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('golden traces (format version 1)', () => {
  it('hello-v1.bin replays to the recorded output and memory', async () => {
    const r = await replayed('hello-v1.bin');
    expect(r).toMatchObject({ end: { kind: 'exit', code: 0 }, complete: true, verified: true, stdout: 'hello, world\n', stderr: 'hello, stderr\n' });
  });

  it('clock_random-v1.bin replays the recorded clock and random values', async () => {
    const r = await replayed('clock_random-v1.bin');
    expect(r.stdout).toBe(readFileSync(golden('clock_random-v1.stdout'), 'utf8'));
    expect(r).toMatchObject({ end: { kind: 'exit', code: 0 }, complete: true, verified: true });
  });

  it('their header, footer and events decode', async () => {
    await initZstd();
    const reader = await TraceReader.open(golden('clock_random-v1.bin'));
    expect(reader.version).toBe(1);
    expect(reader.header).toMatchObject({ tool: 'wasi-trace', argv: ['test/guests/clock_random.wasm'], env: ['GREETING=hi'], runtime: 'builtin' });
    expect((reader.header.module as { size: number }).size).toBe(reader.module.length);
    const decoder = new EventDecoder();
    let calls = 0;
    for (const f of reader.frames()) calls += decoder.decodeFrame(f.payload).length;
    expect(reader.footer).toMatchObject({ calls, end: { kind: 'exit', code: 0 } });
    expect(calls).toBeGreaterThan(1000);
  });
});
