// Bounds-checked access to the guest's linear memory. Every accessor throws WasiError(EFAULT) for a range
// outside memory, so a guest's garbage pointer becomes an errno, never a host exception. The binding layer
// (bind.ts) is the only code that reads arguments and writes out-params through it.
import { Errno, WasiError } from '../abi/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class GuestMemory {
  // The current views of memory and its size, valid until it grows. refresh() brings them up to date; the binding
  // layer calls it once at the start of each call and then reads them directly (memory cannot grow during a call).
  /** @internal */ u8 = new Uint8Array(0);
  /** @internal */ dv = new DataView(new ArrayBuffer(0));
  /** @internal */ u64 = new BigUint64Array(0);
  /** @internal */ buffer: ArrayBufferLike = new ArrayBuffer(0);
  /** @internal */ size = 0;
  private shared = false;

  /** The memory may be attached later (the proxy exists before the instance); until then it reads as empty. */
  constructor(private memory?: WebAssembly.Memory) {
    if (memory) this.attach(memory);
  }

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.shared = memory.buffer instanceof SharedArrayBuffer;
    this.reload();
  }

  /**
   * Keeps the views current. Growing a (non-shared) memory detaches its old buffer, whose views then have length 0,
   * so a non-empty view is still current and the memory.buffer getter is only consulted after a grow.
   */
  refresh(): void {
    if (this.u8.length !== 0 && !this.shared) return;
    this.reload();
  }

  private reload(): void {
    const b = this.memory?.buffer;
    if (b === undefined || b === this.buffer) return;
    this.buffer = b;
    this.u8 = new Uint8Array(b);
    this.dv = new DataView(b);
    this.u64 = new BigUint64Array(b, 0, Math.floor(b.byteLength / BigUint64Array.BYTES_PER_ELEMENT));
    this.size = b.byteLength;
  }

  get view(): DataView { this.refresh(); return this.dv; }
  get bytes(): Uint8Array { this.refresh(); return this.u8; }

  /** Throws EFAULT unless [ptr, ptr+len) lies inside memory. ptr and len are u32 (negative i32s are reinterpreted). */
  check(ptr: number, len: number): void {
    this.refresh();
    if ((ptr >>> 0) + (len >>> 0) > this.size) throw new WasiError(Errno.FAULT);
  }

  /** Throws EFAULT unless `count` items of `size` bytes from `ptr` lie inside memory (count is a u32; no wrap-around). */
  checkArray(ptr: number, count: number, size: number): void {
    this.refresh();
    if ((ptr >>> 0) + (count >>> 0) * size > this.size) throw new WasiError(Errno.FAULT);
  }

  /** A live view of guest bytes (valid until memory grows). */
  slice(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return new Uint8Array(this.buffer, ptr >>> 0, len >>> 0);
  }

  /** A UTF-8 string argument (such as a path). EINVAL for an interior NUL, EILSEQ for invalid UTF-8. */
  readString(ptr: number, len: number): string {
    const b = this.slice(ptr, len);
    if (b.includes(0)) throw new WasiError(Errno.INVAL, 'string contains NUL');
    try { return utf8.decode(b); } catch { throw new WasiError(Errno.ILSEQ, 'string is not UTF-8'); }
  }
}
