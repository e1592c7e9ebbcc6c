// The interposing proxy: wraps every function import of a module, WASI or not, around whatever provider
// supplies it, and records each call. preview1 calls are captured from the schema; other imports by comparing
// guest memory before and after the call.
import { FUNCTIONS, PROC_EXIT, wasmParams } from '../abi/index.js';
import { withReusedArgs } from '../calls/arity.js';
import { callPlan, diffMemory, type StringLists } from '../calls/capture.js';
import { ProcExit } from '../runtime/errors.js';
import type { GuestMemory } from '../runtime/memory.js';
import type { CallResult } from '../trace/events.js';
import type { ImportEntry } from '../trace/header.js';
import type { Recorder } from './recorder.js';

/** How a call that threw is recorded. */
function thrownResult(entry: ImportEntry, args: unknown[], e: unknown): CallResult {
  if (entry.wasi === PROC_EXIT.index) return { exit: (args[PROC_EXIT.rval] as number) >>> 0 };
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
      rec.call(imp, args, thrownResult(entry, args, e), [], m, inputs, start, performance.now());
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
    const r = threw ? thrownResult(entry, args, threw.e) : resultOf(result);
    rec.call(imp, args, r, diffMemory(before, m), m, null, start, end);
    if (threw) throw threw.e;
    return result;
  };
}
