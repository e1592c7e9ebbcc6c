// dist/cli/run-bundle.js, the one file `wasi-trace run` loads (cli/bundle.ts): it runs command lines as the separate
// modules do, and cli/main.ts takes it only while every module it was made from is unchanged.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildBundle, BUNDLE, freshBundle, MANIFEST } from '../../cli/bundle.js';
import { setTiering, engineFingerprint } from '../../src/engine.js';
import { cli, guestPath, repoRoot, wt, type CliResult } from '../helpers.js';

const dist = join(repoRoot, 'dist');

/** A command line through the bundle's main(), in this process, with its output captured. */
async function viaBundle(args: string[]): Promise<CliResult> {
  const { main } = await import(pathToFileURL(join(dist, BUNDLE)).href) as typeof import('../../cli/app.js');
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const tiering = engineFingerprint().tiering;
  try {
    const status = await main(args, { stdout: (b) => out.push(Buffer.from(b)), stderr: (b) => err.push(Buffer.from(b)), stdin: new Uint8Array(0) });
    return { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  } finally {
    setTiering(tiering);
  }
}

describe('the run bundle', () => {
  it('is fresh after the build, and lists the run path as its inputs (the command line and the runtime, no recorder)', () => {
    expect(freshBundle(dist)).toBe(true);
    const inputs = (JSON.parse(fs.readFileSync(join(dist, MANIFEST), 'utf8')) as { inputs: [string][] }).inputs.map((i) => i[0]);
    expect(inputs).toEqual(expect.arrayContaining(['cli/app.js', 'cli/run.js', 'src/run.js', 'src/runtime/bind.js', 'src/abi/index.js']));
    expect(inputs.filter((f) => /^src\/(record|replay|trace|inspect)\//.test(f))).toEqual([]);
  });

  it('runs guests, traps, bad input and --help as the separate modules do', async () => {
    for (const args of [
      ['run', guestPath('hello')],
      ['run', guestPath('trap')],
      ['run', guestPath('exitcode'), '7'],
      ['run', '--env', 'A=1', guestPath('args_env'), 'x', '--help'],
      ['run', join(tmpdir(), 'no-such-module.wasm')],
      ['run', '--bogus', guestPath('hello')],
      ['run', '--help'],
    ]) {
      const ours = await viaBundle(args);
      expect(ours, args.join(' ')).toEqual(await wt(args));
    }
    expect((await viaBundle(['run', guestPath('trap')])).status).toBe(134);
  });

  it('the built CLI runs `run` from it: same output and exit as in process', async () => {
    const args = ['run', guestPath('exitcode'), '3'];
    const r = cli(args);
    expect(r).toEqual(await wt(args));
  });

  it('is not taken once any input changed after it was made, or when it or its manifest is missing', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'wasi-trace-bundle-'));
    const input = join(dir, 'src/a.js');
    const bundle = join(dir, BUNDLE);
    const at = (file: string, ms: number): void => fs.utimesSync(file, new Date(ms), new Date(ms));
    const t0 = Date.now() - 60_000;
    try {
      fs.mkdirSync(join(dir, 'cli'));
      fs.mkdirSync(join(dir, 'src'));
      fs.writeFileSync(input, 'export const a = 1;\n');
      fs.writeFileSync(bundle, '// bundle\n');
      fs.writeFileSync(join(dir, MANIFEST), JSON.stringify({ inputs: [['src/a.js', fs.statSync(input).size]] }));
      at(input, t0);
      at(bundle, t0 + 1000);
      expect(freshBundle(dir)).toBe(true);
      at(input, t0 + 1000); // the same mtime (an npm install gives all files one)
      expect(freshBundle(dir)).toBe(true);
      at(input, t0 + 2000); // rewritten after the bundle (tsc), even with the same size
      expect(freshBundle(dir)).toBe(false);
      fs.writeFileSync(input, 'export const a = 22;\n'); // another size, however old
      at(input, t0);
      expect(freshBundle(dir)).toBe(false);
      fs.writeFileSync(input, 'export const a = 1;\n');
      at(input, t0);
      expect(freshBundle(dir)).toBe(true);
      fs.rmSync(input);
      expect(freshBundle(dir)).toBe(false);
      fs.writeFileSync(input, 'export const a = 1;\n');
      at(input, t0);
      fs.rmSync(bundle);
      expect(freshBundle(dir)).toBe(false);
      fs.writeFileSync(bundle, '// bundle\n');
      expect(freshBundle(dir)).toBe(true);
      fs.rmSync(join(dir, MANIFEST));
      expect(freshBundle(dir)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A dist/ of its own: the given files (relative to it), the entries cli/app.js and cli/run.js among them. */
  function fakeDist(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(join(tmpdir(), 'wasi-trace-bundle-src-'));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(join(dir, name, '..'), { recursive: true });
      fs.writeFileSync(join(dir, name), text);
    }
    return dir;
  }

  it('joins modules with live exports, re-exports, namespace and default imports of builtins, and dynamic imports', async () => {
    const dir = fakeDist({
      'src/counter.js': 'export var Kind;\n(function (Kind) { Kind[Kind["A"] = 1] = "A"; })(Kind || (Kind = {}));\n' +
        'const calls = [];\nexport function bump() { return calls.push(1); }\nexport { calls as count };\nexport class Box { constructor(v) { this.v = v; } }\n',
      'src/index.js': "export * from './counter.js';\nexport { bump as inc } from './counter.js';\nexport const TEN = 10;\n",
      'cli/run.js': "import { inc, count, Box, Kind, TEN } from '../src/index.js';\nimport * as nodePath from 'node:path';\n" +
        "import v8 from 'node:v8';\nexport const runCommand = { go: () => [inc(), inc(), count.length, new Box(TEN).v, Kind.A, nodePath.sep, typeof v8.getHeapStatistics] };\n",
      'cli/other.js': 'export const other = 42;\n',
      'cli/app.js': "export async function main(argv) {\n  const { runCommand } = await import('./run.js');\n" +
        "  const { other } = await import('./other.js');\n  return [...runCommand.go(), other, argv.length];\n}\n",
    });
    try {
      const { modules } = await buildBundle(dir);
      expect(modules).toBe(4); // app, run, index, counter: other.js is only imported dynamically, and stays a file
      expect(freshBundle(dir)).toBe(true);
      const text = fs.readFileSync(join(dir, BUNDLE), 'utf8');
      expect(text.match(/^export .*$/gm)).toEqual([expect.stringMatching(/^export const \{ main \} = __ns\d+;$/)]); // the entry's main only
      const { main } = await import(pathToFileURL(join(dir, BUNDLE)).href) as { main: (argv: string[]) => Promise<unknown[]> };
      expect(await main(['a', 'b'])).toEqual([1, 2, 2, 10, 1, '/', 'function', 42, 2]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what it does not follow: a cycle, export default, exported let and var, import.meta, a computed dynamic import', async () => {
    const base = { 'cli/run.js': "import { x } from '../src/x.js';\nexport const runCommand = x;\n", 'cli/app.js': "import './run.js';\nexport function main() {}\n" };
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'cli/app.js': "import { runCommand } from './run.js';\nexport function main() { return runCommand; }\n",
        'cli/run.js': "import { main } from './app.js';\nexport const runCommand = main;\n" }, /import cycle/],
      [{ ...base, 'cli/app.js': 'export default function main() {}\n' }, /export of a form/],
      [{ ...base, 'cli/app.js': 'export let main = () => 1;\n' }, /export of a form/],
      [{ ...base, 'cli/app.js': 'let n = 0;\nexport function main() { return ++n; }\nexport { n as count };\n' }, /exports count, a let binding/],
      [{ ...base, 'cli/app.js': 'export var main = 1;\nmain = 2;\n' }, /exports main, a var binding that is not an enum/],
      [{ ...base, 'cli/app.js': 'export const main = () => import.meta.url;\n' }, /import\.meta/],
      [{ ...base, 'cli/app.js': 'export const main = (m) => import(m);\n' }, /computed specifier/],
      [base, /import statement of a form/], // a bare `import './run.js'`
    ];
    for (const [files, message] of cases) {
      const dir = fakeDist({ 'src/x.js': 'export const x = 1;\n', ...files });
      try {
        await expect(buildBundle(dir)).rejects.toThrow(message);
        expect(fs.existsSync(join(dir, BUNDLE))).toBe(false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
