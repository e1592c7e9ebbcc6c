// wasi-trace diff: where two recordings of a program first differ in what the guest *did*, and which inputs (what
// the host returned) differed before that point, the candidates for the cause.
//
// The two call sequences are aligned (src/inspect/align.ts: a windowed Myers alignment), so that an extra or a
// missing call shows as inserted or deleted and the rest stays paired. Two calls pair when they are the same
// behaviour: the same function, the same value arguments (guest addresses are not compared: they say where the
// guest keeps things, not what it does) and the same data passed in (paths, the bytes written). Every difference
// is then one of two classes:
//   behaviour: a call of one run that the other does not make (or makes with other arguments or data), a
//              different ending;
//   input:     what the host returned to a paired call (its errno, clock values, random bytes, file metadata,
//              read data, ...), and calls that only read the environment (ENVIRONMENT below) made more or fewer
//              times on one side (a Go runtime reads its clock a varying number of times).
// By default the report is the first behavioural difference, both sides decoded, with the input differences before
// it above it, how each run ended and a count of all differences; `all` lists every difference as it is found.
// `exact` is the byte-for-byte lockstep comparison of old (compareExact): function, every argument, input bytes,
// result and written memory, and the first call where any of them differ.
import { errnoName, FUNCTIONS, FUNCTIONS_BY_NAME, primSize, STRUCTS, wasmParams, type StructType } from '../abi/index.js';
import { UserError } from '../errors.js';
import type { Scalar } from '../trace/events.js';
import type { TraceReader } from '../trace/reader.js';
import { align, type AlignOptions } from './align.js';
import { endingText } from './dump.js';
import { FdPaths } from './fds.js';
import { callKey, FAMILY_SETS } from './filter.js';
import { formatCall } from '../calls/format.js';
import type { TextWriter } from './writer.js';
import { footerOf, openTrace, traceCalls, type TraceCall } from './trace.js';

export interface DiffOptions {
  a: string;
  b: string;
  /**
   * Values that differ anyway, not reported: families (clock, random, poll, ... as dump's %families, without the
   * %) or function names (their calls are compared by function and arguments only); `metadata` (inode numbers,
   * devices and times in filestat and readdir results); `clock-count` (clock_time_get and clock_res_get calls
   * made more or fewer times); `pointers` (guest addresses: only with `exact`, the aligned diff never compares them).
   */
  ignore?: readonly string[];
  /** Families or functions left out of both traces before comparing (their number may differ too). */
  skip?: readonly string[];
  /** Shared calls shown before the difference (default 5). */
  context?: number;
  stringLimit?: number;
  /** List every difference, not only the first behavioural one. */
  all?: boolean;
  /** The byte-for-byte lockstep comparison: the first call where anything differs (no alignment, no classes). */
  exact?: boolean;
  /** Window of the alignment (tests; see align.ts). */
  align?: AlignOptions;
}

/** Exit codes: no behavioural difference / the behaviour differs (bad input is a UserError, exit 2). */
export const DIFF_SAME = 0;
export const DIFF_DIFFERENT = 1;

/** What --ignore names: function keys (as callKey gives them) and the special words. */
export interface Ignored { keys: Set<string>; pointers: boolean; metadata: boolean; clockCount: boolean }

const SPECIAL = ['pointers', 'metadata', 'clock-count'];

/** Parses --ignore (or, with flag '--skip', --skip) words; an unknown word is a UserError. */
export function ignoredKeys(words: readonly string[], flag = '--ignore'): Ignored {
  const r: Ignored = { keys: new Set<string>(), pointers: false, metadata: false, clockCount: false };
  for (const w of words.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (flag === '--ignore' && SPECIAL.includes(w)) {
      if (w === 'pointers') r.pointers = true; else if (w === 'metadata') r.metadata = true; else r.clockCount = true;
      continue;
    }
    const fams = FAMILY_SETS[w.replace(/^%/, '')];
    if (fams) for (const fn of FUNCTIONS) { if (fams.includes(fn.family)) r.keys.add(fn.name); }
    else if (FUNCTIONS_BY_NAME.has(w) || /^[^.]+\..+$/.test(w)) r.keys.add(w);
    else throw new UserError(`${flag} ${w}: not ${flag === '--ignore' ? `${SPECIAL.join(', ')}, ` : ''}a family (${Object.keys(FAMILY_SETS).join(', ')}), a preview1 function or a module.name import`);
  }
  return r;
}

/** For each preview1 function, which wasm arguments are guest addresses. */
const POINTER_ARGS: boolean[][] = FUNCTIONS.map((fn) => wasmParams(fn).map((w) =>
  w.part === 'ptr' || (w.param.role === 'scalar' && w.param.type.display === 'pointer')));
