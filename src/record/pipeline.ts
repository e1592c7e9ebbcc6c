// The recording pipeline: the guest runs on a worker thread (guest-thread.ts) while this thread writes the trace
// from the shared chunks it fills. Stopping on demand (an AbortSignal: the CLI's SIGINT/SIGTERM), a crash of the
// guest thread or a host failure all end the same way: the guest thread is terminated, every call it completed is
// salvaged, and the trace is finished with a footer that says how the run ended. A trace that cannot be written
// (a full disk) stops the guest too; what was written is kept as a trace cut short (see writeFailed). The CLI, the
// API's record() and the until-failure loop all record through recordOnThread.
//
// No call waits long for its frame: besides every full chunk, a timer here takes the completed events of the
// chunk the guest is filling and writes them as a frame (ChunkConsumer.takeFilling), so that no event waits more
// than about FRAME_AGE_MS to be in the file: a recording killed with SIGKILL keeps all but its last fraction of a
// second.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { NO_STDIN_STREAM, whenReady, workerUrl } from '../worker-url.js';
import { UserError } from '../errors.js';
import { engineFingerprint } from '../engine.js';
import { compileModule } from '../module.js';
import { OutputError, OutputFile } from '../files.js';
import type { RunEnd } from '../runtime/runtime.js';
import { MAX_FRAME_BYTES } from '../trace/format.js';
import type { RecordedEnd, RunSummary } from '../trace/header.js';
import type { WalkState } from '../trace/events.js';
import { TraceWriter, type EncodedModule } from '../trace/writer.js';
import { initZstd } from '../trace/zstd.js';
import { CHUNK_EVENTS, ChunkConsumer, createChunkPool, resetChunkPool, type ChunkPool } from './chunks.js';
import { encodedModuleFor } from './module-cache.js';
import type { GuestThreadCompiled, GuestThreadMessage, GuestThreadStart } from './guest-thread.js';
import { runSummary } from './session.js';
import type { GuestSetup } from './setup.js';
import type { RecordingSettings } from './recorder.js';

/** The guest thread's script; a caller may start a Worker on it early (it waits for its start message). */
export const guestThreadUrl = workerUrl('./guest-thread.js', import.meta.url);

/** How a run ended when its timeout stopped it: as if by SIGALRM, like a process under timeout(1) -s ALRM. */
export const TIMEOUT_SIGNAL = 'SIGALRM';

/**
 * A trace whose header and module take at least this many bytes is fsynced right after them, while the guest runs,
 * so that finishing it has only the frames and the footer left to fsync.
 */
const EARLY_SYNC_BYTES = 1 << 20;

/**
 * A recording's first EVENTS frames are stored raw, up to this many bytes of events (TraceWriter's rawEventBytes):
 * compressing them would cost more time than the few hundred KiB it saves (at most ~380 KiB: events compress about
 * 4x). zstd's first compressions in a process compile its code, and about 16 KiB of them make V8 re-compile its
 * block compressor with the optimising tier: 60-300 ms of a background thread, which the process waits for when it
 * exits (a 30 MB module recorded with 19 KiB of events waited ~110 ms). A recording with more events compresses
 * them from the first frame that does not fit on.
 */
export const RAW_EVENT_BYTES = 512 << 10;

/** Chunks in flight between the guest thread and the writer. */
const CHUNKS = 4;

/** About the longest time (ms) a completed event waits to be written in a frame, when its chunk does not fill. */
export const FRAME_AGE_MS = 250;
/** takeFilling passes on what the guest completed by the tick before: two ticks per FRAME_AGE_MS. */
const TICK_MS = FRAME_AGE_MS / 2;

export interface ThreadRecording {
  setup: GuestSetup;
  module: { name: string; bytes: Uint8Array };
  /**
   * Where the trace goes: a path (opened with OutputFile.open before the guest starts: UserError for a name that
   * cannot be a trace), or an output the caller opened (this recording then owns it).
   */
  output: string | OutputFile;
  /** zstd level 1-9. */
  level: number;
  /** Timing and checkpoints (default: --timing io, automatic checkpoints). */
  settings?: RecordingSettings;
  /** Stops the recording: the reason (a string such as "SIGINT") is recorded as the signal that stopped it. */
  signal?: AbortSignal;
  /** Stops a guest still running this many milliseconds after it started, as if by SIGALRM (TIMEOUT_SIGNAL). */
  timeoutMs?: number;
  /** A worker already started on guestThreadUrl (say, while a command line loads); else one is started. */
  worker?: Worker;
  /** Resolves once `worker` has loaded (whenReady from its start on); by default it has. */
  workerReady?: Promise<void>;
  /** Receives the guest's forwarded stdout/stderr (setup routes 'forward'). */
  onOutput?: (stream: 'stdout' | 'stderr', bytes: Uint8Array) => void;
  /** The module's MODULE blocks, when the caller prepared them already. */
  encodedModule?: EncodedModule;
  /** The module compiled by the caller (the guest thread then does not compile it again). */
  compiled?: { module: WebAssembly.Module; sha256: string };
  /** Chunks to reuse (they must not be in use); a new pool by default. */
  pool?: ChunkPool;
  /** Leave the worker running after a run that ended by itself, for another run (it is terminated otherwise). */
  keepWorker?: boolean;
  /**
   * Whether to keep the trace of a run that ended this way (default: always). A trace not kept is removed
   * without being finished (no fsync, no rename), and the result has no `trace`.
   */
  keep?: (end: RecordedEnd) => boolean;
}

