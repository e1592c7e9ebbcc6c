// What a preview1 call reads and writes in guest memory, derived from the schema alone: the input bytes a call
// consumes (write data, paths, subscriptions) and the ranges it wrote (out-params, bounded by the counts it
// returned). Recorder and replayer both use this, so they agree byte for byte.
import {
  memTypeSize, SCALARS, STRUCTS, wasmParams, type FunctionDef, type Param, type WasmParam,
} from '../abi/index.js';

/** argc/buffer sizes of args_get and environ_get, which the schema cannot know. */
export interface StringLists {
  args: { count: number; bytes: number };
  environ: { count: number; bytes: number };
}

/** The sizes args_get/environ_get write for this argv and environment (NUL-terminated UTF-8 strings). */
export function stringLists(argv: readonly string[], env: readonly string[]): StringLists {
  const sizes = (list: readonly string[]) => ({ count: list.length, bytes: list.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0) });
  return { args: sizes(argv), environ: sizes(env) };
}

export interface CallPlan {
  /** False for functions that read no guest memory (inputs() is then always null). */
  readonly readsInputs: boolean;
  /** The bytes the call reads, concatenated in parameter order; null when it reads none. */
  inputs(mem: Uint8Array, args: ArrayLike<unknown>): Uint8Array | null;
  /**
   * The ranges the call wrote, as a flat [addr, len, addr, len, ...] list, in parameter order. On failure
   * (errno ≠ 0) only fixed-size out-params are reported. Ranges outside memory are left out.
   */
  writes(mem: Uint8Array, args: ArrayLike<unknown>, result: unknown): number[];
}

const u32 = (mem: Uint8Array, addr: number): number | undefined =>
  addr + 4 <= mem.length ? (mem[addr]! | (mem[addr + 1]! << 8) | (mem[addr + 2]! << 16) | (mem[addr + 3]! << 24)) >>> 0 : undefined;

const inBounds = (mem: Uint8Array, addr: number, len: number): boolean => addr + len <= mem.length;

/** An iovec's size and where its buf and buf_len fields are (ciovec has the same layout). */
const IOVEC = STRUCTS.iovec.size;
const IOV_BUF = STRUCTS.iovec.fields.find((f) => f.name === 'buf')!.offset;
const IOV_LEN = STRUCTS.iovec.fields.find((f) => f.name === 'buf_len')!.offset;

/** Ranges of guest memory as addr, len pairs, in an array reused from call to call (it never shrinks). */
class Ranges {
  private readonly at: number[] = [];
  /** Numbers in use (twice the ranges). */
  private used = 0;

  clear(): void { this.used = 0; }

  add(addr: number, len: number): void {
    this.at[this.used++] = addr;
    this.at[this.used++] = len;
  }

  /** The bytes of the ranges (inside `mem`) concatenated, in a new array. */
  gather(mem: Uint8Array): Uint8Array {
    const r = this.at;
    if (this.used === 2) return mem.slice(r[0]!, r[0]! + r[1]!);
    let total = 0;
    for (let i = 1; i < this.used; i += 2) total += r[i]!;
    const out = new Uint8Array(total);
    for (let i = 0, to = 0; i < this.used; i += 2) {
      out.set(mem.subarray(r[i]!, r[i]! + r[i + 1]!), to);
      to += r[i + 1]!;
    }
    return out;
  }
}

