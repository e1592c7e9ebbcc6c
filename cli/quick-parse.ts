// The hot command lines (run, record, replay) parsed without loading yargs, which costs ~100–160 ms of every start.
//
// There is one flag table: each command's yargs builder. optionTable() runs a builder against a stand-in for yargs
// that only writes down what the builder declares (positionals, options with their type, alias, default, choices),
// so the hand parser below knows exactly the options `--help` lists, with the same defaults. quickParse() only
// answers command lines it understands completely and that yargs would accept; for anything else (--help, an
// unknown or repeated boolean flag, a bad choice, a missing positional, a number option, a builder feature the
// stand-in does not know) it answers undefined and the caller parses with yargs, whose messages and exit codes the
// tests pin. test/cli/quick-parse.test.ts checks that both parsers give the same flags.
import type { Argv } from 'yargs';

/** One option as a builder declared it. */
export interface OptionSpec {
  readonly name: string;
  readonly type?: 'string' | 'boolean' | 'number';
  readonly alias?: string;
  readonly default?: unknown;
  readonly choices?: readonly unknown[];
  readonly requiresArg?: boolean;
}

/** A positional of the command string: `<name>` is required, `[name]` optional, `name..` takes the rest. */
export interface PositionalSpec { readonly name: string; readonly required: boolean; readonly variadic: boolean }

/** What a command declares: its options and positionals; `opaque` when it used anything the stand-in cannot follow. */
export interface OptionTable {
  readonly options: Map<string, OptionSpec>;
  readonly positionals: PositionalSpec[];
  opaque: boolean;
}

/** A command as cli/<name>.ts exports it (the shape yargs' command() takes). */
export interface CommandModule {
  readonly command: string;
  readonly builder: (y: Argv) => unknown;
}

/** Keys of an option definition the hand parser follows; any other key makes the table opaque. */
const KNOWN_KEYS = new Set(['type', 'alias', 'default', 'choices', 'requiresArg', 'describe', 'description', 'demandOption', 'global', 'hidden']);
/** Builder methods that only affect help text. */
const TEXT_METHODS = new Set(['example', 'epilog', 'epilogue', 'usage', 'version', 'group', 'wrap']);

/**
 * The options `command`'s builder declares (see the top of this file), with the options `extra` adds (the ones
 * cli/app.ts gives every command, such as --debug), and the positionals of its command string.
 */
export function optionTable(command: CommandModule, extra: (y: Argv) => unknown = (y) => y): OptionTable {
  const positionals = command.command.split(/\s+/).slice(1).map((p) => {
    const m = /^([<[])([\w-]+)(\.\.)?[>\]]$/.exec(p);
    return m ? { name: m[2]!, required: m[1] === '<', variadic: m[3] !== undefined } : undefined;
  });
  const table: OptionTable = {
    options: new Map(), positionals: positionals.filter((p) => p !== undefined), opaque: positionals.includes(undefined),
  };
  const declare = (name: string, o: Record<string, unknown> = {}): void => {
    if (Object.keys(o).some((k) => !KNOWN_KEYS.has(k)) || Array.isArray(o.alias) || (o.type !== undefined && !['string', 'boolean', 'number'].includes(o.type as string))) {
      table.opaque = true;
    }
    table.options.set(name, { name, ...(o as Partial<OptionSpec>) });
  };
  const stand: Argv = new Proxy({} as Argv, {
    get(_t, method: string) {
      return (...args: unknown[]) => {
        if (method === 'option' || method === 'options') {
          if (typeof args[0] === 'string') declare(args[0], args[1] as Record<string, unknown>);
          else table.opaque = true;
        } else if (method === 'positional') {
          if (!table.positionals.some((p) => p.name === args[0])) table.opaque = true;
        } else if (!TEXT_METHODS.has(method)) {
          table.opaque = true;
        }
        return stand;
      };
    },
  });
  command.builder(stand);
  extra(stand);
  return table;
}

/** "inherit-env" → "inheritEnv", as yargs also names it. */
const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The flags yargs would hand the command's handler for `words` (the command line after the command name, the module
 * already replaced by a placeholder for run and record): one key per option given or defaulted, under its name, its
 * alias and its camelCase name; a repeated string option as an array; positionals by name. Undefined when the
 * command line is not one this parser answers (the caller then uses yargs).
 */
export function quickParse(table: OptionTable, words: readonly string[]): Record<string, unknown> | undefined {
  if (table.opaque) return undefined;
  const byName = new Map<string, OptionSpec>();
  for (const o of table.options.values()) {
    byName.set(o.name.length === 1 ? `-${o.name}` : `--${o.name}`, o);
    if (o.alias !== undefined) byName.set(o.alias.length === 1 ? `-${o.alias}` : `--${o.alias}`, o);
  }
  const given = new Map<string, unknown[]>();
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--' || w === '-') return undefined;
    if (!w.startsWith('-')) { positionals.push(w); continue; }
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    const o = byName.get(key);
    if (o === undefined || o.type === 'number' || o.type === undefined && o.choices === undefined) return undefined;
    let value: unknown;
    if (o.type === 'boolean') {
      if (eq >= 0 || given.has(o.name)) return undefined;
      value = true;
    } else if (eq >= 0) {
      if (key.length === 2) return undefined; // -o=x: left to yargs
      value = w.slice(eq + 1);
      if (value === '' && (o.requiresArg || o.choices)) return undefined;
    } else {
      // A string option takes the next word unless it is one whose value must be attached (--chaos[=KNOBS]).
      if (!o.requiresArg && o.choices === undefined) return undefined;
      const next = words[i + 1];
      if (next === undefined || next.startsWith('-')) return undefined;
      value = next;
      i++;
    }
    if (o.choices !== undefined && (given.has(o.name) || !o.choices.includes(value))) return undefined;
    given.set(o.name, [...(given.get(o.name) ?? []), value]);
  }
  const specs = table.positionals;
  const variadic = specs.at(-1)?.variadic === true;
  if (positionals.length < specs.filter((p) => p.required).length || (!variadic && positionals.length > specs.length)) return undefined;
  const flags: Record<string, unknown> = {};
  const set = (o: OptionSpec, v: unknown): void => {
    for (const k of new Set([o.name, camel(o.name), ...(o.alias === undefined ? [] : [o.alias, camel(o.alias)])])) flags[k] = v;
  };
  for (const o of table.options.values()) {
    const vs = given.get(o.name);
    if (vs !== undefined) set(o, vs.length === 1 ? vs[0] : vs);
    else if (o.default !== undefined) set(o, o.default);
  }
  specs.forEach((p, i) => {
    if (p.variadic) flags[p.name] = positionals.slice(i);
    else if (i < positionals.length) flags[p.name] = positionals[i];
  });
  return flags;
}
