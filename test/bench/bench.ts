// npm run bench: the speed and size targets of record/replay, as ratios measured in this one run.
// Every figure is the median of several runs of the built CLI (process start included, as a user sees it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figureLine, moduleFigures } from './modules.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const rssRunner = join(root, 'dist/test/bench/rss-runner.js');
const storm = join(root, 'test/guests/storm.wasm');
const esbuild = join(root, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

const work = mkdtempSync(join(tmpdir(), 'wasi-trace-bench-'));

/** Runs the CLI once; returns wall seconds and the peak RSS (MiB) the process reported. */
function once(args: string[]): { seconds: number; rssMiB: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [rssRunner, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`wasi-trace ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const rss = /wasi-trace-bench-maxrss (\d+)/.exec(r.stderr);
  return { seconds, rssMiB: rss ? Number(rss[1]) / 1024 : NaN };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median seconds of `run`, `record` and `replay` of the same guest, interleaved so noise hits all three. */
function compare(name: string, runArgs: string[], trace: string): { run: number; record: number; replay: number } {
  const times = { run: [] as number[], record: [] as number[], replay: [] as number[] };
  for (let i = 0; i < REPEAT; i++) {
    times.run.push(once(['run', ...runArgs]).seconds);
    times.record.push(once(['record', '-o', trace, ...runArgs]).seconds);
    times.replay.push(once(['replay', '-q', trace]).seconds);
  }
  const m = { run: median(times.run), record: median(times.record), replay: median(times.replay) };
  console.log(`${name}: run ${m.run.toFixed(3)} s, record ${m.record.toFixed(3)} s, replay ${m.replay.toFixed(3)} s`);
  return m;
}

function esbuildProject(files: number): string {
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

function ratio(label: string, value: number, target: number, unit = 'x'): void {
  console.log(`  ${label}: ${value.toFixed(2)}${unit} (target ≤ ${target}${unit}) ${value <= target ? 'ok' : 'OVER TARGET'}`);
}

function atLeast(label: string, value: number, target: number, unit: string): void {
  console.log(`  ${label}: ${value.toFixed(0)}${unit} (target ≥ ${target}${unit}) ${value >= target ? 'ok' : 'SHORT'}`);
}

try {
  console.log(`wasi-trace bench (median of ${REPEAT} runs each; node ${process.versions.node})`);
  for (const files of [60, 300]) {
    const project = esbuildProject(files);
    const esArgs = ['--dir', `${project}::/`, esbuild, '--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning'];
    const es = compare(`esbuild bundling ${files + 1} files (builtin runtime)`, esArgs, join(work, 'esbuild.bin'));
    ratio('record / run', es.record / es.run, 1.25);
    ratio('replay / run', es.replay / es.run, 1.0);
  }

  const st = compare('storm: 1,000,000 clock_time_get calls', [storm], join(work, 'storm.bin'));
  ratio('record / run', st.record / st.run, 3);
  ratio('replay / run', st.replay / st.run, 2);
  ratio('trace bytes per event', statSync(join(work, 'storm.bin')).size / 1_000_000, 6, ' B');

  // record --until-fail on a hello-sized guest that never fails: runs per second, as the hunt reports them.
  const hello = join(root, 'test/guests/hello.wasm');
  const huntRuns = 2000;
  const hunt = median(Array.from({ length: 3 }, () => once(['record', '--until-fail', '--runs', String(huntRuns), '--fail-on', 'exit=99', '-o', join(work, 'hunt.bin'), hello]).seconds));
  atLeast('until-fail runs per second (hello, 2000 runs, process start included)', huntRuns / hunt, 200, ' runs/s');

  // Chaos recording against plain recording, on a guest that does file I/O, readdir and polls (chaos_ok).
  const chaosGuest = join(root, 'test/guests/chaos_ok.wasm');
  const plain: number[] = [];
  const chaotic: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    plain.push(once(['record', '--mem-dir', '/tmp', '-o', join(work, 'plain.bin'), chaosGuest]).seconds);
    chaotic.push(once(['record', '--chaos', '--seed', String(i), '--mem-dir', '/tmp', '-o', join(work, 'chaos.bin'), chaosGuest]).seconds);
  }
  ratio('record --chaos / record (chaos_ok)', median(chaotic) / median(plain), 1.1);

  // The module in traces: trace size against zstd -3, esbuild --version, a 30 MB module (test/bench/modules.ts).
  for (const f of moduleFigures({ cli, repeat: REPEAT })) console.log(figureLine(f));

  const big = join(work, 'storm10m.bin');
  const rec = once(['record', '-o', big, storm, '10000000']);
  const rep = once(['replay', '-q', big]);
  console.log(`storm of 10,000,000 calls: trace ${(statSync(big).size / 2 ** 20).toFixed(1)} MiB; peak RSS record ${rec.rssMiB.toFixed(0)} MiB, replay ${rep.rssMiB.toFixed(0)} MiB (bounded: frames of 1 MiB, never the whole trace)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
