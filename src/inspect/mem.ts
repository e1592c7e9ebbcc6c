// wasi-trace mem: guest memory at an event boundary, found by replaying the trace (quietly) up to it.
//  - `--at N`: memory as it is just before event #N runs (what the guest's code had done by the time it made call
//    #N); `--at end`: the final memory. Ranges print as xxd does, or as a NUL-terminated string, or as JSON.
//  - `--watch RANGE`: every boundary at which the range changed, old and new bytes, and who changed it: the recorded
//    writes of a call (seen right after they are applied) or the guest's own code (seen at the next call: code runs
//    between calls, so a change it makes is observed at the boundary before the following event).
// Ranges: ADDR[:LEN], ADDR decimal or 0x-hex or a name (src/inspect/symbols.ts) with an optional +OFF; LEN decimal
// or 0x-hex, default 64 (a data segment's size for a segment name; with --string, the most bytes read: 4096).
import { UserError } from '../errors.js';
import { DivergenceError, replay } from '../replay/replay.js';
import { quoteBytes } from '../calls/format.js';
import { eventLines } from './events.js';
import { moduleNames, type ModuleNames } from './symbols.js';
import { withTrace } from './trace.js';
import type { TextWriter } from './writer.js';

/** Bytes shown when a range gives no LEN (and the name does not say: a data segment is shown whole). */
export const DEFAULT_LENGTH = 64;
/** With --string, the most bytes read looking for the NUL when the range gives no LEN. */
export const DEFAULT_STRING_LENGTH = 4096;
/** Changes of watched ranges listed at most (memory stays bounded on a long trace); the rest are counted. */
export const MAX_CHANGES = 10_000;
/** Exit code when the trace's replay diverged (as replay's). */
const EXIT_DIVERGENCE = 125;

export interface MemOptions {
  trace: string;
  /** The boundary: before event #at, or the end of the run. */
  at: number | 'end';
  /** ADDR[:LEN] ranges printed at `at`. */
  ranges: string[];
  /** ADDR[:LEN] ranges watched from the first event to `at`. */
  watch?: string[];
  /** Read each range as a NUL-terminated string (LEN: the most bytes read). */
  string?: boolean;
  /** One JSON object per line (fields in printRange/printChange). */
  json?: boolean;
  /** Told when the trace was cut short (the memory shown is where it ends). */
  onWarning?: (message: string) => void;
  /** Changes listed at most (default MAX_CHANGES); the rest are counted in one last line. */
  maxChanges?: number;
}

/**
 * A range resolved to an address. `label`: how the user wrote it. `atMost`: the length is only a bound (a string
 * read without a LEN stops at the end of memory).
 */
export interface MemRange { label: string; address: number; length: number; name?: string; atMost?: boolean }

const NUMBER = /^(0x[0-9a-f]+|\d+)$/i;
const num = (s: string): number => Number(s.toLowerCase().startsWith('0x') ? BigInt(s) : s);

/**
 * Parses `ADDR[:LEN]` (ADDR: decimal, 0x-hex, or NAME[+OFF]) against the module's names. UserError naming the
 * range for a malformed one, an unknown or unusable name, or a range past 4 GiB.
 */
export function parseRange(spec: string, names: ModuleNames, stringLength?: number): MemRange {
  const bad = (why: string) => new UserError(`${spec}: ${why}`);
  const colon = spec.lastIndexOf(':');
  const where = colon < 0 ? spec : spec.slice(0, colon);
  const lenText = colon < 0 ? undefined : spec.slice(colon + 1);
  if (lenText !== undefined && !NUMBER.test(lenText)) throw bad('expected ADDR[:LEN], LEN a decimal or 0x-hex byte count');
  const plus = /^(.*?)\+(0x[0-9a-f]+|\d+)$/i.exec(where);
  const base = plus ? plus[1]! : where;
  const offset = plus ? num(plus[2]!) : 0;
  if (base === '') throw bad('expected ADDR[:LEN], ADDR a decimal or 0x-hex address or a name from the module');
  let address: number;
  let size: number | undefined;
  let name: string | undefined;
  if (NUMBER.test(base)) {
    address = num(base);
  } else {
    const found = names.names.get(base);
    if (!found) {
      const why = names.unusable.get(base);
      if (why) throw bad(why);
      const known = [...names.names.keys()];
      throw bad(known.length
        ? `no such name in the module (it names: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''})`
        : 'no such name: the module exports no global holding an address and has no name section naming globals or data segments');
    }
    ({ address, size } = found);
    name = base;
  }
  address += offset;
  const length = lenText !== undefined ? num(lenText) : stringLength ?? (offset === 0 ? size : undefined) ?? DEFAULT_LENGTH;
  if (length === 0) throw bad('the length is 0');
  if (address + length > 2 ** 32 && !(stringLength && lenText === undefined)) throw bad('the range goes past 4 GiB, beyond any 32-bit guest memory');
  return { label: spec, address, length, name, ...(stringLength !== undefined && lenText === undefined && { atMost: true }) };
}

