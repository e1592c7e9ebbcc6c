// replay --module: matching a call of a rebuilt module with its recorded event by what the call means, not by
// guest addresses (a rebuild moves code, data and stack, so every pointer may differ). Driven by the schema alone:
//
//   compared exactly    every scalar value (fds, flags, offsets, whence, clock ids, cookies, exit codes...) and the
//                       length of a buffer the host fills (random_get's, fd_readdir's, path_readlink's buf_len,
//                       fd_prestat_dir_name's path_len): the host's answer depends on it
//   compared by content input buffers: paths and other strings, write data (ciovecs, concatenated: how it is split
//                       into iovecs does not matter), poll_oneoff's subscriptions
//   not compared        pointers, and the iovec counts of reads and writes
//
// The recorded writes are mapped onto the new call's pointers, by the role of the parameter that made them:
//   out (fixed size)    the recorded bytes at the old pointer go to the new pointer (nread, opened_fd, filestat...)
//   iovecs (reads)      the data read (fd_read, fd_pread, sock_recv) is spread over the new call's iovecs in order;
//                       they must hold all of it (holding more is fine: the read is then a short read)
//   buffer              written at the new base pointer (random_get, fd_readdir's dirents, readlink, prestat name)
//   array (out)         poll_oneoff's events, at the new base pointer
//   argv, argv_buf      args_get/environ_get: the strings at the new buffer; the pointer array at its new place,
//                       each pointer rebased from the recorded buffer to the new one
// By function: out-params only — args_sizes_get, environ_sizes_get, clock_res_get, clock_time_get, fd_fdstat_get,
// fd_filestat_get, fd_prestat_get, fd_seek, fd_tell, fd_write, fd_pwrite, path_filestat_get, path_open, sock_accept,
// sock_send; iovecs + out-params — fd_read, fd_pread, sock_recv; buffer (+ its used count) — fd_prestat_dir_name,
// random_get, fd_readdir, path_readlink; array + count — poll_oneoff; argv + argv_buf — args_get, environ_get; the
// other 21 functions write no memory (only their values and inputs are compared).
// A recorded write none of these accounts for, a read the new iovecs cannot hold, or a pointer args_get wrote
// outside its buffer is a divergence with its reason, never a write to a guessed place. Imports that are not
// preview1 functions match exactly (pointers included) and their writes land where they were recorded.
import { memTypeSize, STRUCTS, wasmParams, type FunctionDef, type Param, type WasmParam } from '../abi/index.js';
import type { CallPlan, StringLists } from '../calls/capture.js';
import { decodeCall, quoteBytes, splitInputs, type CallView } from '../calls/format.js';
import type { CallEvent, Scalar } from '../trace/events.js';

export interface MappedWrite { addr: number; bytes: Uint8Array }

/** What matching one call by meaning found: the writes to make (at the new call's addresses), or why not. */
export type SemanticMatch =
  | { ok: true; writes: MappedWrite[]; inputs: Uint8Array | null }
  | {
    ok: false;
    /** call: a value differs; inputs: data the call reads differs; memory: a new pointer is outside memory;
     * unmapped: a recorded write has no place in the new call. */
    kind: 'call' | 'inputs' | 'memory' | 'unmapped';
    reason: string;
    /** The parameter that differs, by its schema name, with both values: `whence is CUR, recorded SET`. */
    argument?: string;
    inputs: Uint8Array | null;
  };

/** Matches a call (wasm args, guest memory) with a recorded event of the same import. Writes nothing itself. */
export type SemanticMatcher = (rec: CallEvent, args: ArrayLike<unknown>, mem: Uint8Array) => SemanticMatch;

/** Whether a recorded scalar arg and a live one are the same value (an i64 arrives as a bigint). */
export function sameScalar(rec: Scalar, act: unknown): boolean {
  if (typeof act === 'bigint') return typeof rec === 'bigint' ? rec === act : Number.isSafeInteger(rec) && BigInt(rec) === act;
  return typeof act === 'number' && Object.is(rec, act);
}

const u32 = (mem: Uint8Array, addr: number): number | undefined =>
  addr + 4 <= mem.length ? (mem[addr]! | (mem[addr + 1]! << 8) | (mem[addr + 2]! << 16) | (mem[addr + 3]! << 24)) >>> 0 : undefined;
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const sameBytes = (a: Uint8Array | null, b: Uint8Array | null): boolean =>
  a === null || b === null ? a === b : Buffer.compare(a, b) === 0;
const IOV_SIZE = STRUCTS.iovec.size;
const IOV_BUF = STRUCTS.iovec.fields.find((f) => f.name === 'buf')!.offset;
const IOV_LEN = STRUCTS.iovec.fields.find((f) => f.name === 'buf_len')!.offset;
const POINTER_SIZE = 4;

