// wasi-trace dump: an strace-style listing of a trace's calls.
import type { Argv } from 'yargs';
import { UserError } from '../src/errors.js';
import { dump } from '../src/inspect/dump.js';
import { note, stdoutText, type CliIo } from './io.js';
import { withOutput } from './output.js';
import { eventNumber, list, numbers, stringLimit, required } from './flags.js';

interface DumpFlags {
  trace?: string; e?: string | string[]; fd?: unknown; errors?: boolean; from?: unknown; to?: unknown;
  T?: boolean; t?: boolean; json?: boolean; s?: unknown; errno?: unknown; path?: unknown; grep?: unknown; c?: boolean;
}

export const dumpCommand = {
  command: 'dump <trace>',
  describe: 'list every call of a trace, strace style',
  builder: (y: Argv) => y
    .positional('trace', { type: 'string', describe: 'the trace file' })
    .option('e', { type: 'string', requiresArg: true, describe: 'only these calls: NAME[,NAME...], a %family (%fs = %fd + %path, %clock, %random, %poll, %proc, %sock, %args), module.name; !NAME... for all but those (repeatable)' })
    .option('fd', { type: 'string', requiresArg: true, describe: 'only calls on fd N (repeatable)' })
    .option('errors', { type: 'boolean', describe: 'only calls that failed' })
    .option('errno', { type: 'string', requiresArg: true, describe: 'only calls that returned this errno: ENOENT, noent, ... (repeatable, or a comma list)' })
    .option('path', { type: 'string', requiresArg: true, describe: "only calls on a path matching GLOB, or on an fd opened with one ('*.txt', 'sub/*', '/sandbox/**'; repeatable)" })
    .option('grep', { type: 'string', requiresArg: true, describe: 'only calls whose input or output data contains this string, or these bytes as hex:0a1b (repeatable)' })
    .option('c', { type: 'boolean', describe: 'print how many calls match instead of listing them' })
    .option('from', { type: 'string', requiresArg: true, describe: 'start at event #N' })
    .option('to', { type: 'string', requiresArg: true, describe: 'stop after event #N' })
    .option('T', { type: 'boolean', describe: 'show the host time of each call (<untimed> for calls recorded without times: record --timing)' })
    .option('t', { type: 'boolean', describe: 'show when each call started, in seconds from the start of the run' })
    .option('s', { type: 'string', requiresArg: true, describe: 'bytes of each buffer shown (default 32)' })
    .option('json', { type: 'boolean', describe: 'one JSON object per call (fields: src/inspect/JSON.md)' })
    .example('$0 dump trace.bin -e %fs --errors', 'the filesystem calls that failed')
    .example('$0 dump trace.bin --from 100 --to 120 -T', 'events #100 to #120 with host times')
    .example("$0 dump trace.bin --errno noent --path '*.conf' -c", 'how many times a .conf file was not found')
    .epilog('Exit codes: 0; 2 for a bad trace or flag (one line; the calls before a damaged frame are listed first); 74 when the listing cannot be written. JSON fields: src/inspect/JSON.md.'),
  handler: async (flags: DumpFlags, io: CliIo): Promise<number> => {
    const options = {
      trace: required('dump', 'the trace path', flags.trace),
      e: list(flags.e),
      fd: numbers('--fd', flags.fd),
      errors: flags.errors,
      errno: list(flags.errno),
      path: list(flags.path),
      grep: list(flags.grep),
      count: flags.c,
      from: eventNumber('--from', flags.from),
      to: eventNumber('--to', flags.to),
      durations: flags.T,
      timestamps: flags.t,
      json: flags.json,
      stringLimit: stringLimit(flags.s),
      onWarning: (m: string) => note(io, `warning: ${m}`),
    };
    if (options.from !== undefined && options.to !== undefined && options.from > options.to) {
      throw new UserError(`--from ${options.from} --to ${options.to}: the range is empty (--from must not come after --to)`);
    }
    const out = stdoutText(io);
    return withOutput(out, () => dump(options, out));
  },
};
