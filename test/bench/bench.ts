// npm run bench: every target of issue 13 with its figure, measured in this one run (BENCH_REPEAT rounds, default
// 5; the long figures half as many), printed as a table of min–median–max and ok/SHORT (test/bench/table.ts). Every time is the wall time of the
// built CLI as its own process (process start included, as a user sees it); the variants of one figure are
// interleaved round by round, so a loaded machine slows them alike and each round gives one ratio.
// Rows measured elsewhere come from the Measurements in MEASUREMENTS (a test/bench/<name>.ts each).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointOverhead } from './checkpoints.js';
import { diffSpeed } from './diff.js';
import { moduleFigures } from './modules.js';
import { esbuildProject as projectIn, formatTable, median, spawnSeconds, type BenchContext, type BenchRow, type Measurement } from './table.js';

/** Rows from other measurement files: add yours here (see test/bench/table.ts). */
const MEASUREMENTS: Measurement[] = [checkpointRows, diffRow, moduleRows];

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const rssRunner = join(root, 'dist/test/bench/rss-runner.js');
const guest = (name: string) => join(root, 'test/guests', `${name}.wasm`);
const esbuild = join(root, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
/** Rounds of the long figures (storm 10M, the hunt): half as many, so that the whole bench takes a few minutes. */
const LONG = Math.max(1, Math.ceil(REPEAT / 2));

const work = mkdtempSync(join(tmpdir(), 'wasi-trace-bench-'));
const wasiTrace = (args: readonly string[]): number => spawnSeconds([process.execPath, cli, ...args], `wasi-trace ${args.join(' ')}`);
const ctx: BenchContext = { repeat: REPEAT, root, cli, work, wasiTrace };
const esbuildProject = (files: number): string => projectIn(work, files);

/** `REPEAT` rounds of every variant, interleaved; the seconds of each variant, one per round. */
function rounds<K extends string>(variants: Record<K, () => number>, repeat = REPEAT): Record<K, number[]> {
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < repeat; i++) for (const k of Object.keys(variants) as K[]) times[k].push(variants[k]());
  return times;
}

/** Per-round ratios a[i] / b[i]. */
const ratios = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => x / b[i]!);
const max = (figure: string, samples: number[], target: number, unit?: string): BenchRow => ({ figure, samples, target, kind: 'max', unit });

/** run, record and replay of one guest: record/run and replay/run per round, and the trace sizes. */
function recordReplay(name: string, runArgs: string[], repeat = REPEAT): { record: number[]; replay: number[]; bytes: number[] } {
  const trace = join(work, `${name}.bin`);
  const bytes: number[] = [];
  const t = rounds({
    run: () => wasiTrace(['run', ...runArgs]),
    record: () => { const s = wasiTrace(['record', '-o', trace, ...runArgs]); bytes.push(statSync(trace).size); return s; },
    replay: () => wasiTrace(['replay', '-q', trace]),
  }, repeat);
  // the times themselves: what the run costs moves every ratio
  const ms = (k: keyof typeof t) => `${(median(t[k]) * 1000).toFixed(0)} ms`;
  console.log(`  ${name}: medians run ${ms('run')}, record ${ms('record')}, replay ${ms('replay')}`);
  return { record: ratios(t.record, t.run), replay: ratios(t.replay, t.run), bytes };
}

/** The bare node:wasi script `wasi-trace run` is compared with: the fewest lines that run a guest. */
const BARE_WASI = `import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
process.removeAllListeners('warning');
const wasi = new WASI({ version: 'preview1', args: process.argv.slice(2), env: {}, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(process.argv[2]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
`;

