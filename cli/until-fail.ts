// record --chaos and record --until-fail: the flags of a chaos schedule and of a hunt for a failing run, the hunt's
// progress line and its summary.
import { randomInt } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import type { Argv } from 'yargs';
import { EXIT_TRAP, signalExitCode, UserError } from '../src/errors.js';
import type { RecordingSettings } from '../src/record/recorder.js';
import type { GuestSetup } from '../src/record/setup.js';
import { DEFAULT_FAIL_ON, untilFail, type FailCondition } from '../src/record/until-fail.js';
import { CHAOS_KNOBS, DEFAULT_KNOBS, parseKnobs, type ChaosKnob, type ChaosSettings } from '../src/runtime/chaos.js';
import { list } from './flags.js';
import { writeStderr, type CliIo } from './io.js';

export interface UntilFailFlags {
  chaos?: string;
  'until-fail'?: boolean;
  runs?: number;
  jobs?: number;
  timeout?: number;
  'fail-on'?: string | string[];
  seed?: string;
  shard?: string;
}

/** The options `record` takes for chaos and for a hunt. */
export function untilFailFlags<T>(y: Argv<T>) {
  return y
    .option('chaos', { type: 'string', describe: `answer within the preview1 spec but unlike an ordinary run, from one seeded schedule: short reads and writes, readdir order, fd numbers, clock jumps, partial poll results, seeded random bytes, EAGAIN on non-blocking fds (builtin runtime). --chaos=KNOBS picks knobs: ${CHAOS_KNOBS.join(',')} or all; errors (error injection) only when named` })
    .option('until-fail', { type: 'boolean', describe: 'record run after run until one fails; keep only the failing run\'s trace' })
    .option('runs', { type: 'number', requiresArg: true, describe: 'with --until-fail: at most this many runs (default 1000)' })
    .option('jobs', { type: 'number', requiresArg: true, describe: 'with --until-fail: runs at a time, each on its own thread (default: the number of cores)' })
    .option('timeout', { type: 'number', requiresArg: true, describe: 'with --until-fail: stop a run after S seconds (a failure with --fail-on timeout)' })
    .option('fail-on', { type: 'string', requiresArg: true, describe: 'with --until-fail: what counts as failing, replacing the default (exit, trap): exit, exit=N, trap, timeout, stdout=REGEX, stderr=REGEX (repeatable)' })
    .option('seed', { type: 'string', requiresArg: true, describe: 'the chaos seed (default: random); with --until-fail run i uses seed SEED+i (printed when random)' })
    .option('shard', { type: 'string', requiresArg: true, describe: 'with --until-fail: I/N takes every N-th seed from SEED+I, to spread one hunt over N machines (give each the same --seed)' });
}

const HUNT_FLAGS = ['runs', 'jobs', 'timeout', 'fail-on', 'shard'] as const;

