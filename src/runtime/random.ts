// random_get: cryptographically secure bytes from the host.
import { randomFillSync } from 'node:crypto';
import { Errno } from '../abi/index.js';
import type { Family } from './context.js';

const MAX_CHUNK = 65536; // randomFillSync's per-call limit for typed arrays

export const randomFamily: Family = {
  random_get: (ctx, buf: number, len: number) => {
    const out = ctx.mem.slice(buf, len);
    for (let at = 0; at < out.length; at += MAX_CHUNK) randomFillSync(out.subarray(at, at + MAX_CHUNK));
    return Errno.SUCCESS;
  },
};
