// The guest thread of a recording (pipeline.ts starts it): builds the guest's run from its setup, runs it through
// the recording proxy and passes encoded events to the writer's thread in shared chunks (chunks.ts). A thread may
// run one recording after another (record --until-fail): each start message is one run, and the module the caller
// compiled (once) is instantiated afresh for each.
// Messages out for each run, in this order: header (as the run starts), chunk (a chunk is full; any number),
// output (forwarded stdout/stderr), ran (the guest ended and every event is in the chunks; only when its memory is
// large enough for the footer's hash of it to take a while), then end (with the footer fields) or fail (the run
// could not be set up or the host failed).
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { setTiering, type Tiering } from '../engine.js';
import type { LoadedModule } from '../module.js';
import { providerFor } from '../run.js';
import type { RunEnd } from '../runtime/runtime.js';
import type { RunSummary, TraceHeader } from '../trace/header.js';
import { ChunkProducer, type ChunkPool } from './chunks.js';
import type { RecordingSettings } from './recorder.js';
import { prepareRecording, traceHeader } from './session.js';
import { setupOptions, type GuestSetup } from './setup.js';

/** Guest memory (bytes) from which the end of a run is announced (ran) before the memory is hashed: ~8 ms of sha256. */
const RAN_NOTE_MEMORY = 8 << 20;

/** The start message of one run. */
export interface GuestThreadStart {
  setup: GuestSetup;
  /** The module as read (once) by the caller's thread, in shared memory. */
  module: { name: string; bytes: Uint8Array };
  /**
   * The module compiled by the caller (a WebAssembly.Module crosses threads without recompiling), with its sha256
   * when the caller had it already; else the header posted leaves it empty ('') and the caller completes it
   * (pipeline.ts hashes the module while the guest runs).
   */
  compiled: { module: WebAssembly.Module; sha256?: string };
  pool: ChunkPool;
  /** The caller's engine setting (V8 flags are shared; this module's record of them is not). */
  tiering: Tiering;
  /** Timing and checkpoints of the recording. */
  settings?: RecordingSettings;
}

export type GuestThreadMessage =
  | { type: 'header'; header: TraceHeader }
  | { type: 'chunk' }
  | { type: 'ran' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; bytes: Uint8Array }
  | { type: 'end'; end: RunEnd; summary: RunSummary }
  | { type: 'fail'; message: string; user: boolean };

/** The module the caller compiled. */
const loadedModule = (m: GuestThreadStart): LoadedModule => ({ name: m.module.name, bytes: m.module.bytes, module: m.compiled.module, sha256: m.compiled.sha256 ?? '' });

async function run(start: GuestThreadStart): Promise<void> {
  const port = parentPort!;
  const post = (m: GuestThreadMessage) => port.postMessage(m);
  setTiering(start.tiering);
  const loaded = await loadedModule(start);
  const options = setupOptions(start.setup, start.module.bytes, start.module.name, (stream, bytes) => post({ type: 'output', stream, bytes }));
  const provider = await providerFor(loaded, options);
  const producer = new ChunkProducer(start.pool, () => post({ type: 'chunk' }));
  const session = prepareRecording(loaded, provider, options, (b, n) => producer.full(b.length, n), producer.first(), producer.progress, start.settings);
  // The caller's thread writes the header and module while the guest already runs; events wait in the chunks.
  post({ type: 'header', header: traceHeader(loaded, options, session.table) });
  const end = await session.run();
  session.recorder.flush();
  // Hashing a large memory for the footer takes a while: the writer's thread meanwhile writes the events and
  // fsyncs them, so that finishing the trace has only the footer left to write out.
  if (session.memorySize >= RAN_NOTE_MEMORY) post({ type: 'ran' });
  post({ type: 'end', end, summary: session.summary(end) });
}

parentPort!.on('message', (start: GuestThreadStart) => {
  run(start).catch((e: unknown) => {
    parentPort!.postMessage({ type: 'fail', message: (e as Error)?.message ?? String(e), user: e instanceof UserError } satisfies GuestThreadMessage);
  });
});