const PARAM_NAMES: string[][] = FUNCTIONS.map((fn) => wasmParams(fn).map((w) => w.name));

function sameScalar(x: Scalar, y: Scalar): boolean {
  if (typeof x === 'number' && typeof y === 'number') return Object.is(x, y);
  try { return BigInt(x) === BigInt(y); } catch { return false; }
}

function sameBytes(x: Uint8Array | null | undefined, y: Uint8Array | null | undefined): boolean {
  if (x == null || y == null) return x == y;
  if (x.length !== y.length) return false;
  if (x.length > 32) return Buffer.compare(x, y) === 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false; // short buffers (clock values): no call out
  return true;
}

const ARGS_DIFFER = 'the arguments differ';

/**
 * Why two calls differ byte for byte, or undefined when they are the same (`loose`: compare function and
 * arguments only; `pointers`: ignore the guest addresses among a preview1 call's arguments and where its writes
 * went). The comparison of `exact`.
 */
export function callDifference(a: TraceCall, b: TraceCall, loose: boolean, pointers = false): string | undefined {
  if (a.module !== b.module || a.name !== b.name) return 'a different function was called';
  const skip = pointers && a.wasi !== undefined ? POINTER_ARGS[a.wasi] : undefined;
  if (a.args.length !== b.args.length || a.args.some((v, i) => !skip?.[i] && !sameScalar(v, b.args[i]!))) return ARGS_DIFFER;
  if (loose) return undefined;
  if (!sameBytes(a.inputs, b.inputs)) return 'the data passed in differs';
  if (!sameResult(a, b)) return 'the results differ';
  const wa = a.writes ?? [];
  const wb = b.writes ?? [];
  if (wa.length !== wb.length || wa.some((w, i) => (!skip && w.addr !== wb[i]!.addr) || !sameBytes(w.bytes, wb[i]!.bytes))) {
    return 'the memory written differs';
  }
  return undefined;
}

function sameResult(a: TraceCall, b: TraceCall): boolean {
  const ra = a.result ?? null;
  const rb = b.result ?? null;
  return typeof ra === 'object' || typeof rb === 'object' ? JSON.stringify(ra) === JSON.stringify(rb) : sameScalar(ra, rb);
}

/** Header facts that explain why two runs differ (the module, argv, env, preopens, runtime). */
function headerNotes(a: TraceReader, b: TraceReader): string[] {
  const notes: string[] = [];
  const ma = a.header.module;
  const mb = b.header.module;
  if (ma.sha256 !== mb.sha256) notes.push(`the modules differ (sha256 ${ma.sha256.slice(0, 12)}… and ${mb.sha256.slice(0, 12)}…)`);
  for (const k of ['argv', 'env', 'preopens', 'runtime'] as const) {
    const x = JSON.stringify(a.header[k]);
    const y = JSON.stringify(b.header[k]);
    if (x !== y) notes.push(`${k} differs: a ${x}, b ${y}`);
  }
  return notes;
}

interface Side { label: 'a' | 'b'; path: string; reader: TraceReader; calls: Generator<TraceCall>; fds: FdPaths; seen: number }

/** The side's next call that is not skipped (skipped calls still move the fd paths along); undefined at the end. */
function pull(s: Side, skip: (c: TraceCall) => boolean): TraceCall | undefined {
  for (;;) {
    const n = s.calls.next();
    if (n.done) return undefined;
    s.seen++;
    s.fds.before(n.value);
    if (!skip(n.value)) return n.value;
    s.fds.after(n.value);
  }
}

/** How many calls a trace holds: the footer's count, or (for a cut trace) what is left counted by reading on. */
function totalCalls(s: Side): number {
  const n = footerOf(s.reader)?.calls;
  if (s.reader.ending.complete && n !== undefined) return n;
  for (const _ of s.calls) s.seen++;
  return s.seen;
}

