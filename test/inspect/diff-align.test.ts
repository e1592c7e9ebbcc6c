// The windowed Myers alignment (src/inspect/align.ts): optimal where the window covers both streams, every item
// visited once in its stream's order whatever the window, an insertion shown as one inserted item.
import { describe, expect, it } from 'vitest';
import { align, type AlignOptions } from '../../src/inspect/align.js';

type Step = ['=', string, string] | ['-', string] | ['+', string];

function steps(a: string[], b: string[], o: AlignOptions = {}): Step[] {
  const out: Step[] = [];
  align(a[Symbol.iterator](), b[Symbol.iterator](), (x, y) => x === y, {
    same: (x, y) => out.push(['=', x, y]), del: (x) => out.push(['-', x]), ins: (y) => out.push(['+', y]),
  }, o);
  return out;
}

/** The length of a longest common subsequence (dynamic programming, for checking). */
function lcs(a: string[], b: string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = x === b[j - 1] ? diag + 1 : Math.max(up, row[j - 1]!);
      diag = up;
    }
  }
  return row[b.length]!;
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

describe('align', () => {
  it('shows one extra item as one insertion and pairs the rest', () => {
    const a = ['open', 'read', 'write', 'close', 'exit'];
    const b = ['open', 'read', 'stat', 'write', 'close', 'exit'];
    expect(steps(a, b)).toEqual([['=', 'open', 'open'], ['=', 'read', 'read'], ['+', 'stat'], ['=', 'write', 'write'], ['=', 'close', 'close'], ['=', 'exit', 'exit']]);
    expect(steps(b, a)).toContainEqual(['-', 'stat']);
    expect(steps(b, a).filter((s) => s[0] !== '=')).toHaveLength(1);
  });

  it('finds a longest common subsequence when the window covers both streams', () => {
    const rnd = prng(7);
    for (let n = 0; n < 300; n++) {
      const gen = (len: number) => Array.from({ length: len }, () => 'abcd'[Math.floor(rnd() * 4)]!);
      const a = gen(Math.floor(rnd() * 40));
      const b = gen(Math.floor(rnd() * 40));
      const s = steps(a, b, { window: 200, maxEdits: 100, anchor: 1000, slack: 1000 });
      expect(s.filter((x) => x[0] === '=').length).toBe(lcs(a, b));
    }
  });

  it('visits every item once, in its own order, with a small window', () => {
    const rnd = prng(11);
    for (let n = 0; n < 100; n++) {
      const gen = (len: number) => Array.from({ length: len }, (_, i) => `${'abc'[Math.floor(rnd() * 3)]}`.repeat(1) + (rnd() < 0.5 ? '' : String(i % 3)));
      const a = gen(Math.floor(rnd() * 300));
      const b = gen(Math.floor(rnd() * 300));
      const s = steps(a, b, { window: 16, maxEdits: 8, anchor: 3, slack: 2 });
      const sa = s.flatMap((x) => (x[0] === '=' || x[0] === '-' ? [x[1]] : []));
      const sb = s.flatMap((x) => (x[0] === '=' ? [x[2]] : x[0] === '+' ? [x[1]] : []));
      expect(sa).toEqual(a);
      expect(sb).toEqual(b);
      expect(s.every((x) => x[0] !== '=' || x[1] === x[2])).toBe(true);
    }
  });

  it('shows an inserted stretch of 300 items as 300 insertions with the default window', () => {
    const a = Array.from({ length: 5000 }, (_, i) => `c${i % 7}`);
    const b = [...a.slice(0, 2000), ...Array.from({ length: 300 }, (_, i) => `new${i}`), ...a.slice(2000)];
    const s = steps(a, b);
    expect(s.filter((x) => x[0] === '+').map((x) => x[1])).toEqual(b.slice(2000, 2300));
    expect(s.filter((x) => x[0] === '=')).toHaveLength(5000);
    expect(s.filter((x) => x[0] === '-')).toHaveLength(0);
  });

  it('keeps a long stream aligned after a local difference, reading ahead only its window', () => {
    let pulled = 0;
    function* stream(extraAt: number): Generator<string> {
      for (let i = 0; i < 100_000; i++) {
        if (i === extraAt) { pulled++; yield 'extra'; }
        pulled++;
        yield `c${i % 10}`;
      }
    }
    let pairs = 0;
    let inserted: string[] = [];
    let maxAhead = 0;
    let visited = 0;
    align(stream(-1), stream(50_000), (x, y) => x === y, {
      same: () => { pairs++; visited += 2; maxAhead = Math.max(maxAhead, pulled - visited); },
      del: () => { throw new Error('nothing is deleted'); },
      ins: (y) => { inserted.push(y); visited++; },
    }, { window: 64 });
    expect(inserted).toEqual(['extra']);
    expect(pairs).toBe(100_000);
    expect(maxAhead).toBeLessThanOrEqual(2 * 64);
  });
});