/** Builds the plan of one preview1 function. */
export function callPlan(def: FunctionDef, lists: StringLists): CallPlan {
  const lowered = wasmParams(def);
  const argIndex = (name: string, part: WasmParam['part'] = 'ptr'): number =>
    lowered.findIndex((w) => w.param.name === name && w.part === part);
  const valueIndex = (name: string): number => lowered.findIndex((w) => w.param.name === name);
  const outParam = (name: string): Param | undefined => def.params.find((p) => p.name === name && p.role === 'out');

  /** Adds the ranges of guest memory the call reads (ranges, not views: a recorded call allocates less). */
  type InputOp = (mem: Uint8Array, args: ArrayLike<unknown>, ranges: Ranges) => void;
  type WriteOp = (mem: Uint8Array, args: ArrayLike<unknown>, out: number[], ok: boolean) => void;
  const inputOps: InputOp[] = [];
  const writeOps: WriteOp[] = [];
  const ptrArg = (args: ArrayLike<unknown>, i: number): number => (args[i] as number) >>> 0;

  for (const p of def.params) {
    const ptr = argIndex(p.name, 'ptr');
    const len = argIndex(p.name, 'len');
    switch (p.role) {
      case 'string':
        inputOps.push((mem, args, ranges) => {
          const a = ptrArg(args, ptr); const n = ptrArg(args, len);
          if (inBounds(mem, a, n)) ranges.add(a, n);
        });
        break;
      case 'iovecs':
        if (p.dir === 'in') {
          inputOps.push((mem, args, ranges) => {
            const a = ptrArg(args, ptr); const n = ptrArg(args, len);
            if (!inBounds(mem, a, n * IOVEC)) return;
            for (let i = 0; i < n; i++) {
              const buf = u32(mem, a + i * IOVEC + IOV_BUF)!; const bl = u32(mem, a + i * IOVEC + IOV_LEN)!;
              if (inBounds(mem, buf, bl)) ranges.add(buf, bl);
            }
          });
        } else {
          const totalPtr = argIndex(p.total!);
          writeOps.push((mem, args, out, ok) => {
            if (!ok) return;
            let left = u32(mem, ptrArg(args, totalPtr)) ?? 0;
            const a = ptrArg(args, ptr); const n = ptrArg(args, len);
            if (!inBounds(mem, a, n * IOVEC)) return;
            for (let i = 0; i < n && left > 0; i++) {
              const buf = u32(mem, a + i * IOVEC + IOV_BUF)!; const bl = Math.min(u32(mem, a + i * IOVEC + IOV_LEN)!, left);
              if (bl > 0 && inBounds(mem, buf, bl)) out.push(buf, bl);
              left -= bl;
            }
          });
        }
        break;
      case 'buffer': {
        const usedPtr = p.used === undefined ? -1 : argIndex(p.used);
        writeOps.push((mem, args, out, ok) => {
          if (!ok) return;
          const a = ptrArg(args, ptr);
          let n = ptrArg(args, len);
          if (usedPtr >= 0) n = Math.min(n, u32(mem, ptrArg(args, usedPtr)) ?? 0);
          if (n > 0 && inBounds(mem, a, n)) out.push(a, n);
        });
        break;
      }
      case 'out': {
        const size = memTypeSize(p.type);
        // Fixed-size out-params are reported even on failure: whatever the host left there is then recorded.
        writeOps.push((mem, args, out) => {
          const a = ptrArg(args, ptr);
          if (inBounds(mem, a, size)) out.push(a, size);
        });
        break;
      }
      case 'array': {
        const size = p.type.size;
        const countParam = outParam(p.count);
        const countIdx = countParam ? argIndex(p.count) : valueIndex(p.count);
        const count = (mem: Uint8Array, args: ArrayLike<unknown>): number =>
          countParam ? u32(mem, ptrArg(args, countIdx)) ?? 0 : ptrArg(args, countIdx);
        if (p.dir === 'in') {
          inputOps.push((mem, args, ranges) => {
            const a = ptrArg(args, ptr); const n = count(mem, args) * size;
            if (inBounds(mem, a, n)) ranges.add(a, n);
          });
        } else {
          writeOps.push((mem, args, out, ok) => {
            if (!ok) return;
            const a = ptrArg(args, ptr); const n = count(mem, args) * size;
            if (n > 0 && inBounds(mem, a, n)) out.push(a, n);
          });
        }
        break;
      }
      case 'argv': case 'argvBuf': {
        const list = lists[p.list];
        const n = p.role === 'argv' ? list.count * memTypeSize(SCALARS.pointer) : list.bytes;
        writeOps.push((mem, args, out, ok) => {
          const a = ptrArg(args, ptr);
          if (ok && n > 0 && inBounds(mem, a, n)) out.push(a, n);
        });
        break;
      }
      case 'scalar':
        break;
    }
  }

  /** The ranges of the call being captured (inputs() copies their bytes out at once). */
  const ranges = new Ranges();
  return {
    readsInputs: inputOps.length > 0,
    inputs(mem, args) {
      if (inputOps.length === 0) return null;
      ranges.clear();
      for (let i = 0; i < inputOps.length; i++) inputOps[i]!(mem, args, ranges);
      return ranges.gather(mem);
    },
    writes(mem, args, result) {
      const written: number[] = [];
      const ok = def.result === 'none' || result === 0;
      for (let i = 0; i < writeOps.length; i++) writeOps[i]!(mem, args, written, ok);
      return written;
    },
  };
}

/**
 * For a function whose only memory effects are fixed-size out-params (every param a scalar or an `out`): those
 * out-params as [wasm argument index, size, ...] in parameter order; undefined for any other function. The
 * recorder's fast path writes `fixedWrites` of them, which are exactly what the function's CallPlan.writes gives.
 */
export function fixedOutParams(def: FunctionDef): number[] | undefined {
  if (!def.params.every((p) => p.role === 'scalar' || p.role === 'out')) return undefined;
  const lowered = wasmParams(def);
  const out: number[] = [];
  for (const p of def.params) {
    if (p.role === 'out') out.push(lowered.findIndex((w) => w.param.name === p.name), memTypeSize(p.type));
  }
  return out;
}

/**
 * The writes of fixed-size out-params (fixedOutParams) into `into` (as long as `outs`), as CallPlan.writes lists
 * them; false, with `into` unusable, when one of them is outside memory (CallPlan.writes then leaves it out).
 */
export function fixedWrites(mem: Uint8Array, args: ArrayLike<unknown>, outs: readonly number[], into: number[]): boolean {
  for (let i = 0; i < outs.length; i += 2) {
    const a = (args[outs[i]!] as number) >>> 0;
    const size = outs[i + 1]!;
    if (a + size > mem.length) return false;
    into[i] = a;
    into[i + 1] = size;
  }
  return true;
}

/** The ranges where `after` differs from `before` (for imports the schema does not describe), as [addr, len, ...]. */
export function diffMemory(before: Uint8Array, after: Uint8Array): number[] {
  const out: number[] = [];
  const PAGE = 4096;
  const n = after.length;
  let runStart = -1;
  const close = (at: number) => { if (runStart >= 0) { out.push(runStart, at - runStart); runStart = -1; } };
  for (let page = 0; page < n; page += PAGE) {
    const end = Math.min(page + PAGE, n);
    if (end <= before.length && Buffer.compare(before.subarray(page, end), after.subarray(page, end)) === 0) {
      close(page);
      continue;
    }
    for (let i = page; i < end; i++) {
      if (i >= before.length || before[i] !== after[i]) { if (runStart < 0) runStart = i; } else close(i);
    }
  }
  close(n);
  return out;
}
