// The CLI's earliest start on a replay's module (cli/prewarm.ts, before the command line is even loaded): when the
// module cache holds the guessed trace's module decompressed (raw-module-cache.ts) and it is large, it is read and
// V8 starts compiling it at once, on its own threads, while this thread loads the rest of wasi-trace: the guest's
// compile (esbuild's 20 MB: 100–250 ms) then overlaps the start-up instead of following it. The replay takes it
// (ReplayOptions.early) only for the very file it opens, the module the header names and the tier it replays with.
// Only what this needs is loaded: the container's layout, the cache's entries, the header's plain decoder.
import * as fs from 'node:fs';
import { compileGuest, type Tiering } from '../engine.js';
import { moduleCacheDir } from '../trace/cache-dir.js';
import { crc32 } from '../trace/crc32.js';
import { BLOCK_HEADER, BLOCK_HEADER_SIZE, CODEC_RAW, type BlockHeader } from '../trace/format.js';
import { leadingBlocks } from '../trace/leading-blocks.js';
import { unpackPlain } from '../trace/plain-unpack.js';
import { rawEntryPath, rawModuleKey, readRawEntryWithDigest } from './raw-module-cache.js';

/** Modules smaller than this are not compiled early: they compile in a few milliseconds anyway. */
export const EARLY_MIN_BYTES = 1 << 20;

/** Which file a module was read early for: device, inode, size and modification time. */
export interface TraceFileIdentity { readonly dev: number; readonly ino: number; readonly size: number; readonly mtimeMs: number }

/** A trace's module read from the module cache and being compiled since the process started. */
export interface EarlyModule {
  readonly file: TraceFileIdentity;
  readonly bytes: Uint8Array;
  /** The module's hex sha256, as the cache entry keeps it. */
  readonly sha256: string;
  readonly cacheEntry: string;
  /** The tier it is compiled for: the header's, or the optimizing one for --optimize (`optimize`). */
  readonly tier: Tiering;
  /** Its compile; undefined when that failed (the replay then compiles it itself, and says why). */
  readonly compiled: Promise<WebAssembly.Module | undefined>;
}

export const fileIdentity = (st: TraceFileIdentity): TraceFileIdentity => ({ dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
export const sameFile = (a: TraceFileIdentity, b: TraceFileIdentity): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * Reads the module of the trace at `path` from the module cache and starts compiling it, for the tier a replay of it
 * uses (`optimize`: --optimize was given); undefined when anything is not as it must be for that (not a regular file
 * laid out as a trace, a module stored raw or smaller than EARLY_MIN_BYTES, no cache entry with its sha256, a header
 * that is compressed or not plain msgpack). Never throws: a wrong guess costs only the time.
 */
export function startEarlyModule(path: string, optimize: boolean): EarlyModule | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    const blocks = leadingBlocks(fd, st.size);
    const header = blocks[0];
    const chunks = blocks.slice(1).map(({ h }) => ({ codec: h.codec, rawLength: h.rawLength, storedLength: h.storedLength, crc: h.crc }));
    const size = chunks.reduce((n, c) => n + c.rawLength, 0);
    if (header?.h.type !== BLOCK_HEADER || header.h.codec !== CODEC_RAW || size < EARLY_MIN_BYTES || !chunks.some((c) => c.codec !== CODEC_RAW)) return undefined;
    const dir = moduleCacheDir();
    if (dir === undefined) return undefined;
    const key = rawModuleKey({ chunks: chunks.map((c) => ({ ...c, from: 0, to: 0 })) });
    const kept = readRawEntryWithDigest(dir, key, size);
    if (kept?.sha256 === undefined) return undefined;
    const tier = optimize ? 'optimizing' : recordedTier(fd, header.at, header.h) ?? 'baseline';
    const compiled = compileGuest(kept.module, tier).catch(() => undefined);
    return { file: fileIdentity(st), bytes: kept.module, sha256: kept.sha256, cacheEntry: rawEntryPath(dir, key), tier, compiled };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The tier the trace's header says it was recorded with (its header block stored raw at `at`), when it says one. */
function recordedTier(fd: number, at: number, h: BlockHeader): Tiering | undefined {
  const stored = new Uint8Array(h.storedLength);
  if (fs.readSync(fd, stored, 0, stored.length, at + BLOCK_HEADER_SIZE) !== stored.length || crc32(stored) !== h.crc) return undefined;
  const map = unpackPlain(stored) as { engine?: { tiering?: unknown } } | symbol;
  const tiering = typeof map === 'object' && map !== null ? map.engine?.tiering : undefined;
  return tiering === 'baseline' || tiering === 'optimizing' ? tiering : undefined;
}
