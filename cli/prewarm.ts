// Worker threads started before the command line is parsed, because they take a while to boot: the guest
// thread of `record`, the frame reader of `replay` (for a trace that is not small: smallTrace). Only node:fs and
// src/worker-url.js are imported here, node:worker_threads when a worker is started (loading it costs ~5 ms, which a
// small trace's replay does without) and the block-header reader for a trace file over 1 MiB (smallTrace), so
// starting one costs the main thread nothing else (cli/fresh-bundle.js, which main.js has loaded, names the workers'
// bundles).
import { closeSync, openSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { NO_STDIN_STREAM, whenReady } from '../src/worker-url.js';
import { bundleOf, cjsBundleRunner } from './fresh-bundle.js';

/**
 * A worker on `url`, node:worker_threads loaded (synchronously) for the first; a CommonJS bundle (.cjs) runs with
 * its code cache (cjsBundleRunner). Undefined on a Node without process.getBuiltinModule (before 20.16): there the
 * commands start their workers themselves, later.
 */
const newWorker = (url: URL, options: { stdin?: boolean } = {}): Worker | undefined => {
  if (typeof process.getBuiltinModule !== 'function') return undefined;
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  return url.pathname.endsWith('.cjs') ? new Worker(cjsBundleRunner(fileURLToPath(url)), { ...options, eval: true }) : new Worker(url, options);
};

const SCRIPTS = { record: 'src/record/guest-thread.js', replay: 'src/replay/prefetch-worker.js' };
export type Prewarmable = keyof typeof SCRIPTS;
/** Whether the workers load from their bundles (main.js found the bundles fresh): set by prewarm(). */
let bundled = false;
const urlOf = (kind: Prewarmable): URL => new URL(`../${bundled ? bundleOf(SCRIPTS[kind]) : SCRIPTS[kind]}`, import.meta.url);
/** The options of a worker for `kind`: the guest thread never reads its process.stdin. */
const optionsOf = (kind: Prewarmable) => (kind === 'record' ? NO_STDIN_STREAM : {});

const started = new Map<Prewarmable, Worker>();
/** When each started guest thread has loaded (whenReady, listened to from its start). */
const readiness = new WeakMap<Worker, Promise<void>>();
/** Run from the TypeScript sources (in-process tests) there are no built worker files, so no workers. */
const BUILT = import.meta.url.endsWith('.js');

/**
 * A trace whose frames (with its footer) take at most this many bytes is replayed without a frame reader thread: the
 * replaying thread reads its frames itself sooner than a thread boots (~50–100 ms of CPU, which a loaded machine
 * makes longer) and hands them over. Measured on 2 cores with format 5's delta events (a storm trace's frames hold
 * ~1.4 bytes a call, ~0.4 compressed), medians (minimums) of 8 interleaved rounds at load ~3.4: storm 3M (1.5 MB)
 * replays in 741 (667) ms without one against 1095 (716) with one; storm 4M (2.3 MB) in 1067 (1001) against 1261
 * (881), so a free core makes the thread worth it from there on. The module before the frames does
 * not count: the replaying thread reads it from the module cache, or decompresses it (esbuild's 20 MB in ~70 ms), as
 * soon as the reader thread would have (which was still booting then).
 */
export const SMALL_TRACE_BYTES = 2 << 20;

/**
 * Whether `path` is a regular file whose bytes after its module (its frames and footer) are at most
 * SMALL_TRACE_BYTES: `replay` reads it without a reader thread. Reads only its block headers up to the frames (and
 * loads what reads them only for a file larger than SMALL_TRACE_BYTES: `record` and a small replay never do).
 */
export async function smallTrace(path: string): Promise<boolean> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile()) return false;
  if (st.size <= SMALL_TRACE_BYTES) return true;
  const { leadingBlocks } = await import('../src/trace/leading-blocks.js');
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return st.size - leadingBlocks(fd, st.size).end <= SMALL_TRACE_BYTES;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Settles once prewarm() has decided what to start for a replay (smallTrace is asynchronous). */
let decided: Promise<void> = Promise.resolve();

