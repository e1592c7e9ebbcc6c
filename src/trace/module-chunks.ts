// A trace's module read straight from its MODULE chunks, without the header (so without msgpack): for the replay's
// reader thread, which decompresses the module while the process is still loading the rest of wasi-trace. It loads
// only zstd and the container's layout (format.ts), and checks what it reads by: the preamble, each block header,
// the chunk indices and every chunk's CRC. TraceReader.open checks all the rest, and the replay checks the module
// against the header's sha256 before using it.
import { crc32 } from './crc32.js';
import {
  BLOCK_HEADER, BLOCK_HEADER_SIZE, BLOCK_MODULE, CODEC_RAW, CODEC_ZSTD, FORMAT_VERSION, MAGIC, MAX_FRAME_BYTES, MAX_MODULE_BYTES,
  PREAMBLE_SIZE, hasBytes, readBlockHeader, type BlockHeader,
} from './format.js';
import { readAt } from './read-at.js';
import { decompress, zstdCompressBound } from './zstd.js';

/** One MODULE chunk of a ModuleWork: where its stored bytes are in `stored`, where its content goes in `module`. */
export interface ModuleChunk { readonly from: number; readonly storedLength: number; readonly to: number; readonly rawLength: number; readonly crc: number; readonly codec: number }

/**
 * A trace's module being decompressed, chunk by chunk, by one thread or several: everything is in shared memory and
 * structured-clones (postMessage) as such, so another thread can claim chunks too (decompressNextChunk).
 */
export interface ModuleWork {
  /** The chunks' stored bytes, as read (SharedArrayBuffer). */
  readonly stored: Uint8Array;
  /** The module, filled in as chunks are done (SharedArrayBuffer). */
  readonly module: Uint8Array;
  readonly chunks: readonly ModuleChunk[];
  /** [NEXT] the next chunk to claim, [DONE] chunks finished, [FAILED] 1 once a chunk failed its CRC or zstd. */
  readonly state: Int32Array;
}
const NEXT = 0;
const DONE = 1;
const FAILED = 2;

/**
 * The module held by the MODULE chunks of the trace open at `fd` (`size` bytes long), decompressed into a
 * SharedArrayBuffer (so that the thread which read it can still hash it after handing it to another), or undefined
 * when the file does not read as a trace with a whole module: not a trace, a newer version, a damaged or cut-short
 * chunk. Nothing is reported: the caller reads the trace the usual way then, which says what is wrong. zstd must be
 * initialised (initZstd()).
 */
export function readModuleChunks(fd: number, size: number): Uint8Array | undefined {
  const work = readModuleWork(fd, size);
  if (work === undefined) return undefined;
  while (decompressNextChunk(work));
  return moduleOf(work);
}

/**
 * The MODULE chunks of the trace open at `fd`, read (stored bytes, each chunk's header checked) but not yet
 * checked by CRC nor decompressed; undefined when the file does not read as a trace with a whole module.
 */
export function readModuleWork(fd: number, size: number): ModuleWork | undefined {
  const list = moduleChunkList(fd, size);
  if (list === undefined) return undefined;
  // All the stored bytes in one read.
  const { start, end, chunks } = list;
  const stored = readAt(fd, end - start, start, true);
  if (stored.length < end - start) return undefined;
  const total = chunks.reduce((n, c) => n + c.rawLength, 0);
  return { stored, module: new Uint8Array(new SharedArrayBuffer(total)), chunks, state: new Int32Array(new SharedArrayBuffer(12)) };
}

/**
 * Whether every MODULE chunk of the trace open at `fd` (`size` bytes long) reads back with its CRC: the check a module
 * taken from elsewhere (the module cache) still needs, for the trace's damage to be reported. Reads the stored bytes,
 * decompresses nothing.
 */
export function moduleChunksSound(fd: number, size: number): boolean {
  const list = moduleChunkList(fd, size);
  if (list === undefined) return false;
  const stored = readAt(fd, list.end - list.start, list.start);
  return stored.length === list.end - list.start && list.chunks.every((c) => crc32(stored, c.from, c.from + c.storedLength) === c.crc);
}

/**
 * The MODULE chunks of the trace open at `fd` from their block headers alone (each checked; `from` counts from
 * `start`, the first chunk's block, to `end`, just past the last), with nothing read of their stored bytes; undefined
 * when the file does not read as a trace with a whole module.
 */
