// The interposing proxy: wraps every function import of a module, WASI or not, around whatever provider
// supplies it, and records each call. preview1 calls are captured from the schema; other imports by comparing
// guest memory before and after the call.
import { FUNCTIONS, FUNCTIONS_BY_NAME, MODULE_NAME, wasmParams } from '../abi/index.js';
import { ProcExit } from '../runtime/errors.js';
import type { GuestMemory } from '../runtime/memory.js';
import type { CallResult } from '../trace/events.js';
import { callPlan, diffMemory, type StringLists } from './capture.js';
import { withReusedArgs } from './arity.js';
import type { Recorder } from './recorder.js';

/** One function import of a module, as the trace header lists it. */
export interface ImportEntry {
  module: string;
  name: string;
  /** Index of the preview1 function in the schema, for wasi_snapshot_preview1 imports. */
  wasi?: number;
}

/** The module's function imports in declaration order; events refer to them by index. */
export function importTable(module: WebAssembly.Module): ImportEntry[] {
  return WebAssembly.Module.imports(module)
    .filter((i) => i.kind === 'function')
    .map((i) => {
      const def = i.module === MODULE_NAME ? FUNCTIONS_BY_NAME.get(i.name) : undefined;
      return def ? { module: i.module, name: i.name, wasi: def.index } : { module: i.module, name: i.name };
    });
}

/** How a call that threw is recorded. */
function thrownResult(name: string, args: unknown[], e: unknown): CallResult {
  if (name === 'proc_exit') return { exit: (args[0] as number) >>> 0 };
  if (e instanceof ProcExit) return { exit: e.code };
  return { throw: e instanceof Error ? e.message : String(e) };
}

/** Normalises a host function's return value for the trace. */
function resultOf(v: unknown): CallResult {
  if (v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  return { throw: `import returned a non-numeric value (${typeof v})` };
}

/** Returns `imports` with every function in `table` wrapped so that it records into `rec`. */
export function recordingImports(
  table: ImportEntry[], imports: WebAssembly.Imports, rec: Recorder, mem: GuestMemory, lists: StringLists,
): WebAssembly.Imports {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [mod, fields] of Object.entries(imports)) out[mod] = { ...(fields as Record<string, unknown>) };
  table.forEach((entry, imp) => {
    const target = (imports[entry.module] as Record<string, (...a: unknown[]) => unknown>)[entry.name]!;
    out[entry.module]![entry.name] = entry.wasi !== undefined
      ? wrapWasi(imp, entry, target, rec, mem, lists)
      : wrapOther(imp, entry, target, rec, mem);
  });
  return out as WebAssembly.Imports;
}

function wrapWasi(imp: number, entry: ImportEntry, target: (...a: unknown[]) => unknown, rec: Recorder,
  mem: GuestMemory, lists: StringLists): (...args: unknown[]) => unknown {
  const plan = callPlan(FUNCTIONS[entry.wasi!]!, lists);
  const readsInputs = plan.readsInputs;
  return withReusedArgs(wasmParams(FUNCTIONS[entry.wasi!]!).length, (args) => {
    const inputs = readsInputs ? plan.inputs(mem.bytes, args) : null;
    const start = performance.now();
    let result: unknown;
    try {
      result = target.apply(undefined, args);
    } catch (e) {
      const m = mem.bytes;
      rec.call(imp, args, thrownResult(entry.name, args, e), [], m, inputs, start, performance.now());
      throw e;
    }
    const end = performance.now();
    const m = mem.bytes;
    rec.call(imp, args, resultOf(result), plan.writes(m, args, result), m, inputs, start, end);
    return result;
  });
}

function wrapOther(imp: number, entry: ImportEntry, target: (...a: unknown[]) => unknown, rec: Recorder,
  mem: GuestMemory): (...args: unknown[]) => unknown {
  return function recordedCall(...args: unknown[]): unknown {
    const before = mem.bytes.slice();
    const start = performance.now();
    let result: unknown;
    let threw: { e: unknown } | undefined;
    try {
      result = target(...args);
    } catch (e) {
      threw = { e };
    }
    const end = performance.now();
    const m = mem.bytes;
    const r = threw ? thrownResult(entry.name, args, threw.e) : resultOf(result);
    rec.call(imp, args, r, diffMemory(before, m), m, null, start, end);
    if (threw) throw threw.e;
    return result;
  };
}
