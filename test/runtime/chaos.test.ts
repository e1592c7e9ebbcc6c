// The chaos policy on its own: the same seed gives the same decisions, every decision stays inside what the spec
// allows (reads/writes of 1..n bytes, permutations, forward-only monotonic jumps, at least one poll event).
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/index.js';
import { Chaos, CHAOS_KNOBS, DEFAULT_KNOBS, parseKnobs } from '../../src/runtime/chaos.js';

const all = (seed: number) => new Chaos({ seed, knobs: CHAOS_KNOBS });
const none = (seed: number) => new Chaos({ seed, knobs: [] });

/** The first decisions of a policy, as one comparable list. */
function schedule(c: Chaos): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 200; i++) out.push(c.ioLength(100), c.wouldBlock(), c.monotonic(0n), c.pollReport(4).join(''));
  out.push(c.direntOrder(7n, 10).join(','));
  return out;
}

describe('chaos policy', () => {
  it('the same seed repeats the same schedule; another seed gives another', () => {
    expect(schedule(all(42))).toEqual(schedule(all(42)));
    expect(schedule(all(42))).not.toEqual(schedule(all(43)));
  });

  it('short reads and writes move 1..n bytes, and some are short', () => {
    const c = all(1);
    const lengths = Array.from({ length: 1000 }, () => c.ioLength(50));
    expect(lengths.every((n) => n >= 1 && n <= 50)).toBe(true);
    expect(lengths.some((n) => n < 50)).toBe(true);
    expect(c.ioLength(1)).toBe(1);
    expect(c.ioLength(0)).toBe(0);
  });

  it('readdir orders are permutations, the same for the same directory all run long', () => {
    const c = all(5);
    const first = c.direntOrder(12n, 8);
    expect([...first].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(c.direntOrder(12n, 8)).toEqual(first);
    const shuffled = Array.from({ length: 20 }, (_, i) => c.direntOrder(100n + BigInt(i), 8).join(''));
    expect(shuffled.some((o) => o !== '01234567')).toBe(true);
  });

  it('the monotonic clock only jumps forward; the realtime clock moves both ways', () => {
    const c = all(9);
    let last = -1n;
    const offsets: bigint[] = [];
    for (let host = 0n; host < 20_000n; host++) {
      const m = c.monotonic(host);
      expect(m >= last).toBe(true);
      last = m;
      offsets.push(c.realtime(1_000_000_000_000n) - 1_000_000_000_000n);
    }
    expect(last > 20_000n).toBe(true); // it jumped
    expect(offsets.some((o) => o < 0n) && offsets.some((o) => o > 0n)).toBe(true);
  });

  it('poll reports at least one of the ready events, each at most once', () => {
    const c = all(3);
    for (let i = 0; i < 500; i++) {
      const r = c.pollReport(5);
      expect(r.length).toBeGreaterThanOrEqual(1);
      expect(new Set(r).size).toBe(r.length);
      expect(r.every((x) => x >= 0 && x < 5)).toBe(true);
    }
  });

  it('new fd numbers are free ones at or above the lowest allowed', () => {
    const c = all(4);
    const taken = new Set([5, 6, 7]);
    for (let i = 0; i < 200; i++) {
      const fd = c.fdNumber(5, (n) => !taken.has(n));
      if (fd !== undefined) { expect(fd).toBeGreaterThanOrEqual(5); expect(taken.has(fd)).toBe(false); }
    }
  });

  it('with no knob on, every answer is the ordinary one', () => {
    const c = none(1);
    expect(Array.from({ length: 100 }, () => c.ioLength(10))).toEqual(new Array(100).fill(10));
    expect(c.direntOrder(1n, 4)).toEqual([0, 1, 2, 3]);
    expect(c.monotonic(5n)).toBe(5n);
    expect(c.pollReport(3)).toEqual([0, 1, 2]);
    expect(c.fdNumber(4, () => true)).toBeUndefined();
    expect(c.fillRandom(new Uint8Array(4))).toBe(false);
    expect(c.injectedError([Errno.IO])).toBeUndefined();
    expect(c.wouldBlock()).toBe(false);
  });

  it('errors are injected only when asked for, and only errnos the call may return', () => {
    expect(DEFAULT_KNOBS).not.toContain('errors');
    const c = all(8);
    const got = new Set(Array.from({ length: 2000 }, () => c.injectedError([Errno.IO, Errno.NOSPC])));
    expect([...got].filter((e) => e !== undefined).sort()).toEqual([Errno.IO, Errno.NOSPC].sort());
  });

  it('knob lists: names, all, and one-line errors', () => {
    expect(parseKnobs('short-io,readdir')).toEqual(['short-io', 'readdir']);
    expect(parseKnobs('all')).toEqual([...DEFAULT_KNOBS]);
    expect(parseKnobs('all,errors')).toEqual([...CHAOS_KNOBS]);
    expect(() => parseKnobs('short-io,bogus')).toThrow(/unknown chaos knob bogus/);
    expect(() => parseKnobs('')).toThrow(/no chaos knob/);
  });
});
