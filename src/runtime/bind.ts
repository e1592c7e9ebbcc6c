// The binding layer: each function of the preview1 schema (FUNCTIONS in src/abi) becomes the wasm import that
// reads its arguments, bounds-checks the memory they name, calls an implementation that sees only values
// (`fd_read(ctx, fd, iovecs) → nread`, see Implementation in context.ts) and writes its out-params from the
// schema's types. Nothing else in the runtime reads an argument pointer or writes an out-param.
//
// Contracts of every bound function:
// - A precheck of the scalar arguments, when the implementation has one, runs first (context.ts).
// - Checks run in schema param order: strings are decoded (EFAULT, EINVAL for an interior NUL, EILSEQ), iovec
//   arrays and their buffers, byte buffers and input struct arrays are bounds-checked (EFAULT), and so are
//   out-pointers — the latter after the implementation returns when it is read-only (context.ts).
// - A call that fails writes nothing: every out-param is checked before the first is written.
// - Whatever the implementation throws becomes the errno the guest sees (errnoFrom); ProcExit passes through.
//
// Each import is generated as JavaScript source (bindingSource shows it), so that it is a straight-line function of
// exactly its wasm parameters: no argument arrays, no per-call walk over the schema, nothing allocated for iovecs.
import {
  Errno, FUNCTIONS_BY_NAME, isStruct, memTypeSize, primSize, readStruct, SCALARS, STRUCTS, WasiError, wasmParams,
  writePrim, writeStruct, type FunctionDef, type Prim, type StructType,
} from '../abi/index.js';
import type { Bound, Implementation, RuntimeContext } from './context.js';
import { errnoFrom, ProcExit } from './errors.js';
import { Iovecs } from './iovecs.js';
import type { GuestMemory } from './memory.js';
import { trampoline } from './trampoline.js';

/** A bound preview1 import, as the guest calls it. */
export type WasmImport = (...args: any[]) => number | undefined;

const DATAVIEW_SETTER: Record<Prim, string> = {
  u8: 'setUint8', u16: 'setUint16', u32: 'setUint32', u64: 'setBigUint64', s64: 'setBigInt64',
};
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The EFAULT of an out-pointer outside memory. */
const fault = (): WasiError => new WasiError(Errno.FAULT);

/**
 * Writes a u64 out-param at a checked address. An implementation may return it as a non-negative safe-integer
 * number (no BigInt made on a hot path: clock_time_get), written as two u32 halves. A bigint goes through the
 * BigUint64Array view when the address is aligned and the host little-endian (several times faster in V8 than
 * DataView.setBigUint64), else through the DataView.
 */
function setU64(mem: GuestMemory, at: number, v: bigint | number): void {
  if (typeof v === 'number') {
    mem.dv.setUint32(at, v >>> 0, true);
    mem.dv.setUint32(at + 4, (v / 0x1_0000_0000) >>> 0, true);
  } else if (LITTLE_ENDIAN && (at & 7) === 0) mem.u64[at >>> 3] = v;
  else mem.dv.setBigUint64(at, v, true);
}
const POINTER_SIZE = primSize(SCALARS.pointer.prim);

/** Reads `count` structs of type `t` at `ptr` (EFAULT unless all lie inside memory). */
function readArray(mem: GuestMemory, ptr: number, count: number, t: StructType): Record<string, number | bigint>[] {
  mem.checkArray(ptr, count, t.size);
  const view = mem.view;
  const out: Record<string, number | bigint>[] = [];
  for (let i = 0, at = ptr >>> 0; i < count >>> 0; i++, at += t.size) out.push(readStruct(view, at, t));
  return out;
}

/** Writes the structs an implementation returned into an out array already checked for `capacity` of them. */
function writeArray(view: DataView, ptr: number, capacity: number, t: StructType, items: readonly Record<string, number | bigint>[]): void {
  if (items.length > capacity >>> 0) throw new Error(`returned ${items.length} ${t.name}s for room for ${capacity >>> 0}`);
  items.forEach((item, i) => writeStruct(view, (ptr >>> 0) + i * t.size, t, item));
}

/** args_get/environ_get: checks room for the pointer array and the strings (EFAULT). */
function checkStrings(mem: GuestMemory, ptrs: number, buf: number, list: readonly Uint8Array[]): void {
  mem.checkArray(ptrs, list.length, POINTER_SIZE);
  mem.check(buf, list.reduce((n, s) => n + s.length, 0));
}

/** args_get/environ_get: writes each string's address into the pointer array and the strings after one another. */
function writeStrings(mem: GuestMemory, ptrs: number, buf: number, list: readonly Uint8Array[]): void {
  const view = mem.view;
  const bytes = mem.bytes;
  let at = buf >>> 0;
  list.forEach((s, i) => {
    writePrim(view, (ptrs >>> 0) + i * POINTER_SIZE, SCALARS.pointer.prim, at);
    bytes.set(s, at);
    at += s.length;
  });
}

