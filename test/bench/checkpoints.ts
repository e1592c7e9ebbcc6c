// The cost of memory checkpoints (issue 11 §4): `record --checkpoints auto` (the default) against
// `--checkpoints 0` on the same guest, interleaved so that noise hits both; the target is ≤ 1.05x. Also how many
// checkpoints the automatic schedule kept (at least 1024 calls apart, at most 2% of the run's time so far).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventDecoder } from '../../src/trace/events.js';
import { TraceReader } from '../../src/trace/reader.js';
import { initZstd } from '../../src/trace/zstd.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/cli/main.js');

export interface CheckpointFigure {
  name: string;
  /** Median wall seconds of record with automatic checkpoints and without any. */
  withCheckpoints: number;
  without: number;
  /** With / without, one per round (interleaved). */
  ratios: number[];
  /** Checkpoints in the last trace recorded with them. */
  checkpoints: number;
  calls: number;
}

function seconds(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'record', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`wasi-trace record ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function countCheckpoints(trace: string): Promise<{ checkpoints: number; calls: number }> {
  await initZstd();
  const reader = await TraceReader.open(trace);
  const decoder = new EventDecoder();
  let checkpoints = 0;
  decoder.onCheckpoint = () => { checkpoints++; };
  let calls = 0;
  for (const f of reader.frames()) calls += decoder.decodeFrame(f.payload, f.count).length;
  reader.close();
  return { checkpoints, calls };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Records each guest (`args`: record's arguments after -o) `repeat` times with and without checkpoints. */
export async function checkpointOverhead(guests: { name: string; args: string[] }[], work: string, repeat: number): Promise<CheckpointFigure[]> {
  const out: CheckpointFigure[] = [];
  for (const g of guests) {
    const trace = join(work, 'checkpoints.bin');
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < repeat; i++) {
      off.push(seconds(['--checkpoints', '0', '-o', trace, ...g.args]));
      on.push(seconds(['-o', trace, ...g.args]));
    }
    out.push({ name: g.name, withCheckpoints: median(on), without: median(off), ratios: on.map((t, i) => t / off[i]!), ...(await countCheckpoints(trace)) });
  }
  return out;
}
