// The msgpackr settings of the trace's header, footer and events (apart from format.ts, which imports nothing).
// 'msgpackr/pack' is, for Node, msgpackr's plain ES entry (index.js: Packr and Unpackr both): half the load time of
// the main entry, which also loads node:stream and looks for a native string decoder that events hardly need.
import type { Options as MsgpackOptions } from 'msgpackr';
import { Packr, Unpackr } from 'msgpackr/pack';

/**
 * Options for decoding events, the header and the footer with msgpackr:
 * - `mapsAsObjects: true`: without it a `new Unpackr({...})` returns maps as `Map`s (only the
 *   module-level `unpack` defaults to plain objects).
 * - `int64AsType: 'bigint'`: msgpack int64/uint64 values come back as exact bigints. msgpackr
 *   writes those only for bigints (JS numbers above 32 bits become float64, also exact), so a
 *   bigint comes back a bigint and a number a number.
 * - bin values come back as Buffers that are views into the decoded frame (no copy); the frame
 *   is a fresh allocation, so they stay valid, but they keep their frame (≤ 1 MiB) alive.
 * No `structures` option: each unpack starts with no record structures, so every frame decodes
 * on its own, including frames written by a fresh `Packr({ sequential: true })` per frame.
 */
export const UNPACK_OPTIONS: MsgpackOptions = { mapsAsObjects: true, int64AsType: 'bigint' };

export function newUnpackr(): Unpackr {
  return new Unpackr({ ...UNPACK_OPTIONS });
}

/** Plain msgpack (maps as maps, no msgpackr records) for the header and footer. */
const mapPackr = new Packr({ useRecords: false });

export function packMap(value: Record<string, unknown>): Uint8Array {
  return mapPackr.pack(value);
}
