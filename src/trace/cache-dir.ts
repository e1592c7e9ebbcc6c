// Where wasi-trace keeps its module cache (record's compressed modules, src/record/module-cache.ts; replay's
// decompressed ones, src/replay/raw-module-cache.ts).
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The cache's directory for `env`: undefined when WASI_TRACE_MODULE_CACHE is `off` or `0`, else
 * `$XDG_CACHE_HOME/wasi-trace/modules`, with `~/.cache` for an XDG_CACHE_HOME that is unset or relative.
 */
export function moduleCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const switchedOff = (env.WASI_TRACE_MODULE_CACHE ?? '').trim().toLowerCase();
  if (switchedOff === 'off' || switchedOff === '0') return undefined;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'wasi-trace', 'modules');
}
