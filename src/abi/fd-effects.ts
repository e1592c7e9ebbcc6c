// How a successful preview1 call changes which fd numbers are open — the one place that knows it. The
// replayer (following the guest's stdout/stderr) and the dump (the path behind each fd) both follow fds with it.
import { FUNCTIONS_BY_NAME, wasmParams } from './functions.js';

export type FdEffect =
  /**
   * A new fd: path_open's (via = the directory fd, `path` = the param naming the file) or sock_accept's
   * (via = the listening socket, no path).
   */
  | { kind: 'opened'; fd: number; via: number; path?: string }
  | { kind: 'closed'; fd: number }
  /** fd_renumber: `from` now lives at `to` (what `to` held is closed). from === to changes nothing. */
  | { kind: 'moved'; from: number; to: number };

const at = (fn: string, param: string): number => wasmParams(FUNCTIONS_BY_NAME.get(fn)!).findIndex((p) => p.name === param);
const OPENERS: Record<string, { out: number; via: number; path?: string }> = {
  path_open: { out: at('path_open', 'opened_fd'), via: at('path_open', 'fd'), path: 'path' },
  sock_accept: { out: at('sock_accept', 'ro_fd'), via: at('sock_accept', 'fd') },
};
const CLOSE_FD = at('fd_close', 'fd');
const RENUMBER = { from: at('fd_renumber', 'fd'), to: at('fd_renumber', 'to') };

/**
 * The fd effect of preview1 function `name` called with wasm `args`, assuming it succeeded; undefined for
 * calls without one. `outU32` reads the u32 the call wrote at a guest address (undefined if unknown).
 */
export function fdEffect(name: string, args: ArrayLike<unknown>, outU32: (addr: number) => number | undefined): FdEffect | undefined {
  const opener = OPENERS[name];
  if (opener) {
    const fd = outU32(Number(args[opener.out]) >>> 0);
    if (fd === undefined) return undefined;
    const via = Number(args[opener.via]);
    return opener.path ? { kind: 'opened', fd, via, path: opener.path } : { kind: 'opened', fd, via };
  }
  if (name === 'fd_close') return { kind: 'closed', fd: Number(args[CLOSE_FD]) };
  if (name === 'fd_renumber') return { kind: 'moved', from: Number(args[RENUMBER.from]), to: Number(args[RENUMBER.to]) };
  return undefined;
}

/** fd_write, the call whose data the replayer re-emits for stdout/stderr: its schema index and wasm arg positions. */
export const FD_WRITE = { index: FUNCTIONS_BY_NAME.get('fd_write')!.index, fd: at('fd_write', 'fd'), nwritten: at('fd_write', 'nwritten') } as const;
/** proc_exit, the call that ends the run: its schema index and the wasm arg position of the exit code. */
export const PROC_EXIT = { index: FUNCTIONS_BY_NAME.get('proc_exit')!.index, rval: at('proc_exit', 'rval') } as const;

/** The preview1 functions that may change which fds are open (those fdEffect gives an effect for). */
export const FD_EFFECT_FUNCTIONS: ReadonlySet<string> = new Set([...Object.keys(OPENERS), 'fd_close', 'fd_renumber']);
