// The binding layer (src/runtime/bind.ts) on its own: implementations that only see values, out-params written from
// the schema's types at their offsets and sizes, EFAULT before anything is written, errors turned into errnos.
import { describe, expect, it } from 'vitest';
import { ClockId, Errno, FUNCTIONS, STRUCTS, WasiError, readStruct, wasmParams, writeStruct } from '../../src/abi/index.js';
import { bindFunction, bindingSource, implementationArity } from '../../src/runtime/bind.js';
import { readOnly, type Bound, type Implementation, type RuntimeContext } from '../../src/runtime/context.js';
import { ProcExit } from '../../src/runtime/errors.js';
import { FdTable } from '../../src/runtime/fdtable.js';
import { MAX_IOVECS, type Iovecs } from '../../src/runtime/iovecs.js';
import { GuestMemory } from '../../src/runtime/memory.js';
import { IMPLEMENTATIONS, WasiRuntime } from '../../src/runtime/runtime.js';

const FILL = 0xaa;
const PAGE = 65536;

/** One page of memory filled with FILL, a context over it, and a way to bind one function around a fake. */
function setup(args: string[] = []) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const bytes = new Uint8Array(memory.buffer);
  bytes.fill(FILL);
  const view = new DataView(memory.buffer);
  const enc = new TextEncoder();
  const ctx: RuntimeContext = { mem: new GuestMemory(memory), fds: new FdTable(), args: args.map((a) => enc.encode(`${a}\0`)), environ: [] };
  const internal: unknown[] = [];
  const calls: unknown[][] = [];
  const bind = (name: string, impl: Implementation | Bound) => {
    const { impl: fn, readOnly: ro } = typeof impl === 'function' ? { impl, readOnly: false } : impl;
    const spy: Implementation = (c, ...rest) => { calls.push(rest); return fn(c, ...rest); };
    return bindFunction(name, ro ? readOnly(spy) : spy, ctx, (e) => internal.push(e));
  };
  /** Addresses whose byte is no longer FILL. */
  const changed = (): number[] => [...bytes.keys()].filter((i) => bytes[i] !== FILL);
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  return { memory, bytes, view, ctx, bind, calls, internal, changed, range };
}

