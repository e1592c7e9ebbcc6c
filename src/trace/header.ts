// The trace's HEADER and FOOTER maps as types (FORMAT.md, "Header fields", "Footer fields"), and the one place
// each is checked when read: anything a file can contain that does not fit is a TraceError naming the block,
// never a crash further on. The container (writer.ts, reader.ts) stores both as plain msgpack maps.
import { FUNCTIONS, MODULE_NAME } from '../abi/index.js';
import type { RunEnd } from '../runtime/runtime.js';
import { TraceError } from './errors.js';

/** One function import of the recorded module, as the header lists it; events refer to it by index. */
export interface ImportEntry {
  module: string;
  name: string;
  /** Index of the preview1 function in the schema, for wasi_snapshot_preview1 imports wasi-trace knows. */
  wasi?: number;
}

/** A directory the guest saw: a host directory, or an in-memory one (maybe copied from a host tree). */
export type PreopenRecord =
  | { guest: string; host: string }
  | { guest: string; memory: true; copiedFrom?: string };

export interface EngineRecord {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  /** The compiler tier guests were compiled with (absent in traces of wasi-trace before it was recorded). */
  tiering?: string;
}

export interface TraceHeader {
  /**
   * The trace's id (32 lower-case hex digits), which every frame repeats (FORMAT.md, version 2). The writer sets
   * it; absent in version 1 traces.
   */
  traceId?: string;
  tool: string;
  toolVersion: string;
  engine: EngineRecord;
  argv: string[];
  env: string[];
  preopens: PreopenRecord[];
  runtime: string;
  imports: ImportEntry[];
  module: { name: string; size: number; sha256: string };
  startedAt: string;
  timeUnit: string;
  /** The chaos schedule the run answered from (record --chaos); absent for an ordinary run. */
  chaos?: { seed: number; knobs: string[] };
}

/** How a recorded run ended: as the guest ended it, or cut short by a signal or a host failure. */
export type RecordedEnd = RunEnd | { kind: 'signal'; signal: string } | { kind: 'error'; message: string };

/** The footer fields the recording sets (the writer adds the container fields below). */
export interface RunSummary {
  end: RecordedEnd;
  /** Call events recorded (blob pieces are not calls). */
  calls: number;
  /** Calls per function (`fd_write`, or `module.name` for other imports); absent when the run was cut short. */
  counts?: Record<string, number>;
  /** Size and sha256 of guest memory when the run ended; absent when the run was cut short. */
  memorySize?: number;
  memoryHash?: string;
}

/**
 * Where one EVENTS frame starts in the run (the footer's `seek`, one per frame), so that a reader can start at the
 * frame that holds call #N instead of decoding every frame before it.
 */
export interface FrameStart {
  /** Call events in the frames before it (blob pieces are not calls): the number of its first call. */
  calls: number;
  /** ns from the start of the run to the end of the last call before it (the sum of their gap and dur). */
  time: number;
  /** Calls in this frame whose function may change the fd table (path_open, fd_close, fd_renumber, sock_accept). */
  fdCalls: number;
  /** Blob pieces in the frames before it that its first call takes (a reader cannot start there when not 0). */
  carried: number;
}

/** The footer fields the writer adds (the container's): EVENTS frames, events (calls and blob pieces), frame offsets, sizes. */
export interface FooterContainer {
  frames: number;
  events: number;
  index: number[];
  rawBytes: number;
  storedBytes: number;
  /** The header's trace id (version 2). */
  traceId?: string;
  /** One entry per frame (optional: older traces, and writers given other payloads, have none). */
  seek?: FrameStart[];
}

export interface TraceFooter extends RunSummary, FooterContainer {}

/** A one-line text for how a run ended: `exit code 3`, `trap (unreachable)`, `signal SIGINT`, ... */
export function describeEnd(e: RecordedEnd): string {
  switch (e.kind) {
    case 'exit': return `exit code ${e.code}`;
    case 'trap': return `trap (${e.message})`;
    case 'signal': return `signal ${e.signal}`;
    case 'error': return `host error (${e.message})`;
  }
}

/** Whether two ends are the same (kind and what describes it). */
export const sameEnd = (a: RecordedEnd, b: RecordedEnd): boolean => describeEnd(a) === describeEnd(b);

// ---- checking what a file holds ------------------------------------------------------------------------