/** An import the schema does not describe: every arg exactly, no inputs; its writes go where they were recorded. */
export function exactMatcher(name: string): SemanticMatcher {
  return (rec, args) => {
    const n = Math.max(rec.args.length, args.length);
    for (let i = 0; i < n; i++) {
      if (i >= rec.args.length || i >= args.length || !sameScalar(rec.args[i]!, args[i])) {
        return { ok: false, kind: 'call', reason: `the guest called ${name} differently`, argument: `argument ${i} differs (not a preview1 function: compared exactly)`, inputs: null };
      }
    }
    return { ok: true, writes: rec.writes, inputs: null };
  };
}

/** Names the input param whose bytes differ between a recorded call and a live one: `path is "b", recorded "a"`. */
export function inputsDiffer(def: FunctionDef, rec: Pick<CallEvent, 'args' | 'inputs'>, args: ArrayLike<unknown>, inputs: Uint8Array | null): string {
  const view = (a: ArrayLike<unknown>, i: Uint8Array | null): CallView =>
    ({ module: '', name: def.name, wasi: def.index, args: Array.from(a as ArrayLike<Scalar>), inputs: i });
  const now = splitInputs(def, view(args, inputs));
  const was = splitInputs(def, view(rec.args, rec.inputs));
  const name = [...now.keys()].find((k) => !sameBytes(now.get(k) ?? null, was.get(k) ?? null)) ?? [...now.keys()][0] ?? 'inputs';
  const limit = def.params.find((p) => p.name === name)?.role === 'string' ? Infinity : 64;
  const q = (b: Uint8Array | undefined) => quoteBytes(b ?? new Uint8Array(0), limit);
  return `${name} is ${q(now.get(name))}, recorded ${q(was.get(name))}`;
}

