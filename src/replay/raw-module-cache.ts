// Replay's half of the module cache: a compressed module decompressed once from a trace's MODULE chunks is kept
// decompressed, so that the next replay of a trace with the same chunks reads it instead of decompressing it again
// (20 MB of esbuild take ~70 ms of zstd, a read ~10 ms; a small module read on the replaying thread spares that
// thread starting zstd at all, ~5–10 ms). Entries are `raw-<key>.wasm` in the module cache's
// directory (src/trace/cache-dir.ts; WASI_TRACE_MODULE_CACHE=off turns them off too), where <key> is the sha256 of
// the chunks' descriptors (codec, lengths and CRC of each: known before anything is decompressed). An entry is a
// small head (magic, its length, JSON {"wasiTraceRawModule":1,"key","size","crcs":[CRC-32 of each MiB],"sha256"})
// and the module; a reader checks every CRC, and the replay still checks the module against the header's sha256:
// the entry's own "sha256" (the module's, computed before it was written; older entries lack it and are hashed).
// Written (by the thread that decompressed it) under a temporary name, then renamed: safe against concurrent writers. A cache that
// cannot be read or written is skipped silently.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from '../trace/crc32.js';
import type { ModuleWork } from '../trace/module-chunks.js';
import { sha256Hex } from '../trace/sha256.js';

/**
 * The reader thread keeps no module smaller than this decompressed: it decompresses one in a few milliseconds, off the
 * replay's critical path. (The replaying thread keeps every compressed module it reads: see replay.ts moduleHere.)
 */
export const RAW_CACHE_MIN_BYTES = 4 << 20;
const MAGIC = 0x57545257; // "WRTW" little-endian
const VERSION = 1;
const CRC_SPAN = 1 << 20;
/** A temporary entry untouched for this long is left over from a writer that was killed (removed by the next one). */
const STALE_TEMP_MS = 10 * 60_000;

interface RawEntryMeta { wasiTraceRawModule: number; key: string; size: number; crcs: number[]; sha256?: string }

/** The key of a module's entry: the sha256 of its chunks' descriptors (not of their bytes). */
export function rawModuleKey(work: Pick<ModuleWork, 'chunks'>): string {
  const lines = [`wasi-trace raw module ${VERSION}\n`, ...work.chunks.map((c) => `${c.codec} ${c.rawLength} ${c.storedLength} ${c.crc}\n`)];
  return sha256Hex(Buffer.from(lines.join(''), 'utf8'));
}

/** The entry's path for `key` in `dir`. */
export const rawEntryPath = (dir: string, key: string): string => join(dir, `raw-${key}.wasm`);

function crcs(module: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at < module.length; at += CRC_SPAN) out.push(crc32(module, at, Math.min(at + CRC_SPAN, module.length)));
  return out;
}

/**
 * The module kept for `key` in `dir` (of `size` bytes), in shared memory; undefined when there is none, or it does
 * not read back whole (its head, its size, any CRC).
 */
export function readRawEntry(dir: string, key: string, size: number): Uint8Array | undefined {
  return readRawEntryWithDigest(dir, key, size)?.module;
}

/** readRawEntry, with the module's hex sha256 as the entry says it (entries written before it was kept lack it). */
export function readRawEntryWithDigest(dir: string, key: string, size: number): { module: Uint8Array; sha256?: string } | undefined {
  const entry = readRawEntryUnchecked(dir, key, size);
  return entry && entry.sound() ? { module: entry.module, ...(entry.sha256 !== undefined && { sha256: entry.sha256 }) } : undefined;
}

/**
 * readRawEntryWithDigest but for its CRCs: `sound()` checks them (every MiB's), for a caller that compiles the
 * module meanwhile and uses it only when they hold (replay.ts). Undefined when there is no entry, or its head or
 * size is not the one wanted.
 */
export function readRawEntryUnchecked(dir: string, key: string, size: number): { module: Uint8Array; sha256?: string; sound: () => boolean } | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(rawEntryPath(dir, key), 'r');
    const total = fs.fstatSync(fd).size;
    if (total < 8 || total > size + (1 << 16) + 8) return undefined;
    const file = new Uint8Array(new SharedArrayBuffer(total));
    for (let done = 0; done < total;) {
      const n = fs.readSync(fd, file, done, total - done, done);
      if (n === 0) return undefined;
      done += n;
    }
    const view = new DataView(file.buffer, 0, 8);
    const headLength = view.getUint32(4, true);
    if (view.getUint32(0, true) !== MAGIC || 8 + headLength + size !== total) return undefined;
    const meta = JSON.parse(Buffer.from(file.subarray(8, 8 + headLength)).toString('utf8')) as RawEntryMeta;
    if (meta.wasiTraceRawModule !== VERSION || meta.key !== key || meta.size !== size || !Array.isArray(meta.crcs)) return undefined;
    const module = file.subarray(8 + headLength);
    const sound = () => {
      const found = crcs(module);
      return found.length === meta.crcs.length && found.every((c, i) => c === meta.crcs[i]);
    };
    return { module, sound, ...(typeof meta.sha256 === 'string' && /^[0-9a-f]{64}$/.test(meta.sha256) && { sha256: meta.sha256 }) };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Removes the temporary entries in `dir` that were left over by killed writers (see STALE_TEMP_MS). */
function removeStaleTemps(dir: string, now: number): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith('.raw-') || !name.endsWith('.tmp')) continue;
    try {
      const path = join(dir, name);
      if (now - fs.statSync(path).mtimeMs > STALE_TEMP_MS) fs.rmSync(path, { force: true });
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

/**
 * Keeps `module` as the entry for `key` in `dir` (temporary name, then rename); false when it cannot be written.
 * `sha256`: the module's hex sha256, as computed from it (kept in the entry, so that a reader need not hash it).
 * Removes, first, temporary entries left over by writers that were killed before their rename.
 */
export function writeRawEntry(dir: string, key: string, module: Uint8Array, now = Date.now(), sha256?: string): boolean {
  removeStaleTemps(dir, now);
  const meta: RawEntryMeta = { wasiTraceRawModule: VERSION, key, size: module.length, crcs: crcs(module), ...(sha256 !== undefined && { sha256 }) };
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(json.length, 4);
  // Unique among writers: the process, and within it the thread's moment and a random part.
  const temp = join(dir, `.raw-${key}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let fd: number | undefined;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = fs.openSync(temp, 'w', 0o600);
    for (const part of [head, json, module]) for (let at = 0; at < part.length;) at += fs.writeSync(fd, part, at, part.length - at);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, rawEntryPath(dir, key));
    return true;
  } catch {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failed */ }
    try { fs.rmSync(temp, { force: true }); } catch { /* nothing to clean up */ }
    return false;
  }
}
