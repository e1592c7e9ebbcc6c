// The JSON object of one call, shared by `dump --json` and `export --format json` (fields: JSON.md).
import type { DecodedCall, Json } from '../calls/format.js';
import type { TraceReader } from '../trace/reader.js';
import type { TraceCall } from './trace.js';

export function callJson(c: TraceCall, d: DecodedCall): Record<string, Json> {
  const o: Record<string, Json> = {
    index: c.index,
    t_ns: c.t,
    dur_ns: c.dur,
    module: d.module,
    function: d.function,
    args: d.family !== undefined ? Object.fromEntries(d.args.map((a) => [a.name, a.json])) : d.args.map((a) => a.json),
    result: d.result?.json ?? null,
  };
  if (d.result?.errno !== undefined) o.errno = d.result.errno;
  if (d.result?.exit !== undefined) o.exit = d.result.exit;
  if (d.result?.threw !== undefined) o.threw = d.result.threw;
  if (d.out.length) o.out = Object.fromEntries(d.out.map((v) => [v.name, v.json]));
  const paths = [...d.args, ...d.out].filter((v) => v.path !== undefined);
  if (paths.length) o.paths = Object.fromEntries(paths.map((v) => [v.name, v.path!]));
  return o;
}

/**
 * The record that ends the JSON output of a trace whose recording was cut short (JSON.md): where and why the
 * file ends, how many calls it holds, and how the run ended if a footer was found before the cut. Undefined for
 * a complete trace. Call it after every call was read (the reader knows where the file ends only then).
 */
export function cutShortJson(reader: TraceReader, calls: number): Record<string, Json> | undefined {
  const e = reader.ending;
  if (e.complete) return undefined;
  return { cut_short: true, offset: e.offset, reason: e.reason, calls, end: (reader.footer?.end ?? null) as Json };
}
