// The recording proxy (src/record/proxy.ts): wrapping a provider's imports reads only the imports the module's table
// names, so the builtin runtime binds (generates code for) only the functions a guest imports.
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_BY_NAME } from '../../src/abi/index.js';
import { stringLists } from '../../src/calls/capture.js';
import { createProvider } from '../../src/providers.js';
import { recordingImports } from '../../src/record/proxy.js';
import { Recorder } from '../../src/record/recorder.js';
import { GuestMemory } from '../../src/runtime/memory.js';

describe('recordingImports', () => {
  it('reads only the imports in the table: the runtime\'s other functions stay unbound getters, and still work', async () => {
    const provider = await createProvider('builtin', { args: [], env: [] });
    const wasi = provider.wasi;
    const lazy = (name: string) => Object.getOwnPropertyDescriptor(wasi, name)?.get !== undefined;
    expect(lazy('fd_readdir') && lazy('clock_time_get')).toBe(true);
    const def = FUNCTIONS_BY_NAME.get('clock_time_get')!;
    const table = [{ module: 'wasi_snapshot_preview1', name: def.name, wasi: def.index }];
    const rec = new Recorder((b) => b, new Uint8Array(1 << 16), table.length, performance.now(), undefined, { checkpoints: 0 });
    const out = recordingImports(table, { wasi_snapshot_preview1: wasi }, rec, new GuestMemory(), stringLists([], []))
      .wasi_snapshot_preview1 as Record<string, unknown>;
    expect(lazy('fd_readdir'), 'a function the guest does not import is not bound').toBe(true);
    expect(typeof out.clock_time_get).toBe('function');
    expect(out.clock_time_get).not.toBe(wasi.clock_time_get); // wrapped
    // The others are still there, unwrapped: reading one binds it then.
    expect(typeof out.fd_readdir).toBe('function');
    expect(Object.keys(out).length).toBe(Object.keys(wasi).length);
  });
});
