// The one place where host failures become preview1 errnos (errnoFrom), the exception that ends a run (ProcExit),
// and what a run's end was from what escaped its entry point (endFrom). The errno error type itself, WasiError,
// lives in src/abi so that src/vfs can throw it too.
import { Errno, WasiError } from '../abi/index.js';
import type { RunEnd } from './runtime.js';

/** Thrown by proc_exit (and by a fatal proc_raise) to end the run; never turned into an errno. */
export class ProcExit extends Error {
  constructor(readonly code: number, readonly signal?: string) {
    super(signal ? `guest raised ${signal}` : `guest exited with code ${code}`);
  }
}

/** Converts what escaped from a guest's entry point into how the run ended. */
export function endFrom(e: unknown): RunEnd {
  if (e instanceof ProcExit) return { kind: 'exit', code: e.code, signal: e.signal };
  if (e instanceof WebAssembly.RuntimeError) return { kind: 'trap', message: e.message };
  if (e instanceof RangeError && /call stack/i.test(e.message)) return { kind: 'trap', message: e.message };
  if (e instanceof Error) return { kind: 'trap', message: e.message };
  return { kind: 'trap', message: String(e) };
}

/** Node/libuv error code → preview1 errno. Codes not listed become EIO. */
const HOST_CODES: Record<string, Errno> = {
  E2BIG: Errno.TOOBIG, EACCES: Errno.ACCES, EAGAIN: Errno.AGAIN, EWOULDBLOCK: Errno.AGAIN, EBADF: Errno.BADF,
  EBUSY: Errno.BUSY, EEXIST: Errno.EXIST, EFAULT: Errno.FAULT, EFBIG: Errno.FBIG, EILSEQ: Errno.ILSEQ,
  EINTR: Errno.INTR, EINVAL: Errno.INVAL, EIO: Errno.IO, EISDIR: Errno.ISDIR, ELOOP: Errno.LOOP,
  EMFILE: Errno.MFILE, EMLINK: Errno.MLINK, ENAMETOOLONG: Errno.NAMETOOLONG, ENFILE: Errno.NFILE,
  ENOENT: Errno.NOENT, ENOMEM: Errno.NOMEM, ENOSPC: Errno.NOSPC, ENOSYS: Errno.NOSYS, ENOTCONN: Errno.NOTCONN,
  ENOTDIR: Errno.NOTDIR, ENOTEMPTY: Errno.NOTEMPTY, ENOTSOCK: Errno.NOTSOCK, ENOTSUP: Errno.NOTSUP,
  EOPNOTSUPP: Errno.NOTSUP, ENOTTY: Errno.NOTTY, ENXIO: Errno.NXIO, EOVERFLOW: Errno.OVERFLOW, EPERM: Errno.PERM,
  EPIPE: Errno.PIPE, ERANGE: Errno.RANGE, EROFS: Errno.ROFS, ESPIPE: Errno.SPIPE, EXDEV: Errno.XDEV,
  ETXTBSY: Errno.TXTBSY, ENODEV: Errno.NODEV, ETIMEDOUT: Errno.TIMEDOUT,
};

/**
 * Converts anything a host function threw into the errno the guest sees.
 * WasiError → its errno; a Node system error → its mapped errno; anything else (a bug) → EIO,
 * reported through `onInternalError` so it is not silently lost.
 */
export function errnoFrom(e: unknown, onInternalError?: (e: unknown) => void): Errno {
  if (e instanceof WasiError) return e.errno;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in HOST_CODES) return HOST_CODES[code]!;
  onInternalError?.(e);
  return Errno.IO;
}
