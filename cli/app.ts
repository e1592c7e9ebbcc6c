// The command line: splits it, dispatches to a command, and turns every error a user can cause into one line
// on stderr and a non-zero exit (stack traces only with --debug).
import type { Argv } from 'yargs';
import { UserError, EXIT_USAGE } from '../src/errors.js';
import { setTiering } from '../src/engine.js';
import { note, writeStderr, type CliIo } from './io.js';
import { fdSink } from './output.js';
import { optionTable, quickParse, type OptionTable } from './quick-parse.js';

/** A command as cli/<name>.ts exports it: yargs' command shape, with a handler that returns the exit code. */
export interface Command {
  readonly command: string;
  readonly describe: string;
  readonly builder: (y: Argv) => Argv<any>;
  readonly handler: (flags: any, io: CliIo) => Promise<number>;
}

/**
 * Every command, loaded only when its command line needs it (a module loads the src/ code it uses, and only
 * --help or an unknown command loads them all).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).runCommand,
  record: async () => (await import('./record.js')).recordCommand,
  replay: async () => (await import('./replay.js')).replayCommand,
  dump: async () => (await import('./dump.js')).dumpCommand,
  info: async () => (await import('./info.js')).infoCommand,
  stats: async () => (await import('./stats.js')).statsCommand,
  diff: async () => (await import('./diff.js')).diffCommand,
  export: async () => (await import('./export.js')).exportCommand,
  mem: async () => (await import('./mem.js')).memCommand,
};
/** Commands whose first positional is a module, after which every word belongs to the guest. */
const GUEST_COMMANDS = new Set(['run', 'record']);
/** Commands that run a guest: they take --optimize. */
const RUNS_GUEST = new Set(['run', 'record', 'replay']);
/** Commands parsed by hand (cli/quick-parse.ts) when the command line is a plain one: yargs is not even loaded. */
const QUICK = new Set(['run', 'record', 'replay']);
/** --optimize, taken by the top level and by the commands that run a guest (run, record, replay). */
export const OPTIMIZE = { type: 'boolean', describe: "let V8 optimise hot guest code (faster long computations; default: baseline compiler only, except under --runtime node; replay uses the tier the trace was recorded with)" } as const;
/** --debug, taken by the top level and so by every command. */
const DEBUG = { type: 'boolean', describe: 'print stack traces of internal errors' } as const;
/** Stands in for the module path while yargs parses (yargs would mangle "-"). */
const MODULE_PLACEHOLDER = 'MODULE';

/** The builder yargs gets for `c`: only what the command takes (--optimize where a guest runs; no --version). */
function commandBuilder(name: string, c: Command): (y: Argv) => Argv {
  return (y) => {
    const b = c.builder(y).version(false);
    return RUNS_GUEST.has(name) ? b.option('optimize', OPTIMIZE) : b;
  };
}

/** Every option a command line of `c` may hold after its name: the builder's and the top level's --debug. */
const tableOf = (name: string, c: Command): OptionTable =>
  optionTable({ command: c.command, builder: commandBuilder(name, c) }, (y) => y.option('debug', DEBUG));

/**
 * Splits `argv` at the module path of a guest command (`table`: that command's options): yargs or the quick parser
 * parses the part before it; the module path and the rest are taken as they are, even words that look like flags
 * (`run app.wasm --help`). UserError for an option the command does not know.
 */
