// poll_oneoff: clock subscriptions (relative and absolute, any number) and fd subscriptions. Files and stdio
// are always ready, so fd events are reported at once; otherwise the call sleeps until the earliest clock.
import { ClockId, Errno, EventType, SubclockFlags, WasiError } from '../abi/index.js';
import { sleepSync } from '../vfs/stream.js';
import { guestOffset, now } from './clock.js';
import { errnoFrom } from './errors.js';
import type { Family, RuntimeContext } from './context.js';

/** Errnos chaos may inject into poll_oneoff (`errors` knob): an interrupted wait. */
const POLL_ERRORS = [Errno.INTR] as const;

interface Ready { userdata: bigint; type: number; error: number; nbytes: bigint }

/**
 * Deadline of a clock subscription on the host's monotonic clock (ns), or an errno for a bad clock id. An absolute
 * time is on the guest's view of clock `id` (chaos may have moved it); with chaos the wake may come later than
 * asked, never earlier.
 */
function deadline(ctx: RuntimeContext, sub: Record<string, number | bigint>): bigint | number {
  const id = Number(sub['clock.id']);
  const timeout = BigInt(sub['clock.timeout']!);
  const late = ctx.chaos?.lateWake() ?? 0n;
  try {
    if (!(Number(sub['clock.flags']) & SubclockFlags.ABSTIME)) return now(ClockId.MONOTONIC) + timeout + late;
    // An absolute time on clock `id`: convert to a monotonic deadline by how far away it is now.
    return now(ClockId.MONOTONIC) + (timeout - (now(id) + guestOffset(ctx, id))) + late;
  } catch (e) {
    return errnoFrom(e);
  }
}

function fdReady(ctx: RuntimeContext, fd: number, type: number): { error: number; nbytes: bigint } {
  try {
    const e = ctx.fds.file(fd);
    const nbytes = type === EventType.FD_READ ? e.handle.readable(BigInt(e.position)) : 0n;
    return { error: Errno.SUCCESS, nbytes };
  } catch (err) {
    return { error: errnoFrom(err), nbytes: 0n };
  }
}

/** Returns the events that are ready, as the schema's event records; per-subscription failures go in their error. */
function pollOneoff(ctx: RuntimeContext, subs: readonly Record<string, number | bigint>[]): Record<string, number | bigint>[] {
  const injected = ctx.chaos?.injectedError(POLL_ERRORS);
  if (injected !== undefined) throw new WasiError(injected);
  const ready: Ready[] = [];
  const clocks: { userdata: bigint; at: bigint }[] = [];
  for (const sub of subs) {
    const userdata = BigInt(sub.userdata!);
    const type = Number(sub.tag);
    if (type === EventType.CLOCK) {
      const at = deadline(ctx, sub);
      if (typeof at === 'number') ready.push({ userdata, type, error: at, nbytes: 0n });
      else clocks.push({ userdata, at });
    } else if (type === EventType.FD_READ || type === EventType.FD_WRITE) {
      ready.push({ userdata, type, ...fdReady(ctx, Number(sub['fd_readwrite.file_descriptor']), type) });
    } else {
      throw new WasiError(Errno.INVAL);
    }
  }

  if (ready.length === 0 && clocks.length > 0) {
    const earliest = clocks.reduce((m, c) => (c.at < m ? c.at : m), clocks[0]!.at);
    for (let left = earliest - now(ClockId.MONOTONIC); left > 0n; left = earliest - now(ClockId.MONOTONIC)) {
      sleepSync(Number(left) / 1e6);
    }
  }
  const t = now(ClockId.MONOTONIC);
  for (const c of clocks) {
    if (c.at <= t) ready.push({ userdata: c.userdata, type: EventType.CLOCK, error: Errno.SUCCESS, nbytes: 0n });
  }
  // Chaos: of several ready events, fewer (at least one) may be reported, in another order.
  const reported = ctx.chaos && ready.length > 1 ? ctx.chaos.pollReport(ready.length).map((i) => ready[i]!) : ready;
  return reported.map((r) => ({
    userdata: r.userdata, error: r.error, type: r.type, 'fd_readwrite.nbytes': r.nbytes, 'fd_readwrite.flags': 0,
  }));
}

export const pollFamily: Family = {
  poll_oneoff: {
    /** EINVAL for zero subscriptions, whatever the pointers are (as wasmtime). */
    precheck: (_ctx, nsubs: number) => { if (nsubs === 0) throw new WasiError(Errno.INVAL); },
    impl: pollOneoff,
    readOnly: false,
  },
};
