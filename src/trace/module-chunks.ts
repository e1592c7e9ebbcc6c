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

/**
 * The module held by the MODULE chunks of the trace open at `fd` (`size` bytes long), decompressed into a
 * SharedArrayBuffer (so that the thread which read it can still hash it after handing it to another), or undefined
 * when the file does not read as a trace with a whole module: not a trace, a newer version, a damaged or cut-short
 * chunk. Nothing is reported: the caller reads the trace the usual way then, which says what is wrong. zstd must be
 * initialised (initZstd()).
 */
export function readModuleChunks(fd: number, size: number): Uint8Array | undefined {
  const pre = readAt(fd, PREAMBLE_SIZE, 0);
  if (pre.length < PREAMBLE_SIZE || !hasBytes(pre, 0, MAGIC)) return undefined;
  const version = new DataView(pre.buffer, pre.byteOffset, PREAMBLE_SIZE).getUint16(8, true);
  if (version === 0 || version > FORMAT_VERSION) return undefined;
  const first = blockAt(fd, PREAMBLE_SIZE, size);
  if (first === undefined || first.type !== BLOCK_HEADER) return undefined;

  // The chunks' headers first: they give the module's size and where the stored bytes run.
  const chunks: { header: BlockHeader; at: number }[] = [];
  let total = 0;
  let pos = PREAMBLE_SIZE + BLOCK_HEADER_SIZE + first.storedLength;
  for (let h = blockAt(fd, pos, size); h?.type === BLOCK_MODULE; h = blockAt(fd, pos, size)) {
    const sound = h.count === chunks.length && h.reserved === 0 && h.rawLength > 0 && h.rawLength <= MAX_FRAME_BYTES &&
      (h.codec === CODEC_RAW ? h.storedLength === h.rawLength : h.codec === CODEC_ZSTD && h.storedLength <= zstdCompressBound(h.rawLength));
    total += h.rawLength;
    if (!sound || total > MAX_MODULE_BYTES) return undefined;
    chunks.push({ header: h, at: pos + BLOCK_HEADER_SIZE });
    pos += BLOCK_HEADER_SIZE + h.storedLength;
  }
  if (chunks.length === 0) return undefined;

  // Then all the stored bytes in one read, each chunk checked and decompressed into its place.
  const start = chunks[0]!.at - BLOCK_HEADER_SIZE;
  const stored = readAt(fd, pos - start, start);
  if (stored.length < pos - start) return undefined;
  const module = new Uint8Array(new SharedArrayBuffer(total));
  let out = 0;
  for (const { header: h, at } of chunks) {
    const piece = stored.subarray(at - start, at - start + h.storedLength);
    if (crc32(piece) !== h.crc) return undefined;
    try {
      if (h.codec === CODEC_RAW) module.set(piece, out);
      else decompress(piece, h.rawLength, module.subarray(out));
    } catch {
      return undefined;
    }
    out += h.rawLength;
  }
  return module;
}

/** The block header at `at` when a whole one is there (its payload may still run past the end). */
function blockAt(fd: number, at: number, size: number): BlockHeader | undefined {
  if (at + BLOCK_HEADER_SIZE > size) return undefined;
  const raw = readAt(fd, BLOCK_HEADER_SIZE, at);
  return raw.length === BLOCK_HEADER_SIZE ? readBlockHeader(raw) : undefined;
}
