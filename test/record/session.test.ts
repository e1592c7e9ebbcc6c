// src/record/session.ts: the stand-in module the guest thread builds a recording's imports from while the module
// still compiles; a guest that cannot start, reported for what is wrong with it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { record } from '../../src/record/record.js';
import { importsOnly, sameImports } from '../../src/record/session.js';
import { guestPath, repoRoot } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

describe('importsOnly', () => {
  it('imports exactly what the module imports, for every test guest and esbuild', () => {
    const guests = readdirSync(join(repoRoot, 'test/guests')).filter((f) => f.endsWith('.wasm')).map((f) => join(repoRoot, 'test/guests', f));
    for (const file of [...guests, join(repoRoot, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm')]) {
      const bytes = readFileSync(file);
      const stub = importsOnly(bytes);
      expect(stub, file).toBeDefined();
      expect(WebAssembly.Module.imports(stub!), file).toEqual(WebAssembly.Module.imports(new WebAssembly.Module(bytes)));
      expect(WebAssembly.Module.exports(stub!), file).toEqual([]);
    }
  });

  it('is undefined for bytes whose sections cannot be read', () => {
    const hello = readFileSync(guestPath('hello'));
    expect(importsOnly(hello.subarray(0, 12))).toBeUndefined(); // a section cut short
    expect(importsOnly(Buffer.concat([hello.subarray(0, 8), Uint8Array.of(2, 0xff, 0xff, 0xff, 0xff, 0x7f)]))).toBeUndefined();
  });

  it('sameImports tells modules with other imports apart', () => {
    const hello = new WebAssembly.Module(readFileSync(guestPath('hello')));
    const other = new WebAssembly.Module(readFileSync(guestPath('unknown_import')));
    expect(sameImports(importsOnly(readFileSync(guestPath('hello')))!, hello)).toBe(true);
    expect(sameImports(hello, other)).toBe(false);
  });
});

describe('a guest that cannot start', () => {
  it('is reported as a module that does not compile, or for the import the runtime lacks, and leaves no trace', async () => {
    const dir = tempDir();
    // unknown_import's sections (an import the runtime lacks), then a section no module may have
    const bad = Buffer.concat([readFileSync(guestPath('unknown_import')), Uint8Array.of(0x7e, 0x01, 0x00)]);
    await expect(record({ module: bad, moduleName: 'bad.wasm', output: join(dir, 't.bin'), stdin: new Uint8Array(0) }))
      .rejects.toThrow(/^bad\.wasm is not a valid WebAssembly module/);
    await expect(record({ module: readFileSync(guestPath('unknown_import')), moduleName: 'u.wasm', output: join(dir, 't.bin'), stdin: new Uint8Array(0) }))
      .rejects.toThrow(/^u\.wasm imports env\.mystery \(function\), which the runtime does not provide/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
