// A small msgpack decoder for the trace's header and footer maps, so that reading a trace (a replay, on both of its
// threads) does not load msgpackr (~15–35 ms at start). It takes only the plain kinds those maps hold and gives for
// them exactly what msgpackr's Unpackr with msgpack.ts's UNPACK_OPTIONS gives; anything else is left to msgpackr.

/** What unpackPlain returns for bytes it leaves to msgpackr. */
export const NOT_PLAIN: unique symbol = Symbol('not plain msgpack');

/** Thrown inside unpackPlain for anything it does not take. */
class NotPlain extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `bytes` as exactly one msgpack value, when it holds only plain kinds: maps with string keys (as plain objects),
 * arrays, nil, undefined (msgpackr's ext type 0, which some footers hold), booleans, ints (up to 32 bits as
 * numbers, 64-bit ones as bigints), floats, valid UTF-8 strings and bins (as views of `bytes`, no copy): the values
 * msgpackr's Unpackr({ mapsAsObjects: true, int64AsType: 'bigint' }) gives for them. NOT_PLAIN for anything else (other ext types, such as msgpackr's records or dates;
 * a `__proto__` or non-string key; invalid UTF-8; bytes that end inside the value or go on after it; nesting too
 * deep for the stack): msgpackr then decodes them, or says what is wrong with them.
 */
export function unpackPlain(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let pos = 0;
  const need = (n: number): void => { if (pos + n > end) throw new NotPlain(); };
  const str = (n: number): string => {
    need(n);
    const from = pos;
    pos += n;
    let ascii = true;
    for (let i = from; i < pos; i++) if (bytes[i]! >= 0x80) { ascii = false; break; }
    if (ascii) return n < 64 ? String.fromCharCode(...bytes.subarray(from, pos)) : Buffer.from(bytes.buffer, bytes.byteOffset + from, n).toString('latin1');
    try {
      return utf8.decode(bytes.subarray(from, pos));
    } catch {
      throw new NotPlain();
    }
  };
  const bin = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const array = (n: number): unknown[] => {
    if (n > end - pos) throw new NotPlain(); // each element takes a byte at least
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = value();
    return out;
  };
  const map = (n: number): Record<string, unknown> => {
    if (n > end - pos) throw new NotPlain();
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = value();
      if (typeof k !== 'string' || k === '__proto__') throw new NotPlain();
      out[k] = value();
    }
    return out;
  };
  const u8 = () => { need(1); return bytes[pos++]!; };
  const u16 = () => { need(2); pos += 2; return view.getUint16(pos - 2); };
  const u32 = () => { need(4); pos += 4; return view.getUint32(pos - 4); };
  function value(): unknown {
    const b = u8();
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b < 0x90) return map(b & 0x0f);
    if (b < 0xa0) return array(b & 0x0f);
    if (b < 0xc0) return str(b & 0x1f);
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return bin(u8());
      case 0xc5: return bin(u16());
      case 0xc6: return bin(u32());
      case 0xca: need(4); pos += 4; return view.getFloat32(pos - 4);
      case 0xcb: need(8); pos += 8; return view.getFloat64(pos - 8);
      case 0xcc: return u8();
      case 0xcd: return u16();
      case 0xce: return u32();
      case 0xcf: need(8); pos += 8; return view.getBigUint64(pos - 8);
      case 0xd0: need(1); return view.getInt8(pos++);
      case 0xd1: need(2); pos += 2; return view.getInt16(pos - 2);
      case 0xd2: need(4); pos += 4; return view.getInt32(pos - 4);
      case 0xd3: need(8); pos += 8; return view.getBigInt64(pos - 8);
      case 0xd9: return str(u8());
      case 0xda: return str(u16());
      case 0xdb: return str(u32());
      case 0xdc: return array(u16());
      case 0xdd: return array(u32());
      case 0xde: return map(u16());
      case 0xdf: return map(u32());
      case 0xd4: // msgpackr's undefined, ext type 0 (fixext 1 with a 0 filler byte); other ext types are not plain
        need(2);
        if (bytes[pos] !== 0 || bytes[pos + 1] !== 0) throw new NotPlain();
        pos += 2;
        return undefined;
      default: throw new NotPlain(); // ext types, and 0xc1 (never used)
    }
  }
  try {
    const v = value();
    return pos === end ? v : NOT_PLAIN;
  } catch {
    return NOT_PLAIN; // NotPlain, or a RangeError for nesting too deep
  }
}
