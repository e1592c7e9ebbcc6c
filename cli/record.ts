// wasi-trace record: runs a guest like `run` while the proxy records every call into a trace.
// The guest runs in a worker thread; this thread writes the trace, so SIGINT/SIGTERM (or a crash of the guest
// thread) still finishes a valid trace that says how the run ended.
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { EXIT_USAGE, signalExitCode, STOP_SIGNALS, UserError } from '../src/errors.js';
import { OutputFile } from '../src/files.js';
import { recordOnThread } from '../src/record/pipeline.js';
import { RECORD_LEVEL } from '../src/record/record.js';
import type { RecordingSettings } from '../src/record/recorder.js';
import { guestSetup } from '../src/record/setup.js';
import { initZstd } from '../src/trace/zstd.js';
import { guestFlags, guestOptions, type GuestFlags } from './common.js';
import { exitFor } from './exit.js';
import { note, readGuestModule, type CliIo } from './io.js';
import { takeGuestThread } from './prewarm.js';
import { chaosSettings, huntOptions, runHunt, untilFailFlags, type UntilFailFlags } from './until-fail.js';

interface RecordFlags extends GuestFlags, UntilFailFlags { output: string; level: string; timing: string; checkpoints: string }

export const recordCommand = {
  command: 'record <module> [args..]',
  describe: 'run a guest and record every call into a trace',
  builder: (y: Argv) => untilFailFlags(guestFlags(y))
    .option('output', { alias: 'o', type: 'string', default: 'trace.bin', requiresArg: true, describe: 'where to write the trace: a file (replaced when the run ends; a symlink is followed), or a device or FIFO (written straight). A full disk stops the guest: exit 74' })
    .option('level', { type: 'string', default: String(RECORD_LEVEL), requiresArg: true, describe: 'zstd compression level, 1 (fastest) to 9' })
    .option('timing', { type: 'string', default: 'io', requiresArg: true, describe: 'which calls get host times: io (fd, path, poll, sock calls and non-WASI imports; clock, random, args and environ calls are recorded untimed) or all' })
    .option('checkpoints', { type: 'string', default: 'auto', requiresArg: true, describe: 'memory checkpoints that replay --verify compares: every N calls, 0 for none, or auto (at least 1024 calls apart, at most 2% of the run\'s time)' })
    .example('$0 record -o trace.bin app.wasm arg1', 'record one run')
    .example('$0 record --until-fail --chaos --mem-dir /tmp app.wasm', "record until a run fails under chaos, keep that run's trace")
    .epilog("Exit codes: the guest's own (134 for a trap); 130/143 when SIGINT/SIGTERM stopped the recording (the trace keeps every call made before); 74 when the trace cannot be written (a full disk); 2 for bad input. With --until-fail: the failing run's own code (142 for a timeout), 0 when no run failed. A --dir host directory is shared by the runs of --until-fail (a guest that writes there sees its earlier runs' writes); in-memory directories are fresh for every run."),
  handler: async (flags: RecordFlags, io: CliIo): Promise<number> => {
    const level = Number(flags.level);
    if (!/^\d+$/.test(String(flags.level)) || level < 1 || level > 9) throw new UserError(`--level ${flags.level}: expected a whole number from 1 to 9`);
    if (flags.timing !== 'io' && flags.timing !== 'all') throw new UserError(`--timing ${flags.timing}: not one of io, all`);
    const checkpoints = flags.checkpoints === 'auto' ? 'auto' : Number(flags.checkpoints);
    if (checkpoints !== 'auto' && !(/^\d+$/.test(flags.checkpoints) && Number.isSafeInteger(checkpoints))) {
      throw new UserError(`--checkpoints ${flags.checkpoints}: expected auto or a whole number of calls (0 for none)`);
    }
    const settings: RecordingSettings = { timing: flags.timing, checkpoints };
    // zstd starts now, so that it is ready by the time the guest thread may compile the guest (recordOnThread waits
    // for it: see there); a failure is reported by the recording itself.
    initZstd().catch(() => {});
    const hunt = huntOptions(flags, availableParallelism());
    const chaos = chaosSettings(flags);
    if (chaos && flags.runtime !== 'builtin') throw new UserError('--chaos needs the builtin runtime (--runtime builtin)');
    // Opened before the guest runs (and before a module is read from stdin): a name that cannot be a trace is
    // refused at once; a device or FIFO is written straight (src/files.ts). A hunt opens one per run.
    const output = OutputFile.open(flags.output, { what: 'trace' });
    if (hunt) {
      output.discard();
      if (output.direct) throw new UserError(`cannot write trace ${flags.output}: record --until-fail keeps the failing run's trace only, so -o must name a file, not a device or FIFO`);
    }
    let module;
    let setup;
    try {
      module = readGuestModule(flags.module, io, { shared: true }); // the guest thread takes it as it is
      // An in-process caller's stdio (io) is forwarded from the guest thread; by default the guest writes fd 1 and 2.
      const stdio = { ...(io.stdout && { stdout: io.stdout }), ...(io.stderr && { stderr: io.stderr }), ...(io.stdin && { stdin: io.stdin }) };
      setup = guestSetup({ ...guestOptions(flags), ...stdio, ...(chaos && { chaos }) });
      if (typeof setup === 'string') throw new Error(`unreachable: the command line asked for ${setup}`);
    } catch (e) {
      output.discard();
      throw e;
    }
    // SIGINT/SIGTERM stop the guest; the trace still holds every call made before.
    const stop = new AbortController();
    const handlers = Object.keys(STOP_SIGNALS).map((sig) => [sig, () => stop.abort(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    try {
      // The guest thread was booted while the command line loaded (in-process callers start one now); a hunt's
      // first job takes it.
      const thread = takeGuestThread();
      if (hunt) return await runHunt(hunt, setup, module, flags.output, level, stop.signal, io, settings, thread?.worker);
      const r = await recordOnThread({
        setup, module, output, level, settings, signal: stop.signal, worker: thread?.worker, workerReady: thread?.ready,
        onOutput: (stream, bytes) => io[stream]?.(bytes),
      });
      switch (r.end.kind) {
        case 'signal':
          note(io, r.trace === undefined
            ? `recording stopped by ${r.end.signal} before the guest started; no trace was written`
            : `recording stopped by ${r.end.signal}; the trace holds every call made before it`);
          return signalExitCode(r.end.signal) ?? EXIT_USAGE;
        case 'error':
          note(io, `recording failed: ${r.end.message}`);
          return EXIT_USAGE;
        default:
          return exitFor(r.end, io);
      }
    } finally {
      for (const [sig, h] of handlers) process.removeListener(sig, h);
    }
  },
};
