// Nanosecond timestamps → the values Node's utimes family accepts, as exactly as the host path allows.
//
// Precision the host backend keeps (documented here; the in-memory backend keeps exact nanoseconds):
//   Node offers no nanosecond-exact utimes: fs.futimesSync/lutimesSync take seconds as a JS number (or a Date),
//   and libuv (uv__fs_to_timespec, Node 20) turns that double into a timespec with
//     tv_sec = trunc(t); tv_nsec = trunc((t - tv_sec) * 1e9); tv_nsec -= tv_nsec % 1000;
//   i.e. it deliberately drops everything below the microsecond. So for times from 1970 up to 2^33 s (year 2242)
//   the host backend keeps EXACT MICROSECONDS: the stored value is the requested nanoseconds truncated down to a
//   whole microsecond (1234567890.123456789 s is stored as 1234567890.123456000 s). We pick the double whose
//   libuv conversion gives exactly that microsecond (a plain `Number(ns) / 1e9` is off by one µs about a quarter
//   of the time, because a double near 1.7e9 s only resolves ~238 ns). Beyond 2^33 s the spacing of doubles
//   exceeds 1 µs and we get the nearest representable microsecond. Times before 1970 (they can only come from a
//   file's current timestamp, since preview1 timestamps are unsigned) go through a Date: millisecond precision.
//   Node turns NaN/negative numbers into errors or "now", so there is no UTIME_OMIT either: a timestamp left
//   as is is rewritten from its current value and therefore also loses its sub-microsecond part.
//   setExactTimes (below) then restores full nanoseconds through coreutils `touch` when any value has
//   sub-microsecond digits, so a guest reads back exactly what it set.

const view = new DataView(new ArrayBuffer(8));

/** The double `steps` representable values away from `d` (d ≥ 0 finite). */
function stepDouble(d: number, steps: number): number {
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0) + BigInt(steps);
  if (bits < 0n) return 0;
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

/** The nanosecond timestamp libuv stores for seconds value `t` ≥ 0, or undefined when it would be invalid. */
export function libuvStoredNs(t: number): bigint | undefined {
  const sec = Math.trunc(t);
  let nsec = Math.trunc((t - sec) * 1e9);
  nsec -= nsec % 1000;
  if (nsec < 0 || nsec >= 1e9) return undefined;
  return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
}

/**
 * The argument for fs.futimesSync/lutimesSync that makes the host store `ns` truncated to microseconds
 * (see the precision note above). Negative times become a Date (millisecond precision).
 */
export function hostTime(ns: bigint): number | Date {
  if (ns < 0n) {
    const ms = ns / 1_000_000n - (ns % 1_000_000n !== 0n ? 1n : 0n); // floor
    return new Date(Number(ms));
  }
  const want = ns - (ns % 1000n);
  const sec = ns / 1_000_000_000n;
  const base = Number(sec) + Number(ns % 1_000_000_000n) / 1e9;
  let best = base;
  let bestErr: bigint | undefined;
  // Nearest candidates first, so among the doubles giving the right microsecond we take the one closest to the
  // exact nanoseconds (which would also be the best choice if a future libuv kept nanoseconds).
  for (let k = 0; k <= 64; k++) {
    for (const steps of k === 0 ? [0] : [-k, k]) {
      const t = stepDouble(base, steps);
      const got = libuvStoredNs(t);
      if (got === undefined) continue;
      if (got === want) return t;
      const err = got > want ? got - want : want - got;
      if (bestErr === undefined || err < bestErr) { best = t; bestErr = err; }
    }
  }
  return best;
}

/**
 * Sets atime and mtime with full nanoseconds where Node's utimes could not: coreutils `touch` passes them to
 * utimensat unchanged. Only needed when a value has sub-microsecond digits (rare), so the process spawn is paid
 * only then. `noFollow`: set the times of a symlink itself. Returns false when `touch` is unavailable or fails
 * (the microsecond-exact values already set stay).
 */
export function setExactTimes(path: string, noFollow: boolean, atim: bigint, mtim: bigint): boolean {
  if (atim % 1000n === 0n && mtim % 1000n === 0n) return true;
  if (atim < 0n || mtim < 0n) return false;
  const stamp = (ns: bigint) => `@${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  for (const [flag, ns] of [['-a', atim], ['-m', mtim]] as const) {
    // node:child_process is loaded only when a nanosecond timestamp needs it (it costs every run's start otherwise);
    // a Node 20 older than 20.16 has no getBuiltinModule and keeps the microsecond values.
    const spawnSync = process.getBuiltinModule?.('node:child_process')?.spawnSync;
    if (spawnSync === undefined) return false;
    const r = spawnSync('touch', ['-c', ...(noFollow ? ['-h'] : []), flag, '-d', stamp(ns), '--', path], { stdio: 'ignore' });
    if (r.status !== 0) return false;
  }
  return true;
}
