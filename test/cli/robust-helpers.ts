// Helpers of the command-line robustness tests (robust-output.test.ts, robust-input.test.ts).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { TraceReader } from '../../src/trace/reader.js';
import { cliPath, type CliResult } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

export { until } from '../helpers.js';

/** A fresh empty directory, removed when the test (or the describe, or the file) it is made in is over. */
export const fresh = (): string => tempDir('robust-cli');
export const isRoot = process.getuid?.() === 0;

/**
 * A device node of our own for an output name (never the system's: a regression would rename a file onto it, and
 * as root that replaces the device): made with mknod in a fresh directory as root, else the system's, which a
 * non-root user cannot replace. `minor` 3 is null, 7 is full.
 */
export function device(kind: 'null' | 'full'): string {
  const own = join(fresh(), kind);
  if (isRoot && spawnSync('mknod', [own, 'c', '1', kind === 'null' ? '3' : '7']).status === 0) return own;
  return `/dev/${kind}`;
}

/** Runs the CLI with its stdout (and stderr, unless given) going to the file `stdout` (say, /dev/full). */
export function cliTo(args: string[], stdout: string, options: SpawnSyncOptions & { stderrTo?: string } = {}): CliResult {
  const out = fs.openSync(stdout, 'w');
  const err = options.stderrTo ? fs.openSync(options.stderrTo, 'w') : 'pipe';
  try {
    const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, ...options, stdio: ['pipe', out, err] });
    return { status: r.status, stdout: '', stderr: String(r.stderr ?? '') };
  } finally {
    fs.closeSync(out);
    if (typeof err === 'number') fs.closeSync(err);
  }
}

/** The events in the complete frames of a (temporary) trace file, as bytes (empty while it has none). */
export async function framed(path: string): Promise<Buffer> {
  try {
    const reader = await TraceReader.open(path);
    return Buffer.concat([...reader.frames()].map((f) => f.payload));
  } catch {
    return Buffer.alloc(0); // not even the header yet
  }
}

export const oneLine = (r: CliResult) => r.stderr.trim().split('\n');
