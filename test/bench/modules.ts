// Module handling in traces (format version 3: the module compressed, the module cache), as figures for
// `npm run bench` (bench.ts prints them) or on its own: `node dist/test/bench/modules.js`. With BENCH_BASE_CLI set to
// another build's dist/cli/main.js, the same esbuild rounds also run that build, interleaved, for a before/after.
// Every CLI run is a process of its own (start included, as a user sees it), with XDG_CACHE_HOME in a temporary
// directory: the first recording of a module fills that cache (cold), the timed rounds find it there (warm).
//
// The 30 MB module is esbuild.wasm (20 MB, real code) with a custom section holding 10 MiB of esbuild's own bytes
// again (from its code section), so it compresses like real code, and V8 compiles only esbuild's code; the guest
// bundles a 20-file project: about 330 calls.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { copyWithRawModule } from './raw-module.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ESBUILD = join(root, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm');

export interface Figure {
  label: string;
  /** min, median and max over the rounds (one value: all three the same). */
  min: number;
  median: number;
  max: number;
  /** The target the median must not exceed. */
  target: number;
  unit: string;
}

export interface ModuleBenchOptions {
  cli?: string;
  repeat?: number;
  /** Another build's CLI, measured the same way (before/after). */
  baseCli?: string;
  log?: (line: string) => void;
}

const uleb = (n: number): number[] => { const o: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };

/** esbuild.wasm with a custom section of `pad` of its own bytes (from offset 4 MiB on) appended. */
export function paddedEsbuild(pad: number): Buffer {
  const es = readFileSync(ESBUILD);
  const name = Buffer.from('wasi-trace-bench-pad');
  const body = Buffer.concat([Buffer.from(uleb(name.length)), name, es.subarray(4 << 20, (4 << 20) + pad)]);
  return Buffer.concat([es, Buffer.from([0, ...uleb(body.length)]), body]);
}

export function project(dir: string, files: number): string {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const imports: string[] = [];
  for (let i = 0; i < files; i++) {
    writeFileSync(join(dir, 'src', `m${i}.js`), `export function f${i}(x) { return x * ${i}; }\n`);
    imports.push(`import { f${i} } from './m${i}.js';`);
  }
  writeFileSync(join(dir, 'src', 'index.js'), `${imports.join('\n')}\nconsole.log(${Array.from({ length: files }, (_, i) => `f${i}(1)`).join(' + ')});\n`);
  return dir;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const spread = (xs: number[]) => { const s = sorted(xs); return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s.at(-1)! }; };

