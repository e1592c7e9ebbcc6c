// record --until-fail: records one run of a guest after another, on `jobs` worker threads, until a run fails,
// and keeps only that run's trace. The module is compiled once; each run instantiates it afresh with fresh inputs
// (in-memory trees are restored from their snapshot; host directories are shared). A passing run's trace is
// removed as soon as it passed, so memory and disk stay bounded however many runs it takes.
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { compileModule } from '../module.js';
import type { RecordedEnd } from '../trace/header.js';
import { initZstd } from '../trace/zstd.js';
import { createChunkPool } from './chunks.js';
import { encodedModuleFor } from './module-cache.js';
import { guestEnded, guestThreadUrl, recordOnThread, TIMEOUT_SIGNAL } from './pipeline.js';
import { NO_STDIN_STREAM } from '../worker-url.js';
import type { RecordingSettings } from './recorder.js';
import type { GuestSetup } from './setup.js';
import { MAX_FRAME_BYTES } from '../trace/format.js';

/** What makes a run a failure. */
export type FailCondition =
  /** The guest exited with this code (any non-zero code when `code` is undefined). */
  | { kind: 'exit'; code?: number }
  | { kind: 'trap' }
  /** The guest's stdout or stderr (its first MAX_MATCHED_OUTPUT bytes) matches. */
  | { kind: 'stdout' | 'stderr'; pattern: RegExp }
  /** The run was still going after the timeout. */
  | { kind: 'timeout' };

/** The conditions when none are given: a non-zero exit or a trap. */
export const DEFAULT_FAIL_ON: readonly FailCondition[] = [{ kind: 'exit' }, { kind: 'trap' }];

/** Bytes of each output stream kept per run for stdout=/stderr= conditions. */
export const MAX_MATCHED_OUTPUT = 1 << 20;

export interface HuntOptions {
  setup: GuestSetup;
  module: { name: string; bytes: Uint8Array };
  /** Where the failing run's trace goes. */
  output: string;
  level: number;
  /** Timing and checkpoints of every run's recording. */
  settings?: RecordingSettings;
  /** At most this many runs (of this shard). */
  runs: number;
  /** Runs at a time, each on its own worker thread. */
  jobs: number;
  /** A run still going after this many milliseconds is stopped (and is a failure with a timeout condition). */
  timeoutMs?: number;
  failOn: readonly FailCondition[];
  /** Run i of shard I/N (i = 0, 1, ...) uses seed `seed + I + i*N`; the seed reaches the guest's setup via seedSetup. */
  seed: number;
  shard: { index: number; count: number };
  /** The setup of the run with this seed (e.g. its chaos schedule); the setup itself by default. */
  seedSetup?: (seed: number) => GuestSetup;
  /** Stops the hunt: the runs in flight are stopped and their traces removed. */
  signal?: AbortSignal;
  /** Called after every run. */
  onProgress?: (p: { runs: number; elapsedMs: number }) => void;
  /** A guest thread started already (the command line's, booting while it loaded): the first job takes it. */
  thread?: Worker;
}

export interface FailedRun {
  /** Which run of this shard it was (from 0) and its seed. */
  run: number;
  seed: number;
  /** The condition it met, as text: `exit code 3`, `trap`, `stderr matched /panic/`, `timeout`. */
  condition: string;
  end: RecordedEnd;
  calls: number;
  trace: string;
}

export interface HuntResult {
  /** Runs that ended (passing ones, and the failing one). */
  runs: number;
  failed?: FailedRun;
  /** Why the hunt stopped before a failure or its last run (the abort reason, e.g. "SIGINT"). */
  stopped?: string;
}

/** The first condition the run meets, as text; undefined when it passed. */
export function failure(end: RecordedEnd, output: { stdout: string; stderr: string }, failOn: readonly FailCondition[]): string | undefined {
  for (const c of failOn) {
    switch (c.kind) {
      case 'exit':
        if (end.kind === 'exit' && (c.code === undefined ? end.code !== 0 : end.code === c.code)) return `exit code ${end.code}`;
        break;
      case 'trap':
        if (end.kind === 'trap') return `trap (${end.message})`;
        break;
      case 'timeout':
        if (end.kind === 'signal' && end.signal === TIMEOUT_SIGNAL) return 'timeout';
        break;
      default:
        if (c.pattern.test(output[c.kind])) return `${c.kind} matched ${c.pattern}`;
    }
  }
  return undefined;
}

