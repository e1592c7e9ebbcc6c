// Bounds-checked access to the guest's linear memory. Every accessor throws WasiError(EFAULT) for a range
// outside memory, so a guest's garbage pointer becomes an errno, never a host exception.
import { Errno, readStruct, STRUCTS, type StructType, WasiError, writeStruct } from '../abi/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class GuestMemory {
  private _view = new DataView(new ArrayBuffer(0));
  private _bytes = new Uint8Array(0);
  private shared = false;

  /** The memory may be attached later (the proxy exists before the instance); until then it reads as empty. */
  constructor(private memory?: WebAssembly.Memory) {
    if (memory) this.attach(memory);
  }

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.shared = memory.buffer instanceof SharedArrayBuffer;
    this.refresh(true);
  }

  /**
   * Keeps the views current. Growing a (non-shared) memory detaches its old buffer, which then has length 0,
   * so a non-empty view is still current and the memory.buffer getter is only consulted after a grow.
   */
  private refresh(force = false): void {
    if (!force && this._bytes.byteLength !== 0 && !this.shared) return;
    const b = this.memory?.buffer;
    if (b === undefined || b === this._bytes.buffer) return;
    this._view = new DataView(b);
    this._bytes = new Uint8Array(b);
  }
  get view(): DataView { this.refresh(); return this._view; }
  get bytes(): Uint8Array { this.refresh(); return this._bytes; }

  /** Throws EFAULT unless [ptr, ptr+len) lies inside memory. ptr and len are u32 (negative i32s are reinterpreted). */
  check(ptr: number, len: number): void {
    this.refresh();
    if ((ptr >>> 0) + (len >>> 0) > this._bytes.length) throw new WasiError(Errno.FAULT);
  }

  /** A live view of guest bytes (valid until memory grows). */
  slice(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return this._bytes.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
  }

  setU32(ptr: number, v: number): void { this.check(ptr, 4); this._view.setUint32(ptr >>> 0, v, true); }
  setU16(ptr: number, v: number): void { this.check(ptr, 2); this._view.setUint16(ptr >>> 0, v, true); }
  setU64(ptr: number, v: bigint): void { this.check(ptr, 8); this._view.setBigUint64(ptr >>> 0, v, true); }
  getU32(ptr: number): number { this.check(ptr, 4); return this._view.getUint32(ptr >>> 0, true); }

  readStruct(ptr: number, t: StructType): Record<string, number | bigint> {
    this.check(ptr, t.size);
    return readStruct(this._view, ptr >>> 0, t);
  }
  writeStruct(ptr: number, t: StructType, values: Record<string, number | bigint>): void {
    this.check(ptr, t.size);
    writeStruct(this._view, ptr >>> 0, t, values);
  }

  /** A UTF-8 string argument (such as a path). EINVAL for an interior NUL, EILSEQ for invalid UTF-8. */
  readString(ptr: number, len: number): string {
    const b = this.slice(ptr, len);
    if (b.includes(0)) throw new WasiError(Errno.INVAL, 'string contains NUL');
    try { return utf8.decode(b); } catch { throw new WasiError(Errno.ILSEQ, 'string is not UTF-8'); }
  }

  /** The buffers of an iovec/ciovec array, as live views, all bounds-checked before any is used. */
  iovecs(ptr: number, count: number): Uint8Array[] {
    const size = STRUCTS.iovec.size;
    if ((count >>> 0) > 0x10000000) throw new WasiError(Errno.INVAL);
    this.check(ptr, (count >>> 0) * size);
    const out: Uint8Array[] = [];
    for (let i = 0; i < count >>> 0; i++) {
      const buf = this._view.getUint32((ptr >>> 0) + i * size, true);
      const len = this._view.getUint32((ptr >>> 0) + i * size + 4, true);
      out.push(this.slice(buf, len));
    }
    return out;
  }
}
