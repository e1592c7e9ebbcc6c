// The module cache: a module's MODULE blocks are compressed once and kept, content-addressed, in
// `$XDG_CACHE_HOME/wasi-trace/modules/<sha256>.zst` (`~/.cache` when XDG_CACHE_HOME is unset or not absolute), so
// that recording the same module again costs no compression: only reading the entry and checking its digest.
// `WASI_TRACE_MODULE_CACHE=off` (or `0`) turns it off. A cache that cannot be read or written is skipped silently:
// the module is compressed as if there were none, and the trace is the same byte for byte either way.
//
// An entry is a valid zstd file (`zstd -d <sha256>.zst` gives the module back): a skippable frame with what the
// entry is, then the module's 1 MiB chunks as zstd frames, exactly the MODULE blocks' payloads. The skippable frame:
// magic (u32 LE 0x184D2A57), its length (u32 LE), the sha256 of everything after the digest (32 bytes), then JSON
// {"wasiTraceModuleCache":1,"sha256","size","level","chunk","frames":[stored length of each chunk],"crcs":[CRC-32 of
// each frame]} ("crcs" is optional: entries written before it was kept have none, and their CRCs are computed).
// Safe against concurrent writers: each writes a temporary name beside the entry and renames it into place; a
// reader reads one whole file, and rejects (and replaces) one whose digest, module hash, size, level or frame
// lengths are not what it needs.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { moduleCacheDir } from '../trace/cache-dir.js';
import { MAX_FRAME_BYTES, MODULE_LEVEL } from '../trace/format.js';
import { EncodedModule, TraceWriter } from '../trace/writer.js';

/**
 * Entries are kept for modules of at least this many bytes: every module. Even a small one is worth it: the first
 * zstd compression in a process compiles zstd's code (~5 ms), and compressing a 14 KB module is already enough work
 * for V8 to re-compile zstd's block compressor with its optimizing tier (60–110 ms of a background thread, which
 * the process waits for when it exits), while reading an entry costs a fraction of a millisecond.
 */
export const CACHE_MIN_BYTES = 0;

const SKIPPABLE_MAGIC = 0x184d2a57;
const DIGEST_BYTES = 32;
const HEAD_BYTES = 8 + DIGEST_BYTES;
const ENTRY_VERSION = 1;

interface EntryMeta {
  wasiTraceModuleCache: number;
  sha256: string;
  size: number;
  level: number;
  chunk: number;
  frames: number[];
  /** The CRC-32 of each frame (the MODULE blocks' header field), so that a recording need not compute them. */
  crcs?: number[];
}

export { moduleCacheDir };

export interface CacheOptions {
  /** The cache's directory; undefined: none (default: moduleCacheDir()). */
  dir?: string | undefined;
  /** Modules smaller than this are not cached (default CACHE_MIN_BYTES). */
  minBytes?: number;
}

/** What encodedModuleFor did, for tests and the bench: read the entry, compressed and wrote one, or no cache. */
export type CacheOutcome = 'hit' | 'stored' | 'uncached';

/**
 * The MODULE blocks of `module` (whose sha256 is `sha256`, computed here when not given), compressed at
 * MODULE_LEVEL: from its cache entry when there is a sound one, else compressed now and stored in the cache for
 * next time; with the module's sha256 (as given, or computed here: the recording pipeline hashes a module only
 * here, on the writer's thread, never on the guest's). zstd must be initialised (initZstd). Never fails because
 * of the cache.
 */
export function encodedModuleFor(module: Uint8Array, sha256?: string, options: CacheOptions = {}): { encoded: EncodedModule; outcome: CacheOutcome; sha256: string } {
  const dir = 'dir' in options ? options.dir : moduleCacheDir();
  const hash = sha256 ?? createHash('sha256').update(module).digest('hex');
  if (dir === undefined || module.length < (options.minBytes ?? CACHE_MIN_BYTES)) {
    return { encoded: TraceWriter.encodeModule(module, MODULE_LEVEL), outcome: 'uncached', sha256: hash };
  }
  const path = join(dir, `${hash}.zst`);
  const cached = readEntry(path, hash, module.length);
  if (cached) return { encoded: cached, outcome: 'hit', sha256: hash };
  const encoded = TraceWriter.encodeModule(module, MODULE_LEVEL);
  return { encoded, outcome: writeEntry(dir, path, hash, module.length, encoded) ? 'stored' : 'uncached', sha256: hash };
}

/** The entry at `path` as MODULE blocks, or undefined when it is missing, unreadable or not sound for this module. */
function readEntry(path: string, sha256: string, size: number): EncodedModule | undefined {
  let file: Buffer;
  try {
    file = fs.readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    if (file.length < HEAD_BYTES || file.readUInt32LE(0) !== SKIPPABLE_MAGIC) return undefined;
    const headLength = file.readUInt32LE(4);
    if (headLength < DIGEST_BYTES || 8 + headLength > file.length) return undefined;
    const digest = createHash('sha256').update(file.subarray(HEAD_BYTES)).digest();
    if (!digest.equals(file.subarray(8, HEAD_BYTES))) return undefined;
    const meta = JSON.parse(file.subarray(HEAD_BYTES, 8 + headLength).toString('utf8')) as EntryMeta;
    if (meta.wasiTraceModuleCache !== ENTRY_VERSION || meta.sha256 !== sha256 || meta.size !== size ||
      meta.level !== MODULE_LEVEL || meta.chunk !== MAX_FRAME_BYTES || !Array.isArray(meta.frames)) return undefined;
    const frames: Uint8Array[] = [];
    let at = 8 + headLength;
    for (const n of meta.frames) {
      if (!Number.isSafeInteger(n) || n <= 0 || at + n > file.length) return undefined;
      frames.push(file.subarray(at, at + n));
      at += n;
    }
    if (at !== file.length) return undefined;
    // The CRCs are covered by the digest checked above.
    return EncodedModule.fromZstdFrames(frames, size, Array.isArray(meta.crcs) ? meta.crcs : undefined);
  } catch {
    return undefined; // malformed: compressed afresh and replaced
  }
}

/** Stores an entry (temporary name, then rename); false when the cache cannot be written. */
function writeEntry(dir: string, path: string, sha256: string, size: number, encoded: EncodedModule): boolean {
  const frames = encoded.payloads;
  const meta: EntryMeta = { wasiTraceModuleCache: ENTRY_VERSION, sha256, size, level: MODULE_LEVEL, chunk: MAX_FRAME_BYTES, frames: frames.map((f) => f.length), crcs: encoded.crcs };
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const head = Buffer.alloc(HEAD_BYTES);
  head.writeUInt32LE(SKIPPABLE_MAGIC, 0);
  head.writeUInt32LE(DIGEST_BYTES + json.length, 4);
  const digest = createHash('sha256').update(json);
  for (const f of frames) digest.update(f);
  digest.digest().copy(head, 8);
  const temp = join(dir, `.${sha256}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(temp, Buffer.concat([head, json, ...frames]), { mode: 0o600 });
    fs.renameSync(temp, path);
    return true;
  } catch {
    try { fs.rmSync(temp, { force: true }); } catch { /* nothing to clean up */ }
    return false;
  }
}
