// random_get: cryptographically secure bytes from the host.
import { randomFillSync } from 'node:crypto';
import type { Family } from './context.js';

const MAX_CHUNK = 65536; // randomFillSync's per-call limit for typed arrays

export const randomFamily: Family = {
  random_get: (ctx, out: Uint8Array) => {
    if (ctx.chaos?.fillRandom(out)) return;
    for (let at = 0; at < out.length; at += MAX_CHUNK) randomFillSync(out.subarray(at, at + MAX_CHUNK));
  },
};