/** Appends to a bounded text capture. */
class Capture {
  private parts: Buffer[] = [];
  private size = 0;
  add(b: Uint8Array): void {
    if (this.size >= MAX_MATCHED_OUTPUT) return;
    const take = b.subarray(0, MAX_MATCHED_OUTPUT - this.size);
    this.parts.push(Buffer.from(take));
    this.size += take.length;
  }
  text(): string { return Buffer.concat(this.parts).toString('utf8'); }
}

/** Runs the hunt to its first failure, its last run, or its stop. */
export async function untilFail(o: HuntOptions): Promise<HuntResult> {
  await initZstd();
  const loaded = await compileModule(o.module.name, o.module.bytes);
  const compiled = { module: loaded.module, sha256: loaded.sha256 };
  const { encoded: encodedModule } = encodedModuleFor(o.module.bytes, loaded.sha256);
  // In shared memory once, so that no run copies the module to hand it to its thread.
  const shared = new Uint8Array(new SharedArrayBuffer(o.module.bytes.length));
  shared.set(o.module.bytes);
  const module = { name: o.module.name, bytes: shared };
  const wantsOutput = o.failOn.some((c) => c.kind === 'stdout' || c.kind === 'stderr');
  const started = performance.now();
  let next = 0;
  let ended = 0;
  let failed: FailedRun | undefined;
  /** Set by the first run whose trace is kept: no other run's trace may replace it. */
  let claimed = false;
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal?.reason);
  let spare = o.thread;
  const newThread = (): Worker => {
    const w = spare ?? new Worker(guestThreadUrl, NO_STDIN_STREAM);
    spare = undefined;
    return w;
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  /** One job: a worker thread and its chunks, running one run after another until the hunt is over. */
  const job = async (): Promise<void> => {
    let worker: Worker | undefined;
    const pool = createChunkPool(4, MAX_FRAME_BYTES); // a blob piece needs a whole chunk
    try {
      while (!failed && !stop.signal.aborted && next < o.runs) {
        const run = next++;
        const seed = o.seed + o.shard.index + run * o.shard.count;
        const setup = o.seedSetup?.(seed) ?? o.setup;
        const output = { stdout: new Capture(), stderr: new Capture() };
        worker ??= newThread();
        const runStop = new AbortController();
        const onHuntStop = () => runStop.abort(stop.signal.reason);
        stop.signal.addEventListener('abort', onHuntStop, { once: true });
        let condition: string | undefined;
        try {
          const r = await recordOnThread({
            setup: wantsOutput ? { ...setup, stdout: 'forward', stderr: 'forward' } : { ...setup, stdout: 'discard', stderr: 'discard' },
            module, output: o.output, level: o.level, settings: o.settings, signal: runStop.signal, timeoutMs: o.timeoutMs,
            worker, pool, compiled, encodedModule,
            keepWorker: true,
            onOutput: (stream, bytes) => output[stream].add(bytes),
            keep: (end) => {
              // A run the host failed to record is no evidence: its trace does not hold the whole run.
              if (claimed || stop.signal.aborted || end.kind === 'error') return false;
              condition = failure(end, { stdout: output.stdout.text(), stderr: output.stderr.text() }, o.failOn);
              if (condition !== undefined) claimed = true;
              return condition !== undefined;
            },
          });
          if (!guestEnded(r.end)) worker = undefined; // the run was cut short: its thread was terminated
          // The host failed to record this run (not the guest's failure): every run would, so the hunt stops.
          if (r.end.kind === 'error') throw new UserError(`until-fail: recording run ${run} failed: ${r.end.message}`);
          // A run the hunt's own stop cut short did not end: it is not counted.
          if (!(r.end.kind === 'signal' && r.end.signal !== TIMEOUT_SIGNAL)) ended++;
          if (condition !== undefined && r.trace !== undefined) {
            failed = { run, seed, condition, end: r.end, calls: r.calls, trace: r.trace };
            stop.abort('failure');
          }
        } finally {
          stop.signal.removeEventListener('abort', onHuntStop);
        }
        o.onProgress?.({ runs: ended, elapsedMs: performance.now() - started });
      }
    } catch (e) {
      stop.abort('error'); // bad input fails every run alike: stop the other jobs too
      throw e;
    } finally {
      await worker?.terminate();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, o.runs)) }, job));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await spare?.terminate(); // (no job took it)
  }
  const stopped = !failed && o.signal?.aborted ? String(o.signal.reason) : undefined;
  return { runs: ended, ...(failed && { failed }), ...(stopped && { stopped }) };
}
