// record(): records a guest in this thread, straight into a trace file.
import { UserError } from '../errors.js';
import { loadGuestModule, providerFor, type GuestOptions } from '../run.js';
import type { RunEnd } from '../runtime/runtime.js';
import { MAX_FRAME_BYTES } from '../trace/format.js';
import { TraceWriter } from '../trace/writer.js';
import { initZstd } from '../trace/zstd.js';
import { prepareRecording, traceHeader } from './session.js';

/** zstd level of recordings: level 1 compresses events as well as 3 here, and much faster. */
export const RECORD_LEVEL = 1;

export interface RecordOptions extends GuestOptions {
  /** Where the trace goes (written to a temporary name beside it, renamed into place at the end). */
  output: string;
  /** zstd level 1-9 (default RECORD_LEVEL). */
  level?: number;
  /** Called with the instance before it starts (e.g. so host imports can reach its memory). */
  onInstance?: (instance: WebAssembly.Instance) => void;
}

export interface RecordResult {
  end: RunEnd;
  /** Calls recorded. */
  calls: number;
  trace: string;
}

export async function record(options: RecordOptions): Promise<RecordResult> {
  await initZstd();
  const loaded = await loadGuestModule(options);
  const provider = await providerFor(loaded, options);
  let writer: TraceWriter | undefined;
  const chunk = new Uint8Array(MAX_FRAME_BYTES);
  const sink = (bytes: Uint8Array, count: number) => { writer!.appendEvents(bytes, count); return chunk; };
  const session = prepareRecording(loaded, provider, options, sink, chunk);
  try {
    writer = await TraceWriter.create(options.output, traceHeader(loaded, options, session.table), loaded.bytes, { level: options.level ?? RECORD_LEVEL });
  } catch (e) {
    throw new UserError(`cannot write trace ${options.output}: ${(e as Error).message}`);
  }
  let end: RunEnd;
  try {
    end = await session.run(options.onInstance);
  } catch (e) {
    if (e instanceof UserError) { writer.abandon(); throw e; } // the guest never started
    session.recorder.flush();
    writer.finish(session.footer({ kind: 'error', message: (e as Error).message }));
    throw e;
  }
  session.recorder.flush();
  writer.finish(session.footer(end));
  return { end, calls: session.recorder.calls, trace: writer.path };
}
