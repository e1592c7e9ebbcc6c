// wasi-trace diff: the first call where two recordings differ. Exit 0 same, 1 different, 2 bad input.
import type { Argv } from 'yargs';
import { diff } from '../src/inspect/diff.js';
import { count, list, required, stringLimit } from './flags.js';
import { stdoutText, type CliIo } from './io.js';
import { withOutput } from './output.js';

export const diffCommand = {
  command: 'diff <a> <b>',
  describe: 'show the first call where two traces differ (exit 0 same, 1 different)',
  builder: (y: Argv) => y
    .positional('a', { type: 'string', describe: 'a trace' })
    .positional('b', { type: 'string', describe: 'another trace' })
    .option('ignore', { type: 'string', requiresArg: true, describe: 'values that differ anyway, comma-separated: families (clock, random, poll, ...) or function names (compared by function and arguments only), and pointers (guest addresses)' })
    .option('skip', { type: 'string', requiresArg: true, describe: 'leave these calls out of both traces before comparing (when their number differs too): families or function names, comma-separated' })
    .option('context', { alias: 'C', type: 'string', requiresArg: true, describe: 'shared calls shown before the difference (default 5)' })
    .option('s', { type: 'string', requiresArg: true, describe: 'bytes of each buffer shown (default 32)' })
    .example('$0 diff passing.bin failing.bin', 'where a failing run first departs from a passing one')
    .example('$0 diff a.bin b.bin --ignore clock,random', 'compare clock and random calls by their arguments only')
    .epilog('Exit codes: 0 when the traces do not differ, 1 when they do, 2 for bad input.'),
  handler: async (flags: { a?: string; b?: string; ignore?: unknown; skip?: unknown; context?: unknown; s?: unknown }, io: CliIo): Promise<number> => {
    const options = {
      a: required('diff', 'two trace paths', flags.a), b: required('diff', 'the second trace path', flags.b), ignore: list(flags.ignore), skip: list(flags.skip), context: count('--context', flags.context), stringLimit: stringLimit(flags.s),
    };
    const out = stdoutText(io);
    return withOutput(out, () => diff(options, out));
  },
};