export async function diff(o: DiffOptions, out: TextWriter): Promise<number> {
  const ignore = ignoredKeys(o.ignore ?? []);
  const { keys: skipped } = ignoredKeys(o.skip ?? [], '--skip');
  if (o.exact && (ignore.metadata || ignore.clockCount)) {
    throw new UserError(`--ignore ${ignore.metadata ? 'metadata' : 'clock-count'}: not with --exact, which compares every byte (leave out --exact)`);
  }
  const skip = (c: TraceCall) => skipped.has(callKey(c));
  const open = async (label: 'a' | 'b', path: string): Promise<Side> => {
    const reader = await openTrace(path, { module: 'check' });
    return { label, path, reader, calls: traceCalls(reader), fds: new FdPaths(reader.header.preopens), seen: 0 };
  };
  const a = await open('a', o.a);
  let b: Side;
  try {
    b = await open('b', o.b);
  } catch (e) {
    a.reader.close();
    throw e;
  }
  try {
    const words = (list: readonly string[] | undefined) => [...new Set((list ?? []).flatMap((w) => w.split(',')).map((w) => w.trim()).filter(Boolean))].join(', ');
    const how = [
      ...(ignore.keys.size || ignore.metadata || ignore.clockCount || (o.exact && ignore.pointers) ? [`ignoring ${o.exact ? 'the values of ' : ''}${words(o.ignore)}`] : []),
      ...(skipped.size ? [`skipping ${words(o.skip)}`] : []),
    ];
    const note = how.length ? ` (compared ${how.join(', ')})` : '';
    out.line(`a: ${o.a}`);
    out.line(`b: ${o.b}`);
    for (const n of headerNotes(a.reader, b.reader)) out.line(`note: ${n}`);
    if (o.exact) return compareExact(o, a, b, ignore.keys, ignore.pointers, skipped, skip, note, out);
    return new Aligned(o, a, b, ignore, skipped.size ? skip : undefined, note, out).run();
  } finally {
    a.reader.close();
    b.reader.close();
  }
}

const show = (c: TraceCall, names: (fd: number) => string | undefined, stringLimit?: number) =>
  `#${c.index} ${formatCall(c, { stringLimit, fdName: names })}`;

/** `exact`: walks both traces in lockstep and reports the first call where anything differs. */
function compareExact(o: DiffOptions, a: Side, b: Side, ignore: Set<string>, pointers: boolean, skipped: Set<string>,
  skip: (c: TraceCall) => boolean, note: string, out: TextWriter): number {
  const context = o.context ?? 5;
  const recent: { call: TraceCall; names: (fd: number) => string | undefined }[] = [];
  const shared = () => {
    if (!recent.length) return;
    out.line(`shared calls before it:`);
    for (const r of recent) out.line(`    ${show(r.call, r.names, o.stringLimit)}`);
  };
  const endings = () => {
    const na = totalCalls(a);
    const nb = totalCalls(b);
    out.line(`a ended: ${endingText(a.reader)} (${na} calls)`);
    out.line(`b ended: ${endingText(b.reader)} (${nb} calls)`);
  };
  const at = (ia: number, ib: number) => (ia === ib ? `event #${ia}` : `event #${ia} of a and #${ib} of b`);

  for (let compared = 0; ; compared++) {
    const ca = pull(a, skip);
    const cb = pull(b, skip);
    if (!ca && !cb) {
      const ea = endingText(a.reader);
      const eb = endingText(b.reader);
      const count = a.seen === b.seen ? `${a.seen} calls each` : `${compared} calls compared, of ${a.seen} in a and ${b.seen} in b`;
      if (ea === eb && a.reader.ending.complete && b.reader.ending.complete) {
        out.line(`the traces are the same: ${count}${note}`);
        out.line(`both ended: ${ea}`);
        return DIFF_SAME;
      }
      out.line(`the calls are the same (${count}${note}), but the runs ended differently`);
      endings();
      return DIFF_DIFFERENT;
    }
    if (!ca || !cb) {
      const [short, long, next] = ca ? [b, a, ca] : [a, b, cb!];
      out.line(`the traces differ at event #${next.index} of ${long.label}: ${short.label} has no more calls${skipped.size ? ' to compare' : ''} (${endingText(short.reader)})${note}`);
      out.line(`  ${long.label}: ${show(next, long.fds.name, o.stringLimit)}`);
      shared();
      endings();
      return DIFF_DIFFERENT;
    }
    const why = callDifference(ca, cb, ignore.has(callKey(ca)), pointers);
    if (why) {
      out.line(`the traces differ at ${at(ca.index, cb.index)}: ${why}${note}`);
      out.line(`  a: ${show(ca, a.fds.name, o.stringLimit)}`);
      out.line(`  b: ${show(cb, b.fds.name, o.stringLimit)}`);
      if (why === ARGS_DIFFER) out.line(`  raw arguments: a [${ca.args.join(', ')}], b [${cb.args.join(', ')}]`);
      shared();
      endings();
      return DIFF_DIFFERENT;
    }
    if (context > 0) {
      if (recent.length === context) recent.shift();
      recent.push({ call: ca, names: a.fds.snapshot() });
    }
    a.fds.after(ca);
    b.fds.after(cb);
  }
}

// ---- the aligned, classifying diff -------------------------------------------------------------------------

/** Calls that only read the environment: made more or fewer times on one side, they are input differences. */
export const ENVIRONMENT: ReadonlySet<string> = new Set(['clock_time_get', 'clock_res_get', 'random_get', 'sched_yield']);
/** The calls `--ignore clock-count` lets differ in number. */
const CLOCK_CALLS: ReadonlySet<string> = new Set(['clock_time_get', 'clock_res_get']);
const isEnvironment = (c: TraceCall) => c.wasi !== undefined && ENVIRONMENT.has(c.name);

