// Streams the calls of a trace for the inspectors (dump, stats, diff, export): one frame in memory at a time,
// every call numbered from #0 as the replayer numbers them (blob events are not calls and have no number).
// Anything wrong with the trace becomes a one-line UserError naming the file.
import { UserError } from '../errors.js';
import { checkTraceFile } from '../files.js';
import type { CallView } from '../calls/format.js';
import { EventDecodeError, EventDecoder, type CallEvent } from '../trace/events.js';
import type { ImportEntry, TraceFooter } from '../trace/header.js';
import { TraceError, TraceReader } from '../trace/reader.js';

/** One call event with its place in the run. */
export interface TraceCall extends CallView {
  /** #N: call events counted from 0. */
  index: number;
  /** Nanoseconds from the start of the run to the start of this call (the sum of `dt` so far). */
  t: number;
  /** Nanoseconds the host spent in the call. */
  dur: number;
  event: CallEvent;
}

const withPath = (path: string, message: string) => (message.includes(path) ? message : `${path}: ${message}`);

/** Turns what reading a trace can throw into a one-line UserError (other errors pass through). */
export function traceFailure(path: string, e: unknown): unknown {
  if (e instanceof TraceError) return new UserError(withPath(path, e.message));
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new UserError(`cannot read trace ${path}: no such file`);
  if (code === 'EISDIR') return new UserError(`cannot read trace ${path}: it is a directory`);
  if (code === 'EACCES') return new UserError(`cannot read trace ${path}: permission denied`);
  return e;
}

/** Opens a trace and checks its header (and its footer, when the trailer leads to it). */
export async function openTrace(path: string): Promise<TraceReader> {
  checkTraceFile(path); // a FIFO would block the open
  try {
    const reader = await TraceReader.open(path);
    void reader.header;
    void reader.footer;
    return reader;
  } catch (e) {
    throw traceFailure(path, e);
  }
}

/** The trace's checked footer, if it has one yet (see TraceReader.footer); UserError when it is malformed. */
export function footerOf(reader: TraceReader): TraceFooter | undefined {
  try {
    return reader.footer;
  } catch (e) {
    throw traceFailure(reader.path, e);
  }
}

export const importsOf = (reader: TraceReader): ImportEntry[] => reader.header.imports;

/** Every call of the trace, in order. A damaged frame ends the walk with a UserError after the calls before it. */
export function* traceCalls(reader: TraceReader): Generator<TraceCall> {
  const table = importsOf(reader);
  const decoder = new EventDecoder();
  const frames = reader.frames();
  let index = 0;
  let t = 0;
  let end = 0;
  for (;;) {
    let events: CallEvent[];
    let offset = 0;
    try {
      const f = frames.next();
      if (f.done) return;
      offset = f.value.offset;
      events = decoder.decodeFrame(f.value.payload);
    } catch (e) {
      if (e instanceof EventDecodeError) {
        throw new UserError(`${reader.path}: corrupt trace: frame at offset ${offset}: ${e.message}`);
      }
      throw traceFailure(reader.path, e);
    }
    for (const ev of events) {
      const entry = table[ev.imp];
      if (!entry) throw new UserError(`${reader.path}: corrupt trace: event #${index} names import ${ev.imp}, but the header has ${table.length}`);
      t = end + ev.gap;
      end = t + ev.dur;
      yield {
        module: entry.module, name: entry.name, wasi: entry.wasi,
        args: ev.args, inputs: ev.inputs, result: ev.result, writes: ev.writes,
        index: index++, t, dur: ev.dur, event: ev,
      };
    }
  }
}
