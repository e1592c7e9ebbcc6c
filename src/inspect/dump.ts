// wasi-trace dump: one line per call (or one JSON object per call), filtered, with the fd paths followed.
import { describeEnd } from '../trace/header.js';
import type { TraceReader } from '../trace/reader.js';
import { FdPaths } from './fds.js';
import { errnoFilter, failed, grepFilter, nameFilter, pathFilter, usesFd, type CallFilterOptions } from './filter.js';
import { callText, decodeCall } from '../calls/format.js';
import { callJson, cutShortJson } from './json.js';
import type { TextWriter } from './writer.js';
import { footerOf, traceCalls, withTrace } from './trace.js';

export interface DumpOptions extends CallFilterOptions {
  trace: string;
  /** strace -s: bytes of a buffer shown (default 32). */
  stringLimit?: number;
  /** First and last event index shown (inclusive). */
  from?: number;
  to?: number;
  /** -T: append each call's host time. */
  durations?: boolean;
  /** -t: prefix each call with its start time relative to the start of the run. */
  timestamps?: boolean;
  /** One JSON object per line instead of text (a cut-short trace ends with one more: JSON.md). */
  json?: boolean;
  /** -c: print how many calls match (`N`, or `{"count":N}` with json) instead of listing them. */
  count?: boolean;
  /** Told, with --json, when the trace was cut short (the CLI prints it on stderr). */
  onWarning?: (message: string) => void;
}

/** Nanoseconds as seconds with all nine decimals, exactly. */
export const seconds = (ns: number): string => `${Math.floor(ns / 1e9)}.${String(Math.round(ns % 1e9)).padStart(9, '0')}`;

/** How a trace ends, for the last line of a listing: the recorded end, or where a cut-short file stops. */
export function endingText(reader: TraceReader): string {
  const ending = reader.ending;
  if (!ending.complete) return `the trace ends early, at offset ${ending.offset}: ${ending.reason}`;
  const end = footerOf(reader)?.end;
  if (!end) return 'the footer does not say how the run ended';
  return end.kind === 'signal' ? `recording stopped by ${end.signal}` : describeEnd(end);
}

/**
 * Lists the calls of a trace that pass every filter given (-e, --errors, --errno, --grep, --fd, --path, --from,
 * --to), or counts them (-c). Bad filter values are a UserError before the trace is opened.
 */
export async function dump(o: DumpOptions, out: TextWriter): Promise<number> {
  const match = nameFilter(o.e ?? []);
  const errno = errnoFilter(o.errno ?? []);
  const grep = grepFilter(o.grep ?? []);
  const path = pathFilter(o.path ?? []);
  /** The filters that need the call decoded (with its fds named). */
  const decoded = (d: ReturnType<typeof decodeCall>) => (!o.fd?.length || usesFd(d, o.fd)) && (!path || path(d));
  const needsDecoding = Boolean(o.fd?.length) || path !== undefined;
  return withTrace(o.trace, { module: 'check' }, (reader) => {
    const fds = new FdPaths(reader.header.preopens);
    const from = o.from ?? 0;
    const format = { stringLimit: o.stringLimit, fdName: fds.name };
    let stopped = false;
    let calls = 0;
    let matched = 0;
    // --to stops reading: after call #to when the footer says more calls follow it (the frames after it are not
    // read), else at the first call after it (without a footer, the listing ends as the trace does).
    const total = footerOf(reader)?.calls;
    const last = o.to !== undefined && total !== undefined && o.to < total - 1 ? o.to : undefined;
    for (const c of traceCalls(reader, from)) {
      if (o.to !== undefined && c.index > o.to) { stopped = true; break; }
      calls++;
      fds.before(c);
      if (c.index >= from && (!match || match(c)) && (!o.errors || failed(c)) && (!errno || errno(c)) && (!grep || grep(c))) {
        const d = o.count && !needsDecoding ? undefined : decodeCall(c, format);
        if (!d || decoded(d)) {
          matched++;
          if (d && !o.count) {
            if (o.json) out.line(JSON.stringify(callJson(c, d)));
            else out.line(`${o.timestamps ? `${seconds(c.t).padStart(11)} ` : ''}#${c.index} ${callText(d)}${o.durations ? ` <${c.event.untimed ? 'untimed' : seconds(c.dur)}>` : ''}`);
          }
        }
      }
      fds.after(c);
      if (c.index === last) { stopped = true; break; }
    }
    if (o.count) {
      out.line(o.json ? JSON.stringify({ count: matched }) : String(matched));
      if (!stopped && !reader.ending.complete) o.onWarning?.(`${o.trace}: ${endingText(reader)} (after ${calls} calls)`);
      return 0;
    }
    if (stopped) return 0;
    if (!o.json) { out.line(`+++ ${endingText(reader)} +++`); return 0; }
    const cut = cutShortJson(reader, calls);
    if (cut) {
      out.line(JSON.stringify(cut));
      o.onWarning?.(`${o.trace}: ${endingText(reader)} (after ${calls} calls)`);
    }
    return 0;
  });
}