/** How a range is named in the output: its address in hex, or the name (and +OFF) it was given by. */
const rangeName = (r: MemRange): string => (r.name === undefined ? hex(r.address) : r.label.replace(/:[^:]*$/, ''));

/** `NAME (0xADDR)`, or just `0xADDR` for a range given by its address. */
const rangePlace = (r: MemRange): string => (r.name === undefined ? hex(r.address) : `${rangeName(r)} (${hex(r.address)})`);

/** `NAME (0xADDR), LEN bytes`. */
export const rangeTitle = (r: MemRange): string => `${rangePlace(r)}, ${r.length} byte${r.length === 1 ? '' : 's'}`;

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The range's bytes in `memory` (a view: copy to keep); UserError when it is outside memory at this boundary. */
function view(r: MemRange, memory: Uint8Array, where: () => string): Uint8Array {
  if (r.atMost && r.address < memory.length) return memory.subarray(r.address, Math.min(memory.length, r.address + r.length));
  if (r.address + r.length > memory.length) {
    throw new UserError(`${r.label}: ${hex(r.address)}..${hex(r.address + r.length)} is outside guest memory ${where()} (it is ${memory.length} bytes, up to ${hex(memory.length)})`);
  }
  return memory.subarray(r.address, r.address + r.length);
}

/** `bytes` as xxd shows them (16 a row, in pairs, then the ASCII), rows numbered from `address`. */
export function xxd(bytes: Uint8Array, address: number): string[] {
  const rows: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    let h = '';
    for (let i = 0; i < row.length; i++) h += `${i > 0 && i % 2 === 0 ? ' ' : ''}${row[i]!.toString(16).padStart(2, '0')}`;
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    rows.push(`${(address + at).toString(16).padStart(8, '0')}: ${h.padEnd(39)}  ${ascii}`);
  }
  return rows;
}

const hexBytes = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The bytes up to the first NUL, and whether there was one. */
function cString(bytes: Uint8Array): { bytes: Uint8Array; terminated: boolean } {
  const nul = bytes.indexOf(0);
  return nul < 0 ? { bytes, terminated: false } : { bytes: bytes.subarray(0, nul), terminated: true };
}

interface Change { range: MemRange; index: number; by: 'call' | 'guest'; old: Uint8Array; now: Uint8Array }

/** Replays the trace to the boundary asked for and prints the ranges, and what the watches saw on the way. */
export async function mem(o: MemOptions, out: TextWriter): Promise<number> {
  const names = await withTrace(o.trace, {}, (reader) => moduleNames(reader.module));
  const ranges = o.ranges.map((s) => parseRange(s, names, o.string ? DEFAULT_STRING_LENGTH : undefined));
  const watches = (o.watch ?? []).map((s) => parseRange(s, names));
  if (!ranges.length && !watches.length) throw new UserError('mem: name at least one ADDR[:LEN] to show or --watch');

  const last = new Map<MemRange, Uint8Array>(); // each watch's bytes at the boundary before
  const initial: { range: MemRange; index: number; bytes: Uint8Array; end: boolean }[] = [];
  const changes: Change[] = [];
  let moreChanges = 0;
  const maxChanges = o.maxChanges ?? MAX_CHANGES;
  let shown: Uint8Array[] | undefined;
  let shownAt = 0;
  const atWhere = (index: number, when: string) => (when === 'end' ? `at the end of the run (after ${index} events)` : `before event #${index}`);
  const onBoundary = (index: number, memory: Uint8Array, when: 'before' | 'after' | 'end') => {
    for (const w of watches) {
      const seen = view(w, memory, () => atWhere(index, when));
      const old = last.get(w);
      if (old && Buffer.compare(old, seen) === 0) continue; // the common case: nothing copied
      const now = seen.slice();
      if (!old) initial.push({ range: w, index, bytes: now, end: when === 'end' });
      else if (changes.length < maxChanges) changes.push({ range: w, index, by: when === 'after' ? 'call' : 'guest', old, now });
      else moreChanges++;
      last.set(w, now);
    }
    if (when === 'after') return;
    if (when === 'end' ? o.at === 'end' : o.at === index) {
      shown = ranges.map((r) => view(r, memory, () => atWhere(index, when)).slice());
      shownAt = index;
    }
  };

  let result;
  try {
    result = await replay({ trace: o.trace, quiet: true, stopAt: o.at === 'end' ? undefined : o.at, onBoundary });
  } catch (e) {
    if (e instanceof DivergenceError) throw new UserError(`${o.trace} does not replay: ${e.message.split('\n')[0]}`, EXIT_DIVERGENCE);
    throw e;
  }
  if (!result.complete) o.onWarning?.(`${o.trace}: the trace ends early (${result.incompleteReason}): memory after its last event, #${result.calls - 1}`);

  const callLines = await eventLines(o.trace, changes.filter((c) => c.by === 'call').map((c) => c.index));
  for (const i of initial) printFirst(i.range, i.index, i.bytes, o, out, i.end);
  for (const c of changes) printChange(c, callLines, o, out);
  if (moreChanges) {
    const text = `${moreChanges} more change${moreChanges === 1 ? '' : 's'} after the first ${maxChanges} not listed (narrow the range or use --at)`;
    if (o.json) out.line(JSON.stringify({ notListed: moreChanges })); else out.line(text);
  }
  ranges.forEach((r, n) => printRange(r, shown![n]!, o.at === 'end' ? { end: shownAt } : { before: shownAt }, o, out));
  return 0;
}

