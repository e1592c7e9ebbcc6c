// Which calls a listing shows: -e names and families, --fd, --errors, --errno, --path, --grep, --from/--to.
import { ERRNO, errnoName, FUNCTIONS, FUNCTIONS_BY_NAME, MODULE_NAME, type Family } from '../abi/index.js';
import { UserError } from '../errors.js';
import { importName } from '../calls/imports.js';
import type { CallView, DecodedCall } from '../calls/format.js';
import { joinPath } from './fds.js';

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
  /** --errno: errno names as dump prints them (ENOENT), case-insensitive, the E optional; comma lists. */
  errno?: readonly string[];
  /** --path: globs matched against the paths a call names and the paths of the fds it uses (pathFilter). */
  path?: readonly string[];
  /** --grep: byte strings (UTF-8 text, or `hex:` and hex digits) searched in a call's input and output data. */
  grep?: readonly string[];
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

/** Splits repeatable comma-list flags into their words (empty words are an error naming the flag). */
function words(flag: string, specs: readonly string[]): string[] {
  return specs.flatMap((spec) => spec.split(',').map((w) => {
    const t = w.trim();
    if (!t) throw new UserError(`${flag} ${spec}: empty name`);
    return t;
  }));
}

/**
 * The errno a name stands for: `ENOENT`, `noent`, `Enoent` (the names dump prints, any case, the E optional),
 * `ESUCCESS`/`success` for 0; UserError naming the flag for anything else.
 */
export function errnoValue(name: string, flag = '--errno'): number {
  const lower = name.trim().toLowerCase();
  let i = ERRNO.names.indexOf(lower);
  if (i < 0 && lower.startsWith('e')) i = ERRNO.names.indexOf(lower.slice(1));
  if (i < 0) throw new UserError(`${flag} ${name}: not a preview1 errno (as dump prints them: ENOENT, EBADF, ...; the E and the case may be left out)`);
  return i;
}

/** --errno: a test that a preview1 call returned one of the errnos named; undefined when none are. */
export function errnoFilter(specs: readonly string[]): ((c: Pick<CallView, 'wasi' | 'result'>) => boolean) | undefined {
  if (!specs.length) return undefined;
  const wanted = new Set(words('--errno', specs).map((w) => errnoValue(w)));
  return (c) => c.wasi !== undefined && typeof c.result === 'number' && wanted.has(c.result);
}

/** The errno names a --errno list stands for, as dump prints them (for messages and tests). */
export const errnoNames = (specs: readonly string[]): string[] => words('--errno', specs).map((w) => errnoName(errnoValue(w)));

/**
 * A --grep pattern as bytes: `hex:` followed by pairs of hex digits (spaces and colons between them allowed), or
 * any other text as its UTF-8 bytes. UserError for an empty pattern or bad hex.
 */
export function grepBytes(spec: string): Uint8Array {
  if (spec === '') throw new UserError(`--grep '': empty pattern (give a string, or hex:6869 for bytes)`);
  if (!spec.startsWith('hex:')) return new TextEncoder().encode(spec);
  const digits = spec.slice(4).replace(/[\s:]/g, '');
  if (!digits) throw new UserError(`--grep ${spec}: no hex digits after hex:`);
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw new UserError(`--grep ${spec}: not hex digits (hex:0a1b2c)`);
  if (digits.length % 2) throw new UserError(`--grep ${spec}: an odd number of hex digits (two per byte)`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

/**
 * --grep: a test that a call's data contains one of the patterns — the data it read (its inputs: write data,
 * paths, subscriptions) or one of the ranges of guest memory it wrote (read data, out-values). A pattern is not
 * looked for across two ranges. Undefined when no pattern is given.
 */
export function grepFilter(specs: readonly string[]): ((c: Pick<CallView, 'inputs' | 'writes'>) => boolean) | undefined {
  if (!specs.length) return undefined;
  const patterns = specs.map(grepBytes);
  const has = (bytes: Uint8Array | null | undefined) => {
    if (!bytes || !bytes.length) return false;
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return patterns.some((p) => b.indexOf(p) >= 0);
  };
  return (c) => has(c.inputs) || (c.writes ?? []).some((w) => has(w.bytes));
}

/**
 * A path glob as a test on a path: `*` and `?` match within one path component, `**` across components, `[abc]`
 * and `[!abc]` one character. A glob that starts with `/` matches whole paths; any other matches the end of a path
 * from a component boundary on (`a.txt`, `*.txt` and `sub/*.txt` match `/sandbox/sub/a.txt`).
 */
export function globMatcher(glob: string): (path: string) => boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') { re += '.*'; i++; } else re += '[^/]*';
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) { re += '\\['; continue; }
      let body = glob.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else {
      re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  const regex = new RegExp(glob.startsWith('/') ? `^${re}$` : `(?:^|/)${re}$`);
  return (path) => regex.test(path);
}

/**
 * --path: a test on a decoded call (decoded with an fdName that names fds by their paths, as FdPaths does): the
 * call names a matching path — a path argument, joined with the path of the directory fd before it (as
 * `opened_fd=5</sandbox/a.txt>` shows it) — or uses an fd whose path matches (as an argument or an fd it returned;
 * stdio fds are named stdin, stdout, stderr). Undefined when no glob is given. UserError for an empty glob.
 */
export function pathFilter(specs: readonly string[]): ((d: DecodedCall) => boolean) | undefined {
  if (!specs.length) return undefined;
  const tests = specs.map((g) => {
    if (!g) throw new UserError(`--path '': empty pattern (give a path or a glob such as '*.txt')`);
    return globMatcher(g);
  });
  const matches = (p: string | undefined) => p !== undefined && tests.some((t) => t(p));
  return (d) => {
    const def = d.family !== undefined ? FUNCTIONS_BY_NAME.get(d.function) : undefined;
    const strings = new Set(def?.params.filter((p) => p.role === 'string').map((p) => p.name));
    let dir: string | undefined;
    for (const v of d.args) {
      if (v.fd !== undefined) {
        dir = v.path;
        if (matches(v.path)) return true;
      } else if (strings.has(v.name) && typeof v.json === 'string' && matches(joinPath(dir, v.json))) {
        return true;
      }
    }
    return d.out.some((v) => v.fd !== undefined && matches(v.path));
  };
}
