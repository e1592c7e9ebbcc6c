// Decodes one recorded call, driven by the preview1 schema, into strace-style text and into JSON values:
//   path_open(fd=3</sandbox>, dirflags=SYMLINK_FOLLOW, path="a.txt", oflags=CREAT|TRUNC, ...) = ESUCCESS (opened_fd=5</sandbox/a.txt>)
// decodeCall gives both forms of every value (dump prints the text, dump --json and export the JSON);
// formatCall is the one-line text the dump and the replayer's divergence reports show.
import {
  ERRNO, errnoName, RIGHTS, enumName, FUNCTIONS, isStruct, liveFields, primSize, readPrim, STRUCTS, wasmParams,
  type FlagsDef, type Family, type FunctionDef, type MemType, type Param, type ScalarType, type StructType, type WasmParam,
} from '../abi/index.js';
import type { CallEvent, CallResult, Scalar } from '../trace/events.js';

export interface FormatOptions {
  /** Bytes of a buffer shown before it is cut (strace -s); default 32. Paths are always shown in full. */
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

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One decoded value, as the dump shows it (`text`) and as JSON output gives it (`json`). */
export interface Value {
  name: string;
  text: string;
  json: Json;
  /** The fd number, for fd-typed values. */
  fd?: number;
  /** What fdName said about that fd. */
  path?: string;
}

export interface DecodedCall {
  module: string;
  function: string;
  /** The schema family of a preview1 function. */
  family?: Family;
  /** Parameters: named for preview1 functions; for other imports `0`, `1`, ... (shown positionally). */
  args: Value[];
  /** Undefined for a call without a result (one the replayer saw but the trace does not hold). */
  result?: {
    text: string;
    json: Json;
    /** The errno a preview1 function returned. */
    errno?: number;
    /** The code proc_exit ended the run with. */
    exit?: number;
    /** The message of a host function that threw. */
    threw?: string;
  };
  /** Values the call wrote (out-params), shown after the result; only for successful preview1 calls. */
  out: Value[];
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

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

/**
 * A byte buffer as JSON: `{len, text}` with the first `limit` bytes as a string when they are UTF-8
 * (a character cut at the limit is dropped), else `{len, hex}`. `len` is the whole buffer's length.
 */
export function bytesJson(bytes: Uint8Array, limit = 32): Json {
  const shown = bytes.subarray(0, Math.min(bytes.length, limit));
  for (let drop = 0; drop <= (shown.length < bytes.length ? 3 : 0) && drop <= shown.length; drop++) {
    try { return { len: bytes.length, text: utf8.decode(shown.subarray(0, shown.length - drop)) }; } catch { /* not UTF-8 */ }
  }
  return { len: bytes.length, hex: Buffer.from(shown).toString('hex') };
}

/** A 64-bit value as JSON: a number when it is exact, else a decimal string. */
const bigJson = (v: bigint): Json => (v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString());
const hex = (v: Scalar) => `0x${(Number(v) >>> 0).toString(16)}`;

/**
 * A flag set's names joined by |. A rights set with most bits set reads better as what it lacks:
 * `ALL` or `ALL&~(FD_WRITE|FD_ALLOCATE)`.
 */
function flagsText(d: FlagsDef, names: string[]): string {
  if (d !== RIGHTS || names.length <= d.names.length / 2 || names.some((n) => n.startsWith('0x'))) return names.join('|');
  const missing = d.names.map((n) => n.toUpperCase()).filter((n) => !names.includes(n));
  return missing.length ? `ALL&~(${missing.join('|')})` : 'ALL';
}

function scalarValue(name: string, t: ScalarType, v: Scalar, o: FormatOptions): Value {
  const d = t.display;
  if (d === 'fd') {
    const fd = Number(v) | 0; // an fd is a u32, but a guest passing -1 means -1
    const path = o.fdName?.(fd);
    return { name, text: path === undefined ? String(fd) : `${fd}<${path}>`, json: fd, fd, ...(path !== undefined && { path }) };
  }
  if (d === 'pointer') return { name, text: hex(v), json: Number(v) >>> 0 };
  if (d && d.kind === 'enum') {
    const text = d === ERRNO ? errnoName(Number(v)) : enumName(d, Number(v));
    return { name, text, json: /^\d+$/.test(text) ? Number(v) : text };
  }
  if (d && d.kind === 'flags') {
    let bits = BigInt.asUintN(64, BigInt(v));
    const names: string[] = [];
    d.names.forEach((n, i) => {
      const bit = 1n << BigInt(i);
      if (bits & bit) { names.push(n.toUpperCase()); bits &= ~bit; }
    });
    if (bits) names.push(`0x${bits.toString(16)}`);
    return { name, text: names.length ? flagsText(d, names) : '0', json: names };
  }
  if (t.prim === 'u64') { const u = BigInt.asUintN(64, BigInt(v)); return { name, text: u.toString(), json: bigJson(u) }; }
  if (t.prim === 's64') { const s = BigInt.asIntN(64, BigInt(v)); return { name, text: s.toString(), json: bigJson(s) }; }
  const n = Number(v) >>> 0;
  return { name, text: String(n), json: n };
}

function structValue(name: string, t: StructType, bytes: Uint8Array, o: FormatOptions): Value {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: Record<string, number | bigint> = {};
  for (const f of t.fields) if (f.offset + primSize(f.type.prim) <= bytes.length) values[f.name] = readPrim(view, f.offset, f.type.prim);
  const fields = liveFields(t, values).filter((f) => values[f.name] !== undefined).map((f) => scalarValue(f.name, f.type, values[f.name]!, o));
  return {
    name,
    text: `${t.name}{${fields.map((f) => `${f.name}=${f.text}`).join(',')}}`,
    json: Object.fromEntries(fields.map((f) => [f.name, f.json])),
  };
}

function memValue(name: string, t: MemType, bytes: Uint8Array, o: FormatOptions): Value {
  if (isStruct(t)) return structValue(name, t, bytes, o);
  if (bytes.length < primSize(t.prim)) return bytesValue(name, bytes, Infinity); // too short for its type: shown as it is
  return scalarValue(name, t, readPrim(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, t.prim), o);
}

const bytesValue = (name: string, bytes: Uint8Array, limit: number): Value =>
  ({ name, text: quoteBytes(bytes, limit), json: bytesJson(bytes, limit) });

function listValue(name: string, items: Value[], limit = Infinity): Value {
  const shown = items.slice(0, limit);
  return {
    name,
    text: `[${shown.map((i) => i.text).join(', ')}${items.length > shown.length ? ', ...' : ''}]`,
    json: shown.map((i) => i.json),
  };
}

/** Every struct of an array of `t`. */
function structs(name: string, t: StructType, bytes: Uint8Array | undefined, o: FormatOptions): Value[] {
  const items: Value[] = [];
  for (let i = 0; bytes && i + t.size <= bytes.length; i += t.size) items.push(structValue(name, t, bytes.subarray(i, i + t.size), o));
  return items;
}

/** fd_readdir's buffer: dirent headers each followed by its name; the last one may be cut short. */
function direntValues(bytes: Uint8Array, o: FormatOptions, limit: number): Value[] {
  const t = STRUCTS.dirent;
  const items: Value[] = [];
  for (let at = 0; at < bytes.length;) {
    if (at + t.size > bytes.length) { items.push({ name: 'dirent', text: '...', json: { truncated: true } }); break; }
    const head = structValue('dirent', t, bytes.subarray(at, at + t.size), o);
    const namlen = Number((head.json as { d_namlen: number }).d_namlen);
    const nameBytes = bytes.subarray(at + t.size, Math.min(bytes.length, at + t.size + namlen));
    const cut = nameBytes.length < namlen;
    items.push({
      name: 'dirent',
      text: `${head.text.slice(0, -1)},name=${quoteBytes(nameBytes, Infinity)}${cut ? '...' : ''}}`,
      json: { ...(head.json as Record<string, Json>), name: utf8Lossy.decode(nameBytes), ...(cut && { truncated: true }) },
    });
    at += t.size + namlen;
  }
  return items.slice(0, Math.max(limit, 1)).concat(items.length > limit ? [{ name: 'dirent', text: '...', json: '...' }] : []);
}

/** The NUL-terminated strings args_get/environ_get wrote into their buffer. */
function stringList(bytes: Uint8Array | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; bytes && at < bytes.length;) {
    let end = bytes.indexOf(0, at);
    if (end < 0) end = bytes.length;
    out.push(bytes.subarray(at, end));
    at = end + 1;
  }
  return out;
}

// ---- a preview1 call's parts -------------------------------------------------------------------------------

const LOWERED: WasmParam[][] = FUNCTIONS.map(wasmParams);

/** The schema definition of a call, when it is a preview1 function wasi-trace knows. */
export const functionOf = (call: Pick<CallView, 'wasi'>): FunctionDef | undefined =>
  call.wasi !== undefined ? FUNCTIONS[call.wasi] : undefined;

/** The wasm argument of param `name` (its `part`: the value, pointer or length). */
function argOf(def: FunctionDef, call: CallView, name: string, part?: WasmParam['part']): Scalar | undefined {
  const i = LOWERED[def.index]!.findIndex((w) => w.param.name === name && (part === undefined || w.part === part));
  return i < 0 ? undefined : call.args[i];
}

const u32Arg = (def: FunctionDef, call: CallView, name: string, part?: WasmParam['part']): number =>
  Number(argOf(def, call, name, part) ?? 0) >>> 0;

/** The bytes the call wrote at `addr`, if it wrote there. */
const writtenAt = (writes: CallEvent['writes'] | undefined, addr: number) => writes?.find((w) => w.addr === addr)?.bytes;

/** Splits a call's concatenated inputs back into its input params (only one iovec array has no length in args). */
export function splitInputs(def: FunctionDef, call: CallView): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const inputs = call.inputs;
  if (!inputs) return out;
  const sized = def.params.map((p): [Param, number | undefined] => {
    if (p.role === 'string') return [p, u32Arg(def, call, p.name, 'len')];
    if (p.role === 'array' && p.dir === 'in') return [p, u32Arg(def, call, p.count, 'value') * p.type.size];
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

/** The value a successful preview1 call wrote to its out-param `name` (e.g. path_open's opened_fd). */
export function outScalar(call: CallView, name: string): Scalar | undefined {
  const def = functionOf(call);
  const p = def?.params.find((q) => q.name === name);
  if (!def || !p || p.role !== 'out' || isStruct(p.type) || call.result !== 0) return undefined;
  const w = writtenAt(call.writes, u32Arg(def, call, name));
  return w && w.length >= primSize(p.type.prim)
    ? readPrim(new DataView(w.buffer, w.byteOffset, w.byteLength), 0, p.type.prim) : undefined;
}

/** A string param of a preview1 call (e.g. path_open's path), decoded as UTF-8. */
export function stringArg(call: CallView, name: string): string | undefined {
  const def = functionOf(call);
  const bytes = def && splitInputs(def, call).get(name);
  return bytes && utf8Lossy.decode(bytes);
}

function paramValue(def: FunctionDef, p: Param, call: CallView, inputs: Map<string, Uint8Array>, o: FormatOptions): Value[] {
  const limit = o.stringLimit ?? 32;
  const ok = call.result === 0;
  switch (p.role) {
    case 'scalar': return [scalarValue(p.name, p.type, argOf(def, call, p.name, 'value')!, o)];
    case 'string': {
      const bytes = inputs.get(p.name) ?? new Uint8Array(0);
      return [{ name: p.name, text: quoteBytes(bytes, Infinity), json: utf8Lossy.decode(bytes) }];
    }
    case 'iovecs': {
      if (p.dir === 'in') return [bytesValue(p.name, inputs.get(p.name) ?? new Uint8Array(0), limit)];
      const n = u32Arg(def, call, p.name, 'len');
      if (call.result === undefined) return [{ name: p.name, text: `[${n} iovecs]`, json: { iovecs: n } }];
      if (!ok) return [{ name: p.name, text: hex(argOf(def, call, p.name, 'ptr')!), json: u32Arg(def, call, p.name, 'ptr') }];
      const outAddrs = new Set(def.params.filter((q) => q.role === 'out').map((q) => u32Arg(def, call, q.name)));
      return [bytesValue(p.name, Buffer.concat((call.writes ?? []).filter((w) => !outAddrs.has(w.addr)).map((w) => w.bytes)), limit)];
    }
    case 'buffer': {
      const ptr = u32Arg(def, call, p.name, 'ptr');
      const len = { name: `${p.name}_len`, text: String(u32Arg(def, call, p.name, 'len')), json: u32Arg(def, call, p.name, 'len') };
      let w = ok ? writtenAt(call.writes, ptr) : undefined;
      if (!w && ok && p.used !== undefined && outScalar(call, p.used) === 0) w = new Uint8Array(0); // filled nothing
      if (!w) return [{ name: p.name, text: hex(ptr), json: ptr }, len];
      if (p.dirents) return [listValue(p.name, direntValues(w, o, limit)), len];
      return [bytesValue(p.name, w, limit), len];
    }
    case 'array':
      return p.dir === 'out' ? [] : [listValue(p.name, structs(p.name, p.type, inputs.get(p.name), o))];
    case 'out': case 'argv': case 'argvBuf':
      return [];
  }
}

/** The out-values of a successful call. */
function outValues(def: FunctionDef, call: CallView, o: FormatOptions): Value[] {
  const out: Value[] = [];
  const limit = o.stringLimit ?? 32;
  for (const p of def.params) {
    const w = writtenAt(call.writes, u32Arg(def, call, p.name));
    if (p.role === 'out') {
      if (w) out.push(memValue(p.name, p.type, w, o));
    } else if (p.role === 'array' && p.dir === 'out') {
      out.push(listValue(p.name, structs(p.name, p.type, w, o)));
    } else if (p.role === 'argvBuf') {
      const strings = stringList(w);
      out.push({
        name: p.list === 'args' ? 'argv' : 'environ',
        text: `[${strings.map((s) => quoteBytes(s, limit)).join(', ')}]`,
        json: strings.map((s) => utf8Lossy.decode(s)),
      });
    }
  }
  return out;
}

function resultOf(def: FunctionDef | undefined, call: CallView): DecodedCall['result'] {
  const r = call.result;
  if (r === undefined) return undefined;
  if (r !== null && typeof r === 'object') {
    return 'exit' in r ? { text: `? <exit ${r.exit}>`, json: null, exit: r.exit } : { text: `? <threw: ${r.throw}>`, json: null, threw: r.throw };
  }
  if (def && def.result === 'none') return { text: '?', json: null };
  if (def && typeof r === 'number') { const name = errnoName(r); return { text: name, json: name, errno: r }; }
  if (r === null) return { text: 'void', json: null };
  return typeof r === 'bigint' ? { text: r.toString(), json: bigJson(r) } : { text: String(r), json: r };
}

/** Decodes one call: every parameter, the result and the out-values, as text and as JSON. */
export function decodeCall(call: CallView, o: FormatOptions = {}): DecodedCall {
  const def = functionOf(call);
  if (!def) {
    const limit = o.stringLimit ?? 32;
    const writes = call.result === undefined ? [] : call.writes ?? [];
    return {
      module: call.module,
      function: call.name,
      args: call.args.map((a, i) => ({ name: String(i), text: String(a), json: typeof a === 'bigint' ? bigJson(a) : a })),
      result: resultOf(undefined, call),
      out: writes.length ? [{
        name: 'wrote',
        text: writes.map((w) => `${hex(w.addr)}=${quoteBytes(w.bytes, limit)}`).join(', '),
        json: writes.map((w) => ({ addr: w.addr, ...(bytesJson(w.bytes, limit) as Record<string, Json>) })),
      }] : [],
    };
  }
  const inputs = splitInputs(def, call);
  const args = def.params.flatMap((p) => paramValue(def, p, call, inputs, o));
  return {
    module: call.module,
    function: def.name,
    family: def.family,
    args,
    result: resultOf(def, call),
    out: call.result === 0 ? outValues(def, call, o) : [],
  };
}

/** The text of a decoded call: `name(param=value, ...) = RESULT (out=value, ...)`; without a result just the call. */
export function callText(d: DecodedCall): string {
  const head = d.family !== undefined
    ? `${d.function}(${d.args.map((a) => `${a.name}=${a.text}`).join(', ')})`
    : `${d.module}.${d.function}(${d.args.map((a) => a.text).join(', ')})`;
  if (!d.result) return head;
  const outs = d.out.map((v) => (d.family !== undefined ? `${v.name}=${v.text}` : `${v.name} ${v.text}`));
  return `${head} = ${d.result.text}${outs.length ? ` (${outs.join(', ')})` : ''}`;
}

/** One call as text: `name(param=value, ...) = RESULT (out=value, ...)`. Without a result: just the call. */
export function formatCall(call: CallView, o: FormatOptions = {}): string {
  return callText(decodeCall(call, o));
}
