// Decodes one recorded call into strace-style text, driven by the preview1 schema:
//   path_open(fd=3, dirflags=SYMLINK_FOLLOW, path="src/a.js", oflags=0, ...) = ESUCCESS (opened_fd=5)
import {
  ERRNO, errnoName, enumName, flagsToString, FUNCTIONS, isStruct, liveFields, readPrim, wasmParams,
  type FunctionDef, type MemType, type Param, type ScalarType, type StructType,
} from '../abi/index.js';
import type { CallEvent, CallResult, Scalar } from '../trace/events.js';

export interface FormatOptions {
  /** Bytes of a string or buffer shown before it is cut (strace -s); default 32. */
  stringLimit?: number;
  /** Describes an fd (e.g. the path it was opened with), shown as fd=5<desc>. */
  fdName?: (fd: number) => string | undefined;
}

/** The call as the proxy saw it: an import-table entry plus the event's fields. */
export interface CallView {
  module: string;
  name: string;
  /** Schema index for preview1 functions. */
  wasi?: number;
  args: readonly Scalar[];
  inputs: Uint8Array | null;
  result?: CallResult;
  writes?: CallEvent['writes'];
}

/** Quotes bytes like strace: printable ASCII as is, C escapes, \xNN otherwise; "..." after `limit` bytes. */
export function quoteBytes(bytes: Uint8Array, limit = 32): string {
  let s = '"';
  const n = Math.min(bytes.length, limit);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += '\\\\';
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x09) s += '\\t';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${s}"${bytes.length > limit ? '...' : ''}`;
}

function scalarText(t: ScalarType, v: Scalar, o: FormatOptions): string {
  const d = t.display;
  if (d === 'fd') {
    const desc = o.fdName?.(Number(v));
    return desc === undefined ? String(v) : `${v}<${desc}>`;
  }
  if (d === 'pointer') return `0x${(Number(v) >>> 0).toString(16)}`;
  if (d && d.kind === 'enum') return d === ERRNO ? errnoName(Number(v)) : enumName(d, Number(v));
  if (d && d.kind === 'flags') return flagsToString(d, BigInt.asUintN(64, BigInt(v)));
  if (t.prim === 'u32' && typeof v === 'number') return String(v >>> 0);
  if (t.prim === 'u64') return BigInt.asUintN(64, BigInt(v)).toString();
  return String(v);
}

function structText(t: StructType, bytes: Uint8Array, o: FormatOptions): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: Record<string, number | bigint> = {};
  for (const f of t.fields) values[f.name] = readPrim(view, f.offset, f.type.prim);
  return `${t.name}{${liveFields(t, values).map((f) => `${f.name}=${scalarText(f.type, values[f.name]!, o)}`).join(',')}}`;
}

function memText(t: MemType, bytes: Uint8Array, o: FormatOptions): string {
  if (isStruct(t)) return structText(t, bytes, o);
  return scalarText(t, readPrim(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, t.prim), o);
}

/** The bytes written at `addr` by the call, if it wrote there. */
const writtenAt = (writes: CallEvent['writes'] | undefined, addr: number) =>
  writes?.find((w) => w.addr === (addr >>> 0))?.bytes;

/** Splits a call's concatenated inputs back into its input params (only one iovec array has no length in args). */
function splitInputs(def: FunctionDef, args: readonly Scalar[], inputs: Uint8Array | null): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (!inputs) return out;
  const lowered = wasmParams(def);
  const arg = (name: string, part: string) => Number(args[lowered.findIndex((w) => w.param.name === name && w.part === part)]) >>> 0;
  const sized = def.params.map((p): [Param, number | undefined] => {
    if (p.role === 'string') return [p, arg(p.name, 'len')];
    if (p.role === 'array' && p.dir === 'in') return [p, arg(p.count, 'value') * p.type.size];
    if (p.role === 'iovecs' && p.dir === 'in') return [p, undefined];
    return [p, -1];
  }).filter(([, n]) => n !== -1);
  const known = sized.reduce((s, [, n]) => s + (n ?? 0), 0);
  let at = 0;
  for (const [p, n] of sized) {
    const len = n ?? Math.max(0, inputs.length - known);
    out.set(p.name, inputs.subarray(at, Math.min(inputs.length, at + len)));
    at += len;
  }
  return out;
}