describe('out-params', () => {
  it('a u32 out-param: the returned value, little-endian, in exactly its 4 bytes', () => {
    const t = setup();
    const f = t.bind('fd_write', () => 0x11223344);
    t.view.setUint32(100, 0, true); // one empty ciovec at 100
    t.view.setUint32(104, 0, true);
    expect(f(1, 100, 1, 40)).toBe(Errno.SUCCESS);
    expect(t.changed().filter((a) => a < 100 || a >= 108)).toEqual(t.range(40, 4));
    expect([...t.bytes.subarray(40, 44)]).toEqual([0x44, 0x33, 0x22, 0x11]);
  });

  it('a u64 out-param, at an aligned and at an unaligned address, in exactly its 8 bytes', () => {
    for (const at of [64, 77]) {
      const t = setup();
      const f = t.bind('fd_tell', () => 0x0102030405060708n);
      expect(f(3, at)).toBe(Errno.SUCCESS);
      expect(t.changed()).toEqual(t.range(at, 8));
      expect(t.view.getBigUint64(at, true)).toBe(0x0102030405060708n);
    }
  });

  it('a u64 out-param returned as a safe-integer number (the clock fast path), aligned and unaligned, in its 8 bytes', () => {
    for (const [at, v] of [[64, 2 ** 52 + 3], [77, 0x1234_5678_9abc], [88, 0]] as const) {
      const t = setup();
      const f = t.bind('clock_time_get', readOnly(() => v));
      expect(f(ClockId.MONOTONIC, 1n, at)).toBe(Errno.SUCCESS);
      expect(t.changed().filter((a) => a < at || a >= at + 8)).toEqual([]);
      expect(t.view.getBigUint64(at, true)).toBe(BigInt(v));
    }
  });

  it('clock_time_get of the monotonic clock is the host clock process.hrtime gives, and never goes back', () => {
    const t = setup();
    const f = bindFunction('clock_time_get', IMPLEMENTATIONS.get('clock_time_get')!, t.ctx);
    const before = process.hrtime.bigint();
    let last = 0n;
    for (let i = 0; i < 1000; i++) {
      expect(f(ClockId.MONOTONIC, 1n, 8)).toBe(Errno.SUCCESS);
      const v = t.view.getBigUint64(8, true);
      expect(v).toBeGreaterThanOrEqual(last);
      last = v;
    }
    expect(last).toBeGreaterThanOrEqual(before);
    expect(last).toBeLessThanOrEqual(process.hrtime.bigint());
  });

  it('several out-params: a tuple in schema order, each with its own size (sock_recv: u32 then u16)', () => {
    const t = setup();
    const f = t.bind('sock_recv', () => [7, 0x0102]);
    expect(f(3, 0, 0, 0, 200, 300)).toBe(Errno.SUCCESS);
    expect(t.changed()).toEqual([...t.range(200, 4), ...t.range(300, 2)]);
    expect(t.view.getUint32(200, true)).toBe(7);
    expect(t.view.getUint16(300, true)).toBe(0x0102);
  });

  it('a struct out-param: its whole size written, padding zeroed, fields where the schema puts them', () => {
    const t = setup();
    const stat = { dev: 1n, ino: 2n, filetype: 4, nlink: 3n, size: 5n, atim: 6n, mtim: 7n, ctim: 8n };
    const f = t.bind('fd_filestat_get', () => stat);
    expect(f(3, 128)).toBe(Errno.SUCCESS);
    expect(t.changed().every((a) => a >= 128 && a < 128 + STRUCTS.filestat.size)).toBe(true);
    expect(t.bytes[128 + 17]).toBe(0); // padding after filetype
    expect(readStruct(t.view, 128, STRUCTS.filestat)).toEqual(stat);
  });

  it('an out array: the returned structs one after another, and its count out-param from their number', () => {
    const t = setup();
    const ev = (u: bigint) => ({ userdata: u, error: 0, type: 0, 'fd_readwrite.nbytes': 0n, 'fd_readwrite.flags': 0 });
    const subs = 1024;
    for (let i = 0; i < 3; i++) writeStruct(t.view, subs + i * STRUCTS.subscription.size, STRUCTS.subscription, { userdata: BigInt(i), tag: 0 });
    const f = t.bind('poll_oneoff', (_c, s: Record<string, number | bigint>[]) => [ev(s[2]!.userdata as bigint), ev(9n)]);
    const before = t.bytes.slice();
    expect(f(subs, 4096, 3, 8000)).toBe(Errno.SUCCESS);
    expect(t.view.getUint32(8000, true)).toBe(2);
    expect(readStruct(t.view, 4096, STRUCTS.event).userdata).toBe(2n);
    expect(readStruct(t.view, 4096 + STRUCTS.event.size, STRUCTS.event).userdata).toBe(9n);
    const third = 4096 + 2 * STRUCTS.event.size;
    expect(t.bytes.subarray(third, third + STRUCTS.event.size)).toEqual(before.subarray(third, third + STRUCTS.event.size));
    expect((t.calls[0]![0] as unknown[]).length).toBe(3);
    expect(t.calls[0]![1]).toBe(3);
  });

  it('args_get: the pointer array and the NUL-terminated strings after one another', () => {
    const t = setup(['prog', 'ä']);
    const f = t.bind('args_get', readOnly((c) => c.args));
    expect(f(16, 32)).toBe(Errno.SUCCESS);
    expect([t.view.getUint32(16, true), t.view.getUint32(20, true)]).toEqual([32, 37]);
    expect(new TextDecoder().decode(t.bytes.subarray(32, 40))).toBe('prog\0ä\0');
    expect(t.changed()).toEqual([...t.range(16, 8), ...t.range(32, 8)]);
  });

  it('a function without out-params returns SUCCESS whatever the implementation returns', () => {
    const t = setup();
    expect(t.bind('fd_close', () => 123)(3)).toBe(Errno.SUCCESS);
    expect(t.changed()).toEqual([]);
  });
});

