// The command line: splits it, dispatches to a command, and turns every error a user can cause into one line
// on stderr and a non-zero exit (stack traces only with --debug).
import yargs, { type Argv } from 'yargs';
import { UserError, EXIT_USAGE } from '../src/errors.js';
import { setTiering } from '../src/engine.js';
import { initZstd } from '../src/trace/zstd.js';
import { recordCommand } from './record.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { dumpCommand } from './dump.js';
import { infoCommand } from './info.js';
import { statsCommand } from './stats.js';
import { diffCommand } from './diff.js';
import { exportCommand } from './export.js';
import { note, writeStderr, type CliIo } from './io.js';
import { fdSink } from './output.js';

const COMMANDS = [runCommand, recordCommand, replayCommand, dumpCommand, infoCommand, statsCommand, diffCommand, exportCommand];
/** Commands whose first positional is a module, after which every word belongs to the guest. */
const GUEST_COMMANDS = new Set(['run', 'record']);
/** Options of those commands that take a value (so their value is not mistaken for the module). */
const VALUE_OPTIONS = new Set([
  '--env', '--runtime', '--dir', '--mem-dir', '--mem-file', '-o', '--output', '--level',
  '--runs', '--jobs', '--timeout', '--fail-on', '--seed', '--shard', '--timing', '--checkpoints',
]);
const FLAG_OPTIONS = new Set(['--inherit-env', '--debug', '--help', '-h', '--version', '--quiet', '--optimize', '--until-fail', '--chaos']);
/** --optimize, taken by the top level and by the commands that run a guest (run, record, replay). */
export const OPTIMIZE = { type: 'boolean', describe: "let V8 optimise hot guest code (faster long computations; default: baseline compiler only, the same in record and replay)" } as const;
/** Stands in for the module path while yargs parses (yargs would mangle "-"). */
const MODULE_PLACEHOLDER = 'MODULE';

/**
 * Splits `argv` at the module path of a guest command: yargs parses the part before it; the module path and
 * the rest are taken as they are, even words that look like flags (`run app.wasm --help`). UserError for an
 * option the command does not know.
 */
export function splitGuestArgs(argv: string[]): { ours: string[]; module?: string; guest: string[] } {
  const cmd = argv.findIndex((a) => !a.startsWith('-'));
  if (cmd < 0 || !GUEST_COMMANDS.has(argv[cmd]!)) return { ours: argv, guest: [] };
  for (let i = cmd + 1; i < argv.length; i++) {
    const a = argv[i]!;
    const at = (j: number) => ({ ours: [...argv.slice(0, i), MODULE_PLACEHOLDER], module: argv[j]!, guest: argv.slice(j + 1) });
    if (a === '--') return i + 1 < argv.length ? at(i + 1) : { ours: argv.slice(0, i), guest: [] };
    if (a === '-' || !a.startsWith('-')) return at(i);
    const name = a.split('=')[0]!;
    if (VALUE_OPTIONS.has(name)) { if (!a.includes('=')) i++; continue; }
    if (!FLAG_OPTIONS.has(name)) throw new UserError(`unknown option ${name} for ${argv[cmd]} (options go before the module path)`);
  }
  return { ours: argv, guest: [] };
}

/** yargs' message for a usage error of `command`, as one line. */
function usageMessage(msg: string, command: string | undefined): string {
  if (/^Not enough non-option arguments/.test(msg)) {
    if (command === 'diff') return 'missing a trace file: diff compares two (see wasi-trace diff --help)';
    return `missing the ${command && GUEST_COMMANDS.has(command) ? 'module path' : 'trace file'} (see wasi-trace ${command ?? ''} --help)`;
  }
  // yargs: `Invalid values:\n  Argument: format, Given: "xml", Choices: "chrome", "json"`
  const choice = /^Invalid values:\s*Argument: ([\w-]+), Given: "([^"]*)", Choices: (.*)$/s.exec(msg);
  if (choice) {
    const [, flag, given, choices] = choice;
    return `--${flag} ${given}: not one of ${choices!.replace(/"/g, '').trim()} (see wasi-trace ${command ?? ''} --help)`;
  }
  return msg.replace(/\s*\n\s*/g, ' ');
}

/**
 * Runs the command line `argv` (without node and the script) with the stdio `io` (default: the process's);
 * returns the exit code.
 */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  let exitCode = 0;
  let debug = argv.includes('--debug');
  try {
    const split = splitGuestArgs(argv);
    // A bare --chaos (no =KNOBS) is a flag: it must not take the next word as its value.
    const ours = split.ours.map((a) => (a === '--chaos' ? '--chaos=' : a));
    const { module, guest } = split;
    debug = ours.includes('--debug');
    setTiering(ours.includes('--optimize') ? 'optimizing' : 'baseline');
    // Commands that compress or decompress on this thread: let zstd's (asynchronous) start overlap argument
    // parsing. (run needs none; replay decompresses on its frame reader thread when it has one.)
    const command = ours.find((a) => !a.startsWith('-'));
    if (command !== 'run' && command !== 'replay') void initZstd().catch(() => {});
    const parser = yargs(ours)
      .scriptName('wasi-trace')
      .usage('$0 <command> [options]')
      .strict()
      .demandCommand(1, `name a command: ${COMMANDS.map((c) => c.command.split(' ')[0]).join(', ')}`)
      .option('debug', { type: 'boolean', describe: 'print stack traces of internal errors' })
      .option('optimize', { ...OPTIMIZE, global: false })
      .completion('completion', 'print a bash/zsh completion script (wasi-trace completion >> ~/.bashrc, or ~/.zshrc)')
      .help()
      .version()
      .exitProcess(false)
      .fail((msg, err) => { throw err ?? new UserError(usageMessage(msg, ours.find((a) => !a.startsWith('-')))); });
    for (const c of COMMANDS) {
      const runsGuest = ['run', 'record', 'replay'].includes(c.command.split(' ')[0]!);
      parser.command({
        ...c,
        // Only what the command takes: --optimize where a guest runs; --version belongs to the top level.
        builder: (y: Argv) => { const b = (c.builder as (y: Argv) => Argv)(y).version(false); return runsGuest ? b.option('optimize', OPTIMIZE) : b; },
        handler: async (flags: any) => { exitCode = await c.handler({ ...flags, module: module ?? flags.module, guestArgs: guest }, io); },
      } as any);
    }
    // With a callback yargs hands over what it would print (--help, --version) instead of printing it.
    let printed = '';
    await parser.parseAsync(ours, (_err: unknown, _argv: unknown, output: string) => { printed = output; });
    if (printed) (io.stdout ?? fdSink(1))(Buffer.from(`${printed}\n`));
  } catch (e) {
    if (e instanceof UserError) {
      note(io, e.message);
      return e.exitCode;
    }
    note(io, `internal error: ${(e as Error)?.message ?? String(e)}`);
    if (debug) writeStderr(io, `${(e as Error)?.stack}\n`);
    return EXIT_USAGE;
  }
  return exitCode;
}

