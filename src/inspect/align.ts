// Aligns two streams (the calls of two traces) so that an extra or a missing item shows as inserted or deleted and
// the rest stays paired: a windowed Myers alignment (shortest edit script) in bounded memory.
//
// Where the heads of both streams are the same, they are paired at once (the fast path: no buffering). At the
// first difference both streams are read ahead into a window of at most `window` items each, and Myers' search
// for the fewest insertions and deletions runs from there until one path reaches a resynchronisation point: a run
// of `anchor` items that are the same on both sides (or the end of both windows). When a path with a shorter
// run was found first, the search still goes on `slack` more edits looking for a longer one, then takes the
// longest found (so a stretch where every few calls differ costs a few edits per search, not the whole window).
// The edits before that point are emitted, the fast path takes over again. When no path finds a single pair
// within `maxEdits` edits, the next maxEdits/2 items of each side are emitted as deleted and inserted (a
// changed stretch) and the search starts again behind them.
//
// Memory: the two windows (at most `window` items each) and the search's furthest-reaching table,
// (maxEdits + 1)² integers. An inserted or deleted stretch of up to `maxEdits` items is aligned exactly; a longer
// one shows as a run of changed items until the streams meet again.

export interface AlignVisitor<T> {
  /** x and y are the same (a pair). */
  same(x: T, y: T): void;
  /** x is only in the first stream. */
  del(x: T): void;
  /** y is only in the second stream. */
  ins(y: T): void;
}

export interface AlignOptions {
  /** Items of each stream read ahead at a difference (default 1024). */
  window?: number;
  /** Most insertions + deletions one search tries (default 512; at most window / 2). */
  maxEdits?: number;
  /** Pairs in a row that end a search (default 4). */
  anchor?: number;
  /** Edits searched beyond the first shorter run of pairs (default 16). */
  slack?: number;
}

export const ALIGN_DEFAULTS = { window: 1024, maxEdits: 512, anchor: 4, slack: 16 } as const;

const NONE = -1;

/** A read-ahead buffer over an iterator: items from `head` on are not yet emitted. */
class Buffered<T> {
  items: T[] = [];
  head = 0;
  ended = false;
  constructor(private readonly it: Iterator<T>) {}

  get length(): number { return this.items.length - this.head; }
  at(i: number): T { return this.items[this.head + i]!; }

  /** Reads ahead until `n` items are buffered or the stream ends. */
  fill(n: number): void {
    while (this.length < n && !this.ended) {
      const r = this.it.next();
      if (r.done) this.ended = true; else this.items.push(r.value);
    }
  }

  /** The next item, from the buffer or straight from the stream; undefined at the end. */
  next(): T | undefined {
    if (this.length > 0) return this.take();
    if (this.ended) return undefined;
    const r = this.it.next();
    if (r.done) { this.ended = true; return undefined; }
    return r.value;
  }

  take(): T {
    const x = this.items[this.head++]!;
    if (this.head === this.items.length) { this.items = []; this.head = 0; } else if (this.head >= 4096) { this.items = this.items.slice(this.head); this.head = 0; }
    return x;
  }

  /** Puts back an item taken with next() (only when the buffer was empty). */
  unshift(x: T): void {
    if (this.head > 0) this.items[--this.head] = x; else this.items.unshift(x);
  }
}

/**
 * Walks both streams to their ends, calling the visitor for every item in order: each item of `a` once (same or
 * del), each of `b` once (same or ins), in the order of its own stream. `equal` says whether two items pair.
 */