export interface ThreadRecordingResult {
  /** How the run ended: the guest's end, or `signal`/`error` when the recording was cut short. */
  end: RecordedEnd;
  /** Calls recorded. */
  calls: number;
  /**
   * The finished trace (absolute path); undefined when `keep` said not to keep it, or when the recording was
   * stopped (the signal) before the guest started.
   */
  trace?: string;
}

/**
 * The one-line error of a recording whose trace could not be written: `<reason> writing <name>; the recording was
 * stopped after N calls`, and where the calls written before are kept, if anywhere (TraceWriter.keepPartial).
 */
export function writeFailed(e: OutputError, calls: number, kept: string | undefined): OutputError {
  const where = kept ? ` (the calls written before it are kept in ${kept}, a trace cut short that replay and dump read)` : '';
  const err = new OutputError(e.reason, e.target, e.code);
  err.message = `${e.message}; the recording was stopped after ${calls} calls${where}`;
  return err;
}

/**
 * Records one run of a guest on a worker thread. Resolves once the trace is finished, however the run ended;
 * rejects with a UserError when the run could not be set up (no trace is left then), and with an OutputError
 * (see writeFailed) when the trace could not be written (the guest is stopped then).
 */
export function recordOnThread(r: ThreadRecording): Promise<ThreadRecordingResult> {
  let target: OutputFile;
  try {
    target = typeof r.output === 'string' ? OutputFile.open(r.output, { what: 'trace' }) : r.output;
  } catch (e) {
    return Promise.reject(e);
  }
  // In shared memory, so that the worker gets the module without a copy of it being made and sent.
  let bytes = r.module.bytes;
  if (!(bytes.buffer instanceof SharedArrayBuffer)) {
    bytes = new Uint8Array(new SharedArrayBuffer(r.module.bytes.length));
    bytes.set(r.module.bytes);
  }
  const pool = r.pool ?? createChunkPool(CHUNKS, MAX_FRAME_BYTES);
  if (r.pool) resetChunkPool(pool);
  const consumer = new ChunkConsumer(pool);
  const worker = r.worker ?? new Worker(guestThreadUrl, NO_STDIN_STREAM);
  const ready = r.worker ? r.workerReady ?? Promise.resolve() : whenReady(worker);
  worker.ref();
  const start: GuestThreadStart = {
    type: 'start', setup: r.setup, module: { name: r.module.name, bytes }, pool, tiering: engineFingerprint().tiering,
    ...(r.settings && { settings: r.settings }),
  };
  // The guest is compiled here, once the guest thread has loaded, and handed to it as soon as it is compiled; the
  // thread has its start before, to set up meanwhile. Compiling for V8's baseline tier only (the CLI's default) sets
  // a process-wide V8 flag whose implied flags stay set afterwards (src/engine.ts), and with them V8 rejects the code
  // cache of Node's own modules in every thread: a thread booting from then on compiles Node's internals from
  // source (an empty worker boots in ~135 ms instead of ~67), so the compile waits for the thread's boot. zstd's own
  // wasm is compiled before it for the same flags: a zstd compiled meanwhile or after would keep baseline code, which
  // compresses 2-3x slower, for the whole recording. A caller that compiled the module itself owns that order.
  // UserError for a module that does not load.
  const compiled: Promise<WebAssembly.Module> = r.compiled
    ? Promise.resolve(r.compiled.module)
    : Promise.all([initZstd(), ready]).then(() => compileModule(r.module.name, bytes)).then((l) => l.module);
  /** Resolves once the guest thread was sent its compiled module (never, when the run never starts). */
  let startPosted!: () => void;
  const posted = new Promise<void>((resolve) => { startPosted = resolve; });
  // The module's sha256 is computed once the guest thread has its compiled module, while the guest runs, a slice at
  // a time; then its MODULE blocks (from the module cache, or compressed and cached). Nothing the guest needs waits
  // for them, only the header's write, which completes the header with the sha256. (Hashed during the compile, as
  // before, it took a core from V8's compiler threads on 2 cores: a 30 MB module compiled in ~53 ms instead of ~41,
  // and its recording took 300 ms instead of 294, medians of 11 interleaved rounds.)
  /** Set once the recording is settled: a hash still under way stops. */
  let over = false;
  const sha256: Promise<string> = r.compiled ? Promise.resolve(r.compiled.sha256) : posted.then(() => sliceHash(bytes, () => over));
  const encodedModule: Promise<EncodedModule> = r.encodedModule
    ? Promise.resolve(r.encodedModule)
    : Promise.all([sha256, posted]).then(([hash]) => encodedModuleFor(bytes, hash).encoded);
  let writer: TraceWriter | undefined;
  /** Settles once the header and module are written (the guest runs meanwhile). */
  let writerReady: Promise<unknown> = Promise.resolve();
  // With where the run is after each batch (the recorder publishes it), so the writer need not walk the events.
  const append = (b: Uint8Array, n: number, after: WalkState) => writer!.appendEvents(b, n, after);

  return new Promise<ThreadRecordingResult>((resolve, reject) => {
    let settled = false;
    let stopping = false;
    let failing = false;
    /** A drain is scheduled for the event loop's next turn ('chunk' messages). */
    let drainScheduled = false;
    /** Removes this run's listeners from a worker kept for other runs. */
    let detach = () => {};
    let timeout: NodeJS.Timeout | undefined;
    const onAbort = () => void cutShort({ kind: 'signal', signal: String(r.signal?.reason ?? 'abort') });
    /** Writes what waited: the completed events of the chunk being filled, and the writer's pending frame. */
    const timer = setInterval(() => {
      if (!writer || stopping || settled) return;
      writing(() => {
        consumer.drain(append, pool.chunks.length);
        consumer.takeFilling(append);
        writer!.flush();
      });
    }, TICK_MS);
    timer.unref(); // never what keeps the process alive
    const settle = (f: () => ThreadRecordingResult) => {
      if (settled) return;
      settled = true;
      over = true;
      clearInterval(timer);
      if (timeout) clearTimeout(timeout);
      detach();
      r.signal?.removeEventListener('abort', onAbort);
      try { resolve(f()); } catch (e) { reject(e); }
    };
    const finish = (summary: RunSummary): ThreadRecordingResult => {
      if (r.keep && !r.keep(summary.end)) {
        writer!.abandon();
        return { end: summary.end, calls: summary.calls };
      }
      writer!.finish(summary);
      return { end: summary.end, calls: summary.calls, trace: writer!.path };
    };
    /**
     * Runs a step that writes the trace; when a write fails, stops the guest for good, keeps what was written and
     * rejects (first failure wins). Returns whether the step succeeded.
     */
    const writing = (step: () => void): boolean => {
      try {
        step();
        return true;
      } catch (e) {
        void failed(e);
        return false;
      }
    };
    const failed = async (e: unknown) => {
      if (settled || failing) return;
      failing = true;
      stopping = true;
      await worker.terminate();
      await writerReady.catch(() => {});
      const calls = consumer.calls;
      const kept = writer ? writer.keepPartial() : (target.discard(), undefined);
      settle(() => { throw e instanceof OutputError ? writeFailed(e, calls, kept) : e; });
    };
    /** Finishes the trace from whatever the guest thread completed, after it stopped for good (first reason wins). */
    const cutShort = async (end: RecordedEnd) => {
      if (stopping || settled) return;
      stopping = true;
      await worker.terminate();
      await writerReady.catch(() => {});
      if (settled || failing) return;
      if (!writer) {
        // Stopped before the header was written: there is no trace to finish.
        target.discard();
        settle(() => {
          if (end.kind === 'error') throw new UserError(`recording failed: ${end.message}`);
          return { end, calls: 0 };
        });
        return;
      }
      let result: ThreadRecordingResult | undefined;
      if (writing(() => { consumer.salvage(append); result = finish(runSummary(end, consumer.calls)); })) settle(() => result!);
    };
    if (r.signal?.aborted) { void onAbort(); return; }
    r.signal?.addEventListener('abort', onAbort, { once: true });
    worker.postMessage(start);
    compiled.then((module) => {
      if (stopping || settled) return;
      worker.postMessage({ type: 'compiled', compiled: { module, ...(r.compiled && { sha256: r.compiled.sha256 }) } } satisfies GuestThreadCompiled);
      startPosted();
      void TraceWriter.prepare().catch(() => {}); // while the guest thread sets up (create() reports a failure)
    }, (e: unknown) => {
      if (e instanceof UserError) onMessage({ type: 'fail', message: e.message, user: true });
      else void cutShort({ kind: 'error', message: (e as Error)?.message ?? String(e) });
    });

    const onMessage = (m: GuestThreadMessage) => {
      switch (m.type) {
        case 'header':
          if (r.timeoutMs !== undefined) timeout = setTimeout(() => void cutShort({ kind: 'signal', signal: TIMEOUT_SIGNAL }), r.timeoutMs);
          writerReady = Promise.all([encodedModule, sha256])
            .then(([encoded, hash]) => TraceWriter.create(target, { ...m.header, module: { ...m.header.module, sha256: hash } }, encoded, { level: r.level, rawEventBytes: RAW_EVENT_BYTES, frameEvents: CHUNK_EVENTS }))
            .then((w) => {
              writer = w;
              writing(() => {
                consumer.drain(append);
                if (w.bytesWritten >= EARLY_SYNC_BYTES && !stopping) w.syncWritten();
              });
            })
            .catch((e: unknown) => void failed(e));
          return;
        case 'chunk':
          // Drained in the event loop's next turn, not here: Node delivers up to 1000 queued messages in one go, and a
          // guest that fills chunks as fast as they are written keeps that many queued, so draining per message kept
          // the signal and timeout handlers waiting for seconds. One drain per turn, of as many chunks as the pool
          // holds, whatever number of messages asked for it.
          if (!drainScheduled) {
            drainScheduled = true;
            setImmediate(() => {
              drainScheduled = false;
              if (writer && !stopping) writing(() => consumer.drain(append, pool.chunks.length));
            });
          }
          return;
        case 'output':
          r.onOutput?.(m.stream, m.bytes);
          return;
        case 'ran':
          // The guest hashes its memory now: write out its events meanwhile, and fsync them when the trace is kept
          // for sure (a hunt's runs are mostly not: abandoning one costs no fsync).
          if (writer && !stopping) {
            writing(() => {
              consumer.drain(append);
              writer!.flush();
              if (!r.keep) writer!.syncWritten();
            });
          }
          return;
        case 'end':
          stopping = true;
          // Every event is in the chunks (shared memory, which this thread keeps): the guest thread is ended now, so
          // that its teardown (~10-20 ms) overlaps the trace's finish (footer, fsync, rename) instead of following it.
          if (r.keepWorker) worker.unref(); else void worker.terminate();
          void writerReady.then(() => {
            if (settled || failing || !writer) return;
            let result: ThreadRecordingResult | undefined;
            if (writing(() => { consumer.drain(append); result = finish(m.summary); })) settle(() => result!);
          });
          return;
        case 'fail':
          if (m.user) {
            // Bad input found while setting up (say, an import signature that does not match): no trace at all.
            stopping = true;
            void worker.terminate();
            void writerReady.then(() => {
              if (writer) writer.abandon(); else target.discard();
              settle(() => { throw new UserError(m.message); });
            });
          } else {
            void cutShort({ kind: 'error', message: m.message });
          }
      }
    };
    const onError = (e: Error) => void cutShort({ kind: 'error', message: e.message });
    const onExit = () => void cutShort({ kind: 'error', message: 'the guest thread ended unexpectedly' });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    detach = () => { worker.off('message', onMessage); worker.off('error', onError); worker.off('exit', onExit); };
  });
}

/** Bytes of the module hashed at a time between turns of the event loop (a few ms each). */
const HASH_SLICE = 2 << 20;

/**
 * The hex sha256 of `bytes`, hashed HASH_SLICE bytes per turn of the event loop, from the next turn on; never
 * settles once `stop()` is true (the recording no longer wants it).
 */
function sliceHash(bytes: Uint8Array, stop: () => boolean): Promise<string> {
  const hash = createHash('sha256');
  return new Promise((resolve) => {
    let at = 0;
    const step = () => {
      if (stop()) return;
      const end = Math.min(bytes.length, at + HASH_SLICE);
      hash.update(bytes.subarray(at, end));
      at = end;
      if (at < bytes.length) setImmediate(step); else resolve(hash.digest('hex'));
    };
    setImmediate(step);
  });
}

/** Whether a guest's own end (not a cut) is what `end` is. */
export const guestEnded = (end: RecordedEnd): end is RunEnd => end.kind === 'exit' || end.kind === 'trap';
