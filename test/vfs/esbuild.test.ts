// A real guest: esbuild compiled to WASI bundles a small multi-file project from a host directory and from an
// in-memory copy of it, with byte-identical output (and the same output as under node:wasi).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantiate, loadGuestModule } from '../../src/module.js';
import { importsFor, providerFor, type GuestOptions } from '../../src/run.js';
import type { LoadedModule } from '../../src/module.js';
import { copyHostTree, MemoryDirectory, MemoryFile } from '../../src/vfs/memory/index.js';
import type { PreopenSpec } from '../../src/providers.js';
import { repoRoot } from '../helpers.js';

const ESBUILD = join(repoRoot, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm');

const PROJECT: Record<string, string> = {
  'src/index.js': "import { greet } from './greet.js';\nimport { twice } from './util/math.js';\nconsole.log(greet('wasi'), twice(21));\n",
  'src/greet.js': 'export const greet = (name) => `hello, ${name}`;\n',
  'src/util/math.js': 'export function twice(x) {\n  return x * 2;\n}\nexport const unused = 1;\n',
};

let root: string;
let loaded: LoadedModule;

/**
 * Runs esbuild with the project preopened as "/" (esbuild reads the directories above its input), as run() does
 * but with the module compiled once for all the runs (it is 20 MB).
 */
async function esbuild(preopen: PreopenSpec, args: string[], runtime: GuestOptions['runtime'] = 'builtin'):
  Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stdio: Partial<GuestOptions> = runtime === 'node' ? {} : {
    stdin: new Uint8Array(0),
    stdout: (b) => { stdout += Buffer.from(b).toString(); }, stderr: (b) => { stderr += Buffer.from(b).toString(); },
  };
  const provider = await providerFor(loaded, { module: loaded.bytes, args, runtime, preopens: [preopen], ...stdio });
  const end = provider.start(await instantiate(loaded, importsFor(loaded, provider.wasi)));
  return { code: end.kind === 'exit' ? end.code : -1, stdout, stderr };
}

describe('esbuild (WASI) on both backends', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-esbuild-'));
    for (const [name, text] of Object.entries(PROJECT)) {
      fs.mkdirSync(join(root, name, '..'), { recursive: true });
      fs.writeFileSync(join(root, name), text);
    }
  });
  beforeAll(async () => { loaded = await loadGuestModule({ module: fs.readFileSync(ESBUILD), moduleName: 'esbuild.wasm' }); }, 60_000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('bundles from a host directory and from an in-memory copy with byte-identical output', async () => {
    const args = ['--bundle', '/src/index.js'];
    const host = await esbuild({ guestPath: '/', hostPath: root }, args);
    const mem = await esbuild({ guestPath: '/', dir: copyHostTree(root) }, args);
    expect(host).toEqual(mem);
    expect(host.code).toBe(0);
    expect(host.stdout).toContain('// src/util/math.js');
    expect(host.stdout).toContain('console.log(greet("wasi"), twice(21));');
    expect(host.stdout).not.toContain('unused');
  }, 30_000);

  it('writes --outfile into the backend (the host copy stays untouched), identically on both', async () => {
    const args = ['--bundle', '/src/index.js', '--outfile=/out/bundle.js', '--log-level=warning'];
    const copy = copyHostTree(root);
    const mem = await esbuild({ guestPath: '/', dir: copy }, args);
    expect(mem).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fs.existsSync(join(root, 'out'))).toBe(false);
    const fromMemory = ((copy.lookup('out') as MemoryDirectory).lookup('bundle.js') as MemoryFile).bytes();
    const host = await esbuild({ guestPath: '/', hostPath: root }, args);
    expect(host.code).toBe(0);
    expect(Buffer.from(fromMemory).equals(fs.readFileSync(join(root, 'out/bundle.js')))).toBe(true);
    fs.rmSync(join(root, 'out'), { recursive: true });
  }, 30_000);

  it('gives the same bundle as under --runtime node (node:wasi)', async () => {
    const args = ['--bundle', '/src/index.js', '--outfile=/out.js', '--log-level=warning'];
    const copy = copyHostTree(root);
    expect((await esbuild({ guestPath: '/', dir: copy }, args)).code).toBe(0);
    expect((await esbuild({ guestPath: '/', hostPath: root }, args, 'node')).code).toBe(0);
    const ours = Buffer.from((copy.lookup('out.js') as MemoryFile).bytes());
    expect(ours.toString()).toContain('twice(21)');
    expect(ours.equals(fs.readFileSync(join(root, 'out.js')))).toBe(true);
    fs.rmSync(join(root, 'out.js'));
  }, 30_000);
});
