// wasi-trace diff: where two recordings first differ in behaviour, and the input differences before it.
// Exit 0 no behavioural difference, 1 the behaviour differs, 2 bad input.
import type { Argv } from 'yargs';
import { diff } from '../src/inspect/diff.js';
import { count, list, required, stringLimit } from './flags.js';
import { stdoutText, type CliIo } from './io.js';
import { withOutput } from './output.js';

export const diffCommand = {
  command: 'diff <a> <b>',
  describe: 'align two traces and show where the guest\'s behaviour first differs, with the input differences before it (exit 0 same behaviour, 1 different)',
  builder: (y: Argv) => y
    .positional('a', { type: 'string', describe: 'a trace' })
    .positional('b', { type: 'string', describe: 'another trace' })
    .option('all', { type: 'boolean', describe: 'list every difference (behaviour and input), not only the first behavioural one' })
    .option('exact', { type: 'boolean', describe: 'compare byte for byte in lockstep (no alignment, no classes): the first call where anything differs' })
    .option('ignore', { type: 'string', requiresArg: true, describe: 'differences not to report, comma-separated: families (clock, random, poll, ...) or function names (compared by function and arguments only), metadata (inode numbers, devices, times in filestat/readdir), clock-count (clock calls made more or fewer times), pointers (guest addresses, with --exact)' })
    .option('skip', { type: 'string', requiresArg: true, describe: 'leave these calls out of both traces before comparing: families or function names, comma-separated' })
    .option('context', { alias: 'C', type: 'string', requiresArg: true, describe: 'shared calls shown before the difference (default 5)' })
    .option('s', { type: 'string', requiresArg: true, describe: 'bytes of each buffer shown (default 32)' })
    .example('$0 diff passing.bin failing.bin', 'where a failing run first departs from a passing one, and the inputs that differed before')
    .example('$0 diff a.bin b.bin --all', 'every difference, each classed as input or behaviour')
    .example('$0 diff a.bin b.bin --ignore metadata,clock-count', 'leave out inode numbers, file times and the number of clock calls')
    .epilog('Exit codes: 0 when the traces do not differ in behaviour (input differences alone are summarised in one line), 1 when they do, 2 for bad input.'),
  handler: async (flags: { a?: string; b?: string; all?: boolean; exact?: boolean; ignore?: unknown; skip?: unknown; context?: unknown; s?: unknown }, io: CliIo): Promise<number> => {
    const options = {
      a: required('diff', 'two trace paths', flags.a), b: required('diff', 'the second trace path', flags.b), all: flags.all === true, exact: flags.exact === true,
      ignore: list(flags.ignore), skip: list(flags.skip), context: count('--context', flags.context), stringLimit: stringLimit(flags.s),
    };
    const out = stdoutText(io);
    return withOutput(out, () => diff(options, out));
  },
};