/** What the generated source refers to besides ctx, impl and fail. */
const HELPERS = { Iovecs, STRUCTS, fault, setU64, readArray, writeArray, checkStrings, writeStrings, writeStruct };

interface Generated {
  /** The body of a factory (ctx, impl, precheck, fail, helpers, types) → the wasm import. */
  readonly source: string;
  /** The struct types the source names as types[i]. */
  readonly types: readonly StructType[];
  /** How many values the implementation receives after the context. */
  readonly arity: number;
}

/**
 * Generates the import of `def`; see the contracts at the top of this file. The scalar params in `dropped` are not
 * params of the generated function (a trampoline left them out, trampoline.ts): the implementation gets undefined.
 */
function generate(def: FunctionDef, readOnly: boolean, precheck = false, dropped: ReadonlySet<string> = new Set()): Generated {
  const wasm = wasmParams(def);
  for (const d of dropped) {
    if (wasm.find((w) => w.name === d)?.wasm !== 'i64') throw new Error(`${def.name}: ${d} is not an i64 param`);
  }
  const arg = (name: string): string => {
    const i = wasm.findIndex((w) => w.name === name);
    if (i < 0) throw new Error(`${def.name} has no wasm param ${name}`);
    return dropped.has(name) ? 'undefined' : `p${i}`;
  };
  const scalarArg = (of: string, name: string): string => {
    if (def.params.find((x) => x.name === name)?.role !== 'scalar') throw new Error(`${def.name}.${of}: ${name} is not a scalar param`);
    return arg(name);
  };
  const types: StructType[] = [];
  const typeRef = (t: StructType): string => {
    if (!types.includes(t)) types.push(t);
    return `types[${types.indexOf(t)}]`;
  };

  // The values the implementation returns, in schema order: out-params, out arrays, args_get-style pairs; an out
  // array with a capacity has its count out-param written from the array's length instead.
  const countOf = new Map<string, string>(); // count out-param → its out array
  for (const p of def.params) if (p.role === 'array' && p.dir === 'out' && p.capacity !== undefined) countOf.set(p.count, p.name);
  const returned = def.params.filter((p) => p.role === 'argv' || (p.role === 'array' && p.dir === 'out') ||
    (p.role === 'out' && !countOf.has(p.name))).map((p) => p.name);
  const value = (name: string): string => {
    const array = countOf.get(name);
    if (array !== undefined) return `${value(array)}.length`;
    return returned.length === 1 ? 'r' : `r[${returned.indexOf(name)}]`;
  };

  const setup: string[] = []; // once per bound import
  const before: string[] = []; // in schema order: inputs, and out checks unless read-only
  const after: string[] = []; // read-only: out checks, in schema order
  const writes: string[] = []; // out-params, in schema order
  const implArgs: string[] = ['ctx'];
  const input = (name: string, expr: string): void => { before.push(`const a_${name} = ${expr};`); implArgs.push(`a_${name}`); };
  const outCheck = (line: string): void => { (readOnly ? after : before).push(line); };

  for (const p of def.params) {
    switch (p.role) {
      case 'scalar':
        implArgs.push(arg(p.name));
        break;
      case 'string':
        input(p.name, `mem.readString(${arg(p.name)}, ${arg(`${p.name}_len`)})`);
        break;
      case 'iovecs':
        setup.push(`const iov_${p.name} = new Iovecs(STRUCTS.${p.dir === 'in' ? 'ciovec' : 'iovec'});`);
        input(p.name, `iov_${p.name}.load(mem, ${arg(p.name)}, ${arg(`${p.name}_len`)})`);
        break;
      case 'buffer':
        input(p.name, `mem.slice(${arg(p.name)}, ${arg(`${p.name}_len`)})`);
        break;
      case 'array': {
        if (p.dir === 'in') {
          input(p.name, `readArray(mem, ${arg(p.name)}, ${scalarArg(p.name, p.count)}, ${typeRef(p.type)})`);
          break;
        }
        const capacity = scalarArg(p.name, p.capacity ?? p.count);
        outCheck(`mem.checkArray(${arg(p.name)}, ${capacity}, ${p.type.size});`);
        writes.push(`writeArray(mem.dv, ${arg(p.name)}, ${capacity}, ${typeRef(p.type)}, ${value(p.name)});`);
        break;
      }
      case 'out': {
        const at = `${arg(p.name)} >>> 0`;
        outCheck(`if ((${at}) + ${memTypeSize(p.type)} > mem.size) throw fault();`);
        if (isStruct(p.type)) writes.push(`writeStruct(mem.dv, ${at}, ${typeRef(p.type)}, ${value(p.name)});`);
        else if (p.type.prim === 'u64') writes.push(`setU64(mem, ${at}, ${value(p.name)});`);
        else writes.push(`mem.dv.${DATAVIEW_SETTER[p.type.prim]}(${at}, ${value(p.name)}, true);`);
        break;
      }
      case 'argv': {
        // The sizes depend on the strings the implementation returns, so the checks must follow the call.
        if (!readOnly) throw new Error(`${def.name} must be bound read-only: its out sizes depend on its result`);
        const buf = def.params.find((x) => x.role === 'argvBuf' && x.list === p.list);
        if (buf === undefined) throw new Error(`${def.name}: ${p.name} has no string buffer param`);
        outCheck(`checkStrings(mem, ${arg(p.name)}, ${arg(buf.name)}, ${value(p.name)});`);
        writes.push(`writeStrings(mem, ${arg(p.name)}, ${arg(buf.name)}, ${value(p.name)});`);
        break;
      }
      case 'argvBuf':
        break; // bound with its 'argv' param
    }
  }

  const call = `impl(${implArgs.join(', ')})`;
  const usesMemory = def.params.some((p) => p.role !== 'scalar');
  const scalars = def.params.filter((p) => p.role === 'scalar').map((p) => arg(p.name));
  const body = [
    ...(precheck ? [`precheck(${['ctx', ...scalars].join(', ')});`] : []),
    ...(usesMemory ? ['const mem = ctx.mem;', 'mem.refresh();'] : []),
    ...before,
  ];
  if (def.result === 'none') {
    body.push(`${call};`, 'return;');
  } else {
    body.push(returned.length ? `const r = ${call};` : `${call};`, ...after);
    body.push(...writes);
    body.push(`return ${Errno.SUCCESS};`);
  }

  const own = wasm.flatMap((w, i) => (dropped.has(w.name) ? [] : [`p${i}`])); // the generated function's params
  const legend = wasm.map((w, i) => `p${i} = ${w.name}`).join(', ');
  const source = [
    '"use strict";',
    `const { ${Object.keys(HELPERS).join(', ')} } = helpers;`,
    ...setup,
    `// ${def.name}(${legend})${readOnly ? ', read-only: out-pointers are checked after the call' : ''}` +
      `${precheck ? ', scalars prechecked' : ''}${dropped.size ? `, without ${[...dropped].join(', ')} (a trampoline drops it)` : ''}`,
    `return function ${def.name}(${own.join(', ')}) {`,
    '  try {',
    ...body.map((l) => `    ${l}`),
    '  } catch (e) {',
    '    return fail(e);',
    '  }',
    '};',
  ].join('\n');
  return { source, types, arity: implArgs.length - 1 };
}

