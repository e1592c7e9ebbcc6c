// random_get: cryptographically secure bytes from the host.
import type { Family } from './context.js';

const MAX_CHUNK = 65536; // getRandomValues' per-call limit

export const randomFamily: Family = {
  random_get: (ctx, out: Uint8Array) => {
    if (ctx.chaos?.fillRandom(out)) return;
    // The global Web Crypto (the same CSPRNG as node:crypto's randomFillSync), loaded by Node at its first use
    // rather than at every run's start.
    for (let at = 0; at < out.length; at += MAX_CHUNK) globalThis.crypto.getRandomValues(out.subarray(at, at + MAX_CHUNK));
  },
};
