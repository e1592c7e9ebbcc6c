// The hand-numbered TS enums of src/abi/names.ts against the name arrays they abbreviate: every member is the
// array index of its name (enums) or 1 << that index (flag sets), and every enum but Errno names the whole type.
import { describe, expect, it } from 'vitest';
import {
  ALL_RIGHT_BITS, ALL_RIGHTS, CLOCKID, ClockId, Errno, ERRNO, EVENTTYPE, EventType, FDFLAGS, FdFlags, FILETYPE, Filetype, FSTFLAGS,
  FstFlags, LOOKUPFLAGS, LookupFlags, OFLAGS, OFlags, PREOPENTYPE, PreopenType, right, RIGHTS, Rights, SUBCLOCKFLAGS,
  SubclockFlags, WHENCE, Whence, type EnumDef, type FlagsDef,
} from '../../src/abi/index.js';

/** Members whose name is not the spec name upper-cased. */
const ALIASES: Record<string, string> = {
  'errno.TOOBIG': '2big',
  'clockid.PROCESS_CPUTIME': 'process_cputime_id',
  'clockid.THREAD_CPUTIME': 'thread_cputime_id',
  'subclockflags.ABSTIME': 'subscription_clock_abstime',
};

const members = (e: object): [string, number][] =>
  Object.entries(e).filter(([k]) => !/^\d+$/.test(k)) as [string, number][];

const CASES: [EnumDef | FlagsDef, object, 'complete' | 'partial'][] = [
  [ERRNO, Errno, 'partial'], [CLOCKID, ClockId, 'complete'], [WHENCE, Whence, 'complete'], [FILETYPE, Filetype, 'complete'],
  [FDFLAGS, FdFlags, 'complete'], [FSTFLAGS, FstFlags, 'complete'], [LOOKUPFLAGS, LookupFlags, 'complete'],
  [OFLAGS, OFlags, 'complete'], [EVENTTYPE, EventType, 'complete'], [SUBCLOCKFLAGS, SubclockFlags, 'complete'],
  [PREOPENTYPE, PreopenType, 'complete'], [RIGHTS, Rights, 'complete'],
];

describe('TS enums vs the name arrays', () => {
  for (const [def, e, coverage] of CASES) {
    it(`${def.name}: each member is ${def.kind === 'enum' ? 'the index' : 'the bit'} of its name${coverage === 'complete' ? ', and all names are members' : ''}`, () => {
      const got = members(e);
      expect(got.length).toBeGreaterThan(0);
      for (const [key, value] of got) {
        const name = ALIASES[`${def.name}.${key}`] ?? key.toLowerCase();
        const i = def.names.indexOf(name);
        expect(i, `${def.name}.${key} names no ${def.name}`).toBeGreaterThanOrEqual(0);
        expect(value, `${def.name}.${key}`).toBe(def.kind === 'enum' ? i : 2 ** i);
      }
      if (coverage === 'complete') expect(got.length).toBe(def.names.length);
      expect(new Set(got.map(([, v]) => v)).size).toBe(got.length);
    });
  }

  it('the errno members the runtime uses include the ones the spec numbers by hand (spot checks)', () => {
    expect([Errno.SUCCESS, Errno.TOOBIG, Errno.BADF, Errno.FAULT, Errno.INVAL, Errno.NOTCAPABLE]).toEqual([0, 1, 8, 21, 28, 76]);
  });
});

describe('rights', () => {
  it('right() gives the bit of the Rights member of the same name, as the u64 bigint the guest sees', () => {
    RIGHTS.names.forEach((n) => {
      expect(right(n)).toBe(BigInt(Rights[n.toUpperCase() as keyof typeof Rights]));
    });
    expect(right('fd_read')).toBe(2n);
    expect(right('sock_accept')).toBe(1n << 29n);
  });

  it('every right fits a 31-bit number mask, so number and bigint masks agree', () => {
    expect(RIGHTS.names.length).toBeLessThanOrEqual(31);
    expect(BigInt(ALL_RIGHT_BITS)).toBe(ALL_RIGHTS);
    expect(ALL_RIGHT_BITS & ~Rights.FD_READ).toBe(ALL_RIGHT_BITS - 2);
  });
});