export function splitGuestArgs(argv: string[], table?: OptionTable): { ours: string[]; module?: string; guest: string[] } {
  const cmd = argv.findIndex((a) => !a.startsWith('-'));
  if (cmd < 0 || !GUEST_COMMANDS.has(argv[cmd]!) || table === undefined) return { ours: argv, guest: [] };
  // An option takes the next word as its value when it needs one; a string option that may be bare (--chaos)
  // takes a value only as --chaos=VALUE.
  const takesValue = new Set<string>();
  const isFlag = new Set(['--help', '-h', '--version']);
  for (const o of table.options.values()) {
    const names = [o.name, ...(o.alias === undefined ? [] : [o.alias])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
    const set = o.requiresArg || o.choices !== undefined || o.type === 'number' ? takesValue : isFlag;
    for (const n of names) set.add(n);
  }
  for (let i = cmd + 1; i < argv.length; i++) {
    const a = argv[i]!;
    const at = (j: number) => ({ ours: [...argv.slice(0, i), MODULE_PLACEHOLDER], module: argv[j]!, guest: argv.slice(j + 1) });
    if (a === '--') return i + 1 < argv.length ? at(i + 1) : { ours: argv.slice(0, i), guest: [] };
    if (a === '-' || !a.startsWith('-')) return at(i);
    const name = a.split('=')[0]!;
    if (takesValue.has(name)) { if (!a.includes('=')) i++; continue; }
    if (!isFlag.has(name)) throw new UserError(`unknown option ${name} for ${argv[cmd]} (options go before the module path)`);
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
  return dispatch(argv, io);
}

/**
 * For tests: the flags the handler of `argv`'s command would receive from the quick parser or from yargs, without
 * running it; undefined when that parser does not take the command line (the quick parser declines, or yargs
 * prints help or fails).
 */
export async function flagsOf(argv: string[], parser: 'quick' | 'yargs'): Promise<Record<string, unknown> | undefined> {
  let flags: Record<string, unknown> | undefined;
  await dispatch(argv, { stdout: () => {}, stderr: () => {} }, { parser, onFlags: (f) => { flags = f; } });
  return flags;
}

interface DispatchOptions {
  /** Only this parser (default: the quick one when it takes the command line, else yargs). */
  readonly parser?: 'quick' | 'yargs';
  /** Receives the handler's flags instead of the handler. */
  readonly onFlags?: (flags: Record<string, unknown>) => void;
}

async function dispatch(argv: string[], io: CliIo, how: DispatchOptions = {}): Promise<number> {
  let exitCode = 0;
  let debug = argv.includes('--debug');
  try {
    const name = argv.find((a) => !a.startsWith('-'));
    const known = name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
    const command = known === undefined ? undefined : await COMMANDS[known]!();
    const table = command === undefined ? undefined : tableOf(known!, command);
    const split = splitGuestArgs(argv, table);
    // A bare --chaos (no =KNOBS) or --inspect (no =HOST:PORT) is a flag: it must not take the next word as its value.
    const ours = split.ours.map((a) => (a === '--chaos' || a === '--inspect' ? `${a}=` : a));
    const { module, guest } = split;
    debug = ours.includes('--debug');
    // node:wasi leaves the guest by an exception on proc_exit, and V8 has crashed unwinding it out of
    // baseline-only code (issue 12): under --runtime node guests get V8's usual tiers.
    const nodeRuntime = ours.some((a, i) => a === '--runtime=node' || (a === '--runtime' && ours[i + 1] === 'node'));
    setTiering(ours.includes('--optimize') || nodeRuntime ? 'optimizing' : 'baseline');
    // Commands that compress or decompress on this thread: let zstd's (asynchronous) start overlap argument
    // parsing. (run needs none; replay decompresses on its frame reader thread when it has one.)
    if (known !== 'run' && known !== 'replay') void import('../src/trace/zstd.js').then((z) => z.initZstd()).catch(() => {});
    const handle = async (flags: any): Promise<void> => {
      const all = { ...flags, module: module ?? flags.module, guestArgs: guest };
      if (how.onFlags) how.onFlags(all); else exitCode = await command!.handler(all, io);
    };
    // The hot command lines: parsed by hand from the same flag table, when the parser is sure yargs would agree.
    if (known !== undefined && QUICK.has(known) && how.parser !== 'yargs') {
      const at = ours.indexOf(known);
      const before = ours.slice(0, at);
      const flags = before.every((a) => a === '--debug' || a === '--optimize') && new Set(before).size === before.length
        ? quickParse(table!, [...before, ...ours.slice(at + 1)]) : undefined;
      if (flags !== undefined) {
        await handle(flags);
        return exitCode;
      }
    }
    if (how.parser === 'quick') return exitCode;
    const { default: yargs } = await import('yargs');
    const parser = yargs(ours)
      .scriptName('wasi-trace')
      .usage('$0 <command> [options]')
      .strict()
      .demandCommand(1, `name a command: ${Object.keys(COMMANDS).join(', ')}`)
      .option('debug', DEBUG)
      .option('optimize', { ...OPTIMIZE, global: false })
      .completion('completion', 'print a bash/zsh completion script (wasi-trace completion >> ~/.bashrc, or ~/.zshrc)')
      .help()
      .version()
      .exitProcess(false)
      .fail((msg, err) => { throw err ?? new UserError(usageMessage(msg, ours.find((a) => !a.startsWith('-')))); });
    // A known command needs only itself; the top level's help, completion and an unknown command need them all.
    const all = known === undefined ? await Promise.all(Object.entries(COMMANDS).map(async ([n, load]) => [n, await load()] as const)) : [[known, command!] as const];
    for (const [n, c] of all) {
      parser.command({
        ...c,
        builder: commandBuilder(n, c),
        handler: n === known ? handle : async () => { throw new Error(`unreachable: ${n} was not the command`); },
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
