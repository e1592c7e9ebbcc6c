// File positions: the fd table keeps them as numbers while they are safe integers (no BigInt per read or write) and
// as bigints beyond 2^53; either way fd_seek/fd_tell report them exactly and reads and writes advance them.
import { describe, expect, it } from 'vitest';
import { Errno, OFlags, Whence } from '../../src/abi/index.js';
import { BACKENDS } from '../vfs/backends.js';
import { Driver } from '../vfs/driver.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function tell(d: Driver, fd: number): bigint {
  const out = d.alloc(8);
  expect(d.call('fd_tell', fd, out)).toBe(Errno.SUCCESS);
  return d.u64(out);
}

/** fd_write of several iovecs at once; returns [errno, nwritten]. */
function writev(d: Driver, fd: number, parts: string[]): [number, number] {
  const iovs = d.alloc(8 * parts.length);
  parts.forEach((s, i) => {
    const [p, n] = d.str(s);
    d.view.setUint32(iovs + 8 * i, p, true);
    d.view.setUint32(iovs + 8 * i + 4, n, true);
  });
  const out = d.alloc(4);
  const errno = d.call('fd_write', fd, iovs, parts.length, out);
  return [errno, d.u32(out)];
}

for (const backend of BACKENDS) {
  describe(`file positions (${backend.name})`, () => {
    it('are exact on both sides of 2^53 and advance by what each read and write moved', () => {
      const box = backend.sandbox();
      try {
        const d = new Driver({ preopens: [{ guestPath: '/', dir: box.dir }] });
        const { fd } = d.open(3, 'pos.txt', { oflags: OFlags.CREAT });
        expect(writev(d, fd, ['ab', '', 'cde', 'f'])).toEqual([Errno.SUCCESS, 6]);
        expect(tell(d, fd)).toBe(6n);
        expect(writev(d, fd, [''])).toEqual([Errno.SUCCESS, 0]);
        expect(tell(d, fd)).toBe(6n);
        expect(d.seek(fd, 2n, Whence.SET).pos).toBe(2n);
        expect(d.read(fd, 3).text).toBe('cde');
        expect(tell(d, fd)).toBe(5n);

        // Past 2^53 the position is a bigint: seeking and telling stay exact, one byte at a time.
        expect(d.seek(fd, MAX_SAFE - 1n, Whence.SET).pos).toBe(MAX_SAFE - 1n);
        expect(d.seek(fd, 3n, Whence.CUR).pos).toBe(MAX_SAFE + 2n);
        expect(d.seek(fd, 1n << 60n, Whence.SET).pos).toBe(1n << 60n);
        expect(d.seek(fd, 1n, Whence.CUR).pos).toBe((1n << 60n) + 1n);
        expect(tell(d, fd)).toBe((1n << 60n) + 1n);
        expect(d.read(fd).text).toBe(''); // end of file, and the position does not move
        expect(tell(d, fd)).toBe((1n << 60n) + 1n);
        expect(d.write(fd, 'x')).toBe(Errno.FBIG);
        expect(tell(d, fd)).toBe((1n << 60n) + 1n);
        expect(d.seek(fd, -((1n << 60n) - 4n), Whence.CUR).pos).toBe(5n); // back to a number
        expect(d.write(fd, 'XY')).toBe(Errno.SUCCESS);
        expect(tell(d, fd)).toBe(7n);
        expect(d.seek(fd, 0n, Whence.SET).pos).toBe(0n);
        expect(d.read(fd).text).toBe('abcdeXY');
        expect(d.call('fd_close', fd)).toBe(Errno.SUCCESS);
      } finally {
        box.cleanup();
      }
    });
  });
}
