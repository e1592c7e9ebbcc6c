// A trace renamed over (atomically replaced by another) while it is replayed: the replay reads everything through
// the one descriptor it opened, on this thread and on its frame reader thread, so it never mixes the footer of one
// file with the events of the other (which reported a false divergence).
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { record } from '../../src/record/record.js';
import { PrefetchedFrames, prefetchWorkerUrl } from '../../src/replay/prefetch.js';
import { replay } from '../../src/replay/replay.js';
import { TraceError, TraceReader } from '../../src/trace/reader.js';
import { initZstd } from '../../src/trace/zstd.js';
import { guestPath } from '../helpers.js';
import { assemble, readBytes, tempDir, traceParts } from '../trace/helpers.js';

const dir = tempDir();

/** Two recordings of clock_random (different clock and random values), and what replaying each prints. */
const runs: { path: string; stdout: string }[] = [];

async function replayed(trace: string, options: Partial<Parameters<typeof replay>[0]> = {}) {
  const out: Buffer[] = [];
  const r = await replay({ trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {}, ...options });
  return { ...r, stdout: Buffer.concat(out).toString() };
}

beforeAll(async () => {
  await initZstd();
  for (const name of ['a', 'b']) {
    const path = join(dir, `${name}.bin`);
    await record({ module: guestPath('clock_random'), output: path, stdout: () => {}, stderr: () => {} });
    runs.push({ path, stdout: (await replayed(path)).stdout });
  }
  expect(runs[0]!.stdout).not.toBe(runs[1]!.stdout);
}, 60_000);

/** `trace` copied to a fresh name (which the test then replaces), and another file to rename over it. */
function place(name: string, trace: string, other: string): { path: string; replacement: string } {
  const path = join(dir, `${name}.bin`);
  const replacement = join(dir, `${name}.other.bin`);
  copyFileSync(trace, path);
  copyFileSync(other, replacement);
  return { path, replacement };
}

describe('a trace replaced while it is read', () => {
  it('the frame reader thread reads the file the replay opened, not the one now at its path', async () => {
    const { path, replacement } = place('prefetch', runs[0]!.path, runs[1]!.path);
    const reader = await TraceReader.open(path);
    const own = [...reader.frames()].map((f) => Buffer.from(f.payload).toString('hex'));
    renameSync(replacement, path);
    const prefetched = await PrefetchedFrames.start(reader.file, reader.traceId);
    try {
      expect([...prefetched.frames()].map((f) => Buffer.from(f.payload).toString('hex'))).toEqual(own);
      expect(prefetched.ending).toEqual({ complete: true });
    } finally {
      await prefetched.close();
      reader.close();
    }
  });

  it('the frame reader thread refuses a file that is not the trace the replay read', async () => {
    const reader = await TraceReader.open(runs[0]!.path);
    const prefetched = await PrefetchedFrames.start(reader.file, '0'.repeat(32));
    try {
      expect(() => [...prefetched.frames()]).toThrow(TraceError);
    } finally {
      await prefetched.close();
      reader.close();
    }
  });

  it('a replay whose trace is renamed over after it was opened replays the trace it opened (with and without a reader thread)', async () => {
    // A header whose compiler tier differs makes the replay warn right after it opened the trace and loaded its
    // module, before it starts reading frames: the moment the trace is replaced.
    const parts = traceParts(readBytes(runs[0]!.path));
    const engine = { ...(parts.header.engine as object), tiering: 'another tier' };
    const warned = join(dir, 'warned.bin');
    writeFileSync(warned, assemble({ ...parts, header: { ...parts.header, engine } }));
    for (const prefetch of [undefined, new Worker(prefetchWorkerUrl)]) {
      const { path, replacement } = place('replay', warned, runs[1]!.path);
      let replaced = false;
      const r = await replayed(path, { prefetch, onWarning: () => { renameSync(replacement, path); replaced = true; } });
      expect(replaced).toBe(true);
      expect(r).toMatchObject({ complete: true, end: { kind: 'exit', code: 0 }, prefetched: prefetch !== undefined });
      expect(r.stdout).toBe(runs[0]!.stdout);
      expect((await TraceReader.open(path)).traceId).not.toBe(parts.header.traceId); // it was replaced
    }
  });
});
