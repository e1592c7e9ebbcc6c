// Chaos: answers the preview1 spec allows but ordinary runs never give, drawn from one seeded PRNG, so that a
// latent bug in a guest (it assumes full reads, creation-order readdir, fd 4 for its first file, a clock without
// jumps, ...) shows up — and shows up again with the same seed. The families of the builtin runtime consult the
// policy at the points listed below; with no policy they answer as before. Every answer is an ordinary result,
// so a chaos run's trace replays like any other.
//
// Knobs, and the spec text that allows each (wasi_snapshot_preview1.witx and the POSIX functions it names):
//   short-io  fd_read/fd_pread/fd_write/fd_pwrite move fewer bytes than asked, at least 1 (a read returns 0 only
//             at end of file; a short write leaves the rest unwritten). "nread: the number of bytes read",
//             "nwritten: the number of bytes written" — readv/writev may transfer less than requested.
//   readdir   fd_readdir lists a directory's entries in another order, with cookies that resume correctly, and
//             fills the buffer as much as possible. The order of entries is unspecified (readdir(3)).
//   fds       path_open returns an unpredictable free fd number (never a preopen's). "The file descriptor of the
//             file that has been opened" — no number is promised.
//   clock     the monotonic clock jumps forward (never back) at some calls, by microseconds up to minutes, as a
//             suspended machine does; the realtime clock jumps either way ("the time value of a clock" — realtime
//             may be set). A poll_oneoff clock subscription may wake later than asked, never earlier.
//   poll      poll_oneoff reports fewer of several ready events (at least one), in another order. "The number of
//             events stored" — only that some event is ready is promised.
//   random    random_get returns bytes of the seeded stream. Any bytes are random bytes.
//   eagain    fd_read/fd_write on an fd the guest made non-blocking (FDFLAGS_NONBLOCK) sometimes fail with EAGAIN,
//             as a non-blocking stream may at any time.
//   errors    (only when asked for) calls fail with an errno they may return: EIO and ENOSPC from fd_write, EIO from
//             fd_read, EINTR from poll_oneoff. This changes what a correct program may do, so it is never a default.
import { Errno } from '../abi/index.js';

export const CHAOS_KNOBS = ['short-io', 'readdir', 'fds', 'clock', 'poll', 'random', 'eagain', 'errors'] as const;
export type ChaosKnob = typeof CHAOS_KNOBS[number];
/** What `--chaos` alone enables: every knob but error injection. */
export const DEFAULT_KNOBS: readonly ChaosKnob[] = CHAOS_KNOBS.filter((k) => k !== 'errors');

/** A chaos schedule: the seed and the knobs it drives. Structured-cloneable; the trace header records it. */
export interface ChaosSettings {
  seed: number;
  knobs: readonly ChaosKnob[];
}

/**
 * The knobs of a `--chaos=LIST` value (comma-separated knob names; `all` for every knob but errors, so
 * `all,errors` is everything). RangeError for an unknown knob or an empty list.
 */
export function parseKnobs(list: string): ChaosKnob[] {
  const out = new Set<ChaosKnob>();
  for (const word of list.split(',').map((w) => w.trim()).filter(Boolean)) {
    if (word === 'all') DEFAULT_KNOBS.forEach((k) => out.add(k));
    else if ((CHAOS_KNOBS as readonly string[]).includes(word)) out.add(word as ChaosKnob);
    else throw new RangeError(`unknown chaos knob ${word} (knobs: ${CHAOS_KNOBS.join(', ')}, or all)`);
  }
  if (out.size === 0) throw new RangeError('no chaos knob named');
  return CHAOS_KNOBS.filter((k) => out.has(k));
}

/** sfc32, seeded from a 53-bit seed: small, fast and good enough to vary a schedule. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  let b = Math.floor(seed / 2 ** 32) >>> 0;
  let c = 0x9e3779b9;
  let d = 1;
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b | 0) + d | 0;
    d = d + 1 | 0;
    a = b ^ (b >>> 9);
    b = c + (c << 3) | 0;
    c = (c << 21) | (c >>> 11);
    c = c + t | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** How often a knob perturbs a call it may perturb. */
const RATE = { shortIo: 0.3, clockJump: 0.02, pollSubset: 0.5, eagain: 0.1, error: 0.02, lateWake: 0.3 } as const;

