// Import wrappers without a rest-parameter array per call: the function takes its arguments as named
// parameters and copies them into one array it reuses, which the callee must not keep (copy it to keep it).

/** Most parameters handled without allocation; wider functions fall back to a fresh array per call. */
const MAX_FIXED = 10;

type Target = (...a: unknown[]) => unknown;
/** Calls of a function with the first n elements of an array as its arguments, without apply (one per arity). */
const INVOKERS: ((f: Target, a: readonly unknown[]) => unknown)[] = [
  (f) => f(),
  (f, a) => f(a[0]),
  (f, a) => f(a[0], a[1]),
  (f, a) => f(a[0], a[1], a[2]),
  (f, a) => f(a[0], a[1], a[2], a[3]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]),
  (f, a) => f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]),
];

/**
 * `(f, args) => f(...args)` for an args array of length n, cheaper than f.apply (a direct call with exactly n
 * arguments: node:wasi's functions check how many they get).
 */
export const invokerOf = (n: number): ((f: Target, a: readonly unknown[]) => unknown) =>
  INVOKERS[n] ?? ((f, a) => f(...a));

export function withReusedArgs(n: number, f: (args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  if (n > MAX_FIXED) return (...args: unknown[]) => f(args);
  const a: unknown[] = new Array<unknown>(n).fill(0);
  return function reusedArgs(a0?: unknown, a1?: unknown, a2?: unknown, a3?: unknown, a4?: unknown,
    a5?: unknown, a6?: unknown, a7?: unknown, a8?: unknown, a9?: unknown): unknown {
    if (n > 0) a[0] = a0;
    if (n > 1) a[1] = a1;
    if (n > 2) a[2] = a2;
    if (n > 3) a[3] = a3;
    if (n > 4) a[4] = a4;
    if (n > 5) a[5] = a5;
    if (n > 6) a[6] = a6;
    if (n > 7) a[7] = a7;
    if (n > 8) a[8] = a8;
    if (n > 9) a[9] = a9;
    return f(a);
  };
}