/** A struct's fields as [name, first byte, end byte] (from the schema). */
const ranges = (t: StructType): (readonly [string, number, number])[] =>
  t.fields.map((f) => [f.name, f.offset, f.offset + primSize(f.type.prim)] as const);
const FILESTAT_FIELDS = ranges(STRUCTS.filestat);
/** The filestat fields that are file metadata: identity (device, inode) and times. */
const FILESTAT_META = FILESTAT_FIELDS.filter(([n]) => ['dev', 'ino', 'atim', 'mtim', 'ctim'].includes(n));
const FILESTAT_CALLS: ReadonlySet<string> = new Set(['fd_filestat_get', 'path_filestat_get']);
const READ_CALLS: ReadonlySet<string> = new Set(['fd_read', 'fd_pread', 'sock_recv']);
const FILESTAT_SIZE = STRUCTS.filestat.size;
const DIRENT_SIZE = STRUCTS.dirent.size;
const [, D_INO, D_INO_END] = ranges(STRUCTS.dirent).find(([n]) => n === 'd_ino')!;
const [, D_NAMLEN] = ranges(STRUCTS.dirent).find(([n]) => n === 'd_namlen')!;
/** fd_readdir's wasm argument that points at the buffer it fills. */
const READDIR_BUF = PARAM_NAMES[FUNCTIONS_BY_NAME.get('fd_readdir')!.index]!.indexOf('buf');

/** A copy of fd_readdir's buffer with every dirent's d_ino zeroed (the last dirent may be cut short). */
function withoutInodes(buf: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(buf);
  const view = new DataView(copy.buffer);
  for (let at = 0; at < copy.length;) {
    copy.fill(0, Math.min(copy.length, at + D_INO), Math.min(copy.length, at + D_INO_END));
    if (at + DIRENT_SIZE > copy.length) break;
    at += DIRENT_SIZE + view.getUint32(at + D_NAMLEN, true);
  }
  return copy;
}

/** A copy of a filestat with the metadata fields zeroed. */
function withoutMetadata(stat: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(stat);
  for (const [, from, to] of FILESTAT_META) copy.fill(0, from, to);
  return copy;
}

/** The written ranges of a call as compared: addresses left out; metadata zeroed when it is ignored. */
function comparedWrites(c: TraceCall, metadata: boolean): Uint8Array[] {
  const ws = (c.writes ?? []).map((w) => w.bytes);
  if (!metadata || c.wasi === undefined) return ws;
  if (FILESTAT_CALLS.has(c.name)) return ws.map((w) => (w.length === FILESTAT_SIZE ? withoutMetadata(w) : w));
  if (c.name === 'fd_readdir') {
    const buf = Number(c.args[READDIR_BUF]) >>> 0;
    return (c.writes ?? []).map((w) => (w.addr === buf ? withoutInodes(w.bytes) : w.bytes));
  }
  return ws;
}

const sameList = (x: Uint8Array[], y: Uint8Array[]) => x.length === y.length && x.every((w, i) => sameBytes(w, y[i]));

/** Whether two calls wrote the same bytes, in order, wherever they wrote them (with metadata zeroed if asked). */
function sameWrites(a: TraceCall, b: TraceCall, metadata: boolean): boolean {
  if (metadata && a.wasi !== undefined && (FILESTAT_CALLS.has(a.name) || a.name === 'fd_readdir')) {
    return sameList(comparedWrites(a, true), comparedWrites(b, true));
  }
  const wa = a.writes ?? [];
  const wb = b.writes ?? [];
  if (wa.length !== wb.length) return false;
  for (let i = 0; i < wa.length; i++) if (!sameBytes(wa[i]!.bytes, wb[i]!.bytes)) return false;
  return true;
}

/** What kind of input difference a paired call shows: its phrase ("returned different bytes") and group key. */
interface InputKind { phrase: string; key: string; fields?: string[] }

const kind = (phrase: string, key: string): InputKind => ({ phrase, key });
const CLOCK_KIND = kind('values differ', 'clock');
const RANDOM_KIND = kind('returned different bytes', 'random');
const READ_KIND = kind('read different data', 'read');
const ARGS_KIND = kind('returned different arguments', 'args');
const ENVIRON_KIND = kind('returned a different environment', 'environ');
const ENTRIES_KIND = kind('listed different entries', 'entries');
const VALUES_KIND = kind('returned different values', 'values');

