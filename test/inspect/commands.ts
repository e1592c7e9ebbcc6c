// Runs every command that reads a trace (replay, dump, dump --json, info, stats, export in both formats, diff)
// in-process on one file, capturing what each prints or throws, for the integrity and fuzz tests.
import { readFileSync } from 'node:fs';
import { Packr } from 'msgpackr';
import { UserError } from '../../src/errors.js';
import { diff } from '../../src/inspect/diff.js';
import { dump } from '../../src/inspect/dump.js';
import { exportTrace } from '../../src/inspect/export.js';
import { info } from '../../src/inspect/info.js';
import { stats } from '../../src/inspect/stats.js';
import type { TextWriter } from '../../src/inspect/writer.js';
import { DivergenceError, replay } from '../../src/replay/replay.js';
import { expandRepeat, type RepeatChain } from '../../src/trace/events.js';
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';

export const COMMANDS = ['replay', 'dump', 'dump --json', 'info', 'info --quick', 'stats --json', 'export --format json', 'export', 'diff'] as const;
export type Command = (typeof COMMANDS)[number];

/** What a command did: printed `out` (and warned `warnings`) and returned `code`, or threw `error`. */
export type Outcome =
  | { ok: true; out: string; code: number; warnings: string[] }
  | { ok: false; error: unknown };

/** A TextWriter that keeps the text. */
export function collect(): TextWriter & { text: () => string } {
  const parts: string[] = [];
  return { write: (s) => { parts.push(s); }, line: (s) => { parts.push(`${s}\n`); }, text: () => parts.join('') };
}

async function attempt(body: (out: TextWriter, warn: (m: string) => void) => Promise<number>): Promise<Outcome> {
  const out = collect();
  const warnings: string[] = [];
  try {
    const code = await body(out, (m) => warnings.push(m));
    return { ok: true, out: out.text(), code, warnings };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Runs `command` on `trace`; `original` is the trace diff compares it with. Replay's `out` is a JSON text of
 * what it printed and returned.
 */
export async function runCommand(command: Command, trace: string, original: string): Promise<Outcome> {
  switch (command) {
    case 'replay': {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      try {
        const r = await replay({
          trace, stdout: (b) => stdout.push(Buffer.from(b)), stderr: (b) => stderr.push(Buffer.from(b)), onWarning: () => {},
        });
        const out = JSON.stringify({ ...r, stdout: Buffer.concat(stdout).toString('latin1'), stderr: Buffer.concat(stderr).toString('latin1') });
        return { ok: true, out, code: 0, warnings: [] };
      } catch (error) {
        return { ok: false, error };
      }
    }
    case 'dump': return attempt((out) => dump({ trace }, out));
    case 'dump --json': return attempt((out, onWarning) => dump({ trace, json: true, onWarning }, out));
    case 'info': return attempt((out) => info(trace, false, out));
    case 'info --quick': return attempt((out) => info(trace, false, out, true));
    case 'stats --json': return attempt((out) => stats({ trace, json: true }, out));
    case 'export --format json': return attempt((out, onWarning) => exportTrace({ trace, format: 'json', onWarning }, out));
    case 'export': return attempt((out, onWarning) => exportTrace({ trace, format: 'chrome', onWarning }, out));
    case 'diff': return attempt((out) => diff({ a: original, b: trace }, out));
  }
}

/** Why an error is not what a damaged trace may give (a one-line UserError naming the file), or undefined. */
export function badError(error: unknown, trace: string, allowDivergence = false): string | undefined {
  if (allowDivergence && error instanceof DivergenceError) return undefined;
  if (!(error instanceof UserError)) return `not a UserError: ${(error as Error)?.stack ?? String(error)}`;
  const m = error.message;
  if (!m || m.includes('\n')) return `not one line: ${JSON.stringify(m)}`;
  if (/internal error|undefined|NaN|\[object /.test(m)) return `looks like a bug: ${m}`;
  if (!m.includes(trace)) return `does not name the trace: ${m}`;
  return undefined;
}

/**
 * Writes the trace `source` again, as this wasi-trace writes (its current format version), in frames of at most
 * `frameBytes` bytes of events, with the same header, module and recorded end: a small trace of several frames.
 * A repeat or delta event is written as the call event it stands for where it would start a frame (a frame decodes on
 * its own), or everywhere unless `keepRepeats`.
 */
export async function reframe(source: string, dest: string, frameBytes: number, keepRepeats = false): Promise<void> {
  const reader = await TraceReader.open(source);
  const { traceId: _, ...header } = reader.headerMap;
  const writer = await TraceWriter.create(dest, header, reader.module, { frameBytes, level: 1 });
  const unpackr = new Packr({ useRecords: false });
  let pending = 0; // bytes of the frame being filled, as the writer counts them (TraceWriter.appendEvents)
  const append = (event: Uint8Array) => {
    if (pending + event.length > frameBytes) pending = 0;
    writer.appendEvents(event, 1);
    pending += event.length;
    if (pending === frameBytes) pending = 0;
  };
  for (const f of reader.frames()) {
    let full = -1; // where the call a repeat event stands for starts
    const chain: RepeatChain = { payload: null, full: -1, at: -1, lo: 0, hi: 0 };
    unpackr.unpackMultiple(f.payload, (v: unknown, start?: number, end?: number) => {
      const event = f.payload.subarray(start, end);
      if (!(v instanceof Uint8Array) && typeof v !== 'number') { full = start!; append(event); return; } // not a repeat
      if (keepRepeats && pending > 0 && pending + event.length <= frameBytes) { append(event); return; }
      const x = expandRepeat(f.payload, full, start!, chain);
      if (typeof x === 'string') throw new Error(x);
      append(x.event);
    });
  }
  const { frames: _f, events: _e, index: _i, rawBytes: _r, storedBytes: _s, traceId: _t, ...summary } = reader.footerMap!;
  writer.finish(summary);
  reader.close();
}

export const bytesOf = (path: string): Uint8Array => new Uint8Array(readFileSync(path));
