// Where the bundles of dist/ are (cli/bundle.ts makes them), whether they may be taken, and how a CommonJS worker
// bundle runs with its code cache: what cli/main.ts and cli/prewarm.ts need at every start, without the bundler.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as vm from 'node:vm';

/** dist/ (this file is dist/cli/fresh-bundle.js, or cli/fresh-bundle.ts beside dist/ in tests). */
const ABOVE = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.basename(ABOVE) === 'dist' ? ABOVE : path.join(ABOVE, 'dist');

/**
 * Worker scripts whose bundle is a CommonJS file (.cjs; cli/bundle.ts): a worker loads one ~10 ms sooner than an ES
 * module, which needs Node's ES module loader started in the thread (and a facade for each builtin it imports).
 * Record's guest thread, whose boot is the critical path of a short recording.
 */
export const COMMONJS_WORKERS: ReadonlySet<string> = new Set(['src/record/guest-thread.js']);

/**
 * The bundle of `entry` (a module of dist/): cli/<its name>-bundle.js (.cjs for COMMONJS_WORKERS). Every bundle is
 * in cli/, beside main.js.
 */
export const bundleOf = (entry: string): string => `cli/${path.posix.basename(entry, '.js')}-bundle.${COMMONJS_WORKERS.has(entry) ? 'cjs' : 'js'}`;
/** The command line's entry: cli/main.js imports it, or its bundle. */
export const ENTRY = 'cli/app.js';
/** The command line's bundle; it exports main (and bundleState, for tests). */
export const BUNDLE = bundleOf(ENTRY);
/** The bundles' names and every input of them with its size. */
export const MANIFEST = 'cli/bundles.json';

export interface Manifest { readonly bundles: string[]; readonly inputs: [file: string, size: number][] }

/**
 * True when the bundles in `dist` and their manifest exist and every input is as it was when the bundles were made
 * from it: the same size and not modified after the oldest bundle (a later tsc run rewrites them all; an npm install
 * gives every file the same mtime). What cli/main.ts checks before it takes the bundles: one stat per input.
 */
export function freshBundle(dist: string = DIST): boolean {
  const at = dist.endsWith(path.sep) ? dist : dist + path.sep; // joined by hand: path.join costs more than the stat
  try {
    const manifest = JSON.parse(fs.readFileSync(at + MANIFEST, 'utf8')) as Manifest;
    if (!manifest.bundles.includes(BUNDLE)) return false;
    const built = Math.min(...manifest.bundles.map((b) => fs.statSync(at + b).mtimeMs));
    return manifest.inputs.every(([file, size]) => {
      const s = fs.statSync(at + file, { throwIfNoEntry: false });
      return s !== undefined && s.size === size && s.mtimeMs <= built;
    });
  } catch {
    return false;
  }
}

/** The V8 code cache of a bundle file, beside it: cli/bundle.ts makes them (cjsBundleRunner, makeScriptCaches). */
export const codeCacheOf = (bundle: string): string => `${bundle}${CODE_CACHE}`;
const CODE_CACHE = '.v8cache';

/**
 * The source (CommonJS) of a thread or process that runs the CommonJS bundle at `file` as Node's loader would (the
 * same wrapper function, this, require, module, __filename, __dirname), compiled with its code cache (codeCacheOf)
 * when that was made from this very text and V8 takes it (the same V8 and flags): the guest thread's 240 KB compile
 * in ~3 ms instead of ~15, on the critical path of a short recording.
 * `make`: writes the code cache instead of running the bundle, from a process whose V8 flags are Node's defaults, as
 * a worker's are when it boots. The cache file holds the sha256 of the text, the sha256 of V8's data (which V8 itself
 * does not check in a release build), then the data. `globalThis.wasiTraceCodeCache` says what came of it, for the
 * tests: 'used', 'rejected' (by V8: another V8 or other flags), 'none' (missing, damaged, or made from another text).
 */
export function cjsBundleRunner(file: string, make = false): string {
  return runnerSource(JSON.stringify(file), make);
}

/** A CommonJS bundle's runner file (a worker starts on it: cli/main.ts), beside the bundle: `<bundle>.runner.cjs`. */
export const runnerOf = (bundle: string): string => bundle.replace(/\.cjs$/, '.runner.cjs');

/** The text of the runner file of the CommonJS bundle named `name` (cjsBundleRunner's, the bundle beside it). */
export const cjsBundleRunnerFile = (name: string): string => runnerSource(`need('node:path').join(__dirname, ${JSON.stringify(name)})`, false);

