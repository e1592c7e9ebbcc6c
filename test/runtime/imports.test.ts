// WasiRuntime.imports(): all 46 preview1 functions as enumerable properties, each bound once, on first lookup;
// imports({ direct: true }), where clock_time_get is a wasm trampoline (src/runtime/trampoline.ts); and, called
// through them, fd_write's several-iovec path on a short write.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClockId, Errno, Filetype, FUNCTIONS, MODULE_NAME } from '../../src/abi/index.js';
import { run } from '../../src/run.js';
import { WasiRuntime } from '../../src/runtime/runtime.js';
import { CallbackOutput } from '../../src/vfs/stream.js';
import { FileHandle } from '../../src/vfs/types.js';
import { repoRoot } from '../helpers.js';

describe('the import object', () => {
  it('lists every function of the schema, in spec order, and a lookup returns the same function every time', () => {
    const out: string[] = [];
    const rt = new WasiRuntime({ args: ['t'], env: [], stdout: new CallbackOutput((b) => out.push(Buffer.from(b).toString())) });
    const table = rt.imports()[MODULE_NAME]!;
    expect(Object.keys(table)).toEqual(FUNCTIONS.map((f) => f.name));
    const mem = new WebAssembly.Memory({ initial: 1 });
    rt.attach(mem);
    const write = table.fd_write!;
    expect(typeof write).toBe('function');
    expect(table.fd_write).toBe(write);
    expect({ ...table }.fd_write).toBe(write);
    // The binding works on the context it was made for: one iovec of "hi" at 64.
    const view = new DataView(mem.buffer);
    new Uint8Array(mem.buffer).set([0x68, 0x69], 64);
    view.setUint32(16, 64, true);
    view.setUint32(20, 2, true);
    expect(write(1, 16, 1, 32)).toBe(Errno.SUCCESS);
    expect(view.getUint32(32, true)).toBe(2);
    expect(out).toEqual(['hi']);
    // A second runtime's functions are its own.
    const other = new WasiRuntime({ args: ['t'], env: [] }).imports()[MODULE_NAME]!;
    expect(other.fd_write).not.toBe(write);
  });
});

describe('the import object for a guest that calls it directly (imports({ direct: true }))', () => {
  it('clock_time_get is a wasm trampoline that drops the precision, and answers as the plain binding does', () => {
    const rt = new WasiRuntime({ args: ['t'], env: [] });
    const direct = rt.imports({ direct: true })[MODULE_NAME]!;
    const plain = rt.imports()[MODULE_NAME]!;
    const mem = new WebAssembly.Memory({ initial: 1 });
    rt.attach(mem);
    const view = new DataView(mem.buffer);
    // A wasm function converts its i64 param: only a BigInt will do, where the JavaScript binding takes anything.
    expect(() => direct.clock_time_get!(ClockId.MONOTONIC, 1, 64)).toThrow(TypeError);
    expect(plain.clock_time_get!(ClockId.MONOTONIC, 1, 64)).toBe(Errno.SUCCESS);
    expect(direct.clock_time_get!.length).toBe(3);
    const before = process.hrtime.bigint();
    expect(direct.clock_time_get!(ClockId.MONOTONIC, 1n, 64)).toBe(Errno.SUCCESS);
    const t = view.getBigUint64(64, true);
    expect(t >= before && t <= process.hrtime.bigint()).toBe(true);
    expect(direct.clock_time_get!(ClockId.MONOTONIC, 0n, 65536 - 4)).toBe(Errno.FAULT);
    expect(direct.clock_time_get!(99, 0n, 64)).toBe(Errno.INVAL);
    expect(plain.clock_time_get!(99, 0n, 64)).toBe(Errno.INVAL);
    // Functions with nothing to drop are the plain bindings.
    expect(direct.fd_write!(1, 0, 0, 32)).toBe(Errno.SUCCESS);
    expect(view.getUint32(32, true)).toBe(0);
  });

  it('a guest run through run() gets the trampoline and runs as before', async () => {
    const out: string[] = [];
    const end = await run({ module: readFileSync(join(repoRoot, 'test/guests/storm.wasm')), args: ['1000'], stdout: (b) => out.push(Buffer.from(b).toString()) });
    expect(end).toEqual({ kind: 'exit', code: 0 });
    expect(out.join('')).toBe('calls 1000\n');
  });
});

describe('fd_write of several iovecs to a handle that takes fewer bytes than asked (a short write)', () => {
  /** A character device that accepts at most 3 bytes per write. */
  class ShortWrites extends FileHandle {
    readonly filetype = Filetype.CHARACTER_DEVICE;
    override readonly seekable = false;
    readonly written: number[] = [];
    override write(buf: Uint8Array): number {
      const n = Math.min(3, buf.length);
      this.written.push(...buf.subarray(0, n));
      return n;
    }
  }

  it('stops at the short write and reports what was written, so the guest writes the rest again in order', () => {
    const device = new ShortWrites();
    const rt = new WasiRuntime({ args: ['t'], env: [], fds: { 5: device } });
    const write = rt.imports()[MODULE_NAME]!.fd_write!;
    const mem = new WebAssembly.Memory({ initial: 1 });
    rt.attach(mem);
    const view = new DataView(mem.buffer);
    new Uint8Array(mem.buffer).set(new TextEncoder().encode('hello'), 100);
    new Uint8Array(mem.buffer).set(new TextEncoder().encode(' world'), 200);
    for (const [i, [addr, len]] of [[100, 5], [200, 6]].entries()) {
      view.setUint32(16 + 8 * i, addr!, true);
      view.setUint32(20 + 8 * i, len!, true);
    }
    expect(write(5, 16, 2, 32)).toBe(Errno.SUCCESS);
    expect(view.getUint32(32, true)).toBe(3);
    expect(Buffer.from(device.written).toString()).toBe('hel'); // not "hel wo": nothing after the bytes not taken
  });
});
