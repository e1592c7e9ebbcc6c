// wasi-trace info: a trace's header and footer.
import type { Argv } from 'yargs';
import { info } from '../src/inspect/info.js';
import { required } from '../src/inspect/flags.js';
import { Output, withOutput } from '../src/inspect/output.js';

export const infoCommand = {
  command: 'info [trace]',
  describe: "show a trace's header and footer: versions, module, argv, env, preopens, sizes, how the run ended",
  builder: (y: Argv) => y
    .positional('trace', { type: 'string', describe: 'the trace file' })
    .option('json', { type: 'boolean', describe: 'one JSON object' }),
  handler: async (flags: { trace?: string; json?: boolean }): Promise<number> => {
    const out = new Output(1);
    return withOutput(out, () => info(required('info', 'the trace path', flags.trace), !!flags.json, out));
  },
};
