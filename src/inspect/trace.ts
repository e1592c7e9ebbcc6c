// Streams the calls of a trace for the inspectors (dump, stats, diff, export): one frame in memory at a time,
// every call numbered from #0 as the replayer numbers them (blob events are not calls and have no number).
// Anything wrong with the trace becomes a one-line UserError naming the file: what the reader checks (the
// container, the header and footer through parseHeader/parseFooter), and here what an event must be to be
// decoded by the header's import table (its import exists; a preview1 call has that function's arguments).
import { FUNCTIONS, wasmParams } from '../abi/index.js';
import { UserError } from '../errors.js';
import type { CallView } from '../calls/format.js';
import { EventDecodeError, EventDecoder, type CallEvent, type Scalar } from '../trace/events.js';
import type { FrameStart, ImportEntry, TraceFooter } from '../trace/header.js';
import { TraceError, TraceReader, type TraceFrame } from '../trace/reader.js';

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

type OpenOptions = Parameters<typeof TraceReader.open>[1];

/**
 * Opens a trace and checks its header (and its footer, when the trailer leads to it). `module` as for
 * TraceReader.open: an inspector that lists calls checks the module chunks ('check') but does not keep them.
 * Close it when done.
 */
export async function openTrace(path: string, options: OpenOptions = {}): Promise<TraceReader> {
  let reader: TraceReader | undefined;
  try {
    reader = await TraceReader.open(path, options);
    void reader.header;
    void reader.footer;
    return reader;
  } catch (e) {
    reader?.close();
    throw traceFailure(path, e);
  }
}

/** Runs `body` on the opened trace (openTrace) and closes it afterwards. */
export async function withTrace<T>(path: string, options: OpenOptions, body: (reader: TraceReader) => T | Promise<T>): Promise<T> {
  const reader = await openTrace(path, options);
  try {
    return await body(reader);
  } finally {
    reader.close();
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

type ArgKind = 'i32' | 'i64';
const isI32 = (v: Scalar): boolean => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32;
const isI64 = (v: Scalar): boolean =>
  typeof v === 'bigint' ? v >= -(2n ** 63n) && v < 2n ** 64n : Number.isSafeInteger(v);
/** For each import, the wasm types of a preview1 function's arguments (undefined for other imports). */
const argKinds = (table: readonly ImportEntry[]): (ArgKind[] | undefined)[] =>
  table.map((e) => (e.wasi === undefined ? undefined : wasmParams(FUNCTIONS[e.wasi]!).map((w) => w.wasm)));

/** Why an event cannot be a call of `entry` (an arity or an argument type the function does not have), if it cannot. */
function badArgs(entry: ImportEntry, kinds: ArgKind[] | undefined, args: readonly Scalar[]): string | undefined {
  if (!kinds) return undefined;
  if (args.length !== kinds.length) return `passes ${entry.name} ${args.length} arguments, but it takes ${kinds.length}`;
  const i = kinds.findIndex((k, n) => !(k === 'i32' ? isI32(args[n]!) : isI64(args[n]!)));
  return i < 0 ? undefined : `passes ${entry.name} ${String(args[i])} as argument ${i}, which is not ${kinds[i] === 'i32' ? 'a 32' : 'a 64'}-bit integer`;
}

/**
 * Every call of the trace, in order; from call #`from` on, when the footer's seek index lets the reader start at
 * the frame that holds it (TraceReader.framesFrom). A seek yields, before the calls of that frame and the frames
 * after it, the calls of the earlier frames that hold a call that may change the fd table (FrameStart.fdCalls),
 * so that following the calls an FdPaths names every fd as a walk from the start does; each call keeps its
 * number and time, and calls before `from` are yielded too (the caller skips them). A damaged frame ends the walk
 * with a UserError after the calls before the damage.
 */
export function* traceCalls(reader: TraceReader, from = 0): Generator<TraceCall> {
  const seek = from > 0 ? reader.seekIndex : undefined;
  const { start, frames } = reader.framesFrom(seek ? from : 0);
  if (seek && start.frame > 0) {
    for (const [a, b] of fdFrameRanges(seek, start.frame)) {
      function* range(): Generator<TraceFrame> { for (let i = a; i <= b; i++) yield reader.readFrame(i); }
      yield* framesCalls(reader, range(), seek[a]!, false);
    }
  }
  yield* framesCalls(reader, frames, start, true);
}

/**
 * The frames before frame `before` to read so that the fd table is known there: each frame with fd calls, from the
 * last frame at or before it that does not start inside blob pieces; as inclusive [first, last] ranges, in order.
 */
function fdFrameRanges(seek: readonly FrameStart[], before: number): [number, number][] {
  const ranges: [number, number][] = [];
  let clean = 0;
  for (let i = 0; i < before; i++) {
    if (seek[i]!.carried === 0) clean = i;
    if (seek[i]!.fdCalls === 0) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] >= clean - 1) last[1] = i; else ranges.push([clean, i]);
  }
  return ranges;
}

/**
 * The calls of consecutive `frames`, the first of which starts at `start` (its call number and time). Each frame
 * is checked against the footer's seek index when there is one; `toTheEnd`: the frames run to the end of the
 * trace, whose call count the footer must then give.
 */
function* framesCalls(reader: TraceReader, frames: Iterator<TraceFrame>, start: FrameStart, toTheEnd: boolean): Generator<TraceCall> {
  const table = importsOf(reader);
  const kinds = argKinds(table);
  const seek = reader.seekIndex;
  const decoder = new EventDecoder();
  let index = start.calls;
  let end = start.time;
  let t = end;
  let offset = 0;
  const failure = (e: unknown) => (e instanceof EventDecodeError
    ? new UserError(`${reader.path}: corrupt trace: frame at offset ${offset}: ${e.message}`)
    : traceFailure(reader.path, e));
  for (;;) {
    // Decoded one event at a time: one frame's payload in memory, not a frame of decoded events.
    let events: Generator<CallEvent>;
    let seq = 0;
    try {
      const f = frames.next();
      if (f.done) { if (toTheEnd) reader.checkCallCount(index); return; }
      offset = f.value.offset;
      seq = f.value.seq;
      events = decoder.eventsOf(f.value.payload, f.value.count);
    } catch (e) {
      throw failure(e);
    }
    const here = seek?.[seq];
    if (here && (here.calls !== index || here.time !== end)) {
      throw new UserError(`${reader.path}: corrupt trace: the footer's seek index says frame #${seq} (offset ${offset}) starts at call #${here.calls}, ${here.time} ns, but it starts at call #${index}, ${end} ns`);
    }
    for (;;) {
      let next: IteratorResult<CallEvent>;
      try {
        next = events.next();
      } catch (e) {
        throw failure(e);
      }
      if (next.done) break;
      const ev = next.value;
      const entry = table[ev.imp];
      const corrupt = (what: string) => new UserError(`${reader.path}: corrupt trace: event #${index} in the frame at offset ${offset} ${what}`);
      if (!entry) throw corrupt(`names import ${ev.imp}, but the header has ${table.length}`);
      const wrong = badArgs(entry, kinds[ev.imp], ev.args);
      if (wrong) throw corrupt(wrong);
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