const errnoText = (c: TraceCall): string => {
  const r = c.result ?? null;
  if (r !== null && typeof r === 'object') return 'exit' in r ? `<exit ${r.exit}>` : `<threw: ${r.throw}>`;
  return c.wasi !== undefined && typeof r === 'number' ? errnoName(r) : String(r);
};

/**
 * The input difference between two paired calls (same behaviour): what the host returned differs. Undefined when
 * it does not (with metadata zeroed when `metadata` is ignored).
 */
function inputDifference(a: TraceCall, b: TraceCall, metadata: boolean): InputKind | undefined {
  if (!sameResult(a, b)) {
    const ea = errnoText(a);
    const eb = errnoText(b);
    return { phrase: `returned ${ea} in a, ${eb} in b`, key: `errno ${ea} ${eb}` };
  }
  if (sameWrites(a, b, metadata)) return undefined;
  if (a.wasi === undefined) return VALUES_KIND;
  if (CLOCK_CALLS.has(a.name)) return CLOCK_KIND;
  if (a.name === 'random_get') return RANDOM_KIND;
  if (READ_CALLS.has(a.name)) return READ_KIND;
  if (a.name === 'args_get' || a.name === 'args_sizes_get') return ARGS_KIND;
  if (a.name === 'environ_get' || a.name === 'environ_sizes_get') return ENVIRON_KIND;
  if (FILESTAT_CALLS.has(a.name)) {
    const sa = comparedWrites(a, metadata).find((w) => w.length === FILESTAT_SIZE);
    const sb = comparedWrites(b, metadata).find((w) => w.length === FILESTAT_SIZE);
    const fields = sa && sb ? FILESTAT_FIELDS.filter(([, from, to]) => !sameBytes(sa.subarray(from, to), sb.subarray(from, to))).map(([n]) => n) : [];
    if (fields.length && fields.every((f) => FILESTAT_META.some(([m]) => m === f))) return { phrase: 'returned different file metadata', key: 'metadata', fields };
    return { phrase: 'returned a different filestat', key: 'filestat', fields };
  }
  if (a.name === 'fd_readdir') {
    if (!metadata && sameWrites(a, b, true)) return { phrase: 'returned different file metadata', key: 'metadata', fields: ['d_ino'] };
    return ENTRIES_KIND;
  }
  return VALUES_KIND;
}

/** Why two calls of the same function that do not pair differ in behaviour: which value argument or input data. */
function behaviourDifference(a: TraceCall, b: TraceCall): string {
  const values = a.wasi !== undefined ? POINTER_ARGS[a.wasi]! : undefined;
  const names = a.wasi !== undefined ? PARAM_NAMES[a.wasi]! : a.args.map((_, i) => `argument ${i}`);
  const args = a.args.length !== b.args.length ? ['the number of arguments']
    : names.filter((_, i) => !values?.[i] && !sameScalar(a.args[i]!, b.args[i]!));
  if (args.length) return `the arguments differ (${args.join(', ')})`;
  const fn = a.wasi !== undefined ? FUNCTIONS[a.wasi]! : undefined;
  if (fn?.params.some((p) => p.role === 'iovecs' && p.dir === 'in')) return 'the data the guest wrote differs';
  if (fn?.params.some((p) => p.role === 'string')) return fn.params.filter((p) => p.role === 'string').length > 1 ? 'the paths differ' : 'the path differs';
  return 'the data passed in differs';
}

/** Where a difference was: the call's number in a and in b (-1: the side has no such call). */
type Place = readonly [number, number];

/** One kind of input difference, counted, with the first and last few places it happened. */
interface Group { fn: string; phrase: string; count: number; first: Place[]; last: Place[]; latest: number; fields: Set<string>; only?: 'a' | 'b' }

const SHOWN = 3;

/** #N, or #N/#M when the call has different numbers in a and b (a call only one side has: its number there). */
const placeText = ([ia, ib]: Place): string => (ib < 0 || ia === ib ? `#${ia}` : ia < 0 ? `#${ib}` : `#${ia}/#${ib}`);

function groupText(g: Group): string {
  const texts = (ps: Place[]) => ps.map(placeText);
  const places = g.count <= 2 * SHOWN ? [...texts(g.first), ...texts(g.last)] : [...texts(g.first), '…', ...texts(g.last)];
  const where = places.join(', ').replace(', …,', ' …');
  const total = g.count > 2 * SHOWN ? ` (${g.count} calls)` : '';
  if (g.only) return `${g.fn} called ${g.count} more time${g.count === 1 ? '' : 's'} in ${g.only}, at ${g.only} ${where}`;
  const fields = g.fields.size ? ` (${[...g.fields].join(', ')})` : '';
  if (g.phrase === 'values differ') return `${g.fn} values differ at ${where}${total}`;
  return `${g.fn} at ${where}${total} ${g.phrase}${fields}`;
}

