// Wasm trampolines: a tiny generated module whose one function has a preview1 function's exact wasm signature and
// calls a JavaScript function with some of its i64 params left out. V8 turns every i64 that crosses from wasm into
// JavaScript into a new BigInt (an allocation, and garbage), which costs more than the rest of a cheap call such as
// clock_time_get; an i64 the implementation never reads (clock_time_get's precision) need not cross at all. A call
// from wasm into another instance's wasm function is nearly free, so the guest pays only for the JavaScript call
// that remains. Calling a trampoline from JavaScript is slower than calling the function itself, so only a guest
// that calls its imports directly gets one (WasiRuntime.imports({ direct: true })). An i64 the implementation does
// read can cross as two i32s instead (splitTrampoline: its low and its high half), which costs no allocation either.
import { wasmParams, type FunctionDef } from '../abi/index.js';

const I32 = 0x7f;
const I64 = 0x7e;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const name = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Compiled trampolines by function and what becomes of each param: each is compiled once per thread. */
const modules = new Map<string, WebAssembly.Module>();

/** What a trampoline passes on for one wasm param: the param, nothing, or (an i64) its low and high 32 bits. */
type Pass = 'keep' | 'drop' | 'split';

/**
 * The module for `def` with its wasm params passed as `pass` says: it imports `host.f` taking what remains in order
 * (a split i64 as two i32s: its low 32 bits, then its high 32 bits as a signed value) and exports `f` with def's
 * full signature, which passes them on and returns what host.f returns (an i32 errno; nothing for proc_exit).
 */
function moduleFor(def: FunctionDef, pass: readonly Pass[]): WebAssembly.Module {
  const key = `${def.name}/${pass.join(',')}`;
  const cached = modules.get(key);
  if (cached !== undefined) return cached;
  const params = wasmParams(def);
  const valType = (i: number): number => (params[i]!.wasm === 'i64' ? I64 : I32);
  const hostParams = params.flatMap((_, i) => (pass[i] === 'drop' ? [] : pass[i] === 'split' ? [[I32], [I32]] : [[valType(i)]]));
  const results = def.result === 'none' ? [0] : [1, I32];
  // local.get i; or for a split i64: local.get i; i32.wrap_i64; local.get i; i64.const 32; i64.shr_s; i32.wrap_i64
  const get = (i: number): number[] => [0x20, ...uleb(i)];
  const passOn = params.flatMap((_, i) => (pass[i] === 'drop' ? [] : pass[i] === 'split' ? [...get(i), 0xa7, ...get(i), 0x42, 32, 0x87, 0xa7] : get(i)));
  const body = [0, ...passOn, 0x10, 0, 0x0b]; // no locals; …; call 0; end
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([
      [0x60, ...vec(hostParams), ...results], // type 0: host.f
      [0x60, ...vec(params.map((_, i) => [valType(i)])), ...results], // type 1: the preview1 signature
    ])),
    ...section(2, vec([[...name('host'), ...name('f'), 0x00, 0]])),
    ...section(3, vec([[1]])),
    ...section(7, vec([[...name('f'), 0x00, 1]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
  const module = new WebAssembly.Module(bytes);
  modules.set(key, module);
  return module;
}

/**
 * A wasm function with `def`'s signature that calls `f` with every wasm param but those in `dropped`, in order, and
 * returns its result. Whatever `f` throws (proc_exit's ProcExit) passes through unchanged.
 */
export function trampoline(def: FunctionDef, dropped: ReadonlySet<string>, f: (...args: any[]) => unknown): (...args: any[]) => number {
  return instanceOf(def, wasmParams(def).map((w) => (dropped.has(w.name) ? 'drop' : 'keep')), f);
}

/**
 * A wasm function with `def`'s signature that calls `f` with every wasm param in order, each i64 as two numbers: its
 * low 32 bits (as a signed int32) and its high 32 bits (signed), so that no BigInt is made; returns f's result.
 */
export function splitTrampoline(def: FunctionDef, f: (...args: any[]) => unknown): (...args: any[]) => number {
  return instanceOf(def, wasmParams(def).map((w) => (w.wasm === 'i64' ? 'split' : 'keep')), f);
}

/** The i64 whose low and high 32 bits splitTrampoline passed as `lo` and `hi`, as the bigint V8 would have passed. */
export const i64FromHalves = (lo: number, hi: number): bigint => BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0));

function instanceOf(def: FunctionDef, pass: readonly Pass[], f: (...args: any[]) => unknown): (...args: any[]) => number {
  const instance = new WebAssembly.Instance(moduleFor(def, pass), { host: { f } });
  return instance.exports.f as (...args: any[]) => number;
}
