// args_* and environ_*: strings are handed over as NUL-terminated UTF-8; sizes are byte lengths.
import { Errno } from '../abi/index.js';
import type { Family, RuntimeContext } from './context.js';

function sizes(ctx: RuntimeContext, list: readonly Uint8Array[], countPtr: number, sizePtr: number): number {
  const total = list.reduce((n, s) => n + s.length, 0);
  ctx.mem.check(countPtr, 4);
  ctx.mem.check(sizePtr, 4);
  ctx.mem.setU32(countPtr, list.length);
  ctx.mem.setU32(sizePtr, total);
  return Errno.SUCCESS;
}

function get(ctx: RuntimeContext, list: readonly Uint8Array[], ptrsPtr: number, bufPtr: number): number {
  const total = list.reduce((n, s) => n + s.length, 0);
  ctx.mem.check(ptrsPtr, list.length * 4);
  ctx.mem.check(bufPtr, total);
  let at = bufPtr >>> 0;
  list.forEach((s, i) => {
    ctx.mem.setU32(ptrsPtr + i * 4, at);
    ctx.mem.bytes.set(s, at);
    at += s.length;
  });
  return Errno.SUCCESS;
}

export const argsFamily: Family = {
  args_get: (ctx, argv: number, buf: number) => get(ctx, ctx.args, argv, buf),
  args_sizes_get: (ctx, argc: number, size: number) => sizes(ctx, ctx.args, argc, size),
  environ_get: (ctx, env: number, buf: number) => get(ctx, ctx.environ, env, buf),
  environ_sizes_get: (ctx, count: number, size: number) => sizes(ctx, ctx.environ, count, size),
};
