// The target table of `npm run bench` (issue 13): each row is one figure measured several times in this run, shown
// as min–median–max and judged `ok` or `SHORT` by its median against the target.
//
// To add a row from another measurement, write test/bench/<name>.ts exporting a Measurement (a function that gets
// the BenchContext and returns its rows) and add it to MEASUREMENTS in test/bench/bench.ts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchRow {
  /** What is measured, as the table names it ("storm 1M record/run"). */
  readonly figure: string;
  /** One value per repeat (a ratio, a size, a rate), never empty. */
  readonly samples: readonly number[];
  /** The target, and whether a figure must stay at or below it ('max', ratios and sizes) or reach it ('min', rates). */
  readonly target: number;
  readonly kind: 'max' | 'min';
  /** Appended to every number: 'x' for ratios (the default), ' B', ' runs/s'. */
  readonly unit?: string;
  /** Decimals shown (default 2). */
  readonly digits?: number;
}

export interface BenchContext {
  /** How many times each figure is measured (BENCH_REPEAT, default 5). */
  readonly repeat: number;
  /** The repository root, the built CLI (dist/cli/main.js) and a scratch directory removed after the run. */
  readonly root: string;
  readonly cli: string;
  readonly work: string;
  /** Runs the built CLI once as its own process; wall seconds (throws, with its stderr, when it fails). */
  wasiTrace(args: readonly string[]): number;
}

/** What a test/bench/<name>.ts exports: its rows, measured `ctx.repeat` times each. */
export type Measurement = (ctx: BenchContext) => BenchRow[] | Promise<BenchRow[]>;

/** Wall seconds of one process `argv[0] argv[1..]`; throws with its stderr when it exits non-zero. */
export function spawnSeconds(argv: readonly string[], what = argv.join(' ')): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return seconds;
}

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
export const median = (xs: readonly number[]): number => sorted(xs)[Math.floor(xs.length / 2)]!;

/** Whether the row meets its target (by its median). */
export const meets = (r: BenchRow): boolean => (r.kind === 'max' ? median(r.samples) <= r.target : median(r.samples) >= r.target);

/** The table as Markdown, one line per row: figure, min–median–max, target, ok/SHORT. */
export function formatTable(rows: readonly BenchRow[]): string {
  const lines = ['| figure | min–median–max | target | |', '|---|---|---|---|'];
  for (const r of rows) {
    const unit = r.unit ?? 'x';
    const f = (v: number) => v.toFixed(r.digits ?? 2);
    const s = sorted(r.samples);
    lines.push(`| ${r.figure} | ${f(s[0]!)}–${f(median(s))}–${f(s[s.length - 1]!)}${unit} | ${r.kind === 'max' ? '≤' : '≥'} ${Number(r.target.toFixed(r.digits ?? 2))}${unit} | ${meets(r) ? 'ok' : 'SHORT'} |`);
  }
  return lines.join('\n');
}

/** A project of `files` modules (and an index.js importing them all) for esbuild to bundle, in `work`/project<files>. */
export function esbuildProject(work: string, files: number): string {
  const dir = join(work, `project${files}`);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const imports: string[] = [];
  for (let i = 0; i < files; i++) {
    writeFileSync(join(dir, 'src', `m${i}.js`), `export function f${i}(x) { return x * ${i} + ${'"'}${'abc'.repeat(i % 7)}${'"'}.length; }\n` +
      `export const table${i} = [${Array.from({ length: 50 }, (_, j) => j * i).join(', ')}];\n`);
    imports.push(`import { f${i}, table${i} } from './m${i}.js';`);
  }
  writeFileSync(join(dir, 'src', 'index.js'), `${imports.join('\n')}\nconsole.log(${Array.from({ length: files }, (_, i) => `f${i}(table${i}[3])`).join(' + ')});\n`);
  return dir;
}