/** A watched range where watching starts. JSON: {watch, address, length, event, first: true, hex}. */
function printFirst(r: MemRange, index: number, bytes: Uint8Array, o: MemOptions, out: TextWriter, atEnd: boolean): void {
  if (o.json) { out.line(JSON.stringify({ watch: r.label, address: r.address, length: r.length, event: index, first: true, hex: hexBytes(bytes) })); return; }
  out.line(`watch ${rangeTitle(r)}: ${atEnd ? `at the end (after ${index} events)` : `first seen before event #${index}`}:`);
  for (const row of xxd(bytes, r.address)) out.line(`  ${row}`);
}

/**
 * One change of a watched range. JSON: {watch, address, length, event, by: "call" | "guest", old, new} (hex);
 * `event`: the call that wrote it, or for the guest's code the event before which the change was seen.
 */
function printChange(c: Change, calls: Map<number, string>, o: MemOptions, out: TextWriter): void {
  const r = c.range;
  if (o.json) {
    out.line(JSON.stringify({ watch: r.label, address: r.address, length: r.length, event: c.index, by: c.by, old: hexBytes(c.old), new: hexBytes(c.now) }));
    return;
  }
  const who = c.by === 'call'
    ? `written by ${calls.get(c.index) ?? `#${c.index}`}`
    : `changed by the guest's code${c.index > 0 ? ` after #${c.index - 1} returned` : ''}, seen before event #${c.index}`;
  out.line(`watch ${rangeName(r)}: ${who}:`);
  const oldRows = xxd(c.old, r.address);
  const newRows = xxd(c.now, r.address);
  oldRows.forEach((row, i) => {
    if (row === newRows[i]) return; // show only the rows that changed
    out.line(`- ${row}`);
    out.line(`+ ${newRows[i]}`);
  });
}

/**
 * One range at the boundary. Text: a title line then xxd rows, or `TITLE: "string"` with --string. JSON:
 * {range, address, length, event | end, hex} or, with --string, {..., string, terminated} (`string` decoded as
 * UTF-8, invalid sequences replaced; `terminated` false when no NUL was found within LEN bytes).
 */
function printRange(r: MemRange, bytes: Uint8Array, at: { before: number } | { end: number }, o: MemOptions, out: TextWriter): void {
  const where = 'before' in at ? `before event #${at.before}` : `at the end (after ${at.end} events)`;
  const place = 'before' in at ? { event: at.before } : { end: true, events: at.end };
  if (o.string) {
    const s = cString(bytes);
    if (o.json) { out.line(JSON.stringify({ range: r.label, address: r.address, ...place, string: new TextDecoder().decode(s.bytes), terminated: s.terminated })); return; }
    out.line(`${rangePlace(r)} ${where}: ${quoteBytes(s.bytes, Infinity)}${s.terminated ? '' : ` (no NUL in ${bytes.length} bytes)`}`);
    return;
  }
  if (o.json) { out.line(JSON.stringify({ range: r.label, address: r.address, length: r.length, ...place, hex: hexBytes(bytes) })); return; }
  out.line(`${rangeTitle(r)}, ${where}:`);
  for (const row of xxd(bytes, r.address)) out.line(row);
}