/** The policy of one run: every decision the families ask for, from the one seeded stream. */
export class Chaos {
  private readonly next: () => number;
  private readonly on: ReadonlySet<ChaosKnob>;
  /** How far the monotonic and realtime clocks have been moved, in ns. */
  private monotonicOffset = 0n;
  private realtimeOffset = 0n;

  constructor(readonly settings: ChaosSettings) {
    this.next = prng(settings.seed);
    this.on = new Set(settings.knobs);
  }

  has(knob: ChaosKnob): boolean { return this.on.has(knob); }

  /** A whole number in [0, n). */
  private below(n: number): number { return Math.floor(this.next() * n); }

  /** short-io: how many of `wanted` bytes a read or write moves this time (1..wanted; all of them when off). */
  ioLength(wanted: number): number {
    if (wanted <= 1 || !this.on.has('short-io') || this.next() >= RATE.shortIo) return wanted;
    return 1 + this.below(wanted - 1);
  }

  /** eagain: whether a read or write on a non-blocking fd fails with EAGAIN this time. */
  wouldBlock(): boolean { return this.on.has('eagain') && this.next() < RATE.eagain; }

  /** errors: an errno to fail this call with, from those it may return; undefined to let it run. */
  injectedError(may: readonly Errno[]): Errno | undefined {
    if (!this.on.has('errors') || may.length === 0 || this.next() >= RATE.error) return undefined;
    return may[this.below(may.length)];
  }

  /**
   * readdir: the order to list `n` entries of a directory in, as a permutation of 0..n-1. The same directory
   * (`key`, e.g. its inode) with the same entry count gets the same order for the whole run, so cookies (positions
   * in this order) resume correctly across calls.
   */
  direntOrder(key: bigint | number, n: number): number[] {
    const order = Array.from({ length: n }, (_, i) => i);
    if (!this.on.has('readdir') || n < 2) return order;
    const cacheKey = `${key}:${n}`;
    const cached = this.orders.get(cacheKey);
    if (cached) return cached;
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    this.orders.set(cacheKey, order);
    return order;
  }
  private readonly orders = new Map<string, number[]>();

  /** fds: the fd number for a new fd: a free one at or above `lowest` (isFree says which), or undefined for the default. */
  fdNumber(lowest: number, isFree: (fd: number) => boolean): number | undefined {
    if (!this.on.has('fds')) return undefined;
    for (let tries = 0; tries < 16; tries++) {
      const fd = lowest + this.below(64);
      if (isFree(fd)) return fd;
    }
    return undefined;
  }

  /** clock: how far the guest's view of clock `id` (monotonic or realtime) is from the host's now, in ns. */
  clockOffset(id: 'monotonic' | 'realtime'): bigint {
    return id === 'monotonic' ? this.monotonicOffset : this.realtimeOffset;
  }

  /** clock: the monotonic clock's value now, given the host's (jumps forward at some calls, never back). */
  monotonic(host: bigint): bigint {
    if (this.on.has('clock') && this.next() < RATE.clockJump) this.monotonicOffset += this.jump();
    return host + this.monotonicOffset;
  }

  /** clock: the realtime clock's value now, given the host's (jumps either way at some calls). */
  realtime(host: bigint): bigint {
    if (this.on.has('clock') && this.next() < RATE.clockJump) this.realtimeOffset += this.next() < 0.5 ? -this.jump() : this.jump();
    return host + this.realtimeOffset;
  }

  /** clock: how much later than asked a poll_oneoff clock subscription wakes, in ns (0 when off). */
  lateWake(): bigint {
    if (!this.on.has('clock') || this.next() >= RATE.lateWake) return 0n;
    return BigInt(1000 + this.below(5_000_000)); // 1 µs to 5 ms: late enough to matter, short enough not to stall
  }

  /** A jump of 1 µs to ~5 min, log-uniform, in ns. */
  private jump(): bigint {
    return BigInt(Math.round(10 ** (3 + this.next() * 8.5)));
  }

  /** poll: which of `n` ready events to report, in what order (at least one; all of them in order when off). */
  pollReport(n: number): number[] {
    const all = Array.from({ length: n }, (_, i) => i);
    if (n < 2 || !this.on.has('poll') || this.next() >= RATE.pollSubset) return all;
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, 1 + this.below(n));
  }

  /** random: fills `buf` from the seeded stream; false when the knob is off (the host's randomness is used). */
  fillRandom(buf: Uint8Array): boolean {
    if (!this.on.has('random')) return false;
    for (let i = 0; i < buf.length; i++) buf[i] = this.below(256);
    return true;
  }
}
