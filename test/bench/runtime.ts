// node dist/test/bench/runtime.js: the builtin runtime against node:wasi, unrecorded, as `npm run bench` measures it
// (issue 13's rows "builtin run / node:wasi run, storm 10M" and "…, 200k writes on --dir"), on its own so that it
// can be repeated quickly: wall time of the built CLI as its own process, the variants interleaved round by round,
// one ratio per round, printed as min–median–max with the load average before and after.
// BENCH_ROUNDS (default 7) rounds; BENCH_STORM calls for storm (default 10000000), BENCH_WRITES for writes (200000).
// BENCH_OTHER_CLI=path/to/dist/cli/main.js adds that build's builtin run as a third variant ("other"), to compare
// two builds of the runtime side by side on a loaded machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, spawnSeconds, type BenchRow } from './table.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const other = process.env.BENCH_OTHER_CLI;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const STORM = process.env.BENCH_STORM ?? '10000000';
const WRITES = process.env.BENCH_WRITES ?? '200000';
const guest = (name: string): string => join(root, 'test/guests', `${name}.wasm`);
const work = mkdtempSync(join(tmpdir(), 'wasi-trace-runtime-bench-'));

/** `ROUNDS` rounds of every variant (builtin, node, and other when given), interleaved; seconds per round. */
function rounds(args: string[]): Record<'builtin' | 'node' | 'other', number[]> {
  const t = { builtin: [] as number[], node: [] as number[], other: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    t.builtin.push(spawnSeconds([process.execPath, cli, 'run', ...args]));
    t.node.push(spawnSeconds([process.execPath, cli, 'run', '--runtime', 'node', ...args]));
    if (other) t.other.push(spawnSeconds([process.execPath, other, 'run', ...args]));
  }
  return t;
}
const ratios = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => x / b[i]!);
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

try {
  const before = load();
  const rows: BenchRow[] = [];
  const figures: [string, string[]][] = [
    [`storm ${STORM}`, [guest('storm'), STORM]],
    [`${WRITES} writes on --dir`, ['--dir', `${work}::/`, guest('writes'), WRITES]],
  ];
  for (const [what, args] of figures) {
    const t = rounds(args);
    rows.push({ figure: `builtin run / node:wasi run, ${what}`, samples: ratios(t.builtin, t.node), target: 1.0, kind: 'max' });
    if (other) rows.push({ figure: `other build's builtin run / node:wasi run, ${what}`, samples: ratios(t.other, t.node), target: 1.0, kind: 'max' });
  }
  console.log(formatTable(rows));
  console.log(`${ROUNDS} interleaved rounds; load average (1, 5, 15 min) before ${before}, after ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
