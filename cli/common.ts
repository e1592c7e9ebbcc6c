// Flags shared by the commands that run a guest (run, record), and their conversion to GuestOptions.
import type { Argv } from 'yargs';
import { UserError } from '../src/errors.js';
import { RUNTIME_KINDS, type RuntimeKind } from '../src/providers.js';
import type { GuestOptions } from '../src/run.js';

/** A repeatable string flag's values (yargs gives a string for one use, an array for several). */
export const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export interface GuestFlags {
  env?: string | string[];
  'inherit-env'?: boolean;
  runtime: RuntimeKind;
  module: string;
  guestArgs: string[];
}

/** Adds the guest flags; everything after the module path is left for the guest. */
export function guestFlags<T>(y: Argv<T>) {
  return y
    .positional('module', { type: 'string', describe: 'the .wasm module, or - to read it from stdin', demandOption: true })
    .option('env', { type: 'string', requiresArg: true, describe: 'set a guest environment variable (KEY=VALUE, repeatable)' })
    .option('inherit-env', { type: 'boolean', describe: "pass wasi-trace's own environment to the guest (before --env)" })
    .option('runtime', { choices: RUNTIME_KINDS, default: 'builtin' as RuntimeKind, describe: 'builtin runtime or Node\'s node:wasi' });
}

/** The guest's environment: the inherited one (if asked) then each --env, a later KEY replacing an earlier one. */
export function guestEnv(flags: Pick<GuestFlags, 'env' | 'inherit-env'>): string[] {
  const env = new Map<string, string>();
  if (flags['inherit-env']) for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
  for (const kv of asList(flags.env)) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UserError(`--env ${kv}: expected KEY=VALUE`);
    env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export function guestOptions(flags: GuestFlags): GuestOptions {
  return { module: flags.module, args: flags.guestArgs, env: guestEnv(flags), runtime: flags.runtime };
}
