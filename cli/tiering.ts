// Which tier a command line's guest is compiled for (src/engine.ts): the one rule, which cli/app.ts applies and
// cli/prewarm.ts follows for the module `record` compiles before its command line loads.
import type { Tiering } from '../src/engine.js';

/**
 * The tier for a command line, given its words up to the module path: V8's usual tiers with --optimize, and under
 * --runtime node (node:wasi leaves the guest by an exception on proc_exit, and V8 has crashed unwinding it out of
 * baseline-only code: issue 12); the baseline tier otherwise.
 */
export function tieringOf(words: readonly string[]): Tiering {
  const nodeRuntime = words.some((a, i) => a === '--runtime=node' || (a === '--runtime' && words[i + 1] === 'node'));
  return words.includes('--optimize') || nodeRuntime ? 'optimizing' : 'baseline';
}