export function align<T>(a: Iterator<T>, b: Iterator<T>, equal: (x: T, y: T) => boolean, visit: AlignVisitor<T>, options: AlignOptions = {}): void {
  const window = Math.max(2, options.window ?? ALIGN_DEFAULTS.window);
  const maxEdits = Math.max(1, Math.min(options.maxEdits ?? ALIGN_DEFAULTS.maxEdits, Math.floor(window / 2)));
  const anchor = Math.max(1, options.anchor ?? ALIGN_DEFAULTS.anchor);
  const slack = Math.max(0, options.slack ?? ALIGN_DEFAULTS.slack);
  const A = new Buffered(a);
  const B = new Buffered(b);
  // V[d*d + d + k]: the furthest x reached on diagonal k (x - y) with d edits; NONE where no path is.
  const V = new Int32Array((maxEdits + 1) * (maxEdits + 1));
  const v = (d: number, k: number): number => (k < -d || k > d ? NONE : V[d * d + d + k]!);

  for (;;) {
    // The fast path: pair equal heads.
    const x = A.next();
    const y = B.next();
    if (x === undefined || y === undefined) {
      if (x !== undefined) visit.del(x);
      if (y !== undefined) visit.ins(y);
      for (let r = A.next(); r !== undefined; r = A.next()) visit.del(r);
      for (let r = B.next(); r !== undefined; r = B.next()) visit.ins(r);
      return;
    }
    if (equal(x, y)) { visit.same(x, y); continue; }
    A.unshift(x);
    B.unshift(y);
    A.fill(window);
    B.fill(window);
    search();
  }

  /** One Myers search from the heads of both windows; emits the edits (and pairs between them) it settles on. */
  function search(): void {
    const na = A.length;
    const nb = B.length;
    let best: { d: number; k: number; x0: number; run: number } | undefined;
    let found: { d: number; k: number; x0: number } | undefined;
    levels: for (let d = 0; d <= maxEdits; d++) {
      for (let k = -d; k <= d; k += 2) {
        const m = d === 0 ? 0 : move(d, k, na, nb);
        if (m === NONE) { V[d * d + d + k] = NONE; continue; }
        let x = m >> 1;
        let y = x - k;
        const x0 = x;
        while (x < na && y < nb && equal(A.at(x), B.at(y))) { x++; y++; }
        V[d * d + d + k] = x;
        const run = x - x0;
        if (run >= anchor || (x === na && y === nb)) { found = { d, k, x0 }; break levels; }
        if (run > 0 && (!best || run > best.run)) best = { d, k, x0, run };
      }
      if (best && d >= best.d + slack) break;
    }
    const end = found ?? best;
    if (!end) {
      const half = Math.max(1, maxEdits >> 1);
      for (let i = Math.min(half, na); i > 0; i--) visit.del(A.take());
      for (let i = Math.min(half, nb); i > 0; i--) visit.ins(B.take());
      return;
    }
    emit(end.d, end.k, end.x0, na, nb);
  }

  /**
   * The edit that reaches diagonal k with d edits (d > 0), from the furthest point of diagonal k + 1 (an insertion,
   * a step down) or k - 1 (a deletion, a step right), staying inside the windows: the landing x times 2, plus 1
   * for a step down; NONE when neither is possible. Myers' rule: the step that lands further, down on a tie.
   */
  function move(d: number, k: number, na: number, nb: number): number {
    const up = v(d - 1, k + 1);
    const left = v(d - 1, k - 1);
    const down = up !== NONE && up - k <= nb ? up : NONE;
    const right = left !== NONE && left + 1 <= na ? left + 1 : NONE;
    if (down === NONE && right === NONE) return NONE;
    return down >= right ? down * 2 + 1 : right * 2;
  }

  /** Walks the path ending (before its last run of pairs) at x0 on diagonal k after d edits back, then emits it. */
  function emit(d: number, k: number, x0: number, na: number, nb: number): void {
    const steps: number[] = []; // reversed: 0 pair, 1 del, 2 ins
    let xs = x0;
    for (; d > 0; d--) {
      const isDown = (move(d, k, na, nb) & 1) === 1;
      const prevK = isDown ? k + 1 : k - 1;
      const xp = v(d - 1, prevK);
      const landX = isDown ? xp : xp + 1;
      for (let i = xs; i > landX; i--) steps.push(0);
      steps.push(isDown ? 2 : 1);
      xs = xp;
      k = prevK;
    }
    for (let i = xs; i > 0; i--) steps.push(0);
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i];
      if (s === 0) visit.same(A.take(), B.take());
      else if (s === 1) visit.del(A.take());
      else visit.ins(B.take());
    }
  }
}