/** The matcher of one preview1 function. */
export function semanticMatcher(def: FunctionDef, plan: CallPlan, lists: StringLists): SemanticMatcher {
  const lowered = wasmParams(def);
  const argIndex = (name: string, part: WasmParam['part'] = 'ptr'): number =>
    lowered.findIndex((w) => w.param.name === name && w.part === part);
  /** wasm args compared as values: scalars, and the capacity of a buffer the host fills. */
  const compared = lowered.flatMap((w, i) => (w.part === 'value' || (w.part === 'len' && w.param.role === 'buffer') ? [i] : []));
  /** String lengths: the inputs are concatenated, so "ab"+"c" and "a"+"bc" differ only in them. */
  const stringLengths = lowered.flatMap((w, i) => (w.part === 'len' && w.param.role === 'string' ? [i] : []));
  const view = (args: ArrayLike<unknown>, inputs: Uint8Array | null): CallView =>
    ({ module: '', name: def.name, wasi: def.index, args: Array.from(args as ArrayLike<Scalar>), inputs });
  /** The text of wasm arg `i` as the dump shows it (named by its schema name; `name_len` for a length). */
  const argText = (call: CallView, i: number): { name: string; text: string } => {
    const w = lowered[i]!;
    const name = w.part === 'len' ? `${w.param.name}_len` : w.param.name;
    const v = decodeCall(call).args.find((a) => a.name === name);
    return { name, text: v?.text ?? String(call.args[i]) };
  };
  const outs = def.params.filter((p): p is Extract<Param, { role: 'out' }> => p.role === 'out');
  const dataParams = def.params.filter((p) => p.role === 'iovecs' && p.dir === 'out' || p.role === 'buffer'
    || (p.role === 'array' && p.dir === 'out') || p.role === 'argv' || p.role === 'argvBuf');

  return (rec, args, mem) => {
    const ptrOf = (a: ArrayLike<unknown>, name: string, part: WasmParam['part'] = 'ptr') => Number(a[argIndex(name, part)]) >>> 0;
    for (const i of compared) {
      if (!sameScalar(rec.args[i]!, args[i])) {
        const now = argText(view(args, null), i);
        const was = argText(view(rec.args, null), i);
        return { ok: false, kind: 'call', reason: `the guest called ${def.name} differently`, argument: `${now.name} is ${now.text}, recorded ${was.text}`, inputs: null };
      }
    }
    const inputs = plan.inputs(mem, args);
    if (!sameBytes(inputs, rec.inputs) || stringLengths.some((i) => !sameScalar(rec.args[i]!, args[i]))) {
      return { ok: false, kind: 'inputs', reason: `${def.name} was called with other data`, argument: inputsDiffer(def, rec, args, inputs), inputs };
    }

    const fail = (kind: 'memory' | 'unmapped', reason: string, argument?: string): SemanticMatch =>
      ({ ok: false, kind, reason, ...(argument !== undefined && { argument }), inputs });
    const writes: MappedWrite[] = [];
    /** Queues a write at a new address; false when it falls outside memory. */
    const put = (addr: number, bytes: Uint8Array): boolean => {
      if (addr + bytes.length > mem.length) return false;
      writes.push({ addr, bytes });
      return true;
    };
    const pastEnd = (param: string, addr: number) => fail('memory', `${def.name} wrote past the end of guest memory`, `${param} is ${hex(addr)}`);

    // Fixed-size out-params: the recorded write at the old pointer (recorded even when the call failed).
    const claimed = new Set<number>();
    const recordedOut = new Map<string, Uint8Array>();
    for (const p of outs) {
      const size = memTypeSize(p.type);
      const old = ptrOf(rec.args, p.name);
      const k = rec.writes.findIndex((w, j) => !claimed.has(j) && w.addr === old && w.bytes.length === size);
      if (k < 0) continue; // the recording had it outside memory: nothing was written
      claimed.add(k);
      recordedOut.set(p.name, rec.writes[k]!.bytes);
      if (!put(ptrOf(args, p.name), rec.writes[k]!.bytes)) return pastEnd(p.name, ptrOf(args, p.name));
    }
    // Everything else the call wrote, in parameter order, for its data params.
    const queue = rec.writes.filter((_, j) => !claimed.has(j));
    let next = 0;
    for (const p of dataParams) {
      const head = queue[next];
      if (p.role === 'iovecs') {
        const total = recordedOut.get(p.total!);
        let want = total && total.length >= 4 ? u32(total, 0)! : Infinity;
        const data: Uint8Array[] = [];
        while (want > 0 && next < queue.length) { const b = queue[next++]!.bytes; data.push(b); want -= b.length; }
        let bytes = data.length === 1 ? data[0]! : Buffer.concat(data);
        const iovs = ptrOf(args, p.name); const n = ptrOf(args, p.name, 'len');
        let capacity = 0;
        if (iovs + n * IOV_SIZE > mem.length) { if (bytes.length) return pastEnd(p.name, iovs); continue; }
        for (let i = 0; i < n && bytes.length > 0; i++) {
          const buf = u32(mem, iovs + i * IOV_SIZE + IOV_BUF)!; const len = u32(mem, iovs + i * IOV_SIZE + IOV_LEN)!;
          const take = Math.min(len, bytes.length);
          capacity += len;
          if (take > 0 && !put(buf, bytes.subarray(0, take))) return pastEnd(`${p.name}[${i}].buf`, buf);
          bytes = bytes.subarray(take);
        }
        if (bytes.length > 0) {
          return fail('unmapped', `${def.name}'s recorded data does not fit the new call's buffers`,
            `${p.name} hold ${capacity} bytes, the recording read ${capacity + bytes.length}`);
        }
      } else if (head && head.addr === ptrOf(rec.args, p.name)) {
        next++;
        const at = ptrOf(args, p.name);
        let bytes = head.bytes;
        if (p.role === 'buffer' && bytes.length > ptrOf(args, p.name, 'len')) {
          return fail('unmapped', `${def.name}'s recorded data does not fit the new call's buffer`, `${p.name}_len is ${ptrOf(args, p.name, 'len')}, the recording wrote ${bytes.length} bytes`);
        }
        if (p.role === 'array') {
          const room = (Number(args[argIndex(p.capacity ?? p.count, 'value')]) >>> 0) * p.type.size;
          if (bytes.length > room) return fail('unmapped', `${def.name}'s recorded ${p.name} does not fit the new call's array`, `${p.name} holds ${room} bytes, the recording wrote ${bytes.length}`);
        }
        if (p.role === 'argv') {
          // Pointers into the string buffer: rebased from the recorded buffer to the new one.
          const bufParam = def.params.find((q) => q.role === 'argvBuf' && q.list === p.list)!;
          const oldBuf = ptrOf(rec.args, bufParam.name); const newBuf = ptrOf(args, bufParam.name);
          const size = lists[p.list].bytes;
          const rebased = new Uint8Array(bytes.length);
          const dv = new DataView(rebased.buffer);
          for (let o = 0; o + POINTER_SIZE <= bytes.length; o += POINTER_SIZE) {
            const ptr = u32(bytes, o)!;
            const off = ptr - oldBuf;
            if (off < 0 || off >= size) {
              return fail('unmapped', `${def.name} wrote a pointer outside its string buffer`, `${p.name}[${o / POINTER_SIZE}] is ${hex(ptr)}, ${bufParam.name} was ${hex(oldBuf)} (${size} bytes)`);
            }
            dv.setUint32(o, (newBuf + off) >>> 0, true);
          }
          bytes = rebased;
        }
        if (!put(at, bytes)) return pastEnd(p.name, at);
      }
    }
    if (next < queue.length) {
      const w = queue[next]!;
      return fail('unmapped', `${def.name}'s recording wrote memory this call has no parameter for`, `${w.bytes.length} bytes at ${hex(w.addr)}`);
    }
    return { ok: true, writes, inputs };
  };
}
