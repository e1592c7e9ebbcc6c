// proc_exit, proc_raise, sched_yield.
import { Errno, SIGNAL, WasiError } from '../abi/index.js';
import { ProcExit } from './errors.js';
import type { Family } from './context.js';

/** Signals whose default action is to do nothing (POSIX: CHLD, CONT, URG, WINCH). */
const IGNORED_BY_DEFAULT = new Set(['chld', 'cont', 'urg', 'winch']);

export const procFamily: Family = {
  proc_exit: (_ctx, code: number) => { throw new ProcExit(code >>> 0); },
  /**
   * Raises a signal in the guest, which has no handlers: a signal whose default action terminates ends the run
   * as a shell reports it (exit 128 + signal number); default-ignored signals and NONE return success.
   * EINVAL for a number that is not a preview1 signal.
   */
  proc_raise: (_ctx, sig: number) => {
    const name = SIGNAL.names[sig];
    if (name === undefined) throw new WasiError(Errno.INVAL, `unknown signal ${sig}`);
    if (sig === 0 || IGNORED_BY_DEFAULT.has(name)) return;
    throw new ProcExit(128 + sig, `SIG${name.toUpperCase()}`);
  },
  sched_yield: () => {},
};
