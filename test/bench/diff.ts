// The diff's speed for npm run bench: events per second aligning and classifying a pair of 1,000,000-call
// traces (two recordings of the storm guest: every clock value differs, so every pair is an input difference).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { diff } from '../../src/inspect/diff.js';

/** Wall seconds and CPU seconds (user + system of this process: what a loaded machine does not inflate). */
export interface DiffFigures { events: number; seconds: number; eventsPerSecond: number; cpuSeconds: number; eventsPerCpuSecond: number }

/**
 * Records test/guests/storm.wasm twice with the CLI at `cli` into `work`, then diffs the pair in-process (the
 * default aligned diff); the median of `repeat` runs.
 */
export async function diffSpeed(cli: string, storm: string, work: string, repeat = 3): Promise<DiffFigures> {
  const traces = ['diff-a.bin', 'diff-b.bin'].map((n) => join(work, n));
  for (const t of traces) {
    const r = spawnSync(process.execPath, [cli, 'record', '-o', t, storm, '1000000'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`recording storm failed (${r.status}): ${r.stderr}`);
  }
  const sink = { write: () => {}, line: () => {} };
  const runs: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const code = await diff({ a: traces[0]!, b: traces[1]! }, sink);
    const used = process.cpuUsage(c);
    runs.push(Number(process.hrtime.bigint() - t) / 1e9);
    cpu.push((used.user + used.system) / 1e6);
    if (code !== 0) throw new Error(`diff of two storm recordings exited ${code}, not 0 (no behavioural difference)`);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const seconds = median(runs);
  const cpuSeconds = median(cpu);
  const events = 2 * 1_000_004; // both traces: the loop's calls and the few around it
  return { events, seconds, eventsPerSecond: events / seconds, cpuSeconds, eventsPerCpuSecond: events / cpuSeconds };
}
