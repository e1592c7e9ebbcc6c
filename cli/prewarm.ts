// Worker threads started before the command line is parsed, because they take a while to boot: the guest
// thread of `record`, the frame reader of `replay` (for a trace that is not small: smallTrace). Only node:fs,
// node:worker_threads and two small modules are imported here, so starting one costs the main thread next to nothing
// (cli/fresh-bundle.js, which main.js has loaded, names the workers' bundles). `record` also reads its module and
// starts compiling it here (prewarmModule, which loads src/module.js), so that the compile (V8's background threads)
// overlaps the loading of the command line.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Tiering } from '../src/engine.js';
import { NO_STDIN_STREAM } from '../src/worker-url.js';
import { bundleOf } from './fresh-bundle.js';
import { tieringOf } from './tiering.js';

const SCRIPTS = { record: 'src/record/guest-thread.js', replay: 'src/replay/prefetch-worker.js' };
export type Prewarmable = keyof typeof SCRIPTS;
/** Whether the workers load from their bundles (main.js found the bundles fresh): set by prewarm(). */
let bundled = false;
const urlOf = (kind: Prewarmable): URL => new URL(`../${bundled ? bundleOf(SCRIPTS[kind]) : SCRIPTS[kind]}`, import.meta.url);
/** The options of a worker for `kind`: the guest thread never reads its process.stdin. */
const optionsOf = (kind: Prewarmable) => (kind === 'record' ? NO_STDIN_STREAM : {});

const prewarmed = new Map<Prewarmable, Worker>();
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
export async function prewarm(command: string | undefined, argv: readonly string[] = [], fromBundles = false): Promise<void> {
  bundled = fromBundles;
  const started = prewarmed.get('record');
  if (started !== undefined) {
    // startGuestThread() took the bundles for fresh: when they are not, its worker goes and another starts.
    if (!fromBundles) {
      prewarmed.delete('record');
      void started.terminate();
    } else {
      started.off('error', ignore); // its errors are the recording's from now on
      if (command === 'record') return prewarmModule(argv);
    }
  }
  if ((command !== 'record' && command !== 'replay') || !BUILT) return;
  const guess = command === 'replay' ? argv.slice(argv.indexOf(command) + 1).filter((a) => !a.startsWith('-')).at(-1) : undefined;
  if (guess !== undefined && smallTrace(guess)) return;
  const w = new Worker(urlOf(command), optionsOf(command));
  w.unref(); // a worker that is never used must not keep the process alive
  prewarmed.set(command, w);
  if (guess !== undefined) w.postMessage({ readAhead: guess });
  if (command === 'record') await prewarmModule(argv);
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

/** A module `record` read and began to compile before its command line loaded (prewarmModule). */
interface EarlyModule {
  readonly path: string;
  readonly tiering: Tiering;
  readonly module: { name: string; bytes: Uint8Array };
  /** The compiled module; undefined when it did not compile (the recording compiles it again: that gives the error). */
  readonly compiled: Promise<WebAssembly.Module | undefined>;
}
let early: EarlyModule | undefined;

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Whether `path` is a regular file that starts like a WebAssembly module (reading it has no side effect). */
function wasmFile(path: string): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile() || st.size < 8) return false;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = new Uint8Array(4);
    return readSync(fd, head, 0, 4, 0) === 4 && WASM_MAGIC.every((b, i) => head[i] === b);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The module path of a `record` command line, guessed without its flag table (which loads with the command line):
 * the first word after `record` that is not a flag (or the word after `--`) and names a regular file that starts
 * like a WebAssembly module, with the words before it. A flag's value (`-o trace.bin`, `--dir data`) is not one; a
 * guess that is wrong all the same costs only its read and compile: the recording takes the early module only for
 * its own module path and tier (takeEarlyModule). None for a module on stdin (`-`) or for --until-fail (a hunt
 * compiles its module itself).
 */
export function recordModuleGuess(argv: readonly string[]): { path: string; before: string[] } | undefined {
  const at = argv.findIndex((a) => !a.startsWith('-'));
  if (at < 0 || argv[at] !== 'record') return undefined;
  for (let i = at + 1; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '-' || w === '--until-fail') return undefined;
    const path = w === '--' ? argv[i + 1] : w.startsWith('-') ? undefined : w;
    if (path !== undefined && wasmFile(path)) return { path, before: argv.slice(0, w === '--' ? i + 1 : i) };
    if (w === '--') return undefined;
  }
  return undefined;
}

/**
 * Reads the module of a `record` command line (recordModuleGuess) into shared memory and starts compiling it for
 * the command line's tier (tieringOf), where the compile runs on V8's threads while this one loads the command
 * line. Nothing it meets is reported here: the recording reads and compiles again what this could not.
 */
export async function prewarmModule(argv: readonly string[]): Promise<void> {
  const guess = recordModuleGuess(argv);
  if (guess === undefined) return;
  const tiering = tieringOf(guess.before);
  try {
    // module.js loads on its own here (the command line's bundle has its own copy): its errors do not leave here.
    const { compileModule, readModuleBytes } = await import('../src/module.js');
    const module = readModuleBytes(guess.path, { shared: true });
    // The recording hashes the module itself (its sha256 is never asked of this compile).
    const compiled = compileModule(module.name, module.bytes, tiering, () => '').then((l) => l.module, () => undefined);
    early = { path: guess.path, tiering, module, compiled };
  } catch {
    // not read: the recording reads it and says why
  }
}

/**
 * The module prewarmModule read for `path` and began to compile for `tiering`, when that is what it did: its
 * bytes and its compile. Whatever it read, the early module is given up then; `compiled` settles once no early
 * compile runs any more (undefined without a module), so that nothing else compiles wasm meanwhile (a V8 flag of
 * the baseline tier is set for the whole process while it runs: src/engine.ts).
 */
export function takeEarlyModule(path: string, tiering: Tiering): { module?: { name: string; bytes: Uint8Array }; compiled: Promise<WebAssembly.Module | undefined> } {
  const e = early;
  early = undefined;
  if (e === undefined) return { compiled: Promise.resolve(undefined) };
  if (e.path !== path || e.tiering !== tiering) return { compiled: e.compiled.then(() => undefined) };
  return { module: e.module, compiled: e.compiled };
}
