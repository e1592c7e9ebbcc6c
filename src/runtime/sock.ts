// sock_*: the builtin runtime has no sockets to hand out, so every fd is either not open (EBADF) or not a
// socket (ENOTSOCK). Pointers are checked first (by the binding layer), like every other call.
import { Errno, WasiError } from '../abi/index.js';
import type { Family, RuntimeContext } from './context.js';

function notASocket(ctx: RuntimeContext, fd: number): never {
  ctx.fds.get(fd);
  throw new WasiError(Errno.NOTSOCK);
}

export const sockFamily: Family = {
  sock_accept: (ctx, fd: number) => notASocket(ctx, fd),
  sock_recv: (ctx, fd: number) => notASocket(ctx, fd),
  sock_send: (ctx, fd: number) => notASocket(ctx, fd),
  sock_shutdown: (ctx, fd: number) => notASocket(ctx, fd),
};
