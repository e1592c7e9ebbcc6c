// The proxy's fast path for the preview1 functions whose writes are all fixed-size out-params (clock_time_get,
// fd_seek, fd_fdstat_get, sched_yield, ...; calls/capture.ts fixedOutParams). The import is a function generated
// for its arity (like the runtime's bindings, runtime/bind.ts): it takes the guest's arguments as named parameters
// and calls the provider's function with them directly, and a call whose arguments and result are the last call's
// (a loop reading the clock) compares them with the kept ones in local variables and has its event copied
// (Recorder.repeat: the kept event with the out-params' bytes read anew). Every other call goes to `miss`, which
// encodes the event afresh and says whether the FixedTemplate now keeps it; a call that throws goes to `threw`.
// An i64 param comes split in two numbers (runtime/trampoline.ts splitTrampoline, which the proxy puts in front), so
// that no BigInt is made per call: the bigint the provider and the event take is made again only when it changes.
import { i64FromHalves } from '../runtime/trampoline.js';
import type { FixedTemplate } from '../trace/events.js';
import type { Recorder } from './recorder.js';
import type { GuestMemory } from '../runtime/memory.js';

/** The arguments of a call in a reused array (valid until the next call of the import: copy to keep). */
type Args = unknown[];

export interface FixedPathParts {
  rec: Recorder;
  mem: GuestMemory;
  /** The provider's function. */
  target: (...a: unknown[]) => unknown;
  /** The import's index in the trace's import table. */
  imp: number;
  tpl: FixedTemplate;
  /** Bound of the import's events (EventEncoder.fixedCall); Recorder.repeat makes room for it. */
  bound: number;
  /** Whether calls get host times (performance.now() before and after). */
  timed: boolean;
  /**
   * Records a call that did not repeat the template (`start`/`end` NaN when untimed); returns whether `tpl` now
   * keeps this call's event (its result is then `tpl.result`).
   */
  miss(args: Args, result: unknown, start: number, end: number): boolean;
  /** Records a call whose provider function threw `e` (then rethrown to the guest). */
  threw(args: Args, e: unknown, start: number): void;
}

type Factory = (p: FixedPathParts, args: Args, none: object, i64FromHalves: (lo: number, hi: number) => bigint) => (...a: unknown[]) => unknown;
const factories = new Map<string, Factory>();

/**
 * The generated source of the fast path's import for a function of wasm params `params` (for tests and for reading
 * it): it takes each i64 as two numbers, its low and its high 32 bits (signed).
 */
export function fixedPathSource(params: readonly ('i32' | 'i64')[], timed: boolean): string {
  // p<i>: the arg as the provider and the event take it (an i64: the bigint made again from its halves when they change)
  const ps = params.map((_, i) => `p${i}`);
  // the kept args are compared as the guest passed them: an i64 by its halves (comparing bigints costs more)
  const cur = params.flatMap((k, i) => (k === 'i64' ? [`l${i}`, `h${i}`] : [`p${i}`]));
  const kept = cur.map((c) => `k${c}`);
  const fill = ps.map((p, i) => `args[${i}] = ${p};`).join(' ');
  const now = timed ? 'performance.now()' : 'NaN';
  const wide = params.flatMap((k, i) => (k === 'i64' ? [i] : []));
  return [
    '"use strict";',
    'const { rec, mem, target, imp, tpl, bound, miss, threw } = p;',
    // The kept event's arguments; `none` equals no argument, so nothing repeats before an event is kept.
    ...(params.length ? [`let ${kept.map((t) => `${t} = none`).join(', ')};`] : []),
    // The halves an i64 came as last time, and the bigint of them.
    ...wide.map((i) => `let lo${i} = NaN, hi${i} = NaN, p${i} = 0n;`),
    `return function recordedFixed(${params.map((k, i) => (k === 'i64' ? `l${i}, h${i}` : `p${i}`)).join(', ')}) {`,
    ...wide.map((i) => `  if (l${i} !== lo${i} || h${i} !== hi${i}) { lo${i} = l${i}; hi${i} = h${i}; p${i} = i64FromHalves(l${i}, h${i}); }`),
    '  if (rec.calls >= rec.nextCheckpoint) rec.checkpoint(mem.bytes);',
    `  const start = ${now};`,
    '  let r;',
    '  try {',
    `    r = target(${ps.join(', ')});`,
    '  } catch (e) {',
    `    ${fill}`,
    '    threw(args, e, start);',
    '    throw e;',
    '  }',
    `  const end = ${now};`,
    // tpl.result is NaN while no event is kept: no result equals it.
    `  if (r === tpl.result${cur.map((c, i) => ` && ${c} === ${kept[i]}`).join('')}) {`,
    '    rec.repeat(imp, tpl, mem.bytes, start, end, bound);',
    '    return r;',
    '  }',
    `  ${fill}`,
    `  if (miss(args, r, start, end)) { ${cur.map((c, i) => `${kept[i]} = ${c};`).join(' ')} }`,
    '  return r;',
    '};',
  ].join('\n');
}

/**
 * The fast path's import of one function of wasm params `params`, from `parts`: a JavaScript function that takes each
 * i64 as two numbers (wrap it in splitTrampoline for a guest).
 */
export function fixedPath(params: readonly ('i32' | 'i64')[], parts: FixedPathParts): (...a: unknown[]) => unknown {
  const key = `${params.join(',')}/${parts.timed}`;
  let factory = factories.get(key);
  if (factory === undefined) {
    factory = new Function('p', 'args', 'none', 'i64FromHalves', fixedPathSource(params, parts.timed)) as Factory;
    factories.set(key, factory);
  }
  return factory(parts, new Array<unknown>(params.length).fill(0), {}, i64FromHalves);
}
