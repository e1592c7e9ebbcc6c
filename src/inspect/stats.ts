// wasi-trace stats (like strace -c): per function calls, errors, host time and bytes, aggregated as the trace streams.
import { endingText, seconds } from './dump.js';
import { callKey, failed, nameFilter } from './filter.js';
import type { TraceReader } from '../trace/reader.js';
import type { TextWriter } from './writer.js';
import { traceCalls, withTrace } from './trace.js';

export interface StatsRow {
  function: string;
  calls: number;
  errors: number;
  /** Host time in the calls, ns. */
  total_ns: number;
  /** Bytes the calls read from guest memory (write data, paths, subscriptions). */
  bytes_in: number;
  /** Bytes the calls wrote into guest memory (read data, out-values). */
  bytes_out: number;
}

export type StatsSort = 'time' | 'calls' | 'errors' | 'name';

export interface StatsOptions { trace: string; e?: readonly string[]; sort?: StatsSort; json?: boolean }

export async function stats(o: StatsOptions, out: TextWriter): Promise<number> {
  const match = nameFilter(o.e ?? []);
  return withTrace(o.trace, { module: 'check' }, (reader) => statsOf(reader, o, match, out));
}

function statsOf(reader: TraceReader, o: StatsOptions, match: ReturnType<typeof nameFilter>, out: TextWriter): number {
  const rows = new Map<string, StatsRow>();
  /** Calls recorded without times (record --timing io), per function: their host time is not in total_ns. */
  const untimed = new Map<string, number>();
  let runNs = 0;
  for (const c of traceCalls(reader)) {
    runNs = Math.max(runNs, c.t + c.dur);
    if (match && !match(c)) continue;
    const key = callKey(c);
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { function: key, calls: 0, errors: 0, total_ns: 0, bytes_in: 0, bytes_out: 0 }));
    r.calls++;
    if (c.event.untimed) untimed.set(key, (untimed.get(key) ?? 0) + 1);
    if (failed(c)) r.errors++;
    r.total_ns += c.dur;
    r.bytes_in += c.inputs?.length ?? 0;
    for (const w of c.writes ?? []) r.bytes_out += w.bytes.length;
  }
  const by: Record<StatsSort, (a: StatsRow, b: StatsRow) => number> = {
    time: (a, b) => b.total_ns - a.total_ns,
    calls: (a, b) => b.calls - a.calls,
    errors: (a, b) => b.errors - a.errors,
    name: () => 0,
  };
  const list = [...rows.values()].sort((a, b) => by[o.sort ?? 'time'](a, b) || a.function.localeCompare(b.function));
  const total: StatsRow = { function: 'total', calls: 0, errors: 0, total_ns: 0, bytes_in: 0, bytes_out: 0 };
  for (const r of list) {
    total.calls += r.calls; total.errors += r.errors; total.total_ns += r.total_ns;
    total.bytes_in += r.bytes_in; total.bytes_out += r.bytes_out;
  }
  if (o.json) {
    const notTimed = untimed.size ? { untimed: Object.fromEntries(untimed) } : {};
    out.line(JSON.stringify({ functions: list, total, run_ns: runNs, ...notTimed, ended: endingText(reader) }, null, 2));
    return 0;
  }
  const head = ['% time', 'seconds', 'usecs/call', 'calls', 'errors', 'bytes in', 'bytes out', 'function'];
  const widths = [6, 11, 11, 9, 9, 12, 12];
  const row = (cells: string[]) => out.line(cells.map((c, i) => (i < widths.length ? c.padStart(widths[i]!) : c)).join(' ').trimEnd());
  const rule = () => row(widths.map((w) => '-'.repeat(w)).concat('-'.repeat(16)));
  const cells = (r: StatsRow) => [
    (total.total_ns ? (100 * r.total_ns) / total.total_ns : 0).toFixed(2),
    (r.total_ns / 1e9).toFixed(6),
    r.calls ? (r.total_ns / r.calls / 1e3).toFixed(3) : '0',
    String(r.calls),
    r.errors ? String(r.errors) : '',
    String(r.bytes_in),
    String(r.bytes_out),
    r.function,
  ];
  row(head);
  rule();
  list.forEach((r) => row(cells(r)));
  rule();
  row(cells(total));
  const share = runNs ? ` (${((100 * total.total_ns) / runNs).toFixed(1)}% of the run)` : '';
  out.line(`run: ${seconds(runNs)} s from start to the end of the last call; host time in these calls ${seconds(total.total_ns)} s${share}`);
  if (untimed.size) {
    const which = [...untimed].map(([f, n]) => `${f} (${n} calls)`).join(', ');
    out.line(`not timed (recorded with --timing io; their host time is not counted): ${which}`);
  }
  out.line(`ended: ${endingText(reader)}`);
  return 0;
}