/** The place of a pair: #N, or #N/#M when the calls have different numbers in a and b. */
const place = (ca: TraceCall, cb: TraceCall) => placeText([ca.index, cb.index]);

/**
 * The aligned diff of two opened traces: run() walks both to their ends through align(), classes every
 * difference, prints each one at once with `all`, and then the report (report()); it returns the exit code.
 */
class Aligned {
  /** Input differences by function, then by kind. */
  private readonly groups = new Map<string, Map<string, Group>>();
  private seq = 0;
  private inputs = 0;
  private readonly inputByFn = new Map<string, number>();
  private behaviour = { changed: 0, onlyA: 0, onlyB: 0 };
  /** The report of the first behavioural difference and the input differences before it, once found. */
  private first: string[] | undefined;
  private readonly recent: { call: TraceCall; names: (fd: number) => string | undefined }[] = [];
  private readonly skippedBefore = new WeakMap<TraceCall, TraceCall[]>();

  private readonly skipping: boolean;

  constructor(private readonly o: DiffOptions, private readonly a: Side, private readonly b: Side, private readonly ignore: Ignored,
    private readonly skip: ((c: TraceCall) => boolean) | undefined, private readonly note: string, private readonly out: TextWriter) {
    this.skipping = skip !== undefined;
  }

  /** The calls of a side that are not skipped, counted; a skipped call that changes the fds is held for the next. */
  private calls(s: Side): Iterator<TraceCall> {
    if (!this.skipping) {
      const it = s.calls;
      return { next: () => { const n = it.next(); if (!n.done) s.seen++; return n; } };
    }
    return this.unskipped(s);
  }

  private *unskipped(s: Side): Generator<TraceCall> {
    let held: TraceCall[] | undefined;
    for (const c of s.calls) {
      s.seen++;
      if (this.skip!(c)) {
        if (changesFds(c)) (held ??= []).push(c);
        continue;
      }
      if (held) { this.skippedBefore.set(c, held); held = undefined; }
      yield c;
    }
  }

  /** Before a call of side s is looked at: the skipped calls before it, then its own fd effects (FdPaths.before). */
  private enter(s: Side, c: TraceCall): void {
    if (this.skipping) for (const k of this.skippedBefore.get(c) ?? []) { s.fds.before(k); s.fds.after(k); }
    if (changesFds(c)) s.fds.before(c);
  }

  /** After a call of side s was looked at (FdPaths.after). */
  private leave(s: Side, c: TraceCall): void {
    if (changesFds(c)) s.fds.after(c);
  }

  private loose = (c: TraceCall) => this.ignore.keys.size !== 0 && this.ignore.keys.has(callKey(c));

  /** Whether two calls are the same behaviour (they pair in the alignment). */
  private readonly equal = (x: TraceCall, y: TraceCall): boolean => {
    if (x.name !== y.name || x.module !== y.module || x.args.length !== y.args.length) return false;
    const ptr = x.wasi !== undefined ? POINTER_ARGS[x.wasi] : undefined;
    for (let i = 0; i < x.args.length; i++) {
      if (!ptr?.[i] && !sameScalar(x.args[i]!, y.args[i]!)) return false;
    }
    return this.loose(x) || sameBytes(x.inputs, y.inputs);
  };

  private show(s: Side, c: TraceCall): string {
    return show(c, s.fds.name, this.o.stringLimit);
  }

  private addInput(fn: string, key: string, phrase: string, at: Place, fields?: string[], only?: 'a' | 'b'): void {
    this.inputs++;
    this.inputByFn.set(fn, (this.inputByFn.get(fn) ?? 0) + 1);
    let byKind = this.groups.get(fn);
    if (!byKind) this.groups.set(fn, byKind = new Map());
    let g = byKind.get(key);
    if (!g) { g = { fn, phrase, count: 0, first: [], last: [], latest: 0, fields: new Set(), ...(only && { only }) }; byKind.set(key, g); }
    g.count++;
    g.latest = this.seq++;
    if (g.first.length < SHOWN) g.first.push(at);
    else { g.last.push(at); if (g.last.length > SHOWN) g.last.shift(); }
    if (fields) for (const f of fields) g.fields.add(f);
  }

  /** The lines that stand above the first behavioural difference: the input differences so far, latest first. */
  private inputsSoFar(): string[] {
    if (!this.groups.size) return [];
    const gs = [...this.groups.values()].flatMap((m) => [...m.values()]).sort((x, y) => y.latest - x.latest);
    return ['input differences before it (latest first):', ...gs.map((g) => `  ${groupText(g)}`)];
  }