export function moduleChunkList(fd: number, size: number): { start: number; end: number; chunks: ModuleChunk[] } | undefined {
  const pre = readAt(fd, PREAMBLE_SIZE, 0);
  if (pre.length < PREAMBLE_SIZE || !hasBytes(pre, 0, MAGIC)) return undefined;
  const version = new DataView(pre.buffer, pre.byteOffset, PREAMBLE_SIZE).getUint16(8, true);
  if (version === 0 || version > FORMAT_VERSION) return undefined;
  const first = blockAt(fd, PREAMBLE_SIZE, size);
  if (first === undefined || first.type !== BLOCK_HEADER) return undefined;

  // The chunks' headers give the module's size and where the stored bytes run.
  const found: { header: BlockHeader; at: number }[] = [];
  let total = 0;
  let pos = PREAMBLE_SIZE + BLOCK_HEADER_SIZE + first.storedLength;
  for (let h = blockAt(fd, pos, size); h?.type === BLOCK_MODULE; h = blockAt(fd, pos, size)) {
    const sound = h.count === found.length && h.reserved === 0 && h.rawLength > 0 && h.rawLength <= MAX_FRAME_BYTES &&
      (h.codec === CODEC_RAW ? h.storedLength === h.rawLength : h.codec === CODEC_ZSTD && h.storedLength <= zstdCompressBound(h.rawLength));
    total += h.rawLength;
    if (!sound || total > MAX_MODULE_BYTES) return undefined;
    found.push({ header: h, at: pos + BLOCK_HEADER_SIZE });
    pos += BLOCK_HEADER_SIZE + h.storedLength;
  }
  if (found.length === 0 || pos > size) return undefined;
  const start = found[0]!.at - BLOCK_HEADER_SIZE;
  let to = 0;
  const chunks = found.map(({ header: h, at }) => {
    const chunk = { from: at - start, storedLength: h.storedLength, to, rawLength: h.rawLength, crc: h.crc, codec: h.codec };
    to += h.rawLength;
    return chunk;
  });
  return { start, end: pos, chunks };
}

/**
 * Claims the next chunk of `work` nobody claimed yet, checks its CRC and decompresses it into its place (zstd must
 * be initialised in this thread). False when every chunk was claimed already (by this thread or another).
 */
export function decompressNextChunk(work: ModuleWork): boolean {
  const i = Atomics.add(work.state, NEXT, 1);
  const c = work.chunks[i];
  if (c === undefined) return false;
  let sound = !Atomics.load(work.state, FAILED);
  if (sound) {
    const piece = work.stored.subarray(c.from, c.from + c.storedLength);
    try {
      if (crc32(piece) !== c.crc) sound = false;
      else if (c.codec === CODEC_RAW) work.module.set(piece, c.to);
      else decompress(piece, c.rawLength, work.module.subarray(c.to));
    } catch {
      sound = false;
    }
  }
  if (!sound) Atomics.store(work.state, FAILED, 1);
  Atomics.add(work.state, DONE, 1);
  Atomics.notify(work.state, DONE);
  return true;
}

/** How many chunks of `work` are not claimed yet. */
export function unclaimedChunks(work: ModuleWork): number {
  return Math.max(0, work.chunks.length - Atomics.load(work.state, NEXT));
}

/**
 * Once every chunk of `work` was claimed: waits (blocking this thread) until the other threads finished theirs, and
 * returns the module; undefined when a chunk failed, or when no chunk was finished for `stallMs` (a thread that
 * claimed one is gone).
 */
export function moduleOf(work: ModuleWork, stallMs = 60_000): Uint8Array | undefined {
  for (let done = Atomics.load(work.state, DONE); done < work.chunks.length; done = Atomics.load(work.state, DONE)) {
    if (Atomics.wait(work.state, DONE, done, stallMs) === 'timed-out') return undefined;
  }
  return Atomics.load(work.state, FAILED) ? undefined : work.module;
}

/** The block header at `at` when a whole one is there (its payload may still run past the end). */
function blockAt(fd: number, at: number, size: number): BlockHeader | undefined {
  if (at + BLOCK_HEADER_SIZE > size) return undefined;
  const raw = readAt(fd, BLOCK_HEADER_SIZE, at);
  return raw.length === BLOCK_HEADER_SIZE ? readBlockHeader(raw) : undefined;
}