type Map = Record<string, unknown>;

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isMap = (v: unknown): v is Map => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
/** A msgpack integer as a number: msgpackr gives 64-bit integers as bigints. */
const count = (v: unknown): unknown => (typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

function bad(block: string, offset: number | undefined, what: string): never {
  throw new TraceError(`corrupt trace: the ${block}${offset === undefined ? '' : ` at offset ${offset}`} ${what}`, offset);
}

/** An import entry; a `wasi` index must name that very preview1 function (events are decoded by it). */
function importEntry(v: unknown): ImportEntry | undefined {
  if (!isMap(v) || !isString(v.module) || !isString(v.name)) return undefined;
  const wasi = count(v.wasi);
  if (wasi === undefined) return { module: v.module, name: v.name };
  if (!isCount(wasi) || v.module !== MODULE_NAME || FUNCTIONS[wasi]?.name !== v.name) return undefined;
  return { module: v.module, name: v.name, wasi };
}

function preopen(v: unknown): PreopenRecord | undefined {
  if (!isMap(v) || !isString(v.guest)) return undefined;
  if (isString(v.host)) return { guest: v.guest, host: v.host };
  if (v.memory === true) return isString(v.copiedFrom) ? { guest: v.guest, memory: true, copiedFrom: v.copiedFrom } : { guest: v.guest, memory: true };
  return undefined;
}

/** A trace id as the header and footer give it: 16 bytes in lower-case hex. */
export const isTraceId = (v: unknown): v is string => isString(v) && /^[0-9a-f]{32}$/.test(v);

/**
 * The container's own field of the header map (FORMAT.md, "Header fields"): the trace id, which a version 2
 * trace must have. TraceError when it is missing or malformed.
 */
export function parseHeaderContainer(map: Map, version: number, offset?: number): { traceId?: string } {
  if (version < 2) return {};
  if (!isTraceId(map.traceId)) bad('header block', offset, 'has no valid trace id (traceId: 32 hex digits)');
  return { traceId: map.traceId as string };
}

/**
 * The container fields the writer sets in the footer map (FORMAT.md, "FOOTER"); for version 2 also the trace
 * id, which must be `traceId` (the header's). TraceError naming the field that is missing or malformed.
 */
export function parseFooterContainer(map: Map, version: number, traceId: string | undefined, offset?: number): FooterContainer {
  const fail = (what: string): never => bad('footer block', offset, what);
  const n = (key: string): number => {
    const v = count(map[key]);
    return isCount(v) ? v : fail(`has no valid ${key}`);
  };
  const index = map.index;
  if (!Array.isArray(index)) fail('has no frame index');
  const offsets = (index as unknown[]).map((o, i) => { const v = count(o); return isCount(v) ? v : fail(`has a malformed index entry #${i}`); });
  const out: FooterContainer = { frames: n('frames'), events: n('events'), index: offsets, rawBytes: n('rawBytes'), storedBytes: n('storedBytes') };
  if (map.seek !== undefined) out.seek = seekIndex(map.seek, offsets.length, fail);
  if (version >= 2) {
    if (!isTraceId(map.traceId)) fail('has no valid trace id');
    if (map.traceId !== traceId) fail(`belongs to another trace (trace id ${map.traceId as string}, the header's is ${traceId})`);
    out.traceId = traceId;
  }
  return out;
}

/**
 * The footer's `seek` (FrameStart as [calls, time, fdCalls, carried] per frame): one entry per frame, starting at
 * the start of the run, never going back; `fail` otherwise.
 */
function seekIndex(v: unknown, frames: number, fail: (what: string) => never): FrameStart[] {
  if (!Array.isArray(v)) fail('has a malformed seek index (not a list)');
  const list = v as unknown[];
  if (list.length !== frames) fail(`has a seek index of ${list.length} entries for ${frames} frames`);
  const out: FrameStart[] = [];
  list.forEach((e, i) => {
    const [calls, time, fdCalls, carried] = Array.isArray(e) ? e.map(count) : [];
    const ok = Array.isArray(e) && e.length === 4 && isCount(calls) && isCount(fdCalls) && isCount(carried) &&
      typeof time === 'number' && Number.isFinite(time) && time >= 0;
    if (!ok) fail(`has a malformed seek index entry #${i}`);
    const f = { calls, time, fdCalls, carried } as FrameStart;
    const prev = out[i - 1];
    if (prev ? f.calls < prev.calls || f.time < prev.time : f.calls !== 0 || f.time !== 0 || f.carried !== 0) {
      fail(`has a seek index entry #${i} that goes back (calls ${f.calls}, time ${f.time})`);
    }
    out.push(f);
  });
  return out;
}

/** The header map of a trace as a TraceHeader; TraceError naming the field that is missing or malformed. */
export function parseHeader(map: Map, offset?: number): TraceHeader {
  const fail = (what: string): never => bad('header block', offset, what);
  const strings = (key: string): string[] => {
    const v = map[key];
    if (!Array.isArray(v) || !v.every(isString)) fail(`has no valid ${key} (a list of strings)`);
    return v as string[];
  };
  const imports = map.imports;
  if (!Array.isArray(imports)) fail('has no import table');
  const table = (imports as unknown[]).map((e, i) => importEntry(e) ?? fail(`has a malformed import #${i}`));
  const preopens = map.preopens === undefined ? [] : map.preopens;
  if (!Array.isArray(preopens)) fail('has a malformed preopens list');
  const dirs = (preopens as unknown[]).map((p, i) => preopen(p) ?? fail(`has a malformed preopen #${i}`));
  const m = map.module;
  if (!isMap(m) || !isString(m.name) || !isString(m.sha256) || !/^[0-9a-f]{64}$/.test(m.sha256) || !isCount(count(m.size))) {
    fail('has no valid module description (name, size, sha256)');
  }
  const mod = m as Map;
  const e = isMap(map.engine) ? map.engine : {};
  const str = (v: unknown): string => (isString(v) ? v : '');
  return {
    ...(isTraceId(map.traceId) && { traceId: map.traceId }),
    tool: str(map.tool),
    toolVersion: str(map.toolVersion),
    engine: { node: str(e.node), v8: str(e.v8), platform: str(e.platform), arch: str(e.arch), ...(isString(e.tiering) && { tiering: e.tiering }) },
    argv: strings('argv'),
    env: strings('env'),
    preopens: dirs,
    runtime: str(map.runtime),
    imports: table,
    module: { name: mod.name as string, size: count(mod.size) as number, sha256: mod.sha256 as string },
    startedAt: str(map.startedAt),
    timeUnit: str(map.timeUnit) || 'ns',
    ...(map.chaos !== undefined && { chaos: chaosRecord(map.chaos) ?? fail('has a malformed chaos record') }),
  };
}

function chaosRecord(v: unknown): TraceHeader['chaos'] {
  if (!isMap(v) || !Array.isArray(v.knobs) || !v.knobs.every(isString)) return undefined;
  const seed = count(v.seed);
  return isCount(seed) ? { seed, knobs: v.knobs as string[] } : undefined;
}

function recordedEnd(v: unknown): RecordedEnd | undefined {
  if (!isMap(v)) return undefined;
  switch (v.kind) {
    case 'exit': {
      const code = count(v.code);
      if (!isCount(code) && !(typeof code === 'number' && Number.isInteger(code))) return undefined;
      return isString(v.signal) ? { kind: 'exit', code, signal: v.signal } : { kind: 'exit', code };
    }
    case 'trap': return isString(v.message) ? { kind: 'trap', message: v.message } : undefined;
    case 'signal': return isString(v.signal) ? { kind: 'signal', signal: v.signal } : undefined;
    case 'error': return isString(v.message) ? { kind: 'error', message: v.message } : undefined;
    default: return undefined;
  }
}

/**
 * The footer map of a trace as a TraceFooter (its container fields as parseFooterContainer checks them, for a
 * trace of `version` whose header has `traceId`); TraceError naming the field that is missing or malformed.
 */
export function parseFooter(map: Map, version: number, traceId: string | undefined, offset?: number): TraceFooter {
  const fail = (what: string): never => bad('footer block', offset, what);
  const n = (key: string): number => {
    const v = count(map[key]);
    return isCount(v) ? v : fail(`has no valid ${key}`);
  };
  const end = recordedEnd(map.end) ?? fail('does not say how the run ended');
  const footer: TraceFooter = { end, calls: n('calls'), ...parseFooterContainer(map, version, traceId, offset) };
  const lastStart = footer.seek?.[footer.seek.length - 1];
  if (lastStart && lastStart.calls > footer.calls) fail(`has a seek index whose last frame starts at call #${lastStart.calls}, after all ${footer.calls} calls`);
  if (map.counts !== undefined) {
    const c = map.counts;
    if (!isMap(c) || !Object.values(c).every((v) => isCount(count(v)))) fail('has malformed per-function counts');
    footer.counts = Object.fromEntries(Object.entries(c as Map).map(([k, v]) => [k, count(v) as number]));
  }
  if (map.memorySize !== undefined) footer.memorySize = n('memorySize');
  if (map.memoryHash !== undefined) {
    if (!isString(map.memoryHash)) fail('has a malformed memory hash');
    footer.memoryHash = map.memoryHash as string;
  }
  return footer;
}