describe('EFAULT and failing calls write nothing', () => {
  it('an out-pointer running past memory is EFAULT before the implementation runs; the last fitting address works', () => {
    const t = setup();
    const f = t.bind('fd_tell', () => 5n);
    expect(f(3, PAGE - 4)).toBe(Errno.FAULT);
    expect(f(3, -8)).toBe(Errno.FAULT); // a negative i32 is a u32 address near 4 GiB
    expect(t.calls).toHaveLength(0);
    expect(f(3, PAGE - 8)).toBe(Errno.SUCCESS);
    expect(t.view.getBigUint64(PAGE - 8, true)).toBe(5n);
  });

  it('when a later out-pointer is bad, the earlier one is not written either', () => {
    const t = setup();
    const f = t.bind('args_sizes_get', () => [1, 2]);
    expect(f(16, PAGE)).toBe(Errno.FAULT);
    expect(f(PAGE - 2, 16)).toBe(Errno.FAULT);
    expect(t.changed()).toEqual([]);
    expect(t.calls).toHaveLength(0);
  });

  it('an implementation that throws a WasiError returns its errno and nothing is written', () => {
    const t = setup();
    const f = t.bind('fd_filestat_get', () => { throw new WasiError(Errno.BADF); });
    expect(f(99, 128)).toBe(Errno.BADF);
    expect(t.changed()).toEqual([]);
  });

  it('read-only: the implementation runs first, so its errno wins over EFAULT; a bad pointer after success writes nothing', () => {
    const t = setup();
    const f = t.bind('clock_time_get', readOnly((_c, id: number) => {
      if (id !== ClockId.MONOTONIC) throw new WasiError(Errno.INVAL);
      return 42n;
    }));
    expect(f(99, 0n, PAGE)).toBe(Errno.INVAL);
    expect(f(ClockId.MONOTONIC, 0n, PAGE - 4)).toBe(Errno.FAULT);
    expect(t.calls).toHaveLength(2);
    expect(t.changed()).toEqual([]);
    expect(f(ClockId.MONOTONIC, 0n, 8)).toBe(Errno.SUCCESS);
    expect(t.view.getBigUint64(8, true)).toBe(42n);
  });

  it('in the real runtime: read-only calls put EBADF/EINVAL first, the others EFAULT first', () => {
    const rt = new WasiRuntime({ args: [], env: [] });
    rt.attach(new WebAssembly.Memory({ initial: 1 }));
    const fns = rt.imports().wasi_snapshot_preview1!;
    expect(fns.fd_fdstat_get!(99, PAGE)).toBe(Errno.BADF);
    expect(fns.fd_prestat_get!(99, PAGE)).toBe(Errno.BADF);
    expect(fns.clock_time_get!(99, 0n, PAGE)).toBe(Errno.INVAL);
    expect(fns.clock_res_get!(99, PAGE)).toBe(Errno.INVAL);
    expect(fns.fd_filestat_get!(99, PAGE)).toBe(Errno.FAULT);
    expect(fns.fd_tell!(99, PAGE)).toBe(Errno.FAULT);
    expect(fns.poll_oneoff!(PAGE + 8, PAGE + 8, 0, PAGE)).toBe(Errno.INVAL); // its precheck: zero subscriptions
    expect(fns.poll_oneoff!(PAGE + 8, 0, 1, 0)).toBe(Errno.FAULT);
  });

  it('a precheck sees the scalar arguments in schema order and runs before any memory is looked at', () => {
    const t = setup();
    const seen: unknown[][] = [];
    const f = bindFunction('fd_pread', {
      impl: () => 0, readOnly: false,
      precheck: (_c, ...scalars) => { seen.push(scalars); if (scalars[0] === 99) throw new WasiError(Errno.BADF); },
    }, t.ctx);
    expect(f(99, PAGE, 1, 5n, PAGE)).toBe(Errno.BADF);
    expect(f(3, PAGE, 1, 5n, PAGE)).toBe(Errno.FAULT);
    expect(seen).toEqual([[99, 5n], [3, 5n]]);
  });
});

