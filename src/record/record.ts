// record(): records a guest into a trace file — on a worker thread through the recording pipeline (pipeline.ts),
// or on the caller's thread when its options cannot be handed to another thread (see guestSetup).
import { warmXxh64 } from '../calls/xxh64.js';
import { UserError } from '../errors.js';
import { OutputError, OutputFile } from '../files.js';
import { loadGuestModule, readModuleBytes } from '../module.js';
import { providerFor, type GuestOptions } from '../run.js';
import { MAX_FRAME_BYTES } from '../trace/format.js';
import type { RecordedEnd } from '../trace/header.js';
import { TraceWriter } from '../trace/writer.js';
import { initZstd } from '../trace/zstd.js';
import { encodedModuleFor } from './module-cache.js';
import { CHUNK_EVENTS } from './chunks.js';
import { RAW_EVENT_BYTES, recordOnThread, writeFailed } from './pipeline.js';
import { prepareRecording, runSummary, traceHeader } from './session.js';
import { guestSetup } from './setup.js';
import type { RecordingSettings, Timing } from './recorder.js';

/** The RecordingSettings of record()'s options. */
const settingsOf = (o: RecordOptions): RecordingSettings => ({
  ...(o.timing && { timing: o.timing }), ...(o.checkpoints !== undefined && { checkpoints: o.checkpoints }),
});

/** zstd level of recordings: level 1 compresses events as well as 3 here, and much faster. */
export const RECORD_LEVEL = 1;

export interface RecordOptions extends GuestOptions {
  /**
   * Where the trace goes: written to a temporary name beside it and renamed into place at the end, or straight to
   * a device or FIFO (see src/files.ts). A trace that cannot be written (a full disk) stops the guest and
   * rejects with an OutputError; what was written is kept as a trace cut short (its path is in the message).
   * An OutputFile opened by the caller is used as it is (the recording then owns it).
   */
  output: string | OutputFile;
  /** zstd level 1-9 (default RECORD_LEVEL). */
  level?: number;
  /** Which calls get host times: 'io' (default) or 'all' (see Timing). */
  timing?: Timing;
  /** Memory checkpoints: every N calls, 0 for none, 'auto' (default; see RecordingSettings). */
  checkpoints?: number | 'auto';
  /**
   * Stops the recording (worker thread only): the guest is stopped, every call it made is kept, and the trace says
   * the run was stopped by `signal.reason` (e.g. "SIGINT").
   */
  signal?: AbortSignal;
  /**
   * Run the guest on the caller's thread. Implied by options that cannot go to another thread (JavaScript
   * `imports`, `fds`, stdio FileHandles, `onInstance`, a directory that is not a host path or a MemoryDirectory).
   * On a worker thread an in-memory directory is given to the guest as a copy.
   */
  inThread?: boolean;
  /** Called with the instance before it starts (e.g. so host imports can reach its memory). Implies inThread. */
  onInstance?: (instance: WebAssembly.Instance) => void;
}

export interface RecordResult {
  /** How the run ended: the guest's own end, or `signal`/`error` when the recording was cut short. */
  end: RecordedEnd;
  /** Calls recorded. */
  calls: number;
  trace: string;
}

/** Records a guest; UserError for bad input (no trace is left then). */
export async function record(options: RecordOptions): Promise<RecordResult> {
  const level = options.level ?? RECORD_LEVEL;
  const setup = options.inThread || options.onInstance ? 'inThread' : guestSetup(options);
  if (typeof setup === 'string') return recordInThread(options, level);
  await initZstd();
  const module = typeof options.module === 'string'
    ? readModuleBytes(options.module, { shared: true }) // the guest thread takes it as it is
    : { name: options.moduleName ?? '<memory>', bytes: options.module };
  const forward = { stdout: options.stdout, stderr: options.stderr } as Record<'stdout' | 'stderr', ((b: Uint8Array) => void) | undefined>;
  const r = await recordOnThread({
    setup, module, output: options.output, level, signal: options.signal, settings: settingsOf(options),
    onOutput: (stream, bytes) => forward[stream]?.(bytes),
  });
  if (r.trace === undefined) throw new UserError(`recording stopped by ${String(options.signal?.reason)} before the guest started; no trace was written`);
  return { end: r.end, calls: r.calls, trace: r.trace };
}

/** Thrown into the guest from its next call once the trace cannot be written: the run cannot be recorded on. */
class RecordingStopped extends Error {}

/** The same recording on this thread: events go straight from the recorder into the writer. */
async function recordInThread(options: RecordOptions, level: number): Promise<RecordResult> {
  await initZstd();
  warmXxh64(); // (before the guest's compile, as zstd: see warmXxh64)
  const loaded = await loadGuestModule(options);
  const provider = await providerFor(loaded, options);
  let writer: TraceWriter | undefined;
  /** The first failed write: the guest is stopped at its next call, and what was written is kept. */
  let writeError: unknown;
  const chunk = new Uint8Array(MAX_FRAME_BYTES);
  const sink = (bytes: Uint8Array, count: number) => {
    if (writeError === undefined) {
      try { writer!.appendEvents(bytes, count); } catch (e) { writeError = e; }
    }
    if (writeError !== undefined) throw new RecordingStopped('the trace cannot be written');
    return chunk;
  };
  const session = prepareRecording(loaded, provider, options, sink, chunk, undefined, settingsOf(options));
  const target = typeof options.output === 'string' ? OutputFile.open(options.output, { what: 'trace' }) : options.output;
  writer = await TraceWriter.create(target, traceHeader(loaded, options, session.table), encodedModuleFor(loaded.bytes, loaded.sha256).encoded, { level, rawEventBytes: RAW_EVENT_BYTES, frameEvents: CHUNK_EVENTS })
    .catch((e: unknown) => { throw e instanceof OutputError ? writeFailed(e, 0, undefined) : e; });
  /** Keeps what was written after a failed write and throws its one-line error. */
  const stopped = (e: unknown): never => {
    const kept = writer!.keepPartial();
    throw e instanceof OutputError ? writeFailed(e, session.recorder.calls, kept) : e;
  };
  let end;
  try {
    end = await session.run(options.onInstance);
  } catch (e) {
    if (e instanceof UserError) { writer.abandon(); throw e; } // the guest never started
    if (writeError !== undefined) stopped(writeError);
    try {
      session.recorder.flush();
      writer.finish(runSummary({ kind: 'error', message: (e as Error).message }, session.recorder.calls));
    } catch (e2) {
      stopped(e2);
    }
    throw e;
  }
  if (writeError !== undefined) stopped(writeError);
  const summary = session.summary(end);
  try {
    session.recorder.flush();
    writer.finish(summary);
  } catch (e) {
    stopped(writeError ?? e);
  }
  return { end, calls: summary.calls, trace: writer.path };
}
