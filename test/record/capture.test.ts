// callPlan (src/record/capture.ts): the bytes a preview1 call reads and the ranges it wrote, from the schema
// alone. Every expected value below is worked out by hand from the call's arguments and the memory set up.
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_BY_NAME } from '../../src/abi/index.js';
import { callPlan, stringLists, type CallPlan } from '../../src/calls/capture.js';

const plan = (name: string, argv: string[] = [], env: string[] = []): CallPlan =>
  callPlan(FUNCTIONS_BY_NAME.get(name)!, stringLists(argv, env));

/** 64 KiB of guest memory, with helpers to place u32s, iovecs and text. */
function memory() {
  const mem = new Uint8Array(65536);
  const view = new DataView(mem.buffer);
  return {
    mem,
    u32: (addr: number, v: number) => view.setUint32(addr, v, true),
    iovecs: (addr: number, list: [buf: number, len: number][]) =>
      list.forEach(([buf, len], i) => { view.setUint32(addr + 8 * i, buf, true); view.setUint32(addr + 8 * i + 4, len, true); }),
    text: (addr: number, s: string) => mem.set(new TextEncoder().encode(s), addr),
  };
}
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

describe('callPlan', () => {
  it('fd_write reads the data of its iovecs in order and writes nwritten, also on failure', () => {
    const m = memory();
    m.iovecs(100, [[300, 3], [400, 2]]);
    m.text(300, 'abc');
    m.text(400, 'de');
    const p = plan('fd_write');
    const args = [1, 100, 2, 200]; // fd, iovs, iovs_len, nwritten
    expect(p.readsInputs).toBe(true);
    expect(text(p.inputs(m.mem, args))).toBe('abcde');
    // A copy, never a view: the call that follows may overwrite its buffers (one iovec here, then two again).
    const one = p.inputs(m.mem, [1, 100, 1, 200])!;
    m.text(300, 'xyz');
    expect(text(one)).toBe('abc');
    expect(text(p.inputs(m.mem, args))).toBe('xyzde');
    expect(p.writes(m.mem, args, 0)).toEqual([200, 4]);
    expect(p.writes(m.mem, args, 8)).toEqual([200, 4]); // a fixed-size out-param is reported whatever the errno
  });

  it('fd_write leaves out what lies outside memory', () => {
    const m = memory();
    m.iovecs(100, [[300, 3], [65530, 100]]); // the second buffer runs past the end
    m.text(300, 'abc');
    const p = plan('fd_write');
    expect(text(p.inputs(m.mem, [1, 100, 2, 200]))).toBe('abc');
    expect(text(p.inputs(m.mem, [1, 65532, 1, 200]))).toBe(''); // the iovec array itself runs past the end
    expect(p.writes(m.mem, [1, 100, 2, 65534], 0)).toEqual([]); // nwritten does not fit
    // wasm passes pointers as signed i32: -4 is 0xfffffffc, far outside
    expect(p.writes(m.mem, [1, 100, 2, -4], 0)).toEqual([]);
  });

  it('fd_read writes its iovecs only as far as nread, then nread; only nread on failure', () => {
    const m = memory();
    m.iovecs(100, [[300, 4], [400, 8]]);
    const p = plan('fd_read');
    const args = [0, 100, 2, 200]; // fd, iovs, iovs_len, nread
    expect(p.readsInputs).toBe(false);
    expect(p.inputs(m.mem, args)).toBeNull();
    m.u32(200, 6);
    expect(p.writes(m.mem, args, 0)).toEqual([300, 4, 400, 2, 200, 4]);
    m.u32(200, 3);
    expect(p.writes(m.mem, args, 0)).toEqual([300, 3, 200, 4]);
    m.u32(200, 0);
    expect(p.writes(m.mem, args, 0)).toEqual([200, 4]);
    m.u32(200, 1000); // more than the buffers hold: bounded by them
    expect(p.writes(m.mem, args, 0)).toEqual([300, 4, 400, 8, 200, 4]);
    m.u32(200, 6);
    expect(p.writes(m.mem, args, 6 /* EAGAIN */)).toEqual([200, 4]);
  });

  it('fd_pread bounds its iovecs by nread too (the i64 offset sits between)', () => {
    const m = memory();
    m.iovecs(100, [[300, 4], [400, 8]]);
    m.u32(200, 5);
    expect(plan('fd_pread').writes(m.mem, [3, 100, 2, 0n, 200], 0)).toEqual([300, 4, 400, 1, 200, 4]);
  });

  it('path_open reads its path and writes opened_fd', () => {
    const m = memory();
    m.text(500, 'hello.txt and more');
    const p = plan('path_open');
    // fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags, opened_fd
    const args = [3, 1, 500, 9, 0, 0n, 0n, 0, 600];
    expect(text(p.inputs(m.mem, args))).toBe('hello.txt');
    expect(p.writes(m.mem, args, 0)).toEqual([600, 4]);
    expect(p.writes(m.mem, args, 44 /* ENOENT */)).toEqual([600, 4]);
  });

  it('fd_readdir writes its buffer only up to bufused (at most buf_len), then bufused', () => {
    const m = memory();
    const p = plan('fd_readdir');
    const args = [3, 1000, 128, 0n, 700]; // fd, buf, buf_len, cookie, bufused
    m.u32(700, 50);
    expect(p.inputs(m.mem, args)).toBeNull();
    expect(p.writes(m.mem, args, 0)).toEqual([1000, 50, 700, 4]);
    m.u32(700, 500);
    expect(p.writes(m.mem, args, 0)).toEqual([1000, 128, 700, 4]);
    m.u32(700, 0);
    expect(p.writes(m.mem, args, 0)).toEqual([700, 4]);
    m.u32(700, 50);
    expect(p.writes(m.mem, args, 8 /* EBADF */)).toEqual([700, 4]);
  });

  it('poll_oneoff reads nsubscriptions subscriptions and writes nevents events, then nevents', () => {
    const m = memory();
    for (let i = 0; i < 96; i++) m.mem[2000 + i] = i + 1;
    m.mem[2096] = 0xee; // just past the two subscriptions: not an input
    const p = plan('poll_oneoff');
    const args = [2000, 3000, 2, 800]; // in, out, nsubscriptions, nevents
    const inputs = p.inputs(m.mem, args)!;
    expect(inputs.length).toBe(2 * 48);
    expect([...inputs]).toEqual(Array.from({ length: 96 }, (_, i) => i + 1));
    m.u32(800, 1);
    expect(p.writes(m.mem, args, 0)).toEqual([3000, 32, 800, 4]);
    m.u32(800, 2);
    expect(p.writes(m.mem, args, 0)).toEqual([3000, 64, 800, 4]);
    m.u32(800, 0);
    expect(p.writes(m.mem, args, 0)).toEqual([800, 4]);
  });

  it('args_get and environ_get write the sizes of this argv and environment (UTF-8 bytes, NUL each)', () => {
    const m = memory();
    const argv = plan('args_get', ['prog', 'a1', 'ünï'], ['K=v']);
    // 3 pointers; "prog\0" 5 + "a1\0" 3 + "ünï\0" 6 (ü and ï are two bytes each)
    expect(argv.writes(m.mem, [100, 200], 0)).toEqual([100, 12, 200, 14]);
    const env = plan('environ_get', ['prog'], ['K=v', 'EMPTY=']);
    expect(env.writes(m.mem, [100, 200], 0)).toEqual([100, 8, 200, 11]);
    expect(plan('environ_get', ['prog'], []).writes(m.mem, [100, 200], 0)).toEqual([]);
    expect(argv.writes(m.mem, [100, 200], 28)).toEqual([]);
  });

  it('random_get writes its whole buffer; proc_exit reads and writes nothing', () => {
    const m = memory();
    expect(plan('random_get').writes(m.mem, [100, 16], 0)).toEqual([100, 16]);
    expect(plan('random_get').writes(m.mem, [100, 0], 0)).toEqual([]);
    const exit = plan('proc_exit');
    expect(exit.readsInputs).toBe(false);
    expect(exit.writes(m.mem, [3], undefined)).toEqual([]);
  });

  it('stringLists counts UTF-8 bytes and the NULs', () => {
    expect(stringLists(['a', 'ünï'], [])).toEqual({ args: { count: 2, bytes: 2 + 6 }, environ: { count: 0, bytes: 0 } });
  });
});