describe('inputs', () => {
  it('are checked in schema order: a bad string before a bad buffer, bad iovecs before a bad out-pointer', () => {
    const t = setup();
    t.bytes.set([0x61, 0, 0x62], 300);
    expect(t.bind('path_readlink', () => 0)(3, 300, 3, PAGE, 8, PAGE)).toBe(Errno.INVAL);
    expect(t.bind('fd_read', () => 0)(3, 100, MAX_IOVECS + 1, PAGE)).toBe(Errno.INVAL);
    expect(t.calls).toHaveLength(0);
  });


  it('iovecs: the buffers, checked before the call; the same Iovecs object on every call (nothing allocated for it)', () => {
    const t = setup();
    const seen: { count: number; total: number; texts: string[]; obj: Iovecs }[] = [];
    const f = t.bind('fd_write', (_c, _fd: number, iovs: Iovecs) => {
      const texts = Array.from({ length: iovs.count }, (_, i) => new TextDecoder().decode(iovs.buf(i)));
      seen.push({ count: iovs.count, total: iovs.total, texts, obj: iovs });
      return iovs.total;
    });
    t.bytes.set(new TextEncoder().encode('hello world'), 500);
    const iov = (at: number, entries: [number, number][]) => entries.forEach(([b, l], i) => {
      t.view.setUint32(at + i * 8, b, true);
      t.view.setUint32(at + i * 8 + 4, l, true);
    });
    iov(100, [[500, 5], [505, 0], [505, 6]]);
    expect(f(1, 100, 3, 40)).toBe(Errno.SUCCESS);
    expect(t.view.getUint32(40, true)).toBe(11);
    iov(100, [[506, 5]]);
    expect(f(1, 100, 1, 40)).toBe(Errno.SUCCESS);
    expect(seen.map(({ count, total, texts }) => ({ count, total, texts }))).toEqual([
      { count: 3, total: 11, texts: ['hello', '', ' world'] }, { count: 1, total: 5, texts: ['world'] },
    ]);
    expect(seen[0]!.obj).toBe(seen[1]!.obj);
    // a buffer past memory, an array past memory, too many entries
    iov(100, [[500, 5], [PAGE - 2, 4]]);
    expect(f(1, 100, 2, 40)).toBe(Errno.FAULT);
    expect(f(1, PAGE - 8, 2, 40)).toBe(Errno.FAULT);
    expect(f(1, 100, MAX_IOVECS + 1, 40)).toBe(Errno.INVAL);
    // the same for one iovec (the short path of Iovecs.load): its buffer past memory, the entry itself past memory
    iov(100, [[PAGE - 2, 4]]);
    expect(f(1, 100, 1, 40)).toBe(Errno.FAULT);
    expect(f(1, PAGE - 4, 1, 40)).toBe(Errno.FAULT);
    expect(f(1, -8, 1, 40)).toBe(Errno.FAULT);
    iov(100, [[PAGE - 4, 4]]); // the last buffer that fits
    expect(f(1, 100, 1, 40)).toBe(Errno.SUCCESS);
    expect(seen).toHaveLength(3);
  });

  it('iovecs are a snapshot: a read that overwrites the iovec array does not change the buffers the call fills', () => {
    const t = setup();
    // entry 0 is a buffer over the array itself (100..116); entry 1 points at 600, 4 bytes
    t.view.setUint32(100, 100, true);
    t.view.setUint32(104, 16, true);
    t.view.setUint32(108, 600, true);
    t.view.setUint32(112, 4, true);
    const f = t.bind('fd_read', (_c, _fd: number, iovs: Iovecs) => {
      iovs.buf(0).fill(0xff); // now entry 1 reads as buffer 0xffffffff, length 0xffffffff
      iovs.buf(1).fill(1);
      return 20;
    });
    expect(f(0, 100, 2, 40)).toBe(Errno.SUCCESS);
    expect([...t.bytes.subarray(600, 604)]).toEqual([1, 1, 1, 1]);
  });

  it('strings are decoded; an interior NUL is EINVAL, bad UTF-8 EILSEQ, both before the call', () => {
    const t = setup();
    const f = t.bind('path_unlink_file', () => undefined);
    const put = (b: number[]) => { t.bytes.set(b, 300); return b.length; };
    expect(f(3, 300, put([0x61, 0xc3, 0xa4]))).toBe(Errno.SUCCESS);
    expect(t.calls[0]).toEqual([3, 'aä']);
    expect(f(3, 300, put([0x61, 0, 0x62]))).toBe(Errno.INVAL);
    expect(f(3, 300, put([0xff, 0xfe]))).toBe(Errno.ILSEQ);
    expect(f(3, PAGE - 1, 2)).toBe(Errno.FAULT);
    expect(t.calls).toHaveLength(1);
  });

  it('a byte buffer is a live view of guest memory, checked before the call', () => {
    const t = setup();
    const f = t.bind('random_get', (_c, buf: Uint8Array) => buf.fill(7));
    expect(f(1000, 3)).toBe(Errno.SUCCESS);
    expect(t.changed()).toEqual(t.range(1000, 3));
    expect(f(PAGE - 2, 3)).toBe(Errno.FAULT);
    expect(t.calls).toHaveLength(1);
  });

  it('after memory grows, the binding sees the new size and buffer', () => {
    const t = setup();
    const f = t.bind('fd_tell', () => 9n);
    expect(f(3, PAGE + 8)).toBe(Errno.FAULT);
    t.memory.grow(1);
    expect(f(3, PAGE + 8)).toBe(Errno.SUCCESS);
    expect(new DataView(t.memory.buffer).getBigUint64(PAGE + 8, true)).toBe(9n);
  });
});

