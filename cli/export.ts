// wasi-trace export: a Chrome trace-event / Perfetto timeline (or a JSON array of all calls).
import type { Argv } from 'yargs';
import { OutputFile } from '../src/files.js';
import { exportTrace, type ExportFormat } from '../src/inspect/export.js';
import { list, stringLimit, required } from './flags.js';
import { note, stdoutText, type CliIo } from './io.js';
import { Output, fdSink, withOutput } from './output.js';

interface ExportFlags { trace?: string; format: ExportFormat; output: string; e?: unknown; s?: unknown }

export const exportCommand = {
  command: 'export <trace>',
  describe: 'write the calls as a Chrome trace-event / Perfetto timeline, or as a JSON array',
  builder: (y: Argv) => y
    .positional('trace', { type: 'string', describe: 'the trace file' })
    .option('format', { choices: ['chrome', 'json'], default: 'chrome', describe: 'chrome: trace-event JSON (Perfetto, chrome://tracing); json: an array of dump --json objects' })
    .option('output', { alias: 'o', type: 'string', default: '-', requiresArg: true, describe: 'the file to write (- for stdout)' })
    .option('e', { type: 'string', requiresArg: true, describe: 'only these calls (as dump -e)' })
    .option('s', { type: 'string', requiresArg: true, describe: 'bytes of each buffer shown (default 32)' })
    .example('$0 export trace.bin -o trace.json', 'a timeline for Perfetto or chrome://tracing')
    .example('$0 export trace.bin --format json', 'every call as one JSON array, on stdout')
    .epilog('Exit codes: 0; 2 for a bad trace or flag; 74 when the output cannot be written. -o FILE is written completely or not at all.'),
  handler: async (flags: ExportFlags, io: CliIo): Promise<number> => {
    const options = { trace: required('export', 'the trace path', flags.trace), format: flags.format, e: list(flags.e), stringLimit: stringLimit(flags.s),
      onWarning: (m: string) => note(io, `warning: ${m}`) };
    if (flags.output === '-') {
      const out = stdoutText(io);
      return withOutput(out, () => exportTrace(options, out));
    }
    // Written beside the target and renamed when complete, so a failed export leaves no half file; a device or
    // FIFO is written straight (src/files.ts).
    const file = OutputFile.open(flags.output);
    let ok = false;
    try {
      const out = new Output(fdSink(file.fd, flags.output), 1 << 20);
      const code = await withOutput(out, () => exportTrace(options, out));
      file.commit();
      ok = true;
      return code;
    } finally {
      if (!ok) file.discard();
    }
  },
};
