// The interposing proxy: wraps every function import of a module, WASI or not, around whatever provider
// supplies it, and records each call. preview1 calls are captured from the schema; other imports by comparing
// guest memory before and after the call.
import { FUNCTIONS, PROC_EXIT, wasmParams, type Family, type FunctionDef } from '../abi/index.js';
import { invokerOf, withReusedArgs } from '../calls/arity.js';
import { callPlan, diffMemory, fixedOutParams, fixedWrites, type StringLists } from '../calls/capture.js';
import { ProcExit } from '../runtime/errors.js';
import type { GuestMemory } from '../runtime/memory.js';
import { splitTrampoline } from '../runtime/trampoline.js';
import { callBound, FixedTemplate, type CallResult } from '../trace/events.js';
import { fixedPath } from './fixed-path.js';
import type { ImportEntry } from '../trace/header.js';
import type { Recorder, Timing } from './recorder.js';

/** The families whose calls do I/O or may block: the calls `--timing io` times. */
const TIMED_FAMILIES: ReadonlySet<Family> = new Set<Family>(['fd', 'path', 'poll', 'sock']);

/** Whether calls of `def` get host times under `timing`. */
export const isTimed = (def: FunctionDef, timing: Timing): boolean => timing === 'all' || TIMED_FAMILIES.has(def.family);

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

/**
 * Returns `imports` with every function in `table` wrapped so that it records into `rec`. Only the imports the
 * table names are read: the builtin runtime binds each of its functions when it is first read (runtime/bind.ts
 * generates its code), so copying a whole module's fields would bind all 46 preview1 functions, ~5–15 ms of every
 * recording's start, for a guest that imports a handful. The other fields of each module are copied as they are
 * (getters stay getters).
 */
export function recordingImports(
  table: ImportEntry[], imports: WebAssembly.Imports, rec: Recorder, mem: GuestMemory, lists: StringLists,
  timing: Timing = 'io',
): WebAssembly.Imports {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [mod, fields] of Object.entries(imports)) out[mod] = Object.defineProperties({}, Object.getOwnPropertyDescriptors(fields));
  table.forEach((entry, imp) => {
    const target = (imports[entry.module] as Record<string, (...a: unknown[]) => unknown>)[entry.name]!;
    const wrapped = entry.wasi !== undefined
      ? wrapWasi(imp, entry, target, rec, mem, lists, timing)
      : wrapOther(imp, entry, target, rec, mem);
    // Defined, not assigned: the copied field may be a getter.
    Object.defineProperty(out[entry.module]!, entry.name, { value: wrapped, enumerable: true, configurable: true, writable: true });
  });
  return out as WebAssembly.Imports;
}

/**
 * A preview1 import that records. Before the call: a checkpoint when one is due (memory as the guest left it),
 * the input bytes; around it: two clock reads when the call is timed, none otherwise. Functions whose writes are
 * all fixed-size out-params (clock_time_get, fd_seek, ...) take the fast path of fixed-path.ts: their writes go
 * into one reused list, their event's size bound is known in advance, and a call that repeats the last one's
 * arguments and result copies its event (FixedTemplate, Recorder.repeat).
 */
function wrapWasi(imp: number, entry: ImportEntry, target: (...a: unknown[]) => unknown, rec: Recorder,
  mem: GuestMemory, lists: StringLists, timing: Timing): (...args: unknown[]) => unknown {
  const def = FUNCTIONS[entry.wasi!]!;
  const plan = callPlan(def, lists);
  const timed = isTimed(def, timing);
  const arity = wasmParams(def).length;
  const outs = fixedOutParams(def);
  if (outs !== undefined) {
    // Only scalars and out-params: the call reads no input bytes.
    const threw = (args: unknown[], e: unknown, start: number) =>
      rec.call(imp, args, thrownResult(entry, args, e), [], mem.bytes, null, start, timed ? performance.now() : NaN);
    const written = outs.slice();
    const bound = callBound(new Array<number>(arity).fill(0), 0, outs.map((v, i) => (i % 2 ? v : 0)), null);
    const tpl = new FixedTemplate();
    const params = wasmParams(def).map((w) => w.wasm);
    const recorded = fixedPath(params, {
      rec, mem, target, imp, tpl, bound, timed, threw,
      miss(args, result, start, end) {
        const m = mem.bytes;
        if (typeof result === 'number' && fixedWrites(m, args, outs, written)) {
          rec.fixedCall(imp, args, result, written, m, start, end, bound, tpl);
          return tpl.result === result;
        }
        rec.call(imp, args, resultOf(result), plan.writes(m, args, result), m, null, start, end);
        return false;
      },
    });
    return params.includes('i64') ? splitTrampoline(def, recorded) : recorded;
  }
  const readsInputs = plan.readsInputs;
  const invoke = invokerOf(arity);
  return withReusedArgs(arity, (args) => {
    if (rec.calls >= rec.nextCheckpoint) rec.checkpoint(mem.bytes);
    const inputs = readsInputs ? plan.inputs(mem.bytes, args) : null;
    const start = timed ? performance.now() : NaN;
    let result: unknown;
    try {
      result = invoke(target, args);
    } catch (e) {
      const m = mem.bytes;
      rec.call(imp, args, thrownResult(entry, args, e), [], m, inputs, start, timed ? performance.now() : NaN);
      throw e;
    }
    const end = timed ? performance.now() : NaN;
    const m = mem.bytes;
    rec.call(imp, args, resultOf(result), plan.writes(m, args, result), m, inputs, start, end);
    return result;
  });
}

function wrapOther(imp: number, entry: ImportEntry, target: (...a: unknown[]) => unknown, rec: Recorder,
  mem: GuestMemory): (...args: unknown[]) => unknown {
  return function recordedCall(...args: unknown[]): unknown {
    if (rec.calls >= rec.nextCheckpoint) rec.checkpoint(mem.bytes);
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
