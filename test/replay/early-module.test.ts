// The CLI's early compile of a replay's module (src/replay/early-module.ts, started by cli/prewarm.ts): from the
// module cache only, for the trace's recorded tier (or --optimize's), and taken by the replay only for that very
// file and tier.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EARLY_MIN_BYTES, fileIdentity, startEarlyModule, type EarlyModule } from '../../src/replay/early-module.js';
import { replay } from '../../src/replay/replay.js';
import { record } from '../../src/record/record.js';
import { TraceReader } from '../../src/trace/reader.js';
import { guestPath, paddedGuest } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

const dir = tempDir();

async function recorded(name: string, module: Uint8Array): Promise<{ trace: string; out: string; sha256: string; tiering?: string }> {
  const trace = join(dir, name);
  const out: Buffer[] = [];
  await record({ module, output: trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {}, stdin: new Uint8Array(0) });
  const reader = await TraceReader.open(trace, { module: 'skip' });
  const { sha256 } = reader.header.module;
  const { tiering } = reader.header.engine;
  reader.close();
  return { trace, out: Buffer.concat(out).toString(), sha256, tiering };
}

async function replayed(trace: string, early?: EarlyModule): Promise<string> {
  const out: Buffer[] = [];
  const r = await replay({ trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {}, ...(early && { early: Promise.resolve(early) }) });
  expect(r.complete).toBe(true);
  return Buffer.concat(out).toString();
}

describe('the early module', () => {
  it('comes from the module cache only, for a large module, at the recorded tier or the optimizing one', async () => {
    const { trace, out, sha256, tiering } = await recorded('large.bin', paddedGuest('hello', EARLY_MIN_BYTES));
    expect(tiering === 'baseline' || tiering === 'optimizing').toBe(true);
    expect(startEarlyModule(trace, false)).toBeUndefined(); // not in the module cache yet
    expect(await replayed(trace)).toBe(out); // which keeps it there
    const early = startEarlyModule(trace, false)!;
    expect(early).toMatchObject({ sha256, tier: tiering, file: fileIdentity(statSync(trace)) });
    expect(await early.compiled).toBeInstanceOf(WebAssembly.Module);
    expect(startEarlyModule(trace, true)?.tier).toBe('optimizing');
    expect(startEarlyModule(join(dir, 'missing.bin'), false)).toBeUndefined();
    const small = await recorded('small.bin', paddedGuest('hello', 1000));
    await replayed(small.trace);
    expect(startEarlyModule(small.trace, false)).toBeUndefined(); // compiles fast enough where it is needed
  });

  it('is taken only for its very file and tier', async () => {
    const { trace, out, tiering } = await recorded('taken.bin', paddedGuest('hello', EARLY_MIN_BYTES + 100));
    await replayed(trace);
    const early = startEarlyModule(trace, false)!;
    await early.compiled;
    // Its compile stands in for another module's: a replay that takes it runs that one, whose imports differ.
    const other = { ...early, compiled: WebAssembly.compile(readFileSync(guestPath('clock_random'))) };
    await expect(replayed(trace, other)).rejects.toThrow(/lists other imports than the module in the trace has/);
    // For another tier, or another file, it is left (the trace's own module is compiled).
    expect(await replayed(trace, { ...other, tier: tiering === 'baseline' ? 'optimizing' : 'baseline' })).toBe(out);
    expect(await replayed(trace, { ...other, file: { ...other.file, ino: other.file.ino + 1 } })).toBe(out);
    expect(await replayed(trace, early)).toBe(out);
  });
});
