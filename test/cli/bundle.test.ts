// The bundles of dist/ (cli/bundle.ts): dist/cli/app-bundle.js (every command line) with its parts, and one bundle per
// worker script. Command lines run through them as through the separate modules; a module runs once, lazily, so a
// dynamic import gives the one namespace a static import gives; cli/main.ts takes them only while every module they
// were made from is unchanged.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { buildBundle, BUNDLE, bundleOf, freshBundle, MANIFEST } from '../../cli/bundle.js';
import { runScriptBundle, type ScriptBundle } from '../../cli/fresh-bundle.js';
import { setTiering, engineFingerprint } from '../../src/engine.js';
import { cli, guestPath, repoRoot, wt, type CliResult } from '../helpers.js';

const dist = join(repoRoot, 'dist');
const PART = BUNDLE.replace(/\.js$/, '.cli-dump.js');

type Bundle = ScriptBundle;
/** The command line's bundle, run as cli/main.js runs it; `fresh` gives a copy of its own (its modules not run yet). */
let shared: Promise<Bundle> | undefined;
const bundle = (fresh = false): Promise<Bundle> => (fresh ? runScriptBundle(join(dist, BUNDLE)) : shared ??= runScriptBundle(join(dist, BUNDLE)));
/** The exports of the command line's bundle in `dir`, run afresh. */
const bundleIn = <T>(dir: string): Promise<T> => runScriptBundle(join(dir, BUNDLE)) as Promise<unknown> as Promise<T>;

