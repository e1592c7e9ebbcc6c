// The recording figures of issue 13 on their own: `node dist/test/bench/record.js` (after `npm run build`). Storm 1M,
// storm 10M, esbuild bundling 301 files and the 30 MB module (module cache warm), each as record/run per round, with
// `npm run bench`'s targets; every variant of a row runs once per round, interleaved, as its own process.
// BENCH_BASE_CLI=<another build's dist/cli/main.js> also records with that build in the same rounds (before/after).
// BENCH_REPEAT rounds (default 5; storm 10M half as many); BENCH_ROWS=storm1m,storm10m,esbuild,big picks rows.
// Besides wall ratios it prints the CPU seconds of each process (all its threads), which a loaded machine disturbs
// less than wall time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { paddedEsbuild, project } from './modules.js';
import { esbuildProject, formatTable, median, type BenchRow } from './table.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const base = process.env.BENCH_BASE_CLI;
const runner = join(root, 'dist/test/bench/usage-runner.js');
const guest = (name: string) => join(root, 'test/guests', `${name}.wasm`);
const esbuild = join(root, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const ROWS = new Set((process.env.BENCH_ROWS ?? 'storm1m,storm10m,esbuild,big').split(','));

const work = mkdtempSync(join(tmpdir(), 'wasi-trace-bench-record-'));
const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };
delete env.WASI_TRACE_MODULE_CACHE;

/** One process of `theCli`: wall and CPU seconds. */
function once(theCli: string, args: string[]): { wall: number; cpu: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [runner, theCli, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`wasi-trace ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { wall, cpu: Number(/wasi-trace-bench-cpu ([\d.]+)/.exec(r.stderr)?.[1] ?? NaN) };
}

const rows: BenchRow[] = [];
const notes: string[] = [];

/** run and record (and record with the base build) of one guest, interleaved; rows of record/run. */
function figure(name: string, target: number, runArgs: string[], repeat = REPEAT): void {
  const trace = join(work, 'trace.bin');
  const builds = base ? { this: cli, base } : { this: cli };
  const ratios: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = { run: [] };
  once(cli, ['record', '-o', trace, ...runArgs]); // a first recording fills the module cache
  for (let i = 0; i < repeat; i++) {
    const run = once(cli, ['run', ...runArgs]);
    cpu.run!.push(run.cpu);
    for (const [b, c] of Object.entries(builds)) {
      const rec = once(c, ['record', '-o', trace, ...runArgs]);
      (ratios[b] ??= []).push(rec.wall / run.wall);
      (cpu[b] ??= []).push(rec.cpu);
    }
  }
  for (const b of Object.keys(builds)) rows.push({ figure: `${name} record/run${base ? ` (${b} build)` : ''}`, samples: ratios[b]!, target, kind: 'max' });
  notes.push(`${name}: CPU seconds (median) run ${median(cpu.run!).toFixed(3)}, ${Object.keys(builds).map((b) => `record ${b} ${median(cpu[b]!).toFixed(3)}`).join(', ')}`);
}

try {
  console.log(`record figures: ${REPEAT} rounds${base ? `, base build ${base}` : ''}`);
  if (ROWS.has('storm1m')) figure('storm 1M', 1.5, [guest('storm')]);
  if (ROWS.has('storm10m')) figure('storm 10M', 2.0, [guest('storm'), '10000000'], Math.max(1, Math.ceil(REPEAT / 2)));
  if (ROWS.has('esbuild')) {
    const dir = esbuildProject(work, 300);
    figure('esbuild-300', 1.05, ['--dir', `${dir}::/`, esbuild, '--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning']);
  }
  if (ROWS.has('big')) {
    const big = join(work, 'big.wasm');
    writeFileSync(big, paddedEsbuild(10 << 20));
    const dir = project(join(work, 'project-big'), 20);
    figure('30 MB module (cache warm)', 1.1, ['--dir', `${dir}::/`, big, '--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning']);
  }
  console.log(`\n${formatTable(rows)}\n\n${notes.join('\n')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
