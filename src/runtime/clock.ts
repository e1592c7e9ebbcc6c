// clock_*: realtime, monotonic, process and thread CPU time, in nanoseconds.
import { ClockId, Errno, WasiError } from '../abi/index.js';
import { realtimeNs } from '../vfs/clock.js';
import { readOnly, type Family } from './context.js';

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

export const clockFamily: Family = {
  clock_res_get: readOnly((_ctx, id: number) => resolution(id)),
  clock_time_get: readOnly((_ctx, id: number, _precision: bigint) => now(id)),
};
