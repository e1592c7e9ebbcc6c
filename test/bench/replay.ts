// The replay rows of `npm run bench` alone (issue 13: storm 1M and 10M replay/run, esbuild-300 replay/run), for
// working on the replay: `npm run build && node dist/test/bench/replay.js [rounds]` (default BENCH_REPEAT or 5; the
// 10M figure half as many). Each figure records once, then interleaves run and replay round by round (the built CLI
// as its own process, as bench.ts measures them), so a loaded machine slows both alike; each round gives one ratio.
// Also prints the CPU seconds (all threads) of each, from the child's resource usage, which load disturbs less.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildProject, formatTable, median, type BenchRow } from './table.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const runner = join(root, 'dist/test/bench/rss-runner.js');
const storm = join(root, 'test/guests/storm.wasm');
const esbuild = join(root, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm');
const REPEAT = Number(process.argv[2] ?? process.env.BENCH_REPEAT ?? 5);
const work = mkdtempSync(join(tmpdir(), 'wasi-trace-bench-replay-'));

/** Wall and CPU seconds (user + system, every thread) of one CLI command, run by rss-runner (which reports the CPU). */
function timed(args: readonly string[], build = cli): { wall: number; cpu: number } {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [runner, build, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`wasi-trace ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const cpu = Number(/wasi-trace-bench-cpu (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1e6;
  return { wall, cpu };
}

/**
 * BENCH_BASE_CLI: another build's dist/cli/main.js, whose replay of the same traces is measured in the same rounds
 * (a before/after comparison on a loaded machine).
 */
const baseCli = process.env.BENCH_BASE_CLI;

interface Figure { wall: number[]; cpu: number[]; baseWall: number[]; baseCpu: number[] }

/** Records once, then `repeat` interleaved rounds of run and replay: replay/run per round, wall and CPU. */
function replayFigure(name: string, runArgs: string[], repeat: number): Figure {
  const trace = join(work, `${name}.bin`);
  timed(['record', '-o', trace, ...runArgs]);
  const f: Figure = { wall: [], cpu: [], baseWall: [], baseCpu: [] };
  for (let i = 0; i < repeat; i++) {
    const run = timed(['run', ...runArgs]);
    const replay = timed(['replay', '-q', trace]);
    f.wall.push(replay.wall / run.wall);
    f.cpu.push(replay.cpu / run.cpu);
    if (baseCli) {
      const base = timed(['replay', '-q', trace], baseCli);
      f.baseWall.push(base.wall / run.wall);
      f.baseCpu.push(base.cpu / run.cpu);
    }
  }
  return f;
}

try {
  const load = () => (process.platform === 'linux' ? spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim().split(' ').slice(0, 3).join(' ') : '?');
  console.log(`replay bench: ${REPEAT} rounds, node ${process.versions.node}, load average ${load()}`);
  const rows: BenchRow[] = [];
  const cpuRows: BenchRow[] = [];
  const figure = (label: string, target: number, f: Figure) => {
    rows.push({ figure: label, samples: f.wall, target, kind: 'max' });
    cpuRows.push({ figure: `${label} (CPU seconds)`, samples: f.cpu, target, kind: 'max' });
    if (baseCli) {
      rows.push({ figure: `${label}, base build`, samples: f.baseWall, target, kind: 'max' });
      cpuRows.push({ figure: `${label} (CPU seconds), base build`, samples: f.baseCpu, target, kind: 'max' });
    }
  };
  figure('storm 1M replay/run', 0.9, replayFigure('storm1m', [storm], REPEAT));
  figure('storm 10M replay/run', 0.7, replayFigure('storm10m', [storm, '10000000'], Math.max(1, Math.ceil(REPEAT / 2))));
  const project = esbuildProject(work, 300);
  figure('esbuild-300 replay/run', 0.8, replayFigure('esbuild', ['--dir', `${project}::/`, esbuild, '--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning'], REPEAT));
  console.log(`\n${formatTable(rows)}\n\n${formatTable(cpuRows)}\n\nload average after: ${load()}; medians: ${rows.map((r) => median(r.samples).toFixed(2)).join(', ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
