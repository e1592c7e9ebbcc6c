// fdEffect: which preview1 calls open, close or move fds, with arguments at the schema's positions.
import { describe, expect, it } from 'vitest';
import { fdEffect } from '../../src/abi/index.js';

describe('fdEffect', () => {
  const written = new Map([[0x100, 7]]);
  const read = (addr: number) => written.get(addr);
  it('path_open opens the fd it wrote at opened_fd, via its directory fd', () => {
    // fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags, opened_fd
    expect(fdEffect('path_open', [3, 1, 0x40, 5, 0, 0n, 0n, 0, 0x100], read)).toEqual({ kind: 'opened', fd: 7, via: 3, path: 'path' });
    expect(fdEffect('path_open', [3, 1, 0x40, 5, 0, 0n, 0n, 0, 0x200], read)).toBeUndefined();
  });
  it('sock_accept opens ro_fd; fd_close closes; fd_renumber moves', () => {
    expect(fdEffect('sock_accept', [4, 0, 0x100], read)).toEqual({ kind: 'opened', fd: 7, via: 4 });
    expect(fdEffect('fd_close', [5], read)).toEqual({ kind: 'closed', fd: 5 });
    expect(fdEffect('fd_renumber', [1, 2], read)).toEqual({ kind: 'moved', from: 1, to: 2 });
  });
  it('other calls have no fd effect', () => {
    expect(fdEffect('fd_write', [1, 0, 1, 16], read)).toBeUndefined();
    expect(fdEffect('fd_read', [0, 0, 1, 16], read)).toBeUndefined();
  });
});
