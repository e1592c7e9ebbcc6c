// WasiRuntime.imports(): all 46 preview1 functions as enumerable properties, each bound once, on first lookup.
import { describe, expect, it } from 'vitest';
import { Errno, FUNCTIONS, MODULE_NAME } from '../../src/abi/index.js';
import { WasiRuntime } from '../../src/runtime/runtime.js';
import { CallbackOutput } from '../../src/vfs/stream.js';

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
