// args_* and environ_*: strings are handed over as NUL-terminated UTF-8; sizes are byte lengths. The binding
// layer lays the strings out in guest memory (args_get) and writes the sizes.
import { readOnly, type Family } from './context.js';

/** [count, total bytes] of a list of strings. */
const sizes = (list: readonly Uint8Array[]): [number, number] => [list.length, list.reduce((n, s) => n + s.length, 0)];

export const argsFamily: Family = {
  args_get: readOnly((ctx) => ctx.args),
  args_sizes_get: (ctx) => sizes(ctx.args),
  environ_get: readOnly((ctx) => ctx.environ),
  environ_sizes_get: (ctx) => sizes(ctx.environ),
};
