// sock_*: the builtin runtime has no sockets to hand out, so every fd is either not open (EBADF) or not a
// socket (ENOTSOCK). Pointers are checked first, like every other call.
import { Errno, WasiError } from '../abi/index.js';
import type { Family, RuntimeContext } from './context.js';

function notASocket(ctx: RuntimeContext, fd: number): never {
  ctx.fds.get(fd);
  throw new WasiError(Errno.NOTSOCK);
}

export const sockFamily: Family = {
  sock_accept: (ctx, fd: number, _flags: number, out: number) => { ctx.mem.check(out, 4); return notASocket(ctx, fd); },
  sock_recv: (ctx, fd: number, iovs: number, iovsLen: number, _flags: number, outLen: number, outFlags: number) => {
    ctx.mem.iovecs(iovs, iovsLen);
    ctx.mem.check(outLen, 4);
    ctx.mem.check(outFlags, 2);
    return notASocket(ctx, fd);
  },
  sock_send: (ctx, fd: number, iovs: number, iovsLen: number, _flags: number, outLen: number) => {
    ctx.mem.iovecs(iovs, iovsLen);
    ctx.mem.check(outLen, 4);
    return notASocket(ctx, fd);
  },
  sock_shutdown: (ctx, fd: number) => notASocket(ctx, fd),
};
