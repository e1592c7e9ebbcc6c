// Worker threads started before the command line is parsed, because they take a while to boot: the guest
// thread of `record`, the frame reader of `replay` (for a trace that is not small: smallTrace). Only node:fs,
// node:worker_threads and src/worker-url.js are imported here, so starting one costs the main thread next to nothing
// (cli/fresh-bundle.js, which main.js has loaded, names the workers' bundles).
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { NO_STDIN_STREAM, whenReady } from '../src/worker-url.js';
import { bundleOf } from './fresh-bundle.js';

const SCRIPTS = { record: 'src/record/guest-thread.js', replay: 'src/replay/prefetch-worker.js' };
export type Prewarmable = keyof typeof SCRIPTS;
/** Whether the workers load from their bundles (main.js found the bundles fresh): set by prewarm(). */
let bundled = false;
const urlOf = (kind: Prewarmable): URL => new URL(`../${bundled ? bundleOf(SCRIPTS[kind]) : SCRIPTS[kind]}`, import.meta.url);
/** The options of a worker for `kind`: the guest thread never reads its process.stdin. */
const optionsOf = (kind: Prewarmable) => (kind === 'record' ? NO_STDIN_STREAM : {});

const prewarmed = new Map<Prewarmable, Worker>();
/** When each started guest thread has loaded (whenReady, listened to from its start). */
const readiness = new WeakMap<Worker, Promise<void>>();
/** Run from the TypeScript sources (in-process tests) there are no built worker files, so no workers. */
const BUILT = import.meta.url.endsWith('.js');

/**
 * A trace file of at most this many bytes is replayed without a frame reader thread: the replaying thread reads its
 * frames itself sooner than a thread boots (~50 ms of CPU, which a loaded machine makes longer) and hands them over.
 * Measured on 2 cores: a storm trace of 300k calls (0.6 MB) replays faster without one, of 1M calls (1.8 MB) a
 * little faster with one.
 */
export const SMALL_TRACE_BYTES = 1 << 20;

/** Whether `path` is a regular file of at most SMALL_TRACE_BYTES: `replay` reads it without a reader thread. */
export function smallTrace(path: string): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  return st !== undefined && st.isFile() && st.size <= SMALL_TRACE_BYTES;
}

/**
 * Starts the worker `command` will want (record, replay), if it is one of those. For replay, the last argument of
 * `argv` that is not a flag is most likely the trace: the worker starts reading its module at once (a wrong guess
 * costs only that thread's time; see readAhead in src/replay/prefetch.ts); no worker when that is a small trace
 * (smallTrace). `fromBundles`: the workers (this one and any takeWorker starts) load from their bundles
 * (cli/bundle.ts).
 */
export function prewarm(command: string | undefined, argv: readonly string[] = [], fromBundles = false): void {
  bundled = fromBundles;
  const started = prewarmed.get('record');
  if (started !== undefined) {
    // startGuestThread() took the bundles for fresh: when they are not, its worker goes and another starts.
    if (!fromBundles) {
      prewarmed.delete('record');
      void started.terminate();
    } else {
      started.off('error', ignore); // its errors are the recording's from now on
      if (command === 'record') return;
    }
  }
  if ((command !== 'record' && command !== 'replay') || !BUILT) return;
  const guess = command === 'replay' ? argv.slice(argv.indexOf(command) + 1).filter((a) => !a.startsWith('-')).at(-1) : undefined;
  if (guess !== undefined && smallTrace(guess)) return;
  const w = new Worker(urlOf(command), optionsOf(command));
  w.unref(); // a worker that is never used must not keep the process alive
  if (command === 'record') readiness.set(w, whenReady(w));
  prewarmed.set(command, w);
  if (guess !== undefined) w.postMessage({ readAhead: guess });
}

const ignore = (): void => {};

/**
 * Starts record's guest thread at once, on its bundle, before cli/main.ts has checked that the bundles are fresh
 * (one stat per input: ~5 ms that the thread's boot, the critical path of a short recording, need not wait for);
 * prewarm() then keeps it, or replaces it when the bundles are not fresh.
 */
export function startGuestThread(): void {
  if (!BUILT || prewarmed.has('record')) return;
  bundled = true;
  const w = new Worker(urlOf('record'), NO_STDIN_STREAM);
  w.unref();
  readiness.set(w, whenReady(w));
  w.on('error', ignore); // a bundle that is not there (a build without bundles): prewarm() replaces this worker
  prewarmed.set('record', w);
}

/**
 * The worker for `kind`: the prewarmed one if there is one, else a new one; undefined when run from the sources.
 * It waits for its start message.
 */
export function takeWorker(kind: Prewarmable): Worker | undefined {
  if (!BUILT) return undefined;
  const w = prewarmed.get(kind) ?? new Worker(urlOf(kind), optionsOf(kind));
  prewarmed.delete(kind);
  return w;
}

/** record's guest thread (takeWorker) and when it has loaded (whenReady); undefined when run from the sources. */
export function takeGuestThread(): { worker: Worker; ready: Promise<void> } | undefined {
  const worker = takeWorker('record');
  return worker && { worker, ready: readiness.get(worker) ?? whenReady(worker) };
}
