// Calls the builtin runtime's preview1 functions directly from TypeScript, as a guest would (arguments in a
// WebAssembly.Memory), for runtime-level tests that need no compiled guest.
import { ALL_RIGHTS, Errno, LookupFlags, MODULE_NAME, STRUCTS, readStruct } from '../../src/abi/index.js';
import { WasiRuntime, type RuntimeOptions } from '../../src/runtime/runtime.js';
import { BufferInput, CallbackOutput } from '../../src/vfs/stream.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface OpenOptions { dirflags?: number; oflags?: number; rights?: bigint; inheriting?: bigint; fdflags?: number }

export class Driver {
  readonly rt: WasiRuntime;
  readonly mem = new WebAssembly.Memory({ initial: 2 });
  readonly fns: Record<string, (...args: any[]) => number>;
  readonly internalErrors: unknown[] = [];
  private top = 1024;

  constructor(options: Partial<RuntimeOptions> = {}) {
    this.rt = new WasiRuntime({
      args: ['driver'], env: [], stdin: new BufferInput(new Uint8Array(0)), stdout: new CallbackOutput(() => {}), stderr: new CallbackOutput(() => {}),
      onInternalError: (e) => this.internalErrors.push(e), ...options,
    });
    this.rt.attach(this.mem);
    this.fns = this.rt.imports()[MODULE_NAME]!;
  }

  get bytes(): Uint8Array { return new Uint8Array(this.mem.buffer); }
  get view(): DataView { return new DataView(this.mem.buffer); }

  /** Scratch memory for one call (reset by call()). */
  alloc(n: number): number {
    const p = (this.top + 7) & ~7;
    this.top = p + n;
    return p;
  }
  /** Places a string (or bytes) in memory: [ptr, len]. */
  str(s: string | Uint8Array): [number, number] {
    const b = typeof s === 'string' ? enc.encode(s) : s;
    const p = this.alloc(b.length);
    this.bytes.set(b, p);
    return [p, b.length];
  }
  u32(p: number): number { return this.view.getUint32(p, true); }
  u64(p: number): bigint { return this.view.getBigUint64(p, true); }

  /** Calls a preview1 function; returns its errno. Scratch memory is freed afterwards. */
  call(name: string, ...args: (number | bigint)[]): number {
    try { return this.fns[name]!(...args); } finally { this.top = 1024; }
  }

  open(dirfd: number, path: string, o: OpenOptions = {}): { errno: number; fd: number } {
    const [p, n] = this.str(path);
    const out = this.alloc(4);
    const errno = this.call('path_open', dirfd, o.dirflags ?? LookupFlags.SYMLINK_FOLLOW, p, n, o.oflags ?? 0,
      o.rights ?? ALL_RIGHTS, o.inheriting ?? ALL_RIGHTS, o.fdflags ?? 0, out);
    return { errno, fd: errno === Errno.SUCCESS ? this.u32(out) : -1 };
  }

  read(fd: number, max = 4096): { errno: number; text: string } {
    const buf = this.alloc(max);
    const iov = this.alloc(8);
    this.view.setUint32(iov, buf, true);
    this.view.setUint32(iov + 4, max, true);
    const out = this.alloc(4);
    const errno = this.call('fd_read', fd, iov, 1, out);
    return { errno, text: errno ? '' : dec.decode(this.bytes.slice(buf, buf + this.u32(out))) };
  }

  write(fd: number, text: string): number {
    const [p, n] = this.str(text);
    const iov = this.alloc(8);
    this.view.setUint32(iov, p, true);
    this.view.setUint32(iov + 4, n, true);
    return this.call('fd_write', fd, iov, 1, this.alloc(4));
  }

  seek(fd: number, offset: bigint, whence: number): { errno: number; pos: bigint } {
    const out = this.alloc(8);
    const errno = this.call('fd_seek', fd, offset, whence, out);
    return { errno, pos: errno ? -1n : this.u64(out) };
  }

  filestat(dirfd: number, path: string, follow = true): { errno: number; stat?: Record<string, number | bigint> } {
    const [p, n] = this.str(path);
    const out = this.alloc(STRUCTS.filestat.size);
    const errno = this.call('path_filestat_get', dirfd, follow ? LookupFlags.SYMLINK_FOLLOW : 0, p, n, out);
    return { errno, stat: errno ? undefined : readStruct(this.view, out, STRUCTS.filestat) };
  }

  fdstat(fd: number): { errno: number; stat?: Record<string, number | bigint> } {
    const out = this.alloc(STRUCTS.fdstat.size);
    const errno = this.call('fd_fdstat_get', fd, out);
    return { errno, stat: errno ? undefined : readStruct(this.view, out, STRUCTS.fdstat) };
  }

  /** A path function taking (fd, path) only: path_create_directory, path_remove_directory, path_unlink_file. */
  pathOp(name: string, dirfd: number, path: string): number {
    const [p, n] = this.str(path);
    return this.call(name, dirfd, p, n);
  }

  symlink(target: string, dirfd: number, path: string): number {
    const [t, tn] = this.str(target);
    const [p, n] = this.str(path);
    return this.call('path_symlink', t, tn, dirfd, p, n);
  }

  rename(fd: number, from: string, toFd: number, to: string): number {
    const [a, an] = this.str(from);
    const [b, bn] = this.str(to);
    return this.call('path_rename', fd, a, an, toFd, b, bn);
  }

  link(fd: number, from: string, toFd: number, to: string, flags = 0): number {
    const [a, an] = this.str(from);
    const [b, bn] = this.str(to);
    return this.call('path_link', fd, flags, a, an, toFd, b, bn);
  }

  readlink(dirfd: number, path: string, bufLen: number): { errno: number; text: string } {
    const [p, n] = this.str(path);
    const buf = this.alloc(bufLen);
    const out = this.alloc(4);
    const errno = this.call('path_readlink', dirfd, p, n, buf, bufLen, out);
    return { errno, text: errno ? '' : dec.decode(this.bytes.slice(buf, buf + this.u32(out))) };
  }

  /** Reads the whole file at `path` (following symlinks); the errno of the first failing step otherwise. */
  readFile(dirfd: number, path: string): { errno: number; text: string } {
    const o = this.open(dirfd, path, { rights: ALL_RIGHTS });
    if (o.errno) return { errno: o.errno, text: '' };
    let text = '';
    for (;;) {
      const r = this.read(o.fd);
      if (r.errno) { this.call('fd_close', o.fd); return { errno: r.errno, text }; }
      if (r.text === '') break;
      text += r.text;
    }
    this.call('fd_close', o.fd);
    return { errno: 0, text };
  }
}
