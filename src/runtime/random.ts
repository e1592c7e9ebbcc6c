// random_get: cryptographically secure bytes from the host.
import type { Family } from './context.js';

/** Bytes filled per call: getRandomValues' limit, and randomFillSync's (2^31 - 1) rounded down. */
const WEB_CHUNK = 65536;
const NODE_CHUNK = 1 << 30;

type RandomFill = (out: Uint8Array) => void;

/**
 * node:crypto's randomFillSync where process.getBuiltinModule can reach it (Node >= 20.16): on a thread that has
 * node:crypto loaded already (record's guest thread hashes with it) the first call then costs ~0.2 ms, where the
 * global Web Crypto's first use loads more of Node's modules (~1.4 ms); both are the same CSPRNG. Else Web Crypto.
 * Found at the first call, not at the run's start.
 */
let fill: RandomFill | undefined;
const randomFill = (): RandomFill => fill ??= (() => {
  const crypto = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:crypto') : undefined;
  if (crypto) return (out) => { for (let at = 0; at < out.length; at += NODE_CHUNK) crypto.randomFillSync(out, at, Math.min(NODE_CHUNK, out.length - at)); };
  return (out) => { for (let at = 0; at < out.length; at += WEB_CHUNK) globalThis.crypto.getRandomValues(out.subarray(at, at + WEB_CHUNK)); };
})();

export const randomFamily: Family = {
  random_get: (ctx, out: Uint8Array) => {
    if (ctx.chaos?.fillRandom(out)) return;
    randomFill()(out);
  },
};