/** cjsBundleRunner's source, with the bundle's path given as the JavaScript expression `file`. */
function runnerSource(file: string, make: boolean): string {
  return `'use strict';
// (process.getBuiltinModule works in a CommonJS script and an ES module one alike; require, before Node 20.16)
const need = typeof process.getBuiltinModule === 'function' ? (m) => process.getBuiltinModule(m) : require;
const fs = need('node:fs'), vm = need('node:vm'), path = need('node:path');
const file = ${file}, cacheFile = file + ${JSON.stringify(CODE_CACHE)};
const text = fs.readFileSync(file, 'utf8');
const sha256 = (b) => need('node:crypto').createHash('sha256').update(b).digest();
const digest = sha256(text);
const source = '(function (exports, require, module, __filename, __dirname) {' + text + '\\n})';
if (${make}) {
  const tmp = cacheFile + '.' + process.pid + '.tmp';
  const data = new vm.Script(source, { filename: file }).createCachedData();
  fs.writeFileSync(tmp, Buffer.concat([digest, sha256(data), data]));
  fs.renameSync(tmp, cacheFile);
} else {
  let cachedData;
  try {
    const c = fs.readFileSync(cacheFile);
    if (c.length > 64 && digest.equals(c.subarray(0, 32)) && sha256(c.subarray(64)).equals(c.subarray(32, 64))) cachedData = c.subarray(64);
  } catch {}
  const script = new vm.Script(source, { filename: file, cachedData });
  globalThis.wasiTraceCodeCache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, need('node:module').createRequire(file), module, file, path.dirname(file));
}
`;
}

/** What the command line's bundle (a script: cli/bundle.ts) gives once it has run. */
export interface ScriptBundle { main: typeof import('./app.js').main; bundleState: () => { ran: string[]; loaded: string[] } }

/**
 * Runs the command line's bundle at `file` (default: dist's) and resolves to its exports. The bundle and its parts are
 * scripts rather than ES modules so that V8 compiles them from their code caches (makeScriptCaches), which Node 20
 * cannot do for an ES module: app-bundle.js in ~2 ms instead of ~12, record's and replay's parts in ~1.5 instead of
 * ~8. The bundle's value is a function of its URL, import() and a part's loader; a part's, its module bodies.
 */
export function runScriptBundle(file: string = path.join(DIST, BUNDLE)): Promise<ScriptBundle> {
  const run = scriptValue(file) as (url: string, dynamicImport: (spec: string) => Promise<unknown>, loadPart: (url: string) => Promise<unknown>) => Promise<ScriptBundle>;
  return run(pathToFileURL(file).href, (spec) => import(spec), async (url) => scriptValue(fileURLToPath(url)));
}

/** A code cache file's head: magic, the script's length, its file's modification time, the length of V8's data. */
const SCRIPT_CACHE_MAGIC = 0x31435457; // "WTC1"
const SCRIPT_CACHE_HEAD = 20;

/**
 * The value of the script at `file`, compiled with its code cache (codeCacheOf) when that was made from the file as
 * it is (its length and modification time, as freshBundle judges inputs), is whole, and V8 takes it (the same V8 and
 * flags). V8 does not check the data itself in a release build: a cache damaged but whole is trusted as the bundle
 * beside it is (a checksum of its ~200 KB would cost a third of what the cache saves). `globalThis.wasiTraceCodeCache`
 * says what came of the last one, for the tests: 'used', 'rejected' (by V8) or 'none'.
 */
export function scriptValue(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    const c = fs.readFileSync(codeCacheOf(file));
    if (c.length > SCRIPT_CACHE_HEAD && c.readUInt32LE(0) === SCRIPT_CACHE_MAGIC && c.readUInt32LE(4) === text.length &&
      c.readDoubleLE(8) === fs.statSync(file).mtimeMs && c.readUInt32LE(16) === c.length - SCRIPT_CACHE_HEAD) {
      cachedData = c.subarray(SCRIPT_CACHE_HEAD);
    }
  } catch { /* no cache: compiled from the text */ }
  const script = new vm.Script(text, { filename: file, ...(cachedData && { cachedData }) });
  (globalThis as { wasiTraceCodeCache?: string }).wasiTraceCodeCache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  return script.runInThisContext();
}

/** Writes the code cache of each script in `files` (see scriptValue); run by a process with Node's default V8 flags. */
export function makeScriptCaches(files: readonly string[]): void {
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const data = new vm.Script(text, { filename: file }).createCachedData();
    const head = Buffer.alloc(SCRIPT_CACHE_HEAD);
    head.writeUInt32LE(SCRIPT_CACHE_MAGIC, 0);
    head.writeUInt32LE(text.length, 4);
    head.writeDoubleLE(fs.statSync(file).mtimeMs, 8);
    head.writeUInt32LE(data.length, 16);
    const tmp = `${codeCacheOf(file)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.concat([head, data]));
    fs.renameSync(tmp, codeCacheOf(file));
  }
}