type Factory = (ctx: RuntimeContext, impl: Implementation, precheck: Implementation | undefined, fail: (e: unknown) => number,
  helpers: typeof HELPERS, types: readonly StructType[]) => WasmImport;
const factories = new Map<string, { factory: Factory; types: readonly StructType[] }>();

const normalise = (b: Implementation | Bound): Bound => (typeof b === 'function' ? { impl: b, readOnly: false } : b);

/** The generated source of a function's import (for tests and for reading what a binding does). */
export function bindingSource(name: string, readOnly = false, precheck = false, dropped: readonly string[] = []): string {
  return generate(fnDef(name), readOnly, precheck, new Set(dropped)).source;
}

function fnDef(name: string): FunctionDef {
  const def = FUNCTIONS_BY_NAME.get(name);
  if (def === undefined) throw new Error(`${name} is not a preview1 function`);
  return def;
}

/**
 * The wasm import of preview1 function `name` around `bound`, working on `ctx` (whose `mem` is read at each call,
 * so it may be attached later). Errors that are not WasiErrors or Node system errors are bugs: the guest sees EIO
 * and `onInternalError` is told. `direct`: the guest calls the import itself, with nothing in between; then an
 * implementation's unused i64 params (Bound.unused) are dropped by a wasm trampoline (trampoline.ts), which makes
 * the import a wasm function — faster for the guest, slower to call from JavaScript.
 */
export function bindFunction(name: string, bound: Implementation | Bound, ctx: RuntimeContext, onInternalError?: (e: unknown) => void,
  direct = false): WasmImport {
  const { impl, readOnly, precheck, unused } = normalise(bound);
  const dropped = new Set(direct ? unused : []);
  const key = `${name}/${readOnly}/${precheck !== undefined}/${[...dropped].join(',')}`;
  let f = factories.get(key);
  if (f === undefined) {
    const g = generate(fnDef(name), readOnly, precheck !== undefined, dropped);
    f = { factory: new Function('ctx', 'impl', 'precheck', 'fail', 'helpers', 'types', g.source) as Factory, types: g.types };
    factories.set(key, f);
  }
  const fail = (e: unknown): number => {
    if (e instanceof ProcExit) throw e;
    return errnoFrom(e, onInternalError);
  };
  const js = f.factory(ctx, impl, precheck, fail, HELPERS, f.types);
  return dropped.size === 0 ? js : trampoline(fnDef(name), dropped, js);
}

/** How many values an implementation of `name` receives after the context (for checking implementations). */
export function implementationArity(name: string): number {
  return generate(fnDef(name), true).arity;
}
