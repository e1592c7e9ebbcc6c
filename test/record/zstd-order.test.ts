// recordOnThread hands the guest thread its module only once zstd is ready (and compiles it only once the thread has
// loaded: see the second describe): compiling a guest for V8's baseline
// tier sets a process-wide V8 flag, and a zstd compiled meanwhile would compress with baseline code (2-3x slower)
// for the whole recording. Its subjects are loaded afresh (vi.resetModules), so that zstd is not started yet whatever
// test files ran before in this worker (the suite does not isolate files).
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
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

describe('the guest compile and the guest thread', () => {
  it('waits for the guest thread to have loaded: its start goes out at once, the compile (and V8 flags) only after', async () => {
    const { setTiering } = await import('../../src/engine.js');
    setTiering('baseline');
    const setFlags = v8.setFlagsFromString.bind(v8);
    const flags: string[] = [];
    vi.spyOn(v8, 'setFlagsFromString').mockImplementation((f: string) => { flags.push(f); setFlags(f); });
    const posted: string[] = [];
    const fake = Object.assign(new EventEmitter(), {
      ref() {}, unref() {}, terminate: async () => 0,
      postMessage(m: { type: string }) {
        posted.push(m.type);
        if (m.type === 'compiled') setImmediate(() => fake.emit('message', { type: 'fail', message: 'stand-in guest thread', user: true }));
      },
    });
    let loaded!: () => void;
    const bytes = readFileSync(guestPath('hello'));
    const run = recordOnThread({
      setup: guestSetup({ module: bytes }) as GuestSetup, module: { name: 'hello.wasm', bytes },
      output: join(tempDir(), 'trace.bin'), level: 1, worker: fake as unknown as Worker, workerReady: new Promise((r) => { loaded = r; }),
    });
    // zstd is ready and the module bytes are there: without the wait, the compile would have set the flag by now
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    expect(posted).toEqual(['start']);
    expect(flags).toEqual([]);
    loaded();
    await expect(run).rejects.toThrow('stand-in guest thread');
    expect(posted).toEqual(['start', 'compiled']);
    expect(flags).toEqual(['--liftoff-only', '--no-liftoff-only']);
    setTiering('optimizing');
    vi.restoreAllMocks();
  });

  it('whenReady resolves on the ready message or the exit, not on other messages', async () => {
    const { whenReady } = await import('../../src/worker-url.js');
    const w = new EventEmitter();
    let done = false;
    const p = whenReady(w as unknown as Worker).then(() => { done = true; });
    w.emit('message', { type: 'header' });
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    w.emit('message', { type: 'ready' });
    await p;
    expect(w.listenerCount('message')).toBe(0);
    const gone = new EventEmitter();
    const q = whenReady(gone as unknown as Worker);
    gone.emit('exit', 1);
    await q;
    expect(gone.listenerCount('exit')).toBe(0);
  });
});