/** A --seed value: a whole number from 0 to 2^53-1. */
function seedOf(s: string): number {
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UserError(`--seed ${s}: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  return Number(s);
}

/**
 * The chaos schedule of `--chaos[=KNOBS]` and `--seed` (a random seed when none is given); undefined without
 * --chaos. UserError for an unknown knob, a bad seed, or --seed with neither --chaos nor --until-fail.
 */
export function chaosSettings(f: UntilFailFlags): ChaosSettings | undefined {
  if (f.chaos === undefined) {
    if (f.seed !== undefined && !f['until-fail']) throw new UserError(`--seed ${f.seed}: only with --chaos or --until-fail`);
    return undefined;
  }
  let knobs: ChaosKnob[];
  try { knobs = f.chaos === '' ? [...DEFAULT_KNOBS] : parseKnobs(f.chaos); } catch (e) { throw new UserError(`--chaos=${f.chaos}: ${(e as Error).message}`); }
  return { seed: f.seed === undefined ? randomInt(0, 2 ** 32) : seedOf(f.seed), knobs };
}

/** The hunt's flags, checked; UserError for a bad one or one given without --until-fail. */
export function huntOptions(f: UntilFailFlags, cores: number) {
  if (!f['until-fail']) {
    const given = HUNT_FLAGS.find((k) => f[k] !== undefined);
    if (given) throw new UserError(`--${given}: only with --until-fail`);
    return undefined;
  }
  const whole = (flag: string, v: number | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    if (!Number.isSafeInteger(v) || v < min) throw new UserError(`--${flag} ${v}: expected a whole number of at least ${min}`);
    return v;
  };
  const runs = whole('runs', f.runs, 1000, 1);
  const jobs = whole('jobs', f.jobs, cores, 1);
  if (f.timeout !== undefined && !(f.timeout > 0 && Number.isFinite(f.timeout))) throw new UserError(`--timeout ${f.timeout}: expected a number of seconds above 0`);
  const seedGiven = f.seed !== undefined;
  const seed = f.seed !== undefined ? seedOf(f.seed) : randomInt(0, 2 ** 32);
  let shard = { index: 0, count: 1 };
  if (f.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(f.shard);
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (!m || count < 1 || index >= count) throw new UserError(`--shard ${f.shard}: expected I/N with 0 <= I < N (e.g. 0/4)`);
    shard = { index, count };
  }
  const conditions = list(f['fail-on']).map(failCondition);
  return {
    runs, jobs, seed, seedGiven, shard,
    timeoutMs: f.timeout === undefined ? undefined : f.timeout * 1000,
    failOn: conditions.length ? conditions : DEFAULT_FAIL_ON,
  };
}

/** One --fail-on value. */
export function failCondition(s: string): FailCondition {
  const i = s.indexOf('=');
  const [what, arg] = i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
  switch (what) {
    case 'exit':
      if (arg === undefined) return { kind: 'exit' };
      if (!/^\d+$/.test(arg) || Number(arg) > 255) throw new UserError(`--fail-on ${s}: expected exit=N with N from 0 to 255`);
      return { kind: 'exit', code: Number(arg) };
    case 'trap': case 'timeout':
      if (arg !== undefined) throw new UserError(`--fail-on ${s}: ${what} takes no value`);
      return { kind: what };
    case 'stdout': case 'stderr':
      if (!arg) throw new UserError(`--fail-on ${s}: expected ${what}=REGEX`);
      try { return { kind: what, pattern: new RegExp(arg) }; } catch (e) { throw new UserError(`--fail-on ${s}: not a regular expression (${(e as Error).message})`); }
    default:
      throw new UserError(`--fail-on ${s}: expected exit, exit=N, trap, timeout, stdout=REGEX or stderr=REGEX`);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs a hunt for the command line; returns the exit code (the failing run's own, 0 when none failed). With chaos
 * (setup.chaos) run i answers from seed SEED+i, so the seeds are printed: `record --chaos --seed S` repeats a run.
 * `thread`: a guest thread started already, for the hunt's first job.
 */
export async function runHunt(h: NonNullable<ReturnType<typeof huntOptions>>, setup: GuestSetup,
  module: { name: string; bytes: Uint8Array }, output: string, level: number, signal: AbortSignal, io: CliIo = {},
  settings: RecordingSettings = {}, thread?: Worker): Promise<number> {
  const knobs = setup.chaos?.knobs;
  const seeded = knobs !== undefined;
  const tty = io.stderr === undefined && process.stderr.isTTY === true;
  const err = { write: (text: string) => writeStderr(io, text) };
  if (seeded && !h.seedGiven) err.write(`wasi-trace: until-fail: seeds from ${h.seed} (repeat with --seed ${h.seed})\n`);
  let lastDraw = 0;
  const started = performance.now();
  const r = await untilFail({
    setup, module, output, level, settings, runs: h.runs, jobs: h.jobs, timeoutMs: h.timeoutMs, failOn: h.failOn,
    seed: h.seed, shard: h.shard, signal, ...(thread && { thread }),
    ...(knobs && { seedSetup: (seed: number) => ({ ...setup, chaos: { seed, knobs } }) }),
    onProgress: tty ? ({ runs, elapsedMs }) => {
      if (elapsedMs - lastDraw < 100) return;
      lastDraw = elapsedMs;
      err.write(`\r\x1b[Kuntil-fail: ${runs} runs, 0 failed, ${(runs / (elapsedMs / 1000)).toFixed(0)} runs/s, ${seconds(elapsedMs)}`);
    } : undefined,
  });
  if (tty) err.write('\r\x1b[K');
  const took = seconds(performance.now() - started);
  if (r.failed) {
    const f = r.failed;
    err.write(`wasi-trace: until-fail: run ${f.run}${seeded ? ` (seed ${f.seed})` : ''} failed: ${f.condition}; ${r.runs} runs in ${took}, 1 failed; trace written to ${output}\n`);
    const end = f.end;
    if (end.kind === 'exit') return end.code;
    if (end.kind === 'trap') return EXIT_TRAP;
    if (end.kind === 'signal') return signalExitCode(end.signal) ?? 2;
    return 2;
  }
  if (r.stopped) {
    err.write(`wasi-trace: until-fail: stopped by ${r.stopped} after ${r.runs} runs in ${took}; no failing run, nothing written\n`);
    return signalExitCode(r.stopped) ?? 2;
  }
  err.write(`wasi-trace: until-fail: no failing run in ${r.runs} runs (${took}); nothing written\n`);
  return 0;
}
