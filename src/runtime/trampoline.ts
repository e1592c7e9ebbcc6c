// Wasm trampolines: a tiny generated module whose one function has a preview1 function's exact wasm signature and
// calls a JavaScript function with some of its i64 params left out. V8 turns every i64 that crosses from wasm into
// JavaScript into a new BigInt (an allocation, and garbage), which costs more than the rest of a cheap call such as
// clock_time_get; an i64 the implementation never reads (clock_time_get's precision) need not cross at all. A call
// from wasm into another instance's wasm function is nearly free, so the guest pays only for the JavaScript call
// that remains. Calling a trampoline from JavaScript is slower than calling the function itself, so only a guest
// that calls its imports directly gets one (WasiRuntime.imports({ direct: true })).
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

/** Compiled trampolines by function and dropped params: each is compiled once per thread. */
const modules = new Map<string, WebAssembly.Module>();

/**
 * The module for `def` without the wasm params named in `dropped` (i64 scalars: bindFunction checks): it imports
 * `host.f` taking the remaining params in order and exports `f` with def's full signature, which passes them on
 * and returns what host.f returns (an i32 errno; nothing for proc_exit).
 */
function moduleFor(def: FunctionDef, dropped: ReadonlySet<string>): WebAssembly.Module {
  const key = `${def.name}/${[...dropped].join(',')}`;
  const cached = modules.get(key);
  if (cached !== undefined) return cached;
  const params = wasmParams(def);
  const kept = params.flatMap((w, i) => (dropped.has(w.name) ? [] : [i]));
  const valType = (i: number): number => (params[i]!.wasm === 'i64' ? I64 : I32);
  const results = def.result === 'none' ? [0] : [1, I32];
  const body = [0, ...kept.flatMap((i) => [0x20, ...uleb(i)]), 0x10, 0, 0x0b]; // no locals; local.get …; call 0; end
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([
      [0x60, ...vec(kept.map((i) => [valType(i)])), ...results], // type 0: host.f
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
  const instance = new WebAssembly.Instance(moduleFor(def, dropped), { host: { f } });
  return instance.exports.f as (...args: any[]) => number;
}
