// wasi-trace record: runs a guest like `run` while the proxy records every call into a trace.
// The guest runs in a worker thread; this thread writes the trace, so SIGINT/SIGTERM (or a crash of the guest
// thread) still finishes a valid trace that says how the run ended.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { EXIT_USAGE, STOP_SIGNALS, UserError } from '../src/errors.js';
import { recordOnThread } from '../src/record/pipeline.js';
import { RECORD_LEVEL } from '../src/record/record.js';
import { guestSetup } from '../src/record/setup.js';
import { guestFlags, guestOptions, type GuestFlags } from './common.js';
import { exitFor } from './exit.js';
import { note, readGuestModule, type CliIo } from './io.js';
import { takeWorker } from './prewarm.js';
import { chaosSettings, huntOptions, runHunt, untilFailFlags, type UntilFailFlags } from './until-fail.js';

interface RecordFlags extends GuestFlags, UntilFailFlags { output: string; level: number }

/**
 * UserError unless a trace can be created at `output`: checked before the guest starts, because the trace file
 * itself is created while the guest already runs.
 */
function checkWritable(output: string): void {
  const dir = dirname(resolve(output));
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`cannot write trace ${output}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot write trace ${output}: ${code === 'ENOENT' ? `directory ${dir} does not exist` : code === 'EACCES' ? `directory ${dir} is not writable` : (e as Error).message}`);
  }
  if (existsSync(output) && statSync(output).isDirectory()) throw new UserError(`cannot write trace ${output}: it is a directory`);
}

export const recordCommand = {
  command: 'record <module> [args..]',
  describe: 'run a guest and record every call into a trace',
  builder: (y: Argv) => untilFailFlags(guestFlags(y))
    .option('output', { alias: 'o', type: 'string', default: 'trace.bin', requiresArg: true, describe: 'where to write the trace' })
    .option('level', { type: 'number', default: RECORD_LEVEL, requiresArg: true, describe: 'zstd compression level, 1 (fastest) to 9' }),
  handler: async (flags: RecordFlags, io: CliIo): Promise<number> => {
    if (!Number.isInteger(flags.level) || flags.level < 1 || flags.level > 9) throw new UserError(`--level ${flags.level}: use 1 to 9`);
    const hunt = huntOptions(flags, availableParallelism());
    const chaos = chaosSettings(flags);
    if (chaos && flags.runtime !== 'builtin') throw new UserError('--chaos needs the builtin runtime (--runtime builtin)');
    checkWritable(flags.output);
    const module = readGuestModule(flags.module, io);
    // An in-process caller's stdio (io) is forwarded from the guest thread; by default the guest writes fd 1 and 2.
    const stdio = { ...(io.stdout && { stdout: io.stdout }), ...(io.stderr && { stderr: io.stderr }), ...(io.stdin && { stdin: io.stdin }) };
    const setup = guestSetup({ ...guestOptions(flags), ...stdio, ...(chaos && { chaos }) });
    if (typeof setup === 'string') throw new Error(`unreachable: the command line asked for ${setup}`);
    // SIGINT/SIGTERM stop the guest; the trace still holds every call made before.
    const stop = new AbortController();
    const handlers = Object.keys(STOP_SIGNALS).map((sig) => [sig, () => stop.abort(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    try {
      if (hunt) return await runHunt(hunt, setup, module, flags.output, flags.level, stop.signal, io);
      // The guest thread was booted while the command line loaded (in-process callers start one now).
      const r = await recordOnThread({
        setup, module, output: flags.output, level: flags.level, signal: stop.signal, worker: takeWorker('record'),
        onOutput: (stream, bytes) => io[stream]?.(bytes),
      });
      switch (r.end.kind) {
        case 'signal':
          note(io, r.trace === undefined
            ? `recording stopped by ${r.end.signal} before the guest started; no trace was written`
            : `recording stopped by ${r.end.signal}; the trace holds every call made before it`);
          return STOP_SIGNALS[r.end.signal] ?? EXIT_USAGE;
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
