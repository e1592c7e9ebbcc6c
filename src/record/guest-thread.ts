// The guest thread of a recording (pipeline.ts starts it): builds the guest's run from its setup, runs it through
// the recording proxy and passes encoded events to the writer's thread in shared chunks (chunks.ts). A thread may
// run one recording after another (record --until-fail), and the module the caller compiled (once) is instantiated
// afresh for each. Each run is two messages in: its start (setup, module bytes, chunks), sent while the caller may
// still be compiling the module, from which this thread makes what needs no compiled module (the guest's options,
// the provider, the recording proxy and the header), then the compiled module, which it instantiates and runs.
// Messages out: ready, once, when the thread has loaded (the caller compiles the guest only then: see pipeline.ts);
// for each run, in this order: header (as the run starts), chunk (a chunk is full; any number),
// output (forwarded stdout/stderr), ran (the guest ended and every event is in the chunks; only when its memory is
// large enough for the footer's hash of it to take a while), then end (with the footer fields) or fail (the run
// could not be set up or the host failed).
import { parentPort } from 'node:worker_threads';
import { warmXxh64 } from '../calls/xxh64.js';
import { UserError } from '../errors.js';
import { setTiering, type Tiering } from '../engine.js';
import type { LoadedModule } from '../module.js';
import type { Provider } from '../providers.js';
import { providerFor, type GuestOptions } from '../run.js';
import type { RunEnd } from '../runtime/runtime.js';
import type { RunSummary, TraceHeader } from '../trace/header.js';
import { ChunkProducer, type ChunkPool } from './chunks.js';
import type { RecordingSettings } from './recorder.js';
import { importsOnly, prepareRecording, sameImports, traceHeader, type RecordingRun } from './session.js';
import { setupOptions, type GuestSetup } from './setup.js';

/** Guest memory (bytes) from which the end of a run is announced (ran) before the memory is hashed: ~8 ms of sha256. */
const RAN_NOTE_MEMORY = 8 << 20;

/** The first message of one run: everything but its compiled module (GuestThreadCompiled). */
export interface GuestThreadStart {
  type: 'start';
  setup: GuestSetup;
  /** The module as read (once) by the caller's thread, in shared memory. */
  module: { name: string; bytes: Uint8Array };
  pool: ChunkPool;
  /** The caller's engine setting (V8 flags are shared; this module's record of them is not). */
  tiering: Tiering;
  /** Timing and checkpoints of the recording. */
  settings?: RecordingSettings;
}

/** The second message of a run: its module. */
export interface GuestThreadCompiled {
  type: 'compiled';
  /**
   * The module compiled by the caller (a WebAssembly.Module crosses threads without recompiling), with its sha256
   * when the caller had it already; else the header posted leaves it empty ('') and the caller completes it
   * (pipeline.ts hashes the module while the guest runs).
   */
  compiled: { module: WebAssembly.Module; sha256?: string };
}

export type GuestThreadMessage =
  | { type: 'ready' }
  | { type: 'header'; header: TraceHeader }
  | { type: 'chunk' }
  | { type: 'ran' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; bytes: Uint8Array }
  | { type: 'end'; end: RunEnd; summary: RunSummary }
  | { type: 'fail'; message: string; user: boolean };

const post = (m: GuestThreadMessage): void => parentPort!.postMessage(m);

/** What a run's start let this thread make before its module compiled. */
interface Prepared {
  options: GuestOptions;
  provider: Provider;
  producer: ChunkProducer;
  /**
   * The recording made on a stand-in with the module's imports (importsOnly), when there was one: the run and its
   * header (whose sha256 the caller completes) are ready once the module comes, if it has the same imports.
   */
  ahead?: { stub: WebAssembly.Module; session: RecordingRun; header: TraceHeader };
}

/** The recording of `loaded` (the module, or a stand-in with its imports), its events going to `producer`. */
function recordingOf(start: GuestThreadStart, loaded: LoadedModule, provider: Provider, options: GuestOptions, producer: ChunkProducer): RecordingRun {
  return prepareRecording(loaded, provider, options, (b, n) => producer.full(b.length, n), producer.first(), producer.progress, start.settings);
}

/** Makes what a run needs besides its compiled module. */
async function prepare(start: GuestThreadStart): Promise<Prepared> {
  setTiering(start.tiering);
  const { name, bytes } = start.module;
  const options = setupOptions(start.setup, bytes, name, (stream, b) => post({ type: 'output', stream, bytes: b }));
  const stub = importsOnly(bytes);
  const stand: LoadedModule | undefined = stub && { name, bytes, module: stub, sha256: '' };
  const provider = await providerFor(stand ?? ({ name } as LoadedModule), options); // (it names the guest, nothing more)
  const producer = new ChunkProducer(start.pool, () => post({ type: 'chunk' }));
  if (!stand) return { options, provider, producer };
  const session = recordingOf(start, stand, provider, options, producer);
  return { options, provider, producer, ahead: { stub: stand.module, session, header: traceHeader(stand, options, session.table) } };
}

/**
 * Runs a prepared run with its module. A failure to prepare (bad input, such as an import the runtime does not
 * supply) is reported only now, once the module compiled: a module that does not compile is reported first.
 */
async function run(start: GuestThreadStart, prepared: Promise<Prepared>, compiled: GuestThreadCompiled['compiled']): Promise<void> {
  const { options, provider, producer, ahead } = await prepared;
  const loaded: LoadedModule = { name: start.module.name, bytes: start.module.bytes, module: compiled.module, sha256: compiled.sha256 ?? '' };
  // (The stand-in's imports are the module's own: checked all the same, it costs nothing.)
  const made = ahead && sameImports(ahead.stub, loaded.module) ? ahead : undefined;
  const session = made?.session ?? recordingOf(start, loaded, provider, options, producer);
  // The caller's thread writes the header and module while the guest already runs; events wait in the chunks.
  const header = made ? { ...made.header, module: { ...made.header.module, sha256: loaded.sha256 } } : traceHeader(loaded, options, session.table);
  post({ type: 'header', header });
  const end = await session.run(undefined, loaded);
  session.recorder.flush();
  // Hashing a large memory for the footer takes a while: the writer's thread meanwhile writes the events and
  // fsyncs them, so that finishing the trace has only the footer left to write out.
  if (session.memorySize >= RAN_NOTE_MEMORY) post({ type: 'ran' });
  post({ type: 'end', end, summary: session.summary(end) });
}

/** The run whose start came and whose module has not yet. */
let pending: { start: GuestThreadStart; prepared: Promise<Prepared> } | undefined;

parentPort!.on('message', (m: GuestThreadStart | GuestThreadCompiled) => {
  if (m.type === 'start') {
    const prepared = prepare(m);
    prepared.catch(() => {}); // reported by run()
    pending = { start: m, prepared };
    return;
  }
  const p = pending;
  pending = undefined;
  (p ? run(p.start, p.prepared, m.compiled) : Promise.reject(new Error('a compiled module came before its start'))).catch((e: unknown) => {
    post({ type: 'fail', message: (e as Error)?.message ?? String(e), user: e instanceof UserError });
  });
});

// Loaded: the global `performance` too (its module loads when first read, which the recorder does), and the memory
// hash, which V8 optimises only when compiled before the guest is (warmXxh64).
void performance.now();
warmXxh64();
post({ type: 'ready' });
