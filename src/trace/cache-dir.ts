// Where wasi-trace keeps its module cache (record's compressed modules, src/record/module-cache.ts; replay's
// decompressed ones, src/replay/raw-module-cache.ts).
import { isAbsolute, join } from 'node:path';

/**
 * The cache's directory for `env`: undefined when WASI_TRACE_MODULE_CACHE is `off` or `0`, else
 * `$XDG_CACHE_HOME/wasi-trace/modules`, with `~/.cache` for an XDG_CACHE_HOME that is unset or relative.
 */
export function moduleCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const switchedOff = (env.WASI_TRACE_MODULE_CACHE ?? '').trim().toLowerCase();
  if (switchedOff === 'off' || switchedOff === '0') return undefined;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'wasi-trace', 'modules');
  // node:os only without a HOME (it costs a replay's start ~1–3 ms to load); no cache then on a Node before 20.16.
  const home = env.HOME || (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:os').homedir() : undefined);
  return home ? join(home, '.cache', 'wasi-trace', 'modules') : undefined;
}
