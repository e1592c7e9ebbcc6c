// The fd table (src/runtime/fdtable.ts) on its own: lowest free numbers, EBADF for anything not open (negative,
// huge, closed), renumber, and a far-away number picked by chaos.
import { describe, expect, it } from 'vitest';
import { Errno, WasiError } from '../../src/abi/index.js';
import { FdTable, STREAM_RIGHT_BITS, type FdEntry } from '../../src/runtime/fdtable.js';
import { CallbackOutput } from '../../src/vfs/stream.js';

const entry = (): FdEntry => ({ handle: new CallbackOutput(() => {}), rightsBase: STREAM_RIGHT_BITS, rightsInheriting: 0, fdflags: 0, position: 0 });
const errnoOf = (f: () => unknown): Errno | undefined => {
  try { f(); } catch (e) { return (e as WasiError).errno; }
  return undefined;
};

describe('the fd table', () => {
  it('hands out the lowest free numbers, finds open fds only, and lists them in ascending order', () => {
    const t = new FdTable();
    const [a, b, c] = [entry(), entry(), entry()];
    expect([t.add(a), t.add(b), t.add(c)]).toEqual([0, 1, 2]);
    t.close(1);
    expect(t.fds()).toEqual([0, 2]);
    for (const fd of [1, 3, -1, 2 ** 31 - 1, 0x10000]) expect(errnoOf(() => t.get(fd)), String(fd)).toBe(Errno.BADF);
    expect(t.has(1)).toBe(false);
    expect(t.add(entry())).toBe(1);
    expect(t.get(2)).toBe(c);
    expect(errnoOf(() => t.close(7))).toBe(Errno.BADF);
  });

  it('renumber moves an entry and frees its number; a number far above the others (chaos) works like any other', () => {
    const t = new FdTable();
    const [a, b] = [entry(), entry()];
    t.add(a);
    t.add(b);
    t.renumber(0, 1);
    expect(t.get(1)).toBe(a);
    expect(t.has(0)).toBe(false);
    const far = entry();
    expect(t.add(far, (lowest) => lowest + 60000)).toBe(60003);
    expect(t.get(60003)).toBe(far);
    expect(t.fds()).toEqual([1, 60003]);
    t.closeAll();
    expect(t.fds()).toEqual([]);
  });
});
