// Shared test helpers: guest paths, in-process runs with captured stdio, and CLI runs.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, type GuestOptions, type RunEnd } from '../src/run.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const guestPath = (name: string): string => fileURLToPath(new URL(`./guests/${name}.wasm`, import.meta.url));
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

export interface CliResult { status: number | null; stdout: string; stderr: string }

/** Runs the built CLI (npm test builds it first). */
export function cli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, ...options });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}
