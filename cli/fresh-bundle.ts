// Where the bundles of dist/ are (cli/bundle.ts makes them) and whether they may be taken: what cli/main.ts and
// cli/prewarm.ts need at every start, without loading the bundler.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

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
