// A recording starts zstd only when it first compresses a block, never before or during the guest's compile:
// compiling a guest for V8's baseline tier sets a process-wide V8 flag (src/engine.ts), and a zstd compiled
// meanwhile would compress with baseline code (2-3x slower) for the whole recording. Each test loads its subjects
// afresh (vi.resetModules), so that zstd is not started yet whatever ran before in this worker (the suite does not
// isolate files).
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GuestSetup } from '../../src/record/setup.js';
import { guestPath } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

/** The modules under test, loaded afresh: zstd not started. */
async function fresh() {
  vi.resetModules();
  return {
    ...await import('../../src/record/pipeline.js'), ...await import('../../src/record/setup.js'),
    ...await import('../../src/engine.js'), ...await import('../../src/trace/writer.js'), ...await import('../../src/trace/zstd.js'),
  };
}

afterEach(() => { vi.restoreAllMocks(); });

describe('the recording pipeline and zstd', () => {
  it('compiles the guest for the baseline tier and posts it to the guest thread without starting zstd', async () => {
    const { recordOnThread, guestSetup, setTiering, zstdReady } = await fresh();
    expect(zstdReady()).toBe(false);
    setTiering('baseline');
    // zstd's state each time the baseline flag is set and cleared: it must not start in between.
    const atFlags: [string, boolean][] = [];
    const setFlags = v8.setFlagsFromString.bind(v8);
    vi.spyOn(v8, 'setFlagsFromString').mockImplementation((flags: string) => { atFlags.push([flags, zstdReady()]); setFlags(flags); });
    let readyAtStart: boolean | undefined;
    // A stand-in for the guest thread: notes whether zstd was ready when it got its module, then fails at once.
    const fake = Object.assign(new EventEmitter(), {
      ref() {}, unref() {}, terminate: async () => 0,
      postMessage(m: { type: string }) {
        if (m.type !== 'compiled') return; // its start comes first, before the module is compiled
        readyAtStart = zstdReady();
        setImmediate(() => fake.emit('message', { type: 'fail', message: 'stand-in guest thread', user: true }));
      },
    });
    const bytes = readFileSync(guestPath('hello'));
    const run = recordOnThread({
      setup: guestSetup({ module: bytes }) as GuestSetup, module: { name: 'hello.wasm', bytes },
      output: join(tempDir(), 'trace.bin'), level: 1, worker: fake as unknown as Worker,
    });
    await expect(run).rejects.toThrow('stand-in guest thread');
    expect(atFlags).toEqual([['--liftoff-only', false], ['--no-liftoff-only', false]]);
    expect(readyAtStart).toBe(false);
  });

  it('starts zstd at the first block a writer compresses, not for blocks stored raw', async () => {
    const { TraceWriter, zstdReady } = await fresh();
    expect(zstdReady()).toBe(false);
    const dir = tempDir();
    const raw = await TraceWriter.create(join(dir, 'raw.bin'), { tool: 'test' }, new Uint8Array(0), { rawEventBytes: 1 << 20 });
    raw.appendEvents(Uint8Array.of(0x01, 0x02), 2);
    raw.finish({ calls: 2 });
    expect(zstdReady()).toBe(false);
    const packed = await TraceWriter.create(join(dir, 'packed.bin'), { tool: 'test' }, new Uint8Array(0));
    expect(zstdReady()).toBe(false);
    packed.appendEvents(Uint8Array.of(0x01, 0x02), 2);
    packed.flush();
    expect(zstdReady()).toBe(true);
    packed.finish({ calls: 2 });
  });
});
