// wasi-trace info: a trace's header and footer.
import type { Argv } from 'yargs';
import { info } from '../src/inspect/info.js';
import { required } from './flags.js';
import { stdoutText, type CliIo } from './io.js';
import { withOutput } from './output.js';

export const infoCommand = {
  command: 'info <trace>',
  describe: "check a trace and show its header and footer: versions, module, argv, env, preopens, sizes, how the run ended",
  builder: (y: Argv) => y
    .positional('trace', { type: 'string', describe: 'the trace file' })
    .option('json', { type: 'boolean', describe: 'one JSON object' })
    .option('quick', { type: 'boolean', describe: 'read the header and the footer only (by default every block is read and checked)' })
    .example('$0 info trace.bin', 'check a trace and describe it')
    .example('$0 info --quick --json trace.bin', 'header and footer only, as JSON')
    .epilog('Exit codes: 0; 2 when the trace is damaged (the first problem, with its offset).'),
  handler: async (flags: { trace?: string; json?: boolean; quick?: boolean }, io: CliIo): Promise<number> => {
    const out = stdoutText(io);
    return withOutput(out, () => info(required('info', 'the trace path', flags.trace), !!flags.json, out, !!flags.quick));
  },
};
