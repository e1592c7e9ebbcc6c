// wasi-trace record: runs a guest like `run` while the proxy records every call into a trace.
// The guest runs in a worker thread; this thread writes the trace, so SIGINT/SIGTERM (or a crash of the guest
// thread) still finishes a valid trace that says how the run ended.
import type { Argv } from 'yargs';
import { EXIT_USAGE, STOP_SIGNALS, UserError } from '../src/errors.js';
import { readModuleBytes } from '../src/module.js';
import { OutputFile } from '../src/files.js';
import { recordOnThread } from '../src/record/pipeline.js';
import { RECORD_LEVEL } from '../src/record/record.js';
import { guestSetup } from '../src/record/setup.js';
import { guestFlags, guestOptions, type GuestFlags } from './common.js';
import { exitFor } from './exit.js';
import { takeWorker } from './prewarm.js';

interface RecordFlags extends GuestFlags { output: string; level: number }

export const recordCommand = {
  command: 'record <module> [args..]',
  describe: 'run a guest and record every call into a trace',
  builder: (y: Argv) => guestFlags(y)
    .option('output', { alias: 'o', type: 'string', default: 'trace.bin', requiresArg: true, describe: 'where to write the trace: a file (replaced when the run ends; a symlink is followed), or a device or FIFO (written straight). A full disk stops the guest: exit 74' })
    .option('level', { type: 'number', default: RECORD_LEVEL, requiresArg: true, describe: 'zstd compression level, 1 (fastest) to 9' }),
  handler: async (flags: RecordFlags): Promise<number> => {
    if (!Number.isInteger(flags.level) || flags.level < 1 || flags.level > 9) throw new UserError(`--level ${flags.level}: use 1 to 9`);
    // Opened before the guest runs (and before a module is read from stdin): a name that cannot be a trace is
    // refused at once; a device or FIFO is written straight (src/files.ts).
    const output = OutputFile.open(flags.output, { what: 'trace' });
    let module;
    let setup;
    try {
      module = readModuleBytes(flags.module);
      setup = guestSetup(guestOptions(flags));
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
      // The guest thread was booted while the command line loaded.
      const r = await recordOnThread({ setup, module, output, level: flags.level, signal: stop.signal, worker: takeWorker('record') });
      switch (r.end.kind) {
        case 'signal':
          process.stderr.write(`wasi-trace: recording stopped by ${r.end.signal}; the trace holds every call made before it\n`);
          return STOP_SIGNALS[r.end.signal] ?? EXIT_USAGE;
        case 'error':
          process.stderr.write(`wasi-trace: recording failed: ${r.end.message}\n`);
          return EXIT_USAGE;
        default:
          return exitFor(r.end);
      }
    } finally {
      for (const [sig, h] of handlers) process.removeListener(sig, h);
    }
  },
};