function measureOurs(): BenchRow[] {
  const rows: BenchRow[] = [];
  const say = (what: string) => console.log(`… ${what}`);

  say('storm 1M: run, record, replay');
  const s1 = recordReplay('storm1m', [guest('storm')]);
  rows.push(max('storm 1M record/run', s1.record, 1.5), max('storm 1M replay/run', s1.replay, 0.9));
  rows.push({ ...max('storm trace bytes per event (1M)', s1.bytes.map((b) => b / 1_000_000), 2.5, ' B') });

  say('storm 10M: run, record, replay');
  const s10 = recordReplay('storm10m', [guest('storm'), '10000000'], LONG);
  rows.push(max('storm 10M record/run', s10.record, 2.0), max('storm 10M replay/run', s10.replay, 0.7));

  say('builtin runtime against node:wasi: storm 10M, 200,000 small writes on a --dir');
  const storm = rounds({
    builtin: () => wasiTrace(['run', guest('storm'), '10000000']),
    node: () => wasiTrace(['run', '--runtime', 'node', guest('storm'), '10000000']),
  }, LONG);
  rows.push(max('builtin run / node:wasi run, storm 10M', ratios(storm.builtin, storm.node), 1.0));
  const dir = join(work, 'writes');
  mkdirSync(dir);
  const writes = rounds({
    builtin: () => wasiTrace(['run', '--dir', `${dir}::/`, guest('writes'), '200000']),
    node: () => wasiTrace(['run', '--runtime', 'node', '--dir', `${dir}::/`, guest('writes'), '200000']),
  });
  rows.push(max('builtin run / node:wasi run, 200k writes on --dir', ratios(writes.builtin, writes.node), 1.0));

  say('esbuild bundling 301 files: run, record, replay');
  const project = esbuildProject(300);
  const es = recordReplay('esbuild', ['--dir', `${project}::/`, esbuild, '--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning']);
  rows.push(max('esbuild-300 record/run', es.record, 1.05), max('esbuild-300 replay/run', es.replay, 0.8));

  say('wasi-trace run hello.wasm against a bare node:wasi script');
  const bare = join(work, 'bare-wasi.mjs');
  writeFileSync(bare, BARE_WASI);
  const hello = rounds({
    ours: () => wasiTrace(['run', guest('hello')]),
    bare: () => spawnSeconds([process.execPath, bare, guest('hello')]),
  }, REPEAT * 3);
  rows.push(max('`wasi-trace run hello.wasm` wall / bare node:wasi script', ratios(hello.ours, hello.bare), 1.3));

  say('record --until-fail on hello (never fails): runs per second');
  const huntRuns = 1000;
  const hunt = rounds({ hunt: () => wasiTrace(['record', '--until-fail', '--runs', String(huntRuns), '--fail-on', 'exit=99', '-o', join(work, 'hunt.bin'), guest('hello')]) }, LONG);
  rows.push({ figure: `until-fail runs/s, hello (${huntRuns} runs, process start included)`, samples: hunt.hunt.map((s) => huntRuns / s), target: 200, kind: 'min', unit: ' runs/s', digits: 0 });

  say('record --chaos against record (chaos_ok)');
  const chaos = rounds({
    plain: () => wasiTrace(['record', '--mem-dir', '/tmp', '-o', join(work, 'plain.bin'), guest('chaos_ok')]),
    chaos: () => wasiTrace(['record', '--chaos', '--seed', '1', '--mem-dir', '/tmp', '-o', join(work, 'chaos.bin'), guest('chaos_ok')]),
  });
  rows.push(max('record --chaos / record (chaos_ok)', ratios(chaos.chaos, chaos.plain), 1.1));
  return rows;
}

/** Peak RSS of record and replay of storm 10M (bounded memory: frames of 1 MiB, never the whole trace). */
function rssLine(): string {
  const big = join(work, 'storm10m-rss.bin');
  const rss = (args: string[]): number => {
    const r = spawnSync(process.execPath, [rssRunner, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`wasi-trace ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return Number(/wasi-trace-bench-maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  };
  const rec = rss(['record', '-o', big, guest('storm'), '10000000']);
  const rep = rss(['replay', '-q', big]);
  return `storm 10M: trace ${(statSync(big).size / 2 ** 20).toFixed(1)} MiB; peak RSS record ${rec.toFixed(0)} MiB, replay ${rep.toFixed(0)} MiB`;
}

/** Memory checkpoints (issue 11 §4): record with automatic checkpoints against none, storm 1M and esbuild 61 files. */
async function checkpointRows(c: BenchContext): Promise<BenchRow[]> {
  const project = esbuildProject(60);
  const esArgs = ['--dir', `${project}::/`, esbuild, '--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning'];
  const figures = await checkpointOverhead([{ name: 'storm 1M', args: [guest('storm')] }, { name: 'esbuild 61 files', args: esArgs }], c.work, c.repeat);
  return figures.map((f) => {
    console.log(`checkpoints on ${f.name}: ${f.checkpoints} in ${f.calls} calls`);
    return { figure: `record with checkpoints / without (${f.name})`, samples: f.ratios, target: 1.05, kind: 'max' as const };
  });
}

/** diff's speed (issue 11 asks for the figure, with no target: printed, not a row). */
async function diffRow(c: BenchContext): Promise<BenchRow[]> {
  const d = await diffSpeed(c.cli, guest('storm'), c.work);
  console.log(`diff of two storm recordings (1,000,000 calls each, every clock value an input difference): ${(d.eventsPerSecond / 1e6).toFixed(2)} M events/s (${d.seconds.toFixed(2)} s for ${d.events} events, in-process; ${(d.eventsPerCpuSecond / 1e6).toFixed(2)} M events per CPU second)`);
  return [];
}

/** The module in traces (test/bench/modules.ts): trace size against zstd -3, esbuild --version, a 30 MB module. */
async function moduleRows(c: BenchContext): Promise<BenchRow[]> {
  return (await moduleFigures({ cli: c.cli, repeat: c.repeat })).map((f) => ({
    figure: f.label, samples: [f.min, f.median, f.max], target: f.target, kind: 'max' as const, unit: f.unit, digits: f.unit === '' ? 3 : 2,
  }));
}

try {
  console.log(`wasi-trace bench: ${REPEAT} rounds (BENCH_REPEAT), node ${process.versions.node}`);
  const started = process.hrtime.bigint();
  const rows = measureOurs();
  for (const m of MEASUREMENTS) rows.push(...await m(ctx));
  const extra = rssLine();
  console.log(`\n${formatTable(rows)}\n\n${extra}\nbench took ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0)} s`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
