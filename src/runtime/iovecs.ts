// The buffers of one iovec/ciovec array argument, as the binding layer hands them to fd_read, fd_write, ...:
// addresses and lengths read once from guest memory, every buffer bounds-checked, no view made unless asked for.
import { Errno, type StructType, WasiError } from '../abi/index.js';
import type { GuestMemory } from './memory.js';

/** More iovecs than this is EINVAL rather than EFAULT. */
export const MAX_IOVECS = 0x10000000;

const fieldOffset = (t: StructType, name: string): number => {
  const f = t.fields.find((x) => x.name === name);
  if (f === undefined) throw new Error(`${t.name} has no field ${name}`);
  return f.offset;
};

/**
 * One bound function keeps one Iovecs and reloads it on every call, so a call allocates nothing for its iovecs.
 * An implementation may use it only until it returns. The addresses and lengths are a snapshot taken before the
 * call: a read that overwrites the iovec array itself does not change which buffers the call fills.
 */
export class Iovecs {
  /** How many buffers. */
  count = 0;
  /** The sum of their lengths. */
  total = 0;
  private addrs = new Uint32Array(4);
  private lens = new Uint32Array(4);
  /** All of guest memory as the call found it: buffer i is bytes [addr(i), addr(i) + len(i)). */
  bytes = new Uint8Array(0);
  private readonly size: number;
  private readonly bufAt: number;
  private readonly lenAt: number;

  /** `layout`: STRUCTS.iovec or STRUCTS.ciovec. */
  constructor(layout: StructType) {
    this.size = layout.size;
    this.bufAt = fieldOffset(layout, 'buf');
    this.lenAt = fieldOffset(layout, 'buf_len');
  }

  /**
   * Reads the array of `count` entries at `ptr`: EINVAL above MAX_IOVECS entries, EFAULT when the array or any
   * buffer lies outside memory (checked in order, all before the call uses any). `mem` must be current (refresh()).
   * One buffer that lies inside memory (the common case) takes a short path, so that V8 inlines it into the bound
   * function; everything else, every error included, takes loadAll.
   */
  load(mem: GuestMemory, ptr: number, count: number): this {
    const at = ptr >>> 0;
    if (count === 1 && at + this.size <= mem.size) {
      const view = mem.dv;
      const buf = view.getUint32(at + this.bufAt, true);
      const len = view.getUint32(at + this.lenAt, true);
      if (buf + len <= mem.size) {
        this.addrs[0] = buf;
        this.lens[0] = len;
        this.count = 1;
        this.total = len;
        this.bytes = mem.u8;
        return this;
      }
    }
    return this.loadAll(mem, ptr, count);
  }

  /** load() of any number of entries. */
  private loadAll(mem: GuestMemory, ptr: number, count: number): this {
    const n = count >>> 0;
    if (n > MAX_IOVECS) throw new WasiError(Errno.INVAL, 'too many iovecs');
    if ((ptr >>> 0) + n * this.size > mem.size) throw new WasiError(Errno.FAULT);
    if (n > this.addrs.length) {
      this.addrs = new Uint32Array(Math.max(n, this.addrs.length * 2));
      this.lens = new Uint32Array(this.addrs.length);
    }
    const view = mem.dv;
    const memSize = mem.size;
    let at = ptr >>> 0;
    let total = 0;
    for (let i = 0; i < n; i++, at += this.size) {
      const buf = view.getUint32(at + this.bufAt, true);
      const len = view.getUint32(at + this.lenAt, true);
      if (buf + len > memSize) throw new WasiError(Errno.FAULT);
      this.addrs[i] = buf;
      this.lens[i] = len;
      total += len;
    }
    this.count = n;
    this.total = total;
    this.bytes = mem.u8;
    return this;
  }

  /** Length of buffer i. */
  len(i: number): number { return this.lens[i]!; }

  /** Address of buffer i in `bytes`. */
  addr(i: number): number { return this.addrs[i]!; }

  /** A live view of buffer i (a new one on each call; valid until memory grows). */
  buf(i: number): Uint8Array {
    return this.bytes.subarray(this.addrs[i]!, this.addrs[i]! + this.lens[i]!);
  }
}
