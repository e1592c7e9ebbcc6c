// The V8 code caches of the bundles (cli/fresh-bundle.ts): a CommonJS worker bundle's (cjsBundleRunner), used when
// made from the very text it runs and not damaged, and a script's (the command line's bundle and parts: scriptValue),
// used when made from the file as it is and whole; never otherwise, and the bundle runs the same either way. Each runs
// in a process of its own: this one's V8 flags may have been changed by other tests (V8 refuses a code cache made
// under other flags).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLE, bundleOf, codeCacheOf, cjsBundleRunner } from '../../cli/fresh-bundle.js';
import { repoRoot } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

const fresh = pathToFileURL(join(repoRoot, 'dist/cli/fresh-bundle.js')).href;

/**
 * What a worker running `file` with cjsBundleRunner (and `post` after it) posts, up to the first message with a
 * `cache` field, in a fresh process.
 */
function inWorker(file: string, post = ''): unknown[] {
  const script = `import { Worker } from 'node:worker_threads'; import { cjsBundleRunner } from ${JSON.stringify(fresh)};
    const w = new Worker(cjsBundleRunner(${JSON.stringify(file)}) + ${JSON.stringify(post)}, { eval: true }); const seen = [];
    w.on('message', (m) => { seen.push(m); if ('cache' in m) { console.log(JSON.stringify(seen)); w.terminate(); } });
    w.once('error', (e) => { console.log(JSON.stringify([{ error: e.message }])); });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown[];
}
const makeCache = (file: string): void => {
  const r = spawnSync(process.execPath, ['-e', cjsBundleRunner(file, true)], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
};

describe('the code cache of a CommonJS worker bundle', () => {
  it("is made by the build for the guest thread's bundle, and its worker uses it", () => {
    const bundle = join(repoRoot, 'dist', bundleOf('src/record/guest-thread.js'));
    expect(fs.existsSync(codeCacheOf(bundle))).toBe(true);
    // (what came of its code cache, posted once its top level has run; its 'ready' comes once it has loaded)
    const seen = inWorker(bundle, "\nprocess.getBuiltinModule('node:worker_threads').parentPort.postMessage({ cache: globalThis.wasiTraceCodeCache });");
    expect(seen.at(-1)).toEqual({ cache: 'used' });
  });

  it('runs the bundle as a CommonJS module, with the cache made from its text; none from another text, a damaged one or none', () => {
    const dir = tempDir();
    const file = join(dir, 'w.cjs');
    const body = (v: string) => `'use strict';\nconst { parentPort } = require('node:worker_threads');\n` +
      `parentPort.postMessage({ v: '${v}', cache: globalThis.wasiTraceCodeCache, file: __filename, dir: __dirname, exports: module.exports === exports, self: this === module.exports });\n`;
    fs.writeFileSync(file, body('a'));
    expect(inWorker(file)).toEqual([{ v: 'a', cache: 'none', file, dir, exports: true, self: true }]);
    makeCache(file);
    expect(inWorker(file)).toMatchObject([{ v: 'a', cache: 'used' }]);
    fs.writeFileSync(file, body('b')); // the same length: V8's own check would take the cache
    expect(inWorker(file)).toMatchObject([{ v: 'b', cache: 'none' }]);
    makeCache(file);
    const cache = fs.readFileSync(codeCacheOf(file));
    cache[cache.length - 1]! ^= 1;
    fs.writeFileSync(codeCacheOf(file), cache);
    expect(inWorker(file)).toMatchObject([{ v: 'b', cache: 'none' }]);
    fs.rmSync(codeCacheOf(file));
    expect(inWorker(file)).toMatchObject([{ v: 'b', cache: 'none' }]);
  });

  it("is made by the build for the command line's bundle and its parts, and cli/main.js's way of running them uses it", () => {
    for (const file of [BUNDLE, BUNDLE.replace(/\.js$/, '.cli-record.js')]) expect(fs.existsSync(codeCacheOf(join(repoRoot, 'dist', file))), file).toBe(true);
    expect(inProcess(`const b = await runScriptBundle(); console.log(JSON.stringify([typeof b.main, globalThis.wasiTraceCodeCache]));`)).toEqual(['function', 'used']);
  });

  it("takes a script's cache only while the file is as it was made from (its length and modification time) and the cache is whole", () => {
    const dir = tempDir();
    const file = join(dir, 's.js');
    fs.writeFileSync(file, "'use strict';\n[(function () { return 'a'; })(), (function () { return this === undefined; })()]\n");
    const run = () => inProcess(`const v = scriptValue(${JSON.stringify(file)}); console.log(JSON.stringify([v, globalThis.wasiTraceCodeCache]));`);
    expect(run()).toEqual([['a', true], 'none']); // (its value; strict)
    const make = () => inProcess(`makeScriptCaches([${JSON.stringify(file)}]); console.log('[]');`);
    make();
    expect(run()).toEqual([['a', true], 'used']);
    fs.utimesSync(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(run()).toEqual([['a', true], 'none']);
    make();
    const cache = fs.readFileSync(codeCacheOf(file));
    fs.writeFileSync(codeCacheOf(file), cache.subarray(0, cache.length - 1));
    expect(run()).toEqual([['a', true], 'none']);
  });
});

/** What `code` prints as JSON, run as an ES module in a process of its own with fresh-bundle.js's exports in scope. */
function inProcess(code: string): unknown {
  const script = `import { runScriptBundle, scriptValue, makeScriptCaches } from ${JSON.stringify(fresh)};\n${code}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: repoRoot });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}
