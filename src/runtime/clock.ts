// clock_*: realtime, monotonic, process and thread CPU time, in nanoseconds.
import { ClockId, Errno, WasiError } from '../abi/index.js';
import { realtimeNs } from '../vfs/clock.js';
import { readOnly, type Family, type RuntimeContext } from './context.js';

/** Current value of a clock in ns; EINVAL for an unknown clock id. */
export function now(id: number): bigint {
  switch (id) {
    case ClockId.REALTIME: return realtimeNs();
    case ClockId.MONOTONIC: return process.hrtime.bigint();
    case ClockId.PROCESS_CPUTIME:
    case ClockId.THREAD_CPUTIME: {
      const u = process.cpuUsage();
      return BigInt(u.user + u.system) * 1000n;
    }
    default: throw new WasiError(Errno.INVAL, `unknown clock ${id}`);
  }
}

/** Resolution of a clock in ns; EINVAL for an unknown clock id. */
export function resolution(id: number): bigint {
  switch (id) {
    case ClockId.REALTIME: return 1_000n;
    case ClockId.MONOTONIC: return 1n;
    case ClockId.PROCESS_CPUTIME:
    case ClockId.THREAD_CPUTIME: return 1_000n;
    default: throw new WasiError(Errno.INVAL, `unknown clock ${id}`);
  }
}

/**
 * Clock `id` as the guest sees it now: the host's, moved by the run's chaos (which may make it jump at this read).
 * Every guest-visible reading goes through here; guestOffset gives the same view without a jump.
 */
export function guestNow(ctx: RuntimeContext, id: number): bigint {
  const t = now(id);
  const chaos = ctx.chaos;
  if (chaos === undefined) return t;
  if (id === ClockId.MONOTONIC) return chaos.monotonic(t);
  if (id === ClockId.REALTIME) return chaos.realtime(t);
  return t;
}

/** How far the guest's clock `id` is from the host's (0 without chaos). */
export function guestOffset(ctx: RuntimeContext, id: number): bigint {
  const chaos = ctx.chaos;
  if (chaos === undefined) return 0n;
  return id === ClockId.MONOTONIC ? chaos.clockOffset('monotonic') : id === ClockId.REALTIME ? chaos.clockOffset('realtime') : 0n;
}

const hrtimeBigint = process.hrtime.bigint;

export const clockFamily: Family = {
  clock_res_get: readOnly((_ctx, id: number) => resolution(id)),
  /**
   * The hot path is an unperturbed monotonic read: process.hrtime.bigint(), which the binding stores through the
   * aligned BigUint64Array view. (Measured on the storm guest in separate processes, this is ~15% faster per call
   * than process.hrtime() turned into a number and stored as two u32 halves: that allocates an array and a heap
   * number per call.) The precision is ignored (every clock is read at its best resolution), so a guest calling
   * directly does not even pass it (Bound.unused): no BigInt is made of it.
   */
  clock_time_get: {
    impl: (ctx, id: number, _precision: bigint | undefined) =>
      id === ClockId.MONOTONIC && ctx.chaos === undefined ? hrtimeBigint() : guestNow(ctx, id),
    readOnly: true,
    unused: ['precision'],
  },
};
