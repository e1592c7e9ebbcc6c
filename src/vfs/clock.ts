// The host's realtime clock, read by the vfs for the timestamps of in-memory nodes. The runtime's
// clock_time_get(REALTIME) reads this same clock, so a guest never sees a file time from another epoch base.

/** Realtime in ns since the epoch = a base fixed once at load + the monotonic high-resolution clock. */
const realtimeBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** The current realtime clock in ns since the epoch. */
export const realtimeNs = (): bigint => realtimeBase + process.hrtime.bigint();
