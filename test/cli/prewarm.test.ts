// cli/prewarm.ts: which traces `replay` reads without a reader thread; the module `record` reads and compiles early.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prewarmModule, recordModuleGuess, SMALL_TRACE_BYTES, smallTrace, takeEarlyModule } from '../../cli/prewarm.js';
import { guestPath } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

describe('smallTrace', () => {
  it('takes regular files of at most SMALL_TRACE_BYTES, not larger ones, directories or missing paths', () => {
    const dir = tempDir();
    const at = (name: string, size: number) => { const p = join(dir, name); fs.writeFileSync(p, Buffer.alloc(size)); return p; };
    expect(smallTrace(at('small.bin', 100))).toBe(true);
    expect(smallTrace(at('limit.bin', SMALL_TRACE_BYTES))).toBe(true);
    expect(smallTrace(at('large.bin', SMALL_TRACE_BYTES + 1))).toBe(false);
    expect(smallTrace(dir)).toBe(false);
    expect(smallTrace(join(dir, 'missing.bin'))).toBe(false);
  });
});

describe("record's early module", () => {
  const dir = tempDir();
  const hello = guestPath('hello');
  const trace = join(dir, 'trace.bin');
  fs.writeFileSync(trace, 'not a module');

  it('guesses the module path: the first word after record that names a wasm file, flags and their values skipped', () => {
    expect(recordModuleGuess(['record', '-o', trace, '--dir', dir, '--env', 'A=B', hello, 'x.wasm'])).toEqual({ path: hello, before: ['record', '-o', trace, '--dir', dir, '--env', 'A=B'] });
    expect(recordModuleGuess(['--optimize', 'record', hello])).toEqual({ path: hello, before: ['--optimize', 'record'] });
    expect(recordModuleGuess(['record', '--', hello])).toEqual({ path: hello, before: ['record', '--'] });
    // none for stdin, for a hunt, for another command, for no module
    expect(recordModuleGuess(['record', '-', hello])).toBeUndefined();
    expect(recordModuleGuess(['record', '--until-fail', hello])).toBeUndefined();
    expect(recordModuleGuess(['run', hello])).toBeUndefined();
    expect(recordModuleGuess(['record', join(dir, 'missing.wasm'), trace])).toBeUndefined();
  });

  it('is taken only for its own path and tier, once', async () => {
    await prewarmModule(['record', '-o', trace, hello]);
    const other = takeEarlyModule(hello, 'optimizing'); // compiled for the baseline tier: not this one
    expect(other.module).toBeUndefined();
    await expect(other.compiled).resolves.toBeUndefined();
    expect(takeEarlyModule(hello, 'baseline').module).toBeUndefined(); // given up already

    await prewarmModule(['record', hello]);
    const taken = takeEarlyModule(hello, 'baseline');
    expect(Buffer.from(taken.module!.bytes).equals(fs.readFileSync(hello))).toBe(true);
    expect(taken.module!.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(WebAssembly.Module.exports((await taken.compiled)!).map((e) => e.name)).toContain('_start');
  });

  it('gives no compiled module for bytes that do not compile', async () => {
    const bad = join(dir, 'bad.wasm');
    fs.writeFileSync(bad, Uint8Array.of(0, 0x61, 0x73, 0x6d, 9, 9, 9, 9));
    await prewarmModule(['record', bad]);
    const taken = takeEarlyModule(bad, 'baseline');
    expect(taken.module?.name).toBe(bad);
    await expect(taken.compiled).resolves.toBeUndefined();
  });
});
