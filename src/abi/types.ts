// Sizes and field offsets of every preview1 type that crosses guest memory
// (the spec's typenames.witx, wasm32 layout), with generic readers and writers.
import {
  ADVICE, CLOCKID, ERRNO, EVENTRWFLAGS, EVENTTYPE, FDFLAGS, FILETYPE, FSTFLAGS, LOOKUPFLAGS, OFLAGS, PREOPENTYPE,
  RIFLAGS, RIGHTS, ROFLAGS, SDFLAGS, SIFLAGS, SIGNAL, SUBCLOCKFLAGS, WHENCE, type EnumDef, type FlagsDef,
} from './names.js';

/** Machine representation of a scalar in memory. u64/s64 are bigint in JS, the rest number. */
export type Prim = 'u8' | 'u16' | 'u32' | 'u64' | 's64';

export interface ScalarType {
  readonly name: string;
  readonly prim: Prim;
  /** How a value is displayed: an enum/flag set by name, a plain number, an fd, or a guest pointer. */
  readonly display?: EnumDef | FlagsDef | 'fd' | 'pointer';
}

const PRIM_SIZE: Record<Prim, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s64: 8 };
export const primSize = (p: Prim): number => PRIM_SIZE[p];

const scalar = (name: string, prim: Prim, display?: ScalarType['display']): ScalarType => ({ name, prim, display });

export const SCALARS = {
  size: scalar('size', 'u32'),
  filesize: scalar('filesize', 'u64'),
  filedelta: scalar('filedelta', 's64'),
  timestamp: scalar('timestamp', 'u64'),
  dircookie: scalar('dircookie', 'u64'),
  dirnamlen: scalar('dirnamlen', 'u32'),
  device: scalar('device', 'u64'),
  inode: scalar('inode', 'u64'),
  linkcount: scalar('linkcount', 'u64'),
  userdata: scalar('userdata', 'u64'),
  exitcode: scalar('exitcode', 'u32'),
  pointer: scalar('pointer', 'u32', 'pointer'),
  fd: scalar('fd', 'u32', 'fd'),
  errno: scalar('errno', 'u16', ERRNO),
  clockid: scalar('clockid', 'u32', CLOCKID),
  rights: scalar('rights', 'u64', RIGHTS),
  whence: scalar('whence', 'u8', WHENCE),
  filetype: scalar('filetype', 'u8', FILETYPE),
  advice: scalar('advice', 'u8', ADVICE),
  fdflags: scalar('fdflags', 'u16', FDFLAGS),
  fstflags: scalar('fstflags', 'u16', FSTFLAGS),
  lookupflags: scalar('lookupflags', 'u32', LOOKUPFLAGS),
  oflags: scalar('oflags', 'u16', OFLAGS),
  eventtype: scalar('eventtype', 'u8', EVENTTYPE),
  eventrwflags: scalar('eventrwflags', 'u16', EVENTRWFLAGS),
  subclockflags: scalar('subclockflags', 'u16', SUBCLOCKFLAGS),
  signal: scalar('signal', 'u8', SIGNAL),
  riflags: scalar('riflags', 'u16', RIFLAGS),
  roflags: scalar('roflags', 'u16', ROFLAGS),
  siflags: scalar('siflags', 'u16', SIFLAGS),
  sdflags: scalar('sdflags', 'u8', SDFLAGS),
  preopentype: scalar('preopentype', 'u8', PREOPENTYPE),
} as const;
export type ScalarName = keyof typeof SCALARS;

export interface Field {
  /** Field name; a union arm's fields are named "arm.field" (e.g. "clock.timeout"). */
  readonly name: string;
  readonly offset: number;
  readonly type: ScalarType;
}

export interface StructType {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly Field[];
  /** For a tagged union: the tag field and, per tag value, the names of the arm fields that apply. */
  readonly union?: { readonly tag: string; readonly arms: Readonly<Record<number, readonly string[]>> };
}

const f = (name: string, offset: number, type: ScalarType): Field => ({ name, offset, type });
const S = SCALARS;

