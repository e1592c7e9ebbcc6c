// wasi-trace diff: walks two traces in lockstep and reports the first call where they differ, both sides decoded,
// with the shared calls before it and how each run ended. Calls are compared by function, raw arguments, input
// bytes, result and written memory; an ignored function or family is compared by function and arguments only.
import { FUNCTIONS, FUNCTIONS_BY_NAME, wasmParams } from '../abi/index.js';
import { UserError } from '../errors.js';
import type { Scalar } from '../trace/events.js';
import type { TraceReader } from '../trace/reader.js';
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
   * Families (clock, random, poll, ... as dump's %families, without the %) or function names whose values differ
   * anyway, and `pointers` to ignore guest addresses in preview1 calls.
   */
  ignore?: readonly string[];
  /** Families or functions left out of both traces before comparing (their number may differ too). */
  skip?: readonly string[];
  /** Shared calls shown before the difference (default 5). */
  context?: number;
  stringLimit?: number;
}

/** Exit codes: the traces are the same / they differ (bad input is a UserError, exit 2). */
export const DIFF_SAME = 0;
export const DIFF_DIFFERENT = 1;

/** What --ignore names: function keys (as callKey gives them), and whether guest addresses are ignored. */
export function ignoredKeys(words: readonly string[], flag = '--ignore'): { keys: Set<string>; pointers: boolean } {
  const keys = new Set<string>();
  let pointers = false;
  for (const w of words.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (w === 'pointers' && flag === '--ignore') { pointers = true; continue; }
    const fams = FAMILY_SETS[w.replace(/^%/, '')];
    if (fams) for (const fn of FUNCTIONS) { if (fams.includes(fn.family)) keys.add(fn.name); }
    else if (FUNCTIONS_BY_NAME.has(w) || /^[^.]+\..+$/.test(w)) keys.add(w);
    else throw new UserError(`${flag} ${w}: not ${flag === '--ignore' ? 'pointers, ' : ''}a family (${Object.keys(FAMILY_SETS).join(', ')}), a preview1 function or a module.name import`);
  }
  return { keys, pointers };
}

/** For each preview1 function, which wasm arguments are guest addresses. */
const POINTER_ARGS: boolean[][] = FUNCTIONS.map((fn) => wasmParams(fn).map((w) =>
  w.part === 'ptr' || (w.param.role === 'scalar' && w.param.type.display === 'pointer')));

function sameScalar(x: Scalar, y: Scalar): boolean {
  if (typeof x === 'number' && typeof y === 'number') return Object.is(x, y);
  try { return BigInt(x) === BigInt(y); } catch { return false; }
}

const sameBytes = (x: Uint8Array | null | undefined, y: Uint8Array | null | undefined): boolean =>
  x == null || y == null ? x == y : x.length === y.length && Buffer.compare(x, y) === 0;

const ARGS_DIFFER = 'the arguments differ';

/**
 * Why two calls differ, or undefined when they are the same (`loose`: compare function and arguments only;
 * `pointers`: ignore the guest addresses among a preview1 call's arguments and where its writes went).
 */
export function callDifference(a: TraceCall, b: TraceCall, loose: boolean, pointers = false): string | undefined {
  if (a.module !== b.module || a.name !== b.name) return 'a different function was called';
  const skip = pointers && a.wasi !== undefined ? POINTER_ARGS[a.wasi] : undefined;
  if (a.args.length !== b.args.length || a.args.some((v, i) => !skip?.[i] && !sameScalar(v, b.args[i]!))) return ARGS_DIFFER;
  if (loose) return undefined;
  if (!sameBytes(a.inputs, b.inputs)) return 'the data passed in differs';
  const ra = a.result ?? null;
  const rb = b.result ?? null;
  const sameResult = typeof ra === 'object' || typeof rb === 'object'
    ? JSON.stringify(ra) === JSON.stringify(rb)
    : sameScalar(ra, rb);
  if (!sameResult) return 'the results differ';
  const wa = a.writes ?? [];
  const wb = b.writes ?? [];
  if (wa.length !== wb.length || wa.some((w, i) => (!skip && w.addr !== wb[i]!.addr) || !sameBytes(w.bytes, wb[i]!.bytes))) {
    return 'the memory written differs';
  }
  return undefined;
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

interface Side { label: 'a' | 'b'; reader: TraceReader; calls: Generator<TraceCall>; fds: FdPaths; seen: number }

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
  const { keys: ignore, pointers } = ignoredKeys(o.ignore ?? []);
  const { keys: skipped } = ignoredKeys(o.skip ?? [], '--skip');
  const skip = (c: TraceCall) => skipped.has(callKey(c));
  const open = async (label: 'a' | 'b', path: string): Promise<Side> => {
    const reader = await openTrace(path, { module: 'check' });
    return { label, reader, calls: traceCalls(reader), fds: new FdPaths(reader.header.preopens), seen: 0 };
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
    return compare(o, a, b, ignore, pointers, skipped, skip, out);
  } finally {
    a.reader.close();
    b.reader.close();
  }
}

function compare(o: DiffOptions, a: Side, b: Side, ignore: Set<string>, pointers: boolean, skipped: Set<string>,
  skip: (c: TraceCall) => boolean, out: TextWriter): number {
  const context = o.context ?? 5;
  const fmt = { stringLimit: o.stringLimit };
  const recent: { call: TraceCall; names: (fd: number) => string | undefined }[] = [];
  const show = (c: TraceCall, names: (fd: number) => string | undefined) => `#${c.index} ${formatCall(c, { ...fmt, fdName: names })}`;

  out.line(`a: ${o.a}`);
  out.line(`b: ${o.b}`);
  for (const note of headerNotes(a.reader, b.reader)) out.line(`note: ${note}`);
  const shared = () => {
    if (!recent.length) return;
    out.line(`shared calls before it:`);
    for (const r of recent) out.line(`    ${show(r.call, r.names)}`);
  };
  const endings = () => {
    const na = totalCalls(a);
    const nb = totalCalls(b);
    out.line(`a ended: ${endingText(a.reader)} (${na} calls)`);
    out.line(`b ended: ${endingText(b.reader)} (${nb} calls)`);
  };
  const words = (list: readonly string[] | undefined) => [...new Set((list ?? []).flatMap((w) => w.split(',')).map((w) => w.trim()).filter(Boolean))].join(', ');
  const how = [
    ...(ignore.size || pointers ? [`ignoring the values of ${words(o.ignore)}`] : []),
    ...(skipped.size ? [`skipping ${words(o.skip)}`] : []),
  ];
  const note = how.length ? ` (compared ${how.join(', ')})` : '';
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
      out.line(`  ${long.label}: ${show(next, long.fds.name)}`);
      shared();
      endings();
      return DIFF_DIFFERENT;
    }
    const why = callDifference(ca, cb, ignore.has(callKey(ca)), pointers);
    if (why) {
      out.line(`the traces differ at ${at(ca.index, cb.index)}: ${why}${note}`);
      out.line(`  a: ${show(ca, a.fds.name)}`);
      out.line(`  b: ${show(cb, b.fds.name)}`);
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