describe('errors', () => {
  it('a Node system error becomes its errno; anything else EIO, reported as an internal error; ProcExit passes through', () => {
    const t = setup();
    const err = Object.assign(new Error('nope'), { code: 'ENOENT' });
    expect(t.bind('fd_sync', () => { throw err; })(3)).toBe(Errno.NOENT);
    expect(t.internal).toEqual([]);
    const bug = new TypeError('bug');
    expect(t.bind('fd_sync', () => { throw bug; })(3)).toBe(Errno.IO);
    expect(t.internal).toEqual([bug]);
    expect(() => t.bind('proc_exit', (_c, code: number) => { throw new ProcExit(code); })(3)).toThrow(ProcExit);
  });

  it('a function whose out sizes depend on its result must be bound read-only', () => {
    const t = setup();
    expect(() => t.bind('environ_get', () => [])).toThrow(/read-only/);
  });
});

describe('the builtin implementations against the schema', () => {
  it('bindingSource shows the generated import: one straight-line function of exactly the wasm params', () => {
    const src = bindingSource('fd_write');
    expect(src).toContain('return function fd_write(p0, p1, p2, p3) {');
    expect(src).toContain('// fd_write(p0 = fd, p1 = iovs, p2 = iovs_len, p3 = nwritten)');
    expect(src).toContain('impl(ctx, p0, a_iovs)');
  });

  it('bindingSource of a binding behind a trampoline: the dropped i64 param is not a param, the implementation gets undefined', () => {
    const src = bindingSource('clock_time_get', true, false, ['precision']);
    expect(src).toContain('return function clock_time_get(p0, p2) {');
    expect(src).toContain('impl(ctx, p0, undefined)');
    expect(() => bindingSource('clock_time_get', true, false, ['id'])).toThrow(/not an i64/);
  });


  it('every preview1 function is implemented, with no more params than the schema hands over', () => {
    for (const def of FUNCTIONS) {
      const b = IMPLEMENTATIONS.get(def.name);
      expect(b, def.name).toBeDefined();
      const impl = typeof b === 'function' ? b : b!.impl;
      expect(impl.length, def.name).toBeLessThanOrEqual(implementationArity(def.name) + 1);
    }
  });

  it('every import takes exactly the wasm params of its function', () => {
    const rt = new WasiRuntime({ args: [], env: [] });
    const fns = rt.imports().wasi_snapshot_preview1!;
    for (const def of FUNCTIONS) expect(fns[def.name]!.length, def.name).toBe(wasmParams(def).length);
    const direct = rt.imports({ direct: true }).wasi_snapshot_preview1!;
    for (const def of FUNCTIONS) expect(direct[def.name]!.length, def.name).toBe(wasmParams(def).length);
  });
});
