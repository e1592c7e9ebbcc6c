// wasi-trace info: a trace's header and footer.
import type { Argv } from 'yargs';
import { info } from '../src/inspect/info.js';
import { required } from '../src/inspect/flags.js';
import { Output, withOutput } from '../src/inspect/output.js';

export const infoCommand = {
  command: 'info [trace]',
  describe: "check a trace and show its header and footer: versions, module, argv, env, preopens, sizes, how the run ended",
  builder: (y: Argv) => y
    .positional('trace', { type: 'string', describe: 'the trace file' })
    .option('json', { type: 'boolean', describe: 'one JSON object' })
    .option('quick', { type: 'boolean', describe: 'read the header and the footer only (by default every block is read and checked)' }),
  handler: async (flags: { trace?: string; json?: boolean; quick?: boolean }): Promise<number> => {
    const out = new Output(1);
    return withOutput(out, () => info(required('info', 'the trace path', flags.trace), !!flags.json, out, !!flags.quick));
  },
};
