// recordOnThread hands the guest thread its module only once zstd is ready: compiling a guest for V8's baseline
// tier sets a process-wide V8 flag, and a zstd compiled meanwhile would compress with baseline code (2-3x slower)
// for the whole recording. Its subjects are loaded afresh (vi.resetModules), so that zstd is not started yet whatever
// test files ran before in this worker (the suite does not isolate files).
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import type { GuestSetup } from '../../src/record/setup.js';
import { guestPath } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

vi.resetModules();
const { recordOnThread } = await import('../../src/record/pipeline.js');
const { guestSetup } = await import('../../src/record/setup.js');
const { zstdReady } = await import('../../src/trace/zstd.js');

describe('the recording pipeline and zstd', () => {
  it('posts the guest thread its module only after zstd is ready', async () => {
    expect(zstdReady()).toBe(false);
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
    expect(readyAtStart).toBe(true);
  });
});
