// wasi-trace stats: per-function counts, errors, host time and bytes (like strace -c).
import type { Argv } from 'yargs';
import { list, required } from './flags.js';
import { stdoutText, type CliIo } from './io.js';
import { withOutput } from './output.js';
import { stats, type StatsSort } from '../src/inspect/stats.js';

export const statsCommand = {
  command: 'stats <trace>',
  describe: 'per function: calls, errors, host time, bytes in and out (like strace -c)',
  builder: (y: Argv) => y
    .positional('trace', { type: 'string', describe: 'the trace file' })
    .option('e', { type: 'string', requiresArg: true, describe: 'only these calls (as dump -e)' })
    .option('sort', { choices: ['time', 'calls', 'errors', 'name'], default: 'time', describe: 'order of the rows' })
    .option('json', { type: 'boolean', describe: 'one JSON object' })
    .example('$0 stats trace.bin --sort calls', 'which calls the guest makes most')
    .epilog('Exit codes: 0; 2 for a bad trace or flag.'),
  handler: async (flags: { trace?: string; e?: unknown; sort: StatsSort; json?: boolean }, io: CliIo): Promise<number> => {
    const out = stdoutText(io);
    return withOutput(out, () => stats({ trace: required('stats', 'the trace path', flags.trace), e: list(flags.e), sort: flags.sort, json: flags.json }, out));
  },
};
