// Which calls a listing shows: -e names and families, --fd, --errors, --from/--to.
import { FUNCTIONS, FUNCTIONS_BY_NAME, MODULE_NAME, type Family } from '../abi/index.js';
import { UserError } from '../errors.js';
import { importName } from '../calls/imports.js';
import type { CallView, DecodedCall } from '../calls/format.js';

/** The families `-e %NAME` accepts: `%fs` is the fd and path families together. */
export const FAMILY_SETS: Readonly<Record<string, readonly Family[]>> = {
  fs: ['fd', 'path'], fd: ['fd'], path: ['path'], clock: ['clock'], random: ['random'], poll: ['poll'],
  proc: ['proc'], sock: ['sock'], args: ['args'],
};

/** A function's display name: the preview1 name, or `module.name` for any other import. */
export const callKey = importName;

/**
 * Parses `-e` lists (strace style: `NAME,%family,module.name`, an optional `trace=` prefix, and a leading `!`
 * to show everything but those) into a test on a call. Unknown names are a UserError.
 */
export function nameFilter(specs: readonly string[]): ((c: Pick<CallView, 'module' | 'name' | 'wasi'>) => boolean) | undefined {
  if (!specs.length) return undefined;
  const names = new Set<string>();
  let negate: boolean | undefined;
  for (const spec of specs) {
    let s = spec.trim().replace(/^trace=/, '');
    const neg = s.startsWith('!');
    if (neg) s = s.slice(1);
    if (negate !== undefined && negate !== neg) throw new UserError(`-e ${spec}: cannot mix names with !names`);
    negate = neg;
    for (const word of s.split(',').map((w) => w.trim())) {
      if (!word) throw new UserError(`-e ${spec}: empty name`);
      if (word.startsWith('%')) {
        const fams = FAMILY_SETS[word.slice(1)];
        if (!fams) throw new UserError(`-e ${word}: unknown family (known: ${Object.keys(FAMILY_SETS).map((f) => `%${f}`).join(', ')})`);
        for (const fn of FUNCTIONS) if (fams.includes(fn.family)) names.add(fn.name);
      } else if (FUNCTIONS_BY_NAME.has(word)) {
        names.add(word);
      } else if (word.startsWith(`${MODULE_NAME}.`) && FUNCTIONS_BY_NAME.has(word.slice(MODULE_NAME.length + 1))) {
        names.add(word.slice(MODULE_NAME.length + 1));
      } else if (/^[^.]+\..+$/.test(word)) {
        names.add(word);
      } else {
        throw new UserError(`-e ${word}: not a preview1 function, a %family or a module.name import`);
      }
    }
  }
  return (c) => names.has(callKey(c)) !== negate;
}

export interface CallFilterOptions {
  e?: readonly string[];
  fd?: readonly number[];
  errors?: boolean;
}

/** Whether a call failed: a preview1 errno other than 0, or a host function that threw. */
export function failed(c: Pick<CallView, 'wasi' | 'result'>): boolean {
  const r = c.result;
  if (r !== null && typeof r === 'object') return 'throw' in r;
  return c.wasi !== undefined && typeof r === 'number' && r !== 0;
}

/** Whether a decoded call names one of `fds` (as an fd argument or an fd it returned). */
export const usesFd = (d: DecodedCall, fds: readonly number[]): boolean =>
  d.args.some((v) => v.fd !== undefined && fds.includes(v.fd)) || d.out.some((v) => v.fd !== undefined && fds.includes(v.fd));