/** Runs the CLI `cli` once; wall seconds. */
function once(cli: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`wasi-trace ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return seconds;
}

/**
 * Per-round ratios record/run and replay/run of one guest (rounds interleaved, so noise hits them all alike); with
 * `rawCopy`, also replay/run of the trace copied with its module stored raw (copyWithRawModule), and the per-round
 * difference of the two replay ratios: what replay loses to the module's compression; once with the module cache
 * (from the second round on, replay finds the module there decompressed) and once without it (WASI_TRACE_MODULE_CACHE
 * off: the module is decompressed, as on the first replay of a trace on a machine).
 */
async function rounds(cli: string, runArgs: string[], trace: string, env: NodeJS.ProcessEnv, repeat: number, rawCopy?: string) {
  const record: number[] = [];
  const replay: number[] = [];
  const rawLoss: number[] = [];
  const rawLossUncached: number[] = [];
  const run: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const r = once(cli, ['run', ...runArgs], env);
    record.push(once(cli, ['record', '-o', trace, ...runArgs], env) / r);
    replay.push(once(cli, ['replay', '-q', trace], env) / r);
    if (rawCopy) {
      await copyWithRawModule(trace, rawCopy);
      const raw = once(cli, ['replay', '-q', rawCopy], env) / r;
      rawLoss.push(replay.at(-1)! - raw);
      rawLossUncached.push(once(cli, ['replay', '-q', trace], { ...env, WASI_TRACE_MODULE_CACHE: 'off' }) / r - raw);
    }
    run.push(r);
  }
  return {
    record: spread(record), replay: spread(replay), run: spread(run),
    rawLoss: rawLoss.length ? spread(rawLoss) : undefined, rawLossUncached: rawLossUncached.length ? spread(rawLossUncached) : undefined,
  };
}

/** The module figures; prints a line per measurement through `log`. */
export async function moduleFigures(o: ModuleBenchOptions = {}): Promise<Figure[]> {
  const cli = o.cli ?? join(root, 'dist/cli/main.js');
  const repeat = o.repeat ?? Number(process.env.BENCH_REPEAT ?? 5);
  const log = o.log ?? ((l: string) => console.log(l));
  const work = mkdtempSync(join(tmpdir(), 'wasi-trace-bench-modules-'));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };
  delete env.WASI_TRACE_MODULE_CACHE;
  const figures: Figure[] = [];
  const one = (label: string, value: number, target: number, unit = 'x') => figures.push({ label, min: value, median: value, max: value, target, unit });
  try {
    // The esbuild --version trace against zstd -3 of its module plus its events.
    const esTrace = join(work, 'es.bin');
    const cold = once(cli, ['record', '-o', esTrace, ESBUILD, '--version'], env);
    const info = JSON.parse(spawnSync(process.execPath, [cli, 'info', '--json', esTrace], { encoding: 'utf8', env }).stdout) as { fileSize: number; storedBytes: number; module: { storedBytes: number } };
    const zstd = spawnSync('zstd', ['-3', '-c', ESBUILD], { maxBuffer: 1 << 26 });
    if (zstd.status === 0) {
      const reference = zstd.stdout.length + info.storedBytes;
      log(`esbuild --version: trace ${info.fileSize} bytes (module ${info.module.storedBytes}, events ${info.storedBytes}); zstd -3 of the module ${zstd.stdout.length}; first recording (cache cold) ${cold.toFixed(3)} s`);
      one('esbuild --version trace / (zstd -3 of its module + its events)', info.fileSize / reference, 1.1);
    } else {
      log('esbuild --version: no zstd command here, the trace-size figure is skipped');
    }

    // esbuild --version, run/record/replay (cache warm), and the base build the same way when given.
    const es = await rounds(cli, [ESBUILD, '--version'], esTrace, env, repeat, join(work, 'es-raw.bin'));
    log(`esbuild --version: run median ${es.run.median.toFixed(3)} s`);
    figures.push({ label: 'esbuild --version record / run', ...es.record, target: 1.05, unit: 'x' });
    figures.push({ label: 'esbuild --version replay / run', ...es.replay, target: 1.0, unit: 'x' });
    figures.push({ label: 'esbuild --version replay / run, module compressed minus module stored raw (module cache warm)', ...es.rawLoss!, target: 0.03, unit: '' });
    figures.push({ label: 'the same, module cache off (the first replay of a trace on a machine)', ...es.rawLossUncached!, target: 0.03, unit: '' });
    if (o.baseCli) {
      const base = await rounds(o.baseCli, [ESBUILD, '--version'], join(work, 'es-base.bin'), env, repeat);
      log(`base build ${o.baseCli}: esbuild --version record/run ${base.record.min.toFixed(2)}–${base.record.median.toFixed(2)}–${base.record.max.toFixed(2)}x, ` +
        `replay/run ${base.replay.min.toFixed(2)}–${base.replay.median.toFixed(2)}–${base.replay.max.toFixed(2)}x (run median ${base.run.median.toFixed(3)} s)`);
      figures.push({ label: 'esbuild --version replay / run, this build minus the base build', min: es.replay.min - base.replay.min, median: es.replay.median - base.replay.median, max: es.replay.max - base.replay.max, target: 0.03, unit: '' });
    }

    // A 30 MB module with ~330 calls.
    const big = join(work, 'big.wasm');
    writeFileSync(big, paddedEsbuild(10 << 20));
    const dir = project(join(work, 'project'), 20);
    const bigArgs = ['--dir', `${dir}::/`, big, '--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning'];
    const bigTrace = join(work, 'big.bin');
    const bigCold = once(cli, ['record', '-o', bigTrace, ...bigArgs], env);
    const b = await rounds(cli, bigArgs, bigTrace, env, repeat);
    const bigInfo = JSON.parse(spawnSync(process.execPath, [cli, 'info', '--json', '--quick', bigTrace], { encoding: 'utf8', env }).stdout) as { fileSize: number; calls: number };
    const moduleSize = statSync(big).size;
    log(`30 MB module (${moduleSize} bytes, ${bigInfo.calls} calls): trace ${bigInfo.fileSize} bytes; run median ${b.run.median.toFixed(3)} s; first recording (cache cold) ${bigCold.toFixed(3)} s`);
    figures.push({ label: `30 MB module, ${bigInfo.calls} calls: record / run (module cache warm)`, ...b.record, target: 1.1, unit: 'x' });
    one('30 MB module: trace size / module size', bigInfo.fileSize / moduleSize, 1 / 3);
    return figures;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `label: min–median–max (target ≤ t) ok|SHORT` */
export function figureLine(f: Figure): string {
  const d = f.unit === '' ? 3 : 2;
  const v = (x: number) => x.toFixed(d);
  const range = f.min === f.max ? `${v(f.median)}${f.unit}` : `${v(f.min)}–${v(f.median)}–${v(f.max)}${f.unit}`;
  return `  ${f.label}: ${range} (target ≤ ${f.target.toFixed(d)}${f.unit}) ${f.median <= f.target ? 'ok' : 'SHORT'}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of await moduleFigures({ baseCli: process.env.BENCH_BASE_CLI })) console.log(figureLine(f));
}