  private behaviourFound(lines: string[]): void {
    if (!this.first) {
      const context = this.recent.length ? ['shared calls before it:', ...this.recent.map((r) => `    ${show(r.call, r.names, this.o.stringLimit)}`)] : [];
      this.first = [...this.inputsSoFar(), ...lines, ...context];
    }
    if (this.o.all) for (const l of lines) this.out.line(l);
  }

  private readonly visit = {
    same: (ca: TraceCall, cb: TraceCall) => {
      this.enter(this.a, ca);
      this.enter(this.b, cb);
      const kind = this.loose(ca) ? undefined : inputDifference(ca, cb, this.ignore.metadata);
      if (kind) {
        this.addInput(callKey(ca), kind.key, kind.phrase, [ca.index, cb.index], kind.fields);
        if (this.o.all) {
          this.out.line(`input at ${place(ca, cb)}: ${callKey(ca)} ${kind.phrase}${kind.fields?.length ? ` (${kind.fields.join(', ')})` : ''}`);
          this.out.line(`  a: ${this.show(this.a, ca)}`);
          this.out.line(`  b: ${this.show(this.b, cb)}`);
        }
      }
      const context = this.o.context ?? 5;
      if (!this.first && context > 0) {
        if (this.recent.length === context) this.recent.shift();
        this.recent.push({ call: ca, names: this.a.fds.snapshot() });
      }
      this.leave(this.a, ca);
      this.leave(this.b, cb);
    },
    del: (ca: TraceCall) => this.only(this.a, ca),
    ins: (cb: TraceCall) => this.only(this.b, cb),
  };

  /**
   * A call only one side makes: an input difference for a call that only reads the environment, else behaviour.
   * `instead`: the first call the other side makes in its place (shown with it), if any.
   */
  private only(s: Side, c: TraceCall, instead?: TraceCall): void {
    this.enter(s, c);
    if (isEnvironment(c)) {
      if (!(this.ignore.clockCount && CLOCK_CALLS.has(c.name))) {
        const fn = callKey(c);
        this.addInput(fn, `only ${s.label}`, '', s.label === 'a' ? [c.index, -1] : [-1, c.index], undefined, s.label);
        if (this.o.all) this.out.line(`input at ${s.label} #${c.index}: ${fn} called only in ${s.label}: ${this.show(s, c)}`);
      }
    } else {
      if (s.label === 'a') this.behaviour.onlyA++; else this.behaviour.onlyB++;
      const other = s === this.a ? this.b : this.a;
      this.behaviourFound([
        `the runs differ in behaviour at event #${c.index} of ${s.label}: only ${s.label} makes this call${this.note}`,
        `  ${s.label}: ${this.show(s, c)}`,
        ...(instead ? [`  ${other.label} makes instead: ${this.show(other, instead)}`] : []),
      ]);
    }
    this.leave(s, c);
  }

  /** A hunk: the calls between two runs of pairs; calls of the same function pair up as changed calls. */
  private hunk(dels: TraceCall[], inss: TraceCall[]): void {
    const steps = pairByFunction(dels, inss);
    const firstOnly = (side: 'a' | 'b') => steps.find((x): x is ['a' | 'b', TraceCall] => x[0] === side && !isEnvironment(x[1]))?.[1];
    const insteadOfA = firstOnly('b');
    const insteadOfB = firstOnly('a');
    for (const step of steps) {
      if (step[0] === 'a') this.only(this.a, step[1], insteadOfA);
      else if (step[0] === 'b') this.only(this.b, step[1], insteadOfB);
      else this.changed(step[0], step[1]);
    }
  }

  /** Two calls of the same function in the same place that do not pair: the guest called it differently. */
  private changed(ca: TraceCall, cb: TraceCall): void {
    this.enter(this.a, ca);
    this.enter(this.b, cb);
    this.behaviour.changed++;
    const why = behaviourDifference(ca, cb);
    const lines = [
      `the runs differ in behaviour at event ${place(ca, cb)}: ${callKey(ca)}: ${why}${this.note}`,
      `  a: ${this.show(this.a, ca)}`,
      `  b: ${this.show(this.b, cb)}`,
    ];
    if (why.startsWith('the arguments')) lines.push(`  raw arguments: a [${ca.args.join(', ')}], b [${cb.args.join(', ')}]`);
    this.behaviourFound(lines);
    this.leave(this.a, ca);
    this.leave(this.b, cb);
  }

  run(): number {
    const dels: TraceCall[] = [];
    const inss: TraceCall[] = [];
    const flush = () => { if (dels.length || inss.length) { this.hunk(dels.splice(0), inss.splice(0)); } };
    align(this.calls(this.a), this.calls(this.b), this.equal, {
      same: (x, y) => { flush(); this.visit.same(x, y); },
      del: (x) => { dels.push(x); if (dels.length > HUNK_LIMIT) flush(); },
      ins: (y) => { inss.push(y); if (inss.length > HUNK_LIMIT) flush(); },
    }, this.o.align);
    flush();
    return this.report();
  }

