// wasi-trace export: the calls as a Chrome trace-event file (Perfetto's JSON importer, chrome://tracing) or as a
// JSON array of the objects `dump --json` prints. Streams: one call in memory at a time.
import { endingText } from './dump.js';
import { FdPaths } from './fds.js';
import { callKey, nameFilter } from './filter.js';
import { decodeCall, functionOf, type Json } from '../calls/format.js';
import { callJson, cutShortJson } from './json.js';
import type { TextWriter } from './writer.js';
import { footerOf, traceCalls, withTrace } from './trace.js';

export type ExportFormat = 'chrome' | 'json';

export interface ExportOptions {
  trace: string;
  format: ExportFormat;
  e?: readonly string[];
  stringLimit?: number;
  /** Told when the trace was cut short (the CLI prints it on stderr); the output says it too. */
  onWarning?: (message: string) => void;
}

/** Microseconds (the trace-event unit) from nanoseconds, to the nanosecond. */
const us = (ns: number): number => Math.round(ns) / 1000;

export async function exportTrace(o: ExportOptions, out: TextWriter): Promise<number> {
  const match = nameFilter(o.e ?? []);
  return withTrace(o.trace, { module: 'check' }, (reader) => {
    const fds = new FdPaths(reader.header.preopens);
    const format = { stringLimit: o.stringLimit, fdName: fds.name };
    const h = reader.header;
    const moduleName = h.module.name || 'guest';
    const chrome = o.format === 'chrome';
    let first = true;
    const item = (v: Json) => { out.write(`${first ? '' : ',\n'}${JSON.stringify(v)}`); first = false; };

    out.write(chrome ? '{"traceEvents":[\n' : '[\n');
    if (chrome) {
      item({ name: 'process_name', ph: 'M', pid: 1, tid: 1, args: { name: `wasi-trace: ${moduleName}` } });
      item({ name: 'thread_name', ph: 'M', pid: 1, tid: 1, args: { name: 'guest calls' } });
    }
    let endNs = 0;
    let calls = 0;
    /** Functions with calls recorded without times (record --timing io): shown with dur 0 and `untimed: true`. */
    const untimedNames = new Set<string>();
    for (const c of traceCalls(reader)) {
      calls++;
      endNs = c.t + c.dur;
      fds.before(c);
      if (!match || match(c)) {
        const obj = callJson(c, decodeCall(c, format));
        if (chrome) {
          const { t_ns: _t, dur_ns: _d, module: _m, function: _f, ...args } = obj;
          const withUntimed: Record<string, Json> = c.event.untimed ? { ...args, untimed: true } : args;
          item({ name: callKey(c), cat: functionOf(c)?.family ?? c.module, ph: 'X', ts: us(c.t), dur: us(c.dur), pid: 1, tid: 1, args: withUntimed });
        } else {
          item(c.event.untimed ? { ...obj, untimed: true } : obj);
        }
        if (c.event.untimed) untimedNames.add(callKey(c));
      }
      fds.after(c);
    }
    const ended = endingText(reader);
    const cut = cutShortJson(reader, calls);
    if (cut) o.onWarning?.(`${o.trace}: ${ended} (after ${calls} calls)`);
    if (chrome) {
      item({ name: ended, cat: 'end', ph: 'i', s: 'g', ts: us(endNs), pid: 1, tid: 1 });
      const metadata: Record<string, Json> = {
        tool: `${h.tool || 'wasi-trace'} ${h.toolVersion}`.trim(),
        module: moduleName,
        sha256: h.module.sha256,
        argv: h.argv,
        runtime: h.runtime,
        startedAt: h.startedAt,
        end: (footerOf(reader)?.end ?? null) as Json,
        ended,
        ...(untimedNames.size && { untimed: [...untimedNames] }),
      };
      out.write(`\n],\n"displayTimeUnit":"ns",\n"metadata":${JSON.stringify(metadata)}}\n`);
    } else {
      if (cut) item(cut);
      out.write(first ? ']\n' : '\n]\n');
    }
    return 0;
  });
}
