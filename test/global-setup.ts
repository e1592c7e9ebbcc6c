// Runs once before the tests: makes sure dist/ (the built CLI and workers, which some tests start) is not older
// than the sources it is built from, building it when it is, and that the bundles are made from that build
// (cli/bundle.ts). After `npm install` (whose prepare script builds) this only checks. tsc emits nothing while a
// type error is left (tsconfig.json's noEmitOnError), so a failed build stays stale and fails every run until fixed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBundle } from '../cli/bundle.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The folders tsconfig.json compiles into dist/. */
const BUILT = ['src', 'cli', 'test/bench'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The first source whose output in dist/ is missing or older than it, if any. */
function staleSource(): string | undefined {
  for (const src of BUILT.flatMap((d) => sources(join(root, d)))) {
    const out = join(root, 'dist', relative(root, src).replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) return relative(root, src);
  }
  return undefined;
}

/**
 * Also points the module cache (src/record/module-cache.ts) of every test, and of every CLI a test starts, at a
 * temporary directory, so that no test writes to the home directory; removed after the run.
 */
export default function setup(): () => void {
  const cache = mkdtempSync(join(tmpdir(), 'wasi-trace-test-cache-'));
  process.env.XDG_CACHE_HOME = cache;
  const teardown = () => rmSync(cache, { recursive: true, force: true });
  const stale = staleSource();
  if (stale !== undefined) {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { cwd: root, encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`dist/ is older than ${stale} and the build failed:\n${tsc.stdout}${tsc.stderr}`);
  }
  if (!freshBundle(join(root, 'dist'))) {
    const bundle = spawnSync(process.execPath, [join(root, 'dist/cli/bundle.js')], { cwd: root, encoding: 'utf8' });
    if (bundle.status !== 0) throw new Error(`the bundles could not be built:\n${bundle.stdout}${bundle.stderr}`);
  }
  return teardown;
}