/**
 * Starts the worker `command` will want (record, replay), if it is one of those. For replay, the last argument of
 * `argv` that is not a flag is most likely the trace: the worker starts reading its module at once (a wrong guess
 * costs only that thread's time; see readAhead in src/replay/prefetch.ts); no worker when that is a small trace
 * (smallTrace, which for a trace file over 1 MiB loads the block-header reader first: settles once decided; see
 * also prewarmed()). `fromBundles`: the workers (this one and any takeWorker starts) load from their bundles
 * (cli/bundle.ts).
 */
export async function prewarm(command: string | undefined, argv: readonly string[] = [], fromBundles = false): Promise<void> {
  bundled = fromBundles;
  const guest = started.get('record');
  if (guest !== undefined) {
    // startGuestThread() took the bundles for fresh: when they are not, its worker goes and another starts.
    if (!fromBundles) {
      started.delete('record');
      void guest.terminate();
    } else {
      guest.off('error', ignore); // its errors are the recording's from now on
      if (command === 'record') return;
    }
  }
  if ((command !== 'record' && command !== 'replay') || !BUILT) return;
  const guess = command === 'replay' ? argv.slice(argv.indexOf(command) + 1).filter((a) => !a.startsWith('-')).at(-1) : undefined;
  if (guess === undefined) { start(command); return; }
  decided = smallTrace(guess).then((small) => { if (!small) start(command, guess); }, () => {});
  await decided;
}

/** Starts the worker of `command`, reading the module of `guess` (a trace) ahead. */
function start(command: Prewarmable, guess?: string): Worker | undefined {
  const w = newWorker(urlOf(command), optionsOf(command));
  if (w === undefined) return undefined;
  if (command === 'record') return adopt(w, whenReady(w));
  w.unref(); // a worker that is never used must not keep the process alive
  started.set(command, w);
  if (guess !== undefined) w.postMessage({ readAhead: guess });
  return w;
}

/** Keeps `w` as the started guest thread, ready when `ready` settles. */
function adopt(w: Worker, ready: Promise<void>): Worker {
  w.unref(); // a worker that is never used must not keep the process alive
  readiness.set(w, ready);
  started.set('record', w);
  return w;
}

/** Settles once what prewarm() starts for a replay is started: before takeWorker. */
export const prewarmed = (): Promise<void> => decided;

const ignore = (): void => {};

/**
 * Starts record's guest thread at once, on its bundle, before cli/main.ts has checked that the bundles are fresh
 * (one stat per input: ~5 ms that the thread's boot, the critical path of a short recording, need not wait for);
 * prewarm() then keeps it, or replaces it when the bundles are not fresh. `early`: the thread cli/main.ts started
 * already, on the bundle's runner file, with when it is ready (listened to from its start).
 */
export function startGuestThread(early?: { worker: Worker; ready: Promise<void> }): void {
  if (!BUILT || started.has('record')) {
    void early?.worker.terminate(); // (not wanted: it would keep the process alive)
    return;
  }
  bundled = true;
  const w = early ? adopt(early.worker, early.ready) : start('record');
  // a bundle that is not there (a build without bundles): prewarm() replaces this worker
  w?.on('error', ignore);
}

/**
 * The worker for `kind`: the prewarmed one if there is one, else a new one; undefined when run from the sources.
 * It waits for its start message.
 */
export function takeWorker(kind: Prewarmable): Worker | undefined {
  if (!BUILT) return undefined;
  const w = started.get(kind) ?? newWorker(urlOf(kind), optionsOf(kind));
  started.delete(kind);
  return w;
}

/** record's guest thread (takeWorker) and when it has loaded (whenReady); undefined when run from the sources. */
export function takeGuestThread(): { worker: Worker; ready: Promise<void> } | undefined {
  const worker = takeWorker('record');
  return worker && { worker, ready: readiness.get(worker) ?? whenReady(worker) };
}
