// CLI flag values shared by the inspecting commands (dump, stats, diff, export), checked into one-line errors.
import { UserError } from '../src/errors.js';

/** A repeatable string flag as a list (each value may itself be a comma list; callers split). */
export const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));

/** A non-negative integer flag. */
export function count(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const s = String(Array.isArray(v) ? v[v.length - 1] : v).trim();
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UserError(`${flag} ${s}: expected a whole number`);
  return Number(s);
}

/** An event index, `N` or `#N`. */
export const eventNumber = (flag: string, v: unknown): number | undefined =>
  count(flag, v === undefined ? undefined : String(Array.isArray(v) ? v[v.length - 1] : v).replace(/^#/, ''));

/** A repeatable list of whole numbers (`--fd 3 --fd 4` or `--fd 3,4`). */
export const numbers = (flag: string, v: unknown): number[] =>
  list(v).flatMap((s) => s.split(',')).map((s) => count(flag, s)!);

/** -s N: bytes of a buffer shown. */
export const stringLimit = (v: unknown): number | undefined => count('-s', v);

/** A positional the command cannot do without (yargs' own message would speak of a module path). */
export function required(command: string, what: string, v: string | undefined): string {
  if (v === undefined || v === '') throw new UserError(`${command}: missing ${what} (see wasi-trace ${command} --help)`);
  return v;
}
