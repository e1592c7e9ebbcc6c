// Names for guest addresses, read from a module's bytes (for `mem`): what a user may write instead of an address.
//  - an exported global (C: `-Wl,--export=SYMBOL` exports a data symbol as a global holding its address; wasm-ld
//    can also export `__heap_base`, `__data_end`): the global's value, which must be an immutable i32 set by an
//    `i32.const` (a mutable global's value changes as the guest runs, so it names no fixed address);
//  - from the `name` custom section, where present: a global's name (same rule), and a data segment's name
//    (wasm-ld's `.rodata`, `.data`): the segment's start address, with its size as the default length (active
//    segments placed by an `i32.const` only; passive segments have no address).
// Exports come first, then global names, then segment names. Nothing here throws on a malformed module: a section
// that does not parse gives no names.

/** One name for an address. `size`: the default length of a range at it (a data segment's size). */
export interface AddressName { address: number; size?: number; what: string }

/** The names a module gives addresses, and why other names that exist cannot be used (say, a mutable global). */
export interface ModuleNames {
  names: Map<string, AddressName>;
  unusable: Map<string, string>;
}

class Bytes {
  at = 0;
  constructor(readonly b: Uint8Array, readonly end = b.length) {}
  byte(): number {
    if (this.at >= this.end) throw new RangeError('truncated');
    return this.b[this.at++]!;
  }
  u32(): number {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const x = this.byte();
      v += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) return v;
      if (shift > 28) throw new RangeError('bad LEB128');
    }
  }
  /** A signed LEB128 that fits 32 bits, as a u32 address. */
  s32(): number {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const x = this.byte();
      v |= BigInt(x & 0x7f) << shift;
      shift += 7n;
      if (!(x & 0x80)) {
        if (x & 0x40 && shift < 64n) v -= 1n << shift;
        return Number(BigInt.asUintN(32, v));
      }
      if (shift > 35n) throw new RangeError('bad LEB128');
    }
  }
  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.b.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  skip(n: number): void { this.at += n; }
  /** A constant expression: its value when it is `i32.const V end`, else undefined (skipped to its `end`). */
  constExpr(): number | undefined {
    const op = this.byte();
    if (op === 0x41) {
      const v = this.s32();
      if (this.byte() === 0x0b) return v;
    }
    while (this.byte() !== 0x0b) { /* other expressions name no fixed address */ }
    return undefined;
  }
}

/** Skips an import's description (only the kinds' shapes matter here); true when it imports a global. */
function skipImportDesc(r: Bytes): boolean {
  const kind = r.byte();
  if (kind === 0) r.u32(); // function: type index
  else if (kind === 1) { r.byte(); limits(r); } // table: reftype, limits
  else if (kind === 2) limits(r); // memory
  else if (kind === 3) { r.byte(); r.byte(); return true; } // global: valtype, mutability
  else if (kind === 4) { r.byte(); r.u32(); } // tag
  else throw new RangeError('unknown import kind');
  return false;
}

function limits(r: Bytes): void {
  const flags = r.byte();
  r.u32();
  if (flags & 1) r.u32();
}

interface Global { i32: boolean; mutable: boolean; value?: number }

/** The names of `bytes` (a module that compiled; see the file comment for which names and what they mean). */
export function moduleNames(bytes: Uint8Array): ModuleNames {
  const globals: (Global | undefined)[] = []; // imported globals first (their values are unknown)
  const exports: [string, number][] = [];
  const segments: ({ address: number; size: number } | undefined)[] = [];
  let globalNames: [number, string][] = [];
  let segmentNames: [number, string][] = [];
  const r = new Bytes(bytes);
  r.at = 8;
  while (r.at < bytes.length) {
    let id: number;
    let end: number;
    try { id = r.byte(); end = r.u32() + r.at; } catch { break; } // a truncated section header ends the walk
    const s = new Bytes(bytes, end);
    s.at = r.at;
    try {
      if (id === 2) {
        for (let n = s.u32(); n > 0; n--) { s.name(); s.name(); if (skipImportDesc(s)) globals.push(undefined); }
      } else if (id === 6) {
        for (let n = s.u32(); n > 0; n--) {
          const type = s.byte();
          const mutable = s.byte() === 1;
          globals.push({ i32: type === 0x7f, mutable, value: s.constExpr() });
        }
      } else if (id === 7) {
        for (let n = s.u32(); n > 0; n--) {
          const name = s.name();
          const kind = s.byte();
          const index = s.u32();
          if (kind === 3) exports.push([name, index]);
        }
      } else if (id === 11) {
        for (let n = s.u32(); n > 0; n--) {
          const flags = s.u32();
          let address: number | undefined;
          if (flags === 0 || flags === 2) {
            if (flags === 2) s.u32();
            address = s.constExpr();
          }
          const len = s.u32();
          s.skip(len);
          segments.push(address === undefined ? undefined : { address, size: len });
        }
      } else if (id === 0 && s.name() === 'name') {
        while (s.at < end) {
          const sub = s.byte();
          const subEnd = s.u32() + s.at;
          const list: [number, string][] = [];
          if (sub === 7 || sub === 9) for (let n = s.u32(); n > 0; n--) list.push([s.u32(), s.name()]);
          if (sub === 7) globalNames = list;
          if (sub === 9) segmentNames = list;
          s.at = subEnd;
        }
      }
    } catch { /* a section that does not parse gives no names */ }
    r.at = end;
  }
  const out: ModuleNames = { names: new Map(), unusable: new Map() };
  const addGlobal = (name: string, index: number, what: string) => {
    if (out.names.has(name) || out.unusable.has(name)) return;
    const g = globals[index];
    if (!g) out.unusable.set(name, 'an imported global: its value is not in the module');
    else if (!g.i32) out.unusable.set(name, 'a global that is not an i32, so it holds no address');
    else if (g.mutable) out.unusable.set(name, 'a mutable global: its value changes as the guest runs, so it names no fixed address');
    else if (g.value === undefined) out.unusable.set(name, 'a global not set by an i32.const, so its value is not in the module');
    else out.names.set(name, { address: g.value, what });
  };
  for (const [name, index] of exports) addGlobal(name, index, 'exported global');
  for (const [index, name] of globalNames) addGlobal(name, index, 'global (name section)');
  for (const [index, name] of segmentNames) {
    if (out.names.has(name) || out.unusable.has(name)) continue;
    const seg = segments[index];
    if (seg) out.names.set(name, { address: seg.address, size: seg.size, what: 'data segment (name section)' });
    else out.unusable.set(name, 'a passive data segment (or one not placed by an i32.const): it has no address');
  }
  return out;
}
