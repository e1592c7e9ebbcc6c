// wasi-trace mem: guest memory at an event, by replaying the trace up to it (src/inspect/mem.ts).
import type { Argv } from 'yargs';
import { UserError } from '../src/errors.js';
import { DEFAULT_LENGTH, DEFAULT_STRING_LENGTH, mem } from '../src/inspect/mem.js';
import { note, stdoutText, type CliIo } from './io.js';
import { withOutput } from './output.js';
import { eventNumber, list, required } from './flags.js';

interface MemFlags { trace?: string; at?: unknown; ranges?: unknown; string?: boolean; json?: boolean; watch?: unknown }

/** --at N, #N or end; without it, a watch goes to the end. */
function atFlag(v: unknown, watching: boolean): number | 'end' {
  if (v === undefined && watching) return 'end';
  if (v === undefined) throw new UserError('mem: --at N (or --at end) says at which event to read memory (see wasi-trace mem --help)');
  const s = String(Array.isArray(v) ? v[v.length - 1] : v).trim();
  return s === 'end' ? 'end' : eventNumber('--at', s)!;
}

export const memCommand = {
  command: 'mem <trace> [ranges..]',
  describe: 'show guest memory at an event (replays the trace up to it), or watch a range change',
  builder: (y: Argv) => y
    .positional('trace', { type: 'string', describe: 'the trace file' })
    .positional('ranges', { type: 'string', array: true, describe: `ADDR[:LEN] ranges to show: ADDR decimal, 0x-hex or a NAME[+OFF]; LEN default ${DEFAULT_LENGTH}` })
    .option('at', { type: 'string', requiresArg: true, describe: 'read memory just before event #N runs (numbered as dump numbers them), or at the end of the run (--at end; the default with only --watch)' })
    .option('string', { type: 'boolean', describe: `read each range as a NUL-terminated string (LEN: the most bytes read, default ${DEFAULT_STRING_LENGTH})` })
    .option('watch', { type: 'string', requiresArg: true, describe: 'ADDR[:LEN]: print every event boundary, up to --at, at which the range changed, old and new bytes (repeatable)' })
    .option('json', { type: 'boolean', describe: 'one JSON object per range or change' })
    .example('$0 mem trace.bin --at 42 0x10a0:32', '32 bytes at 0x10a0 just before event #42')
    .example('$0 mem trace.bin --at end --string message', 'the NUL-terminated string at the exported data symbol message')
    .example('$0 mem trace.bin --watch counter:4', 'when, and by what, the 4 bytes at counter changed')
    .epilog('Names: an exported global that is an immutable i32 set by i32.const (C: link with -Wl,--export=SYMBOL to ' +
      'export a data symbol as its address; __heap_base and __data_end likewise), and, from the module\'s name section when it ' +
      'has one, such a global\'s name and a data segment\'s name (.rodata, .data: its start, its size as default LEN; link with ' +
      '-Wl,--no-merge-data-segments for one segment per initialised C variable, .data.NAME). NAME+OFF adds an offset. ' +
      '--watch compares the range before and after every call: a change by a call\'s recorded writes is named with that call; ' +
      'a change by the guest\'s own code (which runs between calls) is seen at the boundary before the next call. ' +
      'Exit codes: 0; 2 for a bad trace, flag or range (one line; an address outside guest memory too); 125 the trace does not replay; ' +
      '74 when the output cannot be written.'),
  handler: async (flags: MemFlags, io: CliIo): Promise<number> => {
    const options = {
      trace: required('mem', 'the trace path', flags.trace),
      at: atFlag(flags.at, list(flags.watch).length > 0),
      ranges: list(flags.ranges),
      watch: list(flags.watch),
      string: flags.string,
      json: flags.json,
      onWarning: (m: string) => note(io, `warning: ${m}`),
    };
    const out = stdoutText(io);
    return withOutput(out, () => mem(options, out));
  },
};
