// Shared test helpers: guest paths, in-process runs with captured stdio, command lines run in-process or as
// a separate process, and waits for a condition that events (not polls) look at.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/app.js';
import { engineFingerprint, setTiering } from '../src/engine.js';
import { record, type RecordOptions, type RecordResult } from '../src/record/record.js';
import { run, type GuestOptions, type RunEnd } from '../src/run.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const guestPath = (name: string): string => fileURLToPath(new URL(`./guests/${name}.wasm`, import.meta.url));

/** Test guest `name` followed by a custom section of `pad` bytes (a counting pattern): a valid module of any size. */
export function paddedGuest(name: string, pad: number): Uint8Array {
  const guest = readFileSync(guestPath(name));
  const size: number[] = [];
  for (let n = pad + 1; ;) { const b = n & 0x7f; n >>>= 7; if (n) size.push(b | 0x80); else { size.push(b); break; } }
  const body = new Uint8Array(pad + 1); // name length 0, then the padding
  for (let i = 1; i < body.length; i++) body[i] = (i * 7 + (i >>> 10)) & 0xff;
  return Buffer.concat([guest, Uint8Array.of(0, ...size), body]);
}
export const cliPath = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

export interface Captured { end: RunEnd; stdout: string; stderr: string }

/** Runs a test guest in-process on the builtin runtime, capturing stdout and stderr. */
export async function runGuest(name: string, options: Partial<GuestOptions> = {}): Promise<Captured> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const end = await run({
    module: guestPath(name),
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => err.push(Buffer.from(b)),
    stdin: new Uint8Array(0),
    ...options,
  });
  return { end, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/**
 * Records in-process as `wasi-trace record` does (guests compiled for the baseline tier, which the trace header
 * records: a CLI replay warns about any other), capturing the guest's stdout and stderr (stdin empty unless given).
 */
export async function recordLikeCli(options: Omit<RecordOptions, 'stdout' | 'stderr'>): Promise<RecordResult & { stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const before = engineFingerprint().tiering;
  setTiering('baseline');
  try {
    const r = await record({
      stdin: new Uint8Array(0), ...options, stdout: (b) => out.push(Buffer.from(b)), stderr: (b) => err.push(Buffer.from(b)),
    });
    return { ...r, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  } finally {
    setTiering(before);
  }
}

export interface CliResult { status: number | null; stdout: string; stderr: string }

/**
 * Runs a wasi-trace command line in this process (cli/app.ts, from the sources) with `stdin` as its stdin and
 * its stdout and stderr captured: what a user would see, without starting a process. Paths are relative to
 * the repository (vitest's working directory). `record` runs its guest thread from the build in dist/.
 * `stdout`, when given, receives stdout instead (which the result then leaves empty): say, cli/output.ts's fdSink
 * on a file descriptor, as the CLI writes its own stdout.
 */
export async function wt(args: string[], stdin: string | Uint8Array = '', stdout?: (bytes: Uint8Array) => void): Promise<CliResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const tiering = engineFingerprint().tiering; // main() sets it for the command line: leave it as it was
  try {
    const status = await main(args, {
      stdout: stdout ?? ((b) => out.push(Buffer.from(b))),
      stderr: (b) => err.push(Buffer.from(b)),
      stdin: typeof stdin === 'string' ? new TextEncoder().encode(stdin) : stdin,
    });
    return { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  } finally {
    setTiering(tiering);
  }
}

/** Runs the built CLI as its own process (npm test builds it first; test/setup.ts checks dist/ is current). */
export function cli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, ...options });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * Waits until `ready` is true: it is asked at once and again on every event of `changes` (say, data on a child's
 * stdout, or an fs.watch of the directory a recording writes in), one question at a time (an event during one
 * asks once more after it); fails after `seconds`.
 */
export async function until(what: string, ready: () => boolean | Promise<boolean>, changes: [EventEmitter, string][], seconds = 30): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let asking = false;
    let again = false;
    let done = false;
    const finish = (e?: Error) => {
      done = true;
      clearTimeout(timer);
      for (const [emitter, event] of changes) emitter.off(event, ask);
      if (e) reject(e); else resolve();
    };
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), seconds * 1000);
    async function ask(): Promise<void> {
      if (asking) { again = true; return; }
      asking = true;
      try {
        do {
          again = false;
          if (!done && await ready()) finish();
        } while (again && !done);
      } catch (e) {
        finish(e as Error);
      } finally {
        asking = false;
      }
    }
    for (const [emitter, event] of changes) emitter.on(event, ask);
    void ask();
  });
}