  private report(): number {
    const { a, b, out } = this;
    const ea = endingText(a.reader);
    const eb = endingText(b.reader);
    const sameEnding = ea === eb && a.reader.ending.complete && b.reader.ending.complete;
    const behaviours = this.behaviour.changed + this.behaviour.onlyA + this.behaviour.onlyB + (sameEnding ? 0 : 1);
    const count = a.seen === b.seen ? `${a.seen} calls each` : `${a.seen} calls in a, ${b.seen} in b`;
    const inputCounts = [...this.inputByFn].sort((x, y) => y[1] - x[1]).map(([fn, n]) => `${fn} ${n}`).join(', ');
    if (behaviours === 0) {
      if (this.inputs === 0) out.line(`${a.seen === b.seen ? 'the traces are the same' : 'the runs do not differ'}: ${count}${this.note}`);
      else out.line(`the runs do not differ in behaviour: ${count}${this.note}; ${this.inputs} input difference${this.inputs === 1 ? '' : 's'} (${inputCounts})`);
      out.line(`both ended: ${ea}`);
      return DIFF_SAME;
    }
    if (!this.o.all) {
      if (this.first) for (const l of this.first) out.line(l);
      else {
        for (const l of this.inputsSoFar()) out.line(l);
        out.line(`the calls do not differ in behaviour (${count}${this.note}), but the runs ended differently`);
      }
    } else if (!sameEnding) {
      out.line('the runs ended differently');
    }
    out.line(`a ended: ${ea} (${a.seen} calls)`);
    out.line(`b ended: ${eb} (${b.seen} calls)`);
    const kinds = [
      ...(this.behaviour.changed ? [`${this.behaviour.changed} changed call${this.behaviour.changed === 1 ? '' : 's'}`] : []),
      ...(this.behaviour.onlyA ? [`${this.behaviour.onlyA} only in a`] : []),
      ...(this.behaviour.onlyB ? [`${this.behaviour.onlyB} only in b`] : []),
      ...(sameEnding ? [] : ['the ending']),
    ];
    out.line(`differences: ${behaviours} in behaviour (${kinds.join(', ')}), ${this.inputs} in input${this.inputs ? ` (${inputCounts})` : ''}`);
    return DIFF_DIFFERENT;
  }
}

/** The calls that change which fds are open (src/abi/fd-effects.ts): the only ones FdPaths needs to see. */
const FD_CHANGERS: ReadonlySet<string> = new Set(['path_open', 'sock_accept', 'fd_close', 'fd_renumber']);
const changesFds = (c: TraceCall) => c.wasi !== undefined && FD_CHANGERS.has(c.name);

/** Calls of one side held in a hunk before it is classified (a longer stretch is classified in parts). */
const HUNK_LIMIT = 1024;

type HunkStep = [TraceCall, TraceCall] | ['a' | 'b', TraceCall];

/**
 * Pairs the calls of a hunk by function (a longest common subsequence of the function names; greedy in order
 * for a hunk too large for that): the result lists every call once, each side's calls in their order.
 */
function pairByFunction(dels: TraceCall[], inss: TraceCall[]): HunkStep[] {
  const n = dels.length;
  const m = inss.length;
  const steps: HunkStep[] = [];
  if (n === 0 || m === 0 || n * m > 1 << 20) {
    let j = 0;
    for (const d of dels) {
      let k = j;
      while (k < m && callKey(inss[k]!) !== callKey(d)) k++;
      if (k < m) {
        for (; j < k; j++) steps.push(['b', inss[j]!]);
        steps.push([d, inss[j++]!]);
      } else steps.push(['a', d]);
    }
    for (; j < m; j++) steps.push(['b', inss[j]!]);
    return steps;
  }
  const ka = dels.map(callKey);
  const kb = inss.map(callKey);
  // L[i][j]: the longest common subsequence of ka[i..] and kb[j..].
  const L = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i * (m + 1) + j] = ka[i] === kb[j] ? L[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(L[(i + 1) * (m + 1) + j]!, L[i * (m + 1) + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (ka[i] === kb[j]) steps.push([dels[i++]!, inss[j++]!]);
    else if (L[(i + 1) * (m + 1) + j]! >= L[i * (m + 1) + j + 1]!) steps.push(['a', dels[i++]!]);
    else steps.push(['b', inss[j++]!]);
  }
  for (; i < n; i++) steps.push(['a', dels[i]!]);
  for (; j < m; j++) steps.push(['b', inss[j]!]);
  return steps;
}
