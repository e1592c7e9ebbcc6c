// record() and replay() in-process: exact replay of clocks, randomness and non-WASI imports; divergence;
// corrupt and cut traces.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CHUNK_EVENTS } from '../../src/record/chunks.js';
import { record } from '../../src/record/record.js';
import { TraceReader } from '../../src/trace/reader.js';
import { replay, DivergenceError } from '../../src/replay/replay.js';
import { UserError } from '../../src/errors.js';
import { guestPath } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('rec');
const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString();

async function recordGuest(name: string, options: Partial<Parameters<typeof record>[0]> = {}) {
  const out: Uint8Array[] = [];
  const trace = join(dir, `${name}-${Math.random().toString(36).slice(2)}.bin`);
  const r = await record({ module: guestPath(name), output: trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {}, stdin: new Uint8Array(0), ...options });
  return { ...r, stdout: text(out) };
}

async function replayTrace(trace: string, options: Partial<Parameters<typeof replay>[0]> = {}) {
  const out: Uint8Array[] = [];
  const r = await replay({ trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {}, ...options });
  return { ...r, stdout: text(out) };
}

describe('record and replay in-process', () => {
  it('replays clock and random values exactly, many times over', async () => {
    const rec = await recordGuest('clock_random');
    expect(rec.stdout).toMatch(/random [0-9a-f]{32}\ntime \d+/);
    for (let i = 0; i < 5; i++) {
      const rep = await replayTrace(rec.trace, { verify: true });
      expect(rep.stdout).toBe(rec.stdout);
      expect(rep).toMatchObject({ end: { kind: 'exit', code: 0 }, complete: true, verified: true, calls: rec.calls });
    }
  });

  it('reproduces an exit code and a trap', async () => {
    const exit = await recordGuest('hello', { args: ['7'] });
    expect((await replayTrace(exit.trace)).end).toEqual({ kind: 'exit', code: 7 });
    const trap = await recordGuest('trap');
    const rep = await replayTrace(trap.trace);
    expect(rep.end).toEqual({ kind: 'trap', message: 'unreachable' });
    expect(rep.stdout).toBe('before trap\n');
  });

  it('records a module handed over as bytes, with no path', async () => {
    const rec = await recordGuest('hello', { module: new Uint8Array(readFileSync(guestPath('hello'))), moduleName: 'in-memory' });
    const rep = await replayTrace(rec.trace);
    expect(rep.stdout).toBe('hello, world\n');
  });

  it('records imports the schema does not know by arguments, results and the memory they changed', async () => {
    let memory: WebAssembly.Memory | undefined;
    const env = {
      add: (a: number, b: number) => a + b + ((Math.random() * 10) | 0),
      fill: (ptr: number, len: number) => {
        const bytes = new Uint8Array(memory!.buffer, ptr, len);
        for (let i = 0; i < len; i++) bytes[i] = 97 + ((Math.random() * 26) | 0);
      },
      big: () => 2n ** 40n + 3n,
    };
    const rec = await recordGuest('custom_import', { imports: { env }, onInstance: (i) => { memory = i.exports.memory as WebAssembly.Memory; } });
    expect(rec.stdout).toMatch(/^[a-z]{8}$/);
    expect(rec.end.kind === 'exit' && rec.end.code).toBeGreaterThanOrEqual(8);
    const rep = await replayTrace(rec.trace, { verify: true });
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.end).toEqual(rec.end);
  });

  it('stops with a divergence report when the module departs from the recording', async () => {
    const rec = await recordGuest('variant_a');
    const err = await replayTrace(rec.trace, { module: guestPath('variant_b') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    const report = (err as DivergenceError).report;
    expect(report.reason).toBe('fd_write was called with other data');
    expect(report.expected).toMatch(/^fd_write\(fd=1, iovs="variant A [0-9a-f]{8}\\n"\) = ESUCCESS \(nwritten=19\)$/);
    expect(report.actual).toMatch(/^fd_write\(fd=1, iovs="variant B [0-9a-f]{8}\\n"\)$/);
    expect(report.before.some((l) => /random_get\(buf="/.test(l))).toBe(true);
    expect(report.before.length).toBeLessThanOrEqual(5);
  });

  it('warns when --module differs and replays when it behaves the same', async () => {
    const rec = await recordGuest('hello');
    const warnings: string[] = [];
    const rep = await replayTrace(rec.trace, { module: guestPath('hello'), onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(rep.stdout).toBe('hello, world\n');
    const other = await replayTrace(rec.trace, { module: guestPath('args_env'), onWarning: (w) => warnings.push(w) }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(UserError);
  });

  it('leaves no temporary file and replaces an existing trace atomically', async () => {
    const target = join(dir, 'atomic.bin');
    writeFileSync(target, 'old contents');
    await record({ module: guestPath('hello'), output: target, stdout: () => {}, stderr: () => {} });
    expect(readFileSync(target).subarray(0, 7).toString()).toBe('wasitrc');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a truncated or bit-flipped trace gives a clear error or a clean early end, never a crash', async () => {
    const rec = await recordGuest('clock_random');
    const good = readFileSync(rec.trace);
    let seed = 12345;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    const bad = join(dir, 'bad.bin');
    for (let i = 0; i < 60; i++) {
      const bytes = Buffer.from(good);
      const cut = i % 2 === 0;
      const mutated = cut ? bytes.subarray(0, rand(bytes.length)) : bytes;
      if (!cut) mutated[rand(mutated.length)]! ^= 1 << rand(8);
      writeFileSync(bad, mutated);
      const r = await replayTrace(bad).then((x) => x, (e: unknown) => (e instanceof Error ? e : new Error(`not an Error: ${String(e)}`)));
      if (r instanceof Error) {
        expect(r, String(r)).toSatisfy((e: unknown) => e instanceof UserError || e instanceof DivergenceError);
        expect(r.message.split('\n')[0]!.length).toBeGreaterThan(0);
      } else {
        expect(r.stdout.length).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('prefetching frames on a worker thread replays the same, and reports a corrupt frame by its offset', async () => {
    const rec = await recordGuest('storm', { args: ['300000'] });
    // a frame holds at most CHUNK_EVENTS calls, though these take a few bytes each
    const reader = await TraceReader.open(rec.trace);
    const counts = [...reader.frames()].map((f) => f.count);
    reader.close();
    expect(counts.length).toBeGreaterThanOrEqual(Math.ceil(300_000 / CHUNK_EVENTS));
    expect(Math.max(...counts)).toBeLessThanOrEqual(CHUNK_EVENTS);
    const plain = await replayTrace(rec.trace);
    // the reader thread runs the built JS (npm test builds first): workers cannot load TypeScript
    const worker = () => new Worker(fileURLToPath(new URL('../../dist/src/replay/prefetch-worker.js', import.meta.url)));
    const ahead = await replayTrace(rec.trace, { prefetch: worker(), verify: true });
    expect(ahead).toMatchObject({ calls: plain.calls, end: plain.end, verified: true, prefetched: true, stdout: 'calls 300000\n' });
    expect(plain.prefetched).toBe(false);
    const bytes = readFileSync(rec.trace);
    bytes[bytes.length - 5000]! ^= 0x40; // inside the last frames, before the footer
    const bad = join(dir, 'bad-prefetch.bin');
    writeFileSync(bad, bytes);
    const err = await replayTrace(bad, { prefetch: worker() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/offset \d+/);
  });

  it('an incomplete trace replays up to its last event and says so', async () => {
    const rec = await recordGuest('clock_random');
    const good = readFileSync(rec.trace);
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, good.subarray(0, good.length - 40)); // loses the footer and trailer
    const rep = await replayTrace(cut);
    expect(rep.complete).toBe(false);
    expect(rep.incompleteReason).toMatch(/cut short|ends/);
  });
});