export const STRUCTS = {
  iovec: { name: 'iovec', size: 8, align: 4, fields: [f('buf', 0, S.pointer), f('buf_len', 4, S.size)] },
  ciovec: { name: 'ciovec', size: 8, align: 4, fields: [f('buf', 0, S.pointer), f('buf_len', 4, S.size)] },
  fdstat: {
    name: 'fdstat', size: 24, align: 8,
    fields: [
      f('fs_filetype', 0, S.filetype), f('fs_flags', 2, S.fdflags), f('fs_rights_base', 8, S.rights),
      f('fs_rights_inheriting', 16, S.rights),
    ],
  },
  filestat: {
    name: 'filestat', size: 64, align: 8,
    fields: [
      f('dev', 0, S.device), f('ino', 8, S.inode), f('filetype', 16, S.filetype), f('nlink', 24, S.linkcount),
      f('size', 32, S.filesize), f('atim', 40, S.timestamp), f('mtim', 48, S.timestamp), f('ctim', 56, S.timestamp),
    ],
  },
  dirent: {
    name: 'dirent', size: 24, align: 8,
    fields: [f('d_next', 0, S.dircookie), f('d_ino', 8, S.inode), f('d_namlen', 16, S.dirnamlen), f('d_type', 20, S.filetype)],
  },
  prestat: {
    name: 'prestat', size: 8, align: 4,
    fields: [f('tag', 0, S.preopentype), f('dir.pr_name_len', 4, S.size)],
    union: { tag: 'tag', arms: { 0: ['dir.pr_name_len'] } },
  },
  subscription: {
    name: 'subscription', size: 48, align: 8,
    fields: [
      f('userdata', 0, S.userdata), f('tag', 8, S.eventtype),
      f('clock.id', 16, S.clockid), f('clock.timeout', 24, S.timestamp), f('clock.precision', 32, S.timestamp),
      f('clock.flags', 40, S.subclockflags), f('fd_readwrite.file_descriptor', 16, S.fd),
    ],
    union: {
      tag: 'tag',
      arms: {
        0: ['clock.id', 'clock.timeout', 'clock.precision', 'clock.flags'],
        1: ['fd_readwrite.file_descriptor'],
        2: ['fd_readwrite.file_descriptor'],
      },
    },
  },
  event: {
    name: 'event', size: 32, align: 8,
    fields: [
      f('userdata', 0, S.userdata), f('error', 8, S.errno), f('type', 10, S.eventtype),
      f('fd_readwrite.nbytes', 16, S.filesize), f('fd_readwrite.flags', 24, S.eventrwflags),
    ],
    union: { tag: 'type', arms: { 0: [], 1: ['fd_readwrite.nbytes', 'fd_readwrite.flags'], 2: ['fd_readwrite.nbytes', 'fd_readwrite.flags'] } },
  },
} as const satisfies Record<string, StructType>;
export type StructName = keyof typeof STRUCTS;

/** A type an out-param points at: a scalar or a struct. */
export type MemType = ScalarType | StructType;
export const isStruct = (t: MemType): t is StructType => 'fields' in t;
export const memTypeSize = (t: MemType): number => (isStruct(t) ? t.size : primSize(t.prim));

/** Reads one scalar (caller has bounds-checked). */
export function readPrim(view: DataView, addr: number, prim: Prim): number | bigint {
  switch (prim) {
    case 'u8': return view.getUint8(addr);
    case 'u16': return view.getUint16(addr, true);
    case 'u32': return view.getUint32(addr, true);
    case 'u64': return view.getBigUint64(addr, true);
    case 's64': return view.getBigInt64(addr, true);
  }
}

/** Writes one scalar (caller has bounds-checked). */
export function writePrim(view: DataView, addr: number, prim: Prim, value: number | bigint): void {
  switch (prim) {
    case 'u8': view.setUint8(addr, Number(value)); break;
    case 'u16': view.setUint16(addr, Number(value), true); break;
    case 'u32': view.setUint32(addr, Number(value), true); break;
    case 'u64': view.setBigUint64(addr, BigInt(value), true); break;
    case 's64': view.setBigInt64(addr, BigInt(value), true); break;
  }
}

/** The fields of a struct that are meaningful for its current tag (all fields for a plain struct). */
export function liveFields(t: StructType, values: Record<string, number | bigint>): readonly Field[] {
  if (!t.union) return t.fields;
  const arm = t.union.arms[Number(values[t.union.tag])] ?? [];
  return t.fields.filter((fl) => fl.name === t.union!.tag || !fl.name.includes('.') || arm.includes(fl.name));
}

/** Reads a struct into {field: value}; a union reads only its tag and live arm. */
export function readStruct(view: DataView, addr: number, t: StructType): Record<string, number | bigint> {
  const out: Record<string, number | bigint> = {};
  if (t.union) {
    const tagField = t.fields.find((fl) => fl.name === t.union!.tag)!;
    out[tagField.name] = readPrim(view, addr + tagField.offset, tagField.type.prim);
  }
  for (const fl of t.union ? liveFields(t, out) : t.fields) out[fl.name] = readPrim(view, addr + fl.offset, fl.type.prim);
  return out;
}

/**
 * Writes a struct: zero-fills its whole size (padding included, so the bytes a call writes are deterministic),
 * then each given field. Missing fields stay zero.
 */
export function writeStruct(view: DataView, addr: number, t: StructType, values: Record<string, number | bigint>): void {
  new Uint8Array(view.buffer, view.byteOffset + addr, t.size).fill(0);
  for (const fl of t.fields) {
    const v = values[fl.name];
    if (v !== undefined) writePrim(view, addr + fl.offset, fl.type.prim, v);
  }
}
