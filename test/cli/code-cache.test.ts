// The V8 code caches of the bundles (cli/fresh-bundle.ts): a CommonJS worker bundle's (cjsBundleRunner), used when
// made from the very text it runs and not damaged, and a script's (the command line's bundle and parts: scriptValue),
// used when made from the file as it is and whole; never otherwise, and the bundle runs the same either way. Each
// sequence runs in a process of its own: this one's V8 flags may have been changed by other tests (V8 refuses a code
// cache made under other flags).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLE, bundleOf, cjsBundleRunnerFile, codeCacheOf, runnerOf } from '../../cli/fresh-bundle.js';
import { repoRoot } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

const fresh = pathToFileURL(join(repoRoot, 'dist/cli/fresh-bundle.js')).href;

/**
 * What `code` prints as JSON, run as an ES module in a process of its own, with fresh-bundle.js's exports, node:fs as
 * `fs`, and `inWorker(file, post)`: what a worker running `file` with cjsBundleRunner (and `post` after it) posts, up to
 * the first message with a `cache` field.
 */
function inProcess(code: string): unknown {
  const script = `import { cjsBundleRunner, makeScriptCaches, runScriptBundle, scriptValue } from ${JSON.stringify(fresh)};
import * as fs from 'node:fs'; import * as vm from 'node:vm'; import { Worker } from 'node:worker_threads';
const inWorker = (file, post = '') => new Promise((resolve) => {
  const w = new Worker(cjsBundleRunner(file) + post, { eval: true }); const seen = [];
  w.on('message', (m) => { seen.push(m); if ('cache' in m) { resolve(seen); void w.terminate(); } });
  w.once('error', (e) => resolve([{ error: e.message }]));
});
const makeCjsCache = (file) => vm.runInThisContext('(function () {' + cjsBundleRunner(file, true) + '\\n})()'); // (its names in a scope of their own)
${code}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: repoRoot });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('the code cache of a CommonJS worker bundle', () => {
  it("is made by the build for the guest thread's bundle, and its worker uses it", () => {
    const bundle = join(repoRoot, 'dist', bundleOf('src/record/guest-thread.js'));
    expect(fs.existsSync(codeCacheOf(bundle))).toBe(true);
    // (what came of its code cache, posted once its top level has run; its 'ready' comes once it has loaded)
    const post = "\nprocess.getBuiltinModule('node:worker_threads').parentPort.postMessage({ cache: globalThis.wasiTraceCodeCache });";
    const seen = inProcess(`console.log(JSON.stringify(await inWorker(${JSON.stringify(bundle)}, ${JSON.stringify(post)})));`) as unknown[];
    expect(seen.at(-1)).toEqual({ cache: 'used' });
  });

  it('runs the bundle as a CommonJS module, with the cache made from its text; none from another text, a damaged one or none', () => {
    const file = join(tempDir(), 'w.cjs');
    const body = (v: string) => `'use strict';\nconst { parentPort } = require('node:worker_threads');\n` +
      `parentPort.postMessage({ v: '${v}', cache: globalThis.wasiTraceCodeCache, file: __filename, dir: __dirname, exports: module.exports === exports, self: this === module.exports });\n`;
    const seen = inProcess(`const file = ${JSON.stringify(file)}; const out = [];
      fs.writeFileSync(file, ${JSON.stringify(body('a'))}); out.push(await inWorker(file));
      makeCjsCache(file); out.push(await inWorker(file));
      fs.writeFileSync(file, ${JSON.stringify(body('b'))}); out.push(await inWorker(file)); // the same length: V8 would take the cache
      makeCjsCache(file); const c = fs.readFileSync(file + '.v8cache'); c[c.length - 1] ^= 1; fs.writeFileSync(file + '.v8cache', c);
      out.push(await inWorker(file));
      fs.rmSync(file + '.v8cache'); out.push(await inWorker(file));
      console.log(JSON.stringify(out.map((m) => m[0])));`);
    const dir = join(file, '..');
    expect(seen).toEqual([
      { v: 'a', cache: 'none', file, dir, exports: true, self: true },
      { v: 'a', cache: 'used', file, dir, exports: true, self: true },
      { v: 'b', cache: 'none', file, dir, exports: true, self: true },
      { v: 'b', cache: 'none', file, dir, exports: true, self: true },
      { v: 'b', cache: 'none', file, dir, exports: true, self: true },
    ]);
    expect(codeCacheOf(file)).toBe(`${file}.v8cache`);
  });

  it("has a runner file beside it that runs it as cjsBundleRunner does, which the build writes where cli/main.js starts the guest thread", () => {
    const guestThread = join(repoRoot, 'dist', bundleOf('src/record/guest-thread.js'));
    expect(runnerOf(guestThread)).toBe(join(repoRoot, 'dist/cli/guest-thread-bundle.runner.cjs')); // (main.ts names it)
    expect(fs.readFileSync(runnerOf(guestThread), 'utf8')).toBe(cjsBundleRunnerFile('guest-thread-bundle.cjs'));
    const dir = tempDir();
    const file = join(dir, 'w.cjs');
    fs.writeFileSync(file, "require('node:worker_threads').parentPort.postMessage({ cache: globalThis.wasiTraceCodeCache, file: __filename });\n");
    fs.writeFileSync(runnerOf(file), cjsBundleRunnerFile('w.cjs'));
    const seen = inProcess(`makeCjsCache(${JSON.stringify(file)});
      const w = new Worker(${JSON.stringify(runnerOf(file))}); w.once('message', (m) => { console.log(JSON.stringify(m)); void w.terminate(); });`);
    expect(seen).toEqual({ cache: 'used', file });
  });

  it("is made by the build for the command line's bundle and its parts, and cli/main.js's way of running them uses it", () => {
    for (const file of [BUNDLE, BUNDLE.replace(/\.js$/, '.cli-record.js')]) expect(fs.existsSync(codeCacheOf(join(repoRoot, 'dist', file))), file).toBe(true);
    expect(inProcess(`const b = await runScriptBundle(); console.log(JSON.stringify([typeof b.main, globalThis.wasiTraceCodeCache]));`)).toEqual(['function', 'used']);
  });

  it("takes a script's cache only while the file is as it was made from (its length and modification time) and the cache is whole", () => {
    const file = join(tempDir(), 's.js');
    fs.writeFileSync(file, "'use strict';\n[(function () { return 'a'; })(), (function () { return this === undefined; })()]\n");
    const seen = inProcess(`const file = ${JSON.stringify(file)};
      const run = () => [scriptValue(file), globalThis.wasiTraceCodeCache]; const out = [run()];
      makeScriptCaches([file]); out.push(run());
      fs.utimesSync(file, new Date(2001, 1, 1), new Date(2001, 1, 1)); out.push(run());
      makeScriptCaches([file]); const c = fs.readFileSync(file + '.v8cache'); fs.writeFileSync(file + '.v8cache', c.subarray(0, c.length - 1));
      out.push(run());
      console.log(JSON.stringify(out));`);
    // (its value: strict) none; made: used; touched since: none; cut: none
    expect(seen).toEqual([[['a', true], 'none'], [['a', true], 'used'], [['a', true], 'none'], [['a', true], 'none']]);
  });
});