/** A command line through the bundle's main(), in this process, with its output captured. */
async function viaBundle(args: string[], b?: Bundle): Promise<CliResult> {
  const { main } = b ?? await bundle();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const tiering = engineFingerprint().tiering;
  try {
    const status = await main(args, { stdout: (x) => out.push(Buffer.from(x)), stderr: (x) => err.push(Buffer.from(x)), stdin: new Uint8Array(0) });
    return { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  } finally {
    setTiering(tiering);
  }
}

/** A result with its durations ("in 1.0 s", "(0.3 s)") and these trace paths made equal. */
const same = (r: CliResult, ...paths: string[]): CliResult => {
  const clean = (t: string) => paths.reduce((x, p) => x.split(p).join('TRACE'), t).replace(/\d+(\.\d+)? s\b/g, 'N s');
  return { status: r.status, stdout: clean(r.stdout), stderr: clean(r.stderr) };
};

const work = (): string => fs.mkdtempSync(join(tmpdir(), 'wasi-trace-bundle-cmd-'));

describe('the bundles', () => {
  it('are fresh after the build; the manifest names every bundle file (worker bundles, parts) and every input', () => {
    expect(freshBundle(dist)).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(join(dist, MANIFEST), 'utf8')) as { bundles: string[]; inputs: [string, number][] };
    for (const file of manifest.bundles) expect(fs.existsSync(join(dist, file)), file).toBe(true);
    expect(manifest.bundles).toEqual(expect.arrayContaining([BUNDLE, PART, bundleOf('src/record/guest-thread.js'), bundleOf('src/replay/prefetch-worker.js')]));
    const inputs = manifest.inputs.map((i) => i[0]);
    expect(inputs).toEqual(expect.arrayContaining(['cli/app.js', 'cli/run.js', 'cli/record.js', 'cli/replay.js', 'cli/dump.js', 'src/record/guest-thread.js',
      'src/replay/prefetch-worker.js', 'src/inspect/dump.js', 'src/trace/reader.js']));
    // What cli/main.js loads itself, before the bundle, stays outside it: one copy of prewarm's workers.
    expect(inputs.filter((f) => ['cli/main.js', 'cli/prewarm.js', 'cli/fresh-bundle.js', 'cli/bundle.js'].includes(f))).toEqual([]);
  });

  it('run command lines as the separate modules do: run, record, replay, dump, info, until-fail and bad input', async () => {
    for (const args of [
      ['run', guestPath('hello')],
      ['run', guestPath('trap')],
      ['run', guestPath('exitcode'), '7'],
      ['run', '--env', 'A=1', guestPath('args_env'), 'x', '--help'],
      ['run', join(tmpdir(), 'no-such-module.wasm')],
      ['run', '--bogus', guestPath('hello')],
      ['run', '--runtime', 'node', guestPath('hello')],
      ['run', '--help'],
      ['dump', join(repoRoot, 'traces/hello-v2.bin')],
      ['info', join(repoRoot, 'traces/hello-v1.bin')],
      ['dump', '--calls', 'fd_write', join(repoRoot, 'traces/clock_random-v1.bin')],
      ['replay', join(repoRoot, 'traces/hello-v2.bin')],
      ['replay', join(tmpdir(), 'no-such-trace.bin')],
      ['dump', guestPath('hello')], // not a trace
      ['info'],
      ['frobnicate'],
      ['--help'],
      ['--version'],
    ]) {
      expect(await viaBundle(args), args.join(' ')).toEqual(await wt(args));
    }
    const dir = work();
    try {
      const [ours, theirs] = [join(dir, 'ours.bin'), join(dir, 'theirs.bin')];
      for (const args of [(o: string) => ['record', '-o', o, guestPath('hello')],
        (o: string) => ['record', '--until-fail', '--runs', '3', '--jobs', '1', '-o', o, guestPath('exitcode'), '5']]) {
        expect(same(await viaBundle(args(ours)), ours), args('').join(' ')).toEqual(same(await wt(args(theirs)), theirs));
        expect(await viaBundle(['replay', ours])).toEqual(await wt(['replay', theirs]));
      }
      expect((await viaBundle(['replay', ours])).status).toBe(5); // the failing run of the hunt
      expect(same(await viaBundle(['dump', ours]), ours)).toEqual(same(await wt(['dump', theirs]), theirs));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the built CLI records and replays through them (its workers from their bundles): same output and exit as in process', async () => {
    const dir = work();
    try {
      const [ours, theirs] = [join(dir, 'ours.bin'), join(dir, 'theirs.bin')];
      expect(same(cli(['record', '-o', ours, guestPath('exitcode'), '3']), ours)).toEqual(same(await wt(['record', '-o', theirs, guestPath('exitcode'), '3']), theirs));
      expect(cli(['replay', ours])).toEqual(await wt(['replay', theirs]));
      expect(cli(['replay', ours]).status).toBe(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run only the modules a command line needs: `run` no recorder, trace or inspector and no yargs; dump its own', async () => {
    const b = await bundle(true);
    expect(b.bundleState().ran).toEqual(expect.arrayContaining(['cli/app.js']));
    expect(b.bundleState().ran).not.toContain('cli/run.js');
    expect((await viaBundle(['run', guestPath('hello')], b)).status).toBe(0);
    const afterRun = b.bundleState();
    expect(afterRun.ran).toEqual(expect.arrayContaining(['cli/run.js', 'src/run.js', 'src/runtime/bind.js']));
    expect(afterRun.ran.filter((f) => /^src\/(record|replay|trace|inspect)\/|^cli\/(record|replay|dump|info|stats|diff|export|mem)\.js$/.test(f))).toEqual([]);
    expect(afterRun.loaded.filter((s) => !s.startsWith('node:'))).toEqual([]); // no yargs, no msgpackr
    expect((await viaBundle(['dump', join(repoRoot, 'traces/hello-v2.bin')], b)).status).toBe(0);
    const afterDump = b.bundleState();
    expect(afterDump.ran).toEqual(expect.arrayContaining(['cli/dump.js', 'src/inspect/dump.js', 'src/trace/reader.js', 'src/trace/zstd.js']));
    expect(afterDump.ran.filter((f) => /^src\/(record|replay)\/|^cli\/(record|replay|info|stats|diff|export|mem)\.js$/.test(f))).toEqual([]);
    expect(afterDump.loaded).toContain('yargs'); // dump is parsed by yargs
    expect(afterDump.loaded).not.toContain('msgpackr/pack'); // a trace's header and footer are plain (plain-unpack.ts)
  });
  it('are not taken once any input changed after they were made, or when one of them or the manifest is missing', () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'wasi-trace-bundle-'));
    const input = join(dir, 'src/a.js');
    const bundle = join(dir, BUNDLE);
    const part = join(dir, PART);
    const at = (file: string, ms: number): void => fs.utimesSync(file, new Date(ms), new Date(ms));
    const t0 = Date.now() - 60_000;
    try {
      fs.mkdirSync(join(dir, 'cli'));
      fs.mkdirSync(join(dir, 'src'));
      fs.writeFileSync(input, 'export const a = 1;\n');
      fs.writeFileSync(bundle, '// bundle\n');
      fs.writeFileSync(join(dir, MANIFEST), JSON.stringify({ bundles: [BUNDLE, PART], inputs: [['src/a.js', fs.statSync(input).size]] }));
      fs.writeFileSync(part, '// part\n');
      at(part, t0 + 1000);
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
      at(bundle, t0 + 1000);
      at(part, t0 - 1000); // every bundle file counts: a part older than an input
      expect(freshBundle(dir)).toBe(false);
      fs.rmSync(part);
      expect(freshBundle(dir)).toBe(false);
      fs.writeFileSync(part, '// part\n');
      expect(freshBundle(dir)).toBe(true);
      fs.rmSync(join(dir, MANIFEST));
      expect(freshBundle(dir)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A dist/ of its own: the given files (relative to it), the entry cli/app.js among them. */
  function fakeDist(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(join(tmpdir(), 'wasi-trace-bundle-src-'));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(join(dir, name, '..'), { recursive: true });
      fs.writeFileSync(join(dir, name), text);
    }
    return dir;
  }
  const fileList = (dir: string): string[] => fs.readdirSync(join(dir, 'cli')).sort();

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
      const { bundles } = await buildBundle(dir);
      // The entry and `run` (with what it imports) in the bundle; what each other dynamic import needs in a part.
      expect(bundles.map((b) => [b.file, b.modules])).toEqual([[BUNDLE, 4], [BUNDLE.replace(/\.js$/, '.cli-other.js'), 1]]);
      expect(freshBundle(dir)).toBe(true);
      const text = fs.readFileSync(join(dir, BUNDLE), 'utf8');
      // A script (whose value gives the exports) rather than an ES module, as is its part.
      expect(text.startsWith("'use strict';\n(async function (__bundle_url, __dynamicImport, __loadPart) {\n")).toBe(true);
      expect(text.match(/^export .*$/gm)).toBeNull();
      expect(text).toContain('return { main: __entry.main, bundleState };\n})');
      expect(fs.readFileSync(join(dir, BUNDLE.replace(/\.js$/, '.cli-other.js')), 'utf8')).toMatch(/^\/\/ Generated .*\n'use strict';\n\[\n/);
      const { main } = await bundleIn<{ main: (argv: string[]) => Promise<unknown[]> }>(dir);
      expect(await main(['a', 'b'])).toEqual([1, 2, 2, 10, 1, '/', 'function', 42, 2]);
      expect(fileList(dir).filter((f) => f.includes('.tmp'))).toEqual([]); // no temporary file left
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs each module once, on first need: a dynamic import gives the same namespace (and classes) as a static one', async () => {
    const dir = fakeDist({
      'src/errors.js': 'globalThis.__bundleTestRuns = (globalThis.__bundleTestRuns ?? 0) + 1;\nexport class UserError extends Error {}\n',
      'src/fail.js': "import { UserError } from './errors.js';\nexport function fail() { throw new UserError('no'); }\n",
      'cli/app.js': "import * as errors from '../src/errors.js';\nexport async function main() {\n" +
        "  const runs = globalThis.__bundleTestRuns;\n  const dynamic = await import('../src/errors.js');\n  const { fail } = await import('../src/fail.js');\n" +
        "  let caught;\n  try { fail(); } catch (e) { caught = e; }\n" +
        "  return { runs, same: dynamic === errors, again: (await import('../src/errors.js')) === errors, instance: caught instanceof errors.UserError, after: globalThis.__bundleTestRuns };\n}\n",
    });
    try {
      await buildBundle(dir);
      const before = (globalThis as { __bundleTestRuns?: number }).__bundleTestRuns ?? 0;
      const { main } = await bundleIn<{ main: () => Promise<Record<string, unknown>> }>(dir);
      expect(await main()).toEqual({ runs: before + 1, same: true, again: true, instance: true, after: before + 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives import.meta.url of the module's own file, and starts a worker of workerUrl() from that worker's bundle", async () => {
    const dir = fakeDist({
      'src/worker-url.js': 'export function workerUrl(relative, base) { return new URL(relative, base); }\n',
      'src/answer.js': 'export const answer = 42;\n',
      'src/w.js': "import { parentPort } from 'node:worker_threads';\nimport { answer } from './answer.js';\nparentPort.postMessage({ answer, url: import.meta.url });\n",
      'src/start.js': "import { workerUrl } from './worker-url.js';\nexport const url = workerUrl('./w.js', import.meta.url);\nexport const own = import.meta.url;\n",
      'cli/app.js': "import { url, own } from '../src/start.js';\nexport function main() { return { url: url.href, own }; }\n",
    });
    try {
      const { bundles } = await buildBundle(dir);
      expect(bundles.map((b) => b.file)).toEqual([BUNDLE, bundleOf('src/w.js')]);
      const { main } = await bundleIn<{ main: () => { url: string; own: string } }>(dir);
      const { url, own } = main();
      expect(own).toBe(pathToFileURL(join(dir, 'src/start.js')).href);
      expect(url).toBe(pathToFileURL(join(dir, bundleOf('src/w.js'))).href);
      const worker = new Worker(new URL(url));
      const message = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
      await worker.terminate();
      expect(message).toEqual({ answer: 42, url: pathToFileURL(join(dir, 'src/w.js')).href });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops comments and writes ASCII, keeping what the code means (regular expressions, strings, templates, semicolons)', async () => {
    const dir = fakeDist({
      'cli/app.js': "// a comment naming import.meta and import('./nowhere.js'), which are not read\n/**\n * A doc comment.\n */\n" +
        'export function main() {\n    const re = /\\/\\/ not a comment/; // trailing comment\n' +
        "    const s = '/* not a comment */ \u2014 \u00fcn\u00efcode \u{1F600}';\n    const t = `// nor this ${1 + /* inline */ 1}`;\n" +
        '    const f = () => { return /*\n    */ 42; };\n' +
        "    return [re.test('// not a comment'), s, t, f(), 'x' /* a */ + /* b */ 'y'];\n}\n",
    });
    try {
      await buildBundle(dir);
      const text = fs.readFileSync(join(dir, BUNDLE), 'utf8');
      expect(text).not.toMatch(/nowhere|doc comment|trailing comment|inline|\/\* [ab] \*\//);
      expect(text).not.toMatch(/[^\x00-\x7f]/);
      const { main } = await bundleIn<{ main: () => unknown[] }>(dir);
      expect(main()).toEqual([true, '/* not a comment */ \u2014 \u00fcn\u00efcode \u{1F600}', '// nor this 2', undefined, 'xy']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what it does not follow: a cycle, export default, exported let and var, import.meta, a computed dynamic import', async () => {
    const base = { 'cli/run.js': "import { x } from '../src/x.js';\nexport const runCommand = x;\n", 'cli/app.js': "import { runCommand } from './run.js';\nexport function main() { return runCommand; }\n" };
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'cli/app.js': "import { runCommand } from './run.js';\nexport function main() { return runCommand; }\n",
        'cli/run.js': "import { main } from './app.js';\nexport const runCommand = main;\n" }, /import cycle/],
      [{ ...base, 'cli/app.js': 'export default function main() {}\n' }, /export of a form/],
      [{ ...base, 'cli/app.js': 'export let main = () => 1;\n' }, /export of a form/],
      [{ ...base, 'cli/app.js': 'let n = 0;\nexport function main() { return ++n; }\nexport { n as count };\n' }, /exports count, a let binding/],
      [{ ...base, 'cli/app.js': 'export var main = 1;\nmain = 2;\n' }, /exports main, a var binding that is not an enum/],
      [{ ...base, 'cli/app.js': "export const main = () => import.meta.resolve('./x.js');\n" }, /import\.meta other than import\.meta\.url/],
      [{ ...base, 'cli/app.js': 'export const main = (m) => import(m);\n' }, /computed specifier/],
      [{ ...base, 'cli/app.js': "import './run.js';\nexport function main() {}\n" }, /import statement of a form/], // a bare import
      [{ ...base, 'cli/app.js': "const x = await import('./run.js');\nexport function main() { return x; }\n" }, /top-level await/],
      [{ ...base, 'src/worker-url.js': 'export function workerUrl(r, b) { return new URL(r, b); }\n',
        'cli/app.js': "import { workerUrl } from '../src/worker-url.js';\nexport const main = (w) => workerUrl(w, import.meta.url);\n" }, /workerUrl\(\) with other than a string/],
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