function paramText(def: FunctionDef, p: Param, call: CallView, inputs: Map<string, Uint8Array>, o: FormatOptions): string | undefined {
  const lowered = wasmParams(def);
  const at = (part: string) => call.args[lowered.findIndex((w) => w.param.name === p.name && w.part === part)]!;
  const limit = o.stringLimit ?? 32;
  switch (p.role) {
    case 'scalar': return scalarText(p.type, at('value'), o);
    case 'string': return quoteBytes(inputs.get(p.name) ?? new Uint8Array(0), limit);
    case 'iovecs': {
      if (p.dir === 'in') return quoteBytes(inputs.get(p.name) ?? new Uint8Array(0), limit);
      if (call.result === undefined) return `[${Number(at('len')) >>> 0} iovecs]`;
      const outAddrs = new Set(def.params.filter((q) => q.role === 'out').map((q) => Number(callArg(def, call, q.name)) >>> 0));
      return quoteBytes(Buffer.concat((call.writes ?? []).filter((w) => !outAddrs.has(w.addr)).map((w) => w.bytes)), limit);
    }
    case 'buffer': {
      const w = writtenAt(call.writes, Number(at('ptr')));
      return w ? quoteBytes(w, limit) : `0x${(Number(at('ptr')) >>> 0).toString(16)}`;
    }
    case 'array': {
      if (p.dir === 'out') return undefined;
      const bytes = inputs.get(p.name) ?? new Uint8Array(0);
      const items: string[] = [];
      for (let i = 0; i + p.type.size <= bytes.length; i += p.type.size) items.push(structText(p.type, bytes.subarray(i, i + p.type.size), o));
      return `[${items.join(', ')}]`;
    }
    case 'out': case 'argv': case 'argvBuf':
      return undefined;
  }
}

function callArg(def: FunctionDef, call: CallView, name: string): Scalar {
  return call.args[wasmParams(def).findIndex((w) => w.param.name === name)]!;
}

/** The "= ..." part: errno by name and the out-values the call wrote. */
function resultText(def: FunctionDef | undefined, call: CallView, o: FormatOptions): string {
  const r = call.result;
  if (r === undefined) return '';
  if (r !== null && typeof r === 'object') return 'exit' in r ? ` = ? <exit ${r.exit}>` : ` = ? <threw: ${r.throw}>`;
  if (!def) return r === null ? '' : ` = ${r}`;
  if (def.result === 'none') return ' = ?';
  const outs: string[] = [];
  for (const p of def.params) {
    if (p.role === 'out') {
      const w = writtenAt(call.writes, Number(callArg(def, call, p.name)));
      if (w && r === 0) outs.push(`${p.name}=${memText(p.type, w, o)}`);
    } else if (p.role === 'array' && p.dir === 'out' && r === 0) {
      const w = writtenAt(call.writes, Number(callArg(def, call, p.name)));
      const items: string[] = [];
      for (let i = 0; w && i + p.type.size <= w.length; i += p.type.size) items.push(structText(p.type, w.subarray(i, i + p.type.size), o));
      outs.push(`${p.name}=[${items.join(', ')}]`);
    }
  }
  return ` = ${errnoName(Number(r))}${outs.length ? ` (${outs.join(', ')})` : ''}`;
}

/** One call as text: `name(param=value, ...) = RESULT (out=value, ...)`. Without a result: just the call. */
export function formatCall(call: CallView, o: FormatOptions = {}): string {
  const def = call.wasi !== undefined ? FUNCTIONS[call.wasi] : undefined;
  if (!def) {
    return `${call.module}.${call.name}(${call.args.map(String).join(', ')})${resultText(undefined, call, o)}`;
  }
  const inputs = splitInputs(def, call.args, call.inputs);
  const parts: string[] = [];
  for (const p of def.params) {
    const t = paramText(def, p, call, inputs, o);
    if (t !== undefined) parts.push(`${p.name}=${t}`);
  }
  return `${def.name}(${parts.join(', ')})${resultText(def, call, o)}`;
}
