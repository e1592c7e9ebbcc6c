// The block headers a trace starts with (its header block, then its module chunks), read one by one without
// anything else of the trace: what the CLI looks at before it has even loaded the trace reader (cli/prewarm.ts,
// src/replay/early-module.ts). Nothing is checked but each block's type; the reader checks everything later.
import * as fs from 'node:fs';
import { BLOCK_HEADER, BLOCK_HEADER_SIZE, BLOCK_MODULE, PREAMBLE_SIZE, readBlockHeader, type BlockHeader } from './format.js';

/**
 * The header block and the module chunks of the trace open at `fd` (`size` bytes long), with their offsets, up to
 * the first block of another type or the end of the file; empty when the first block is no header block.
 */
export function leadingBlocks(fd: number, size: number): { at: number; h: BlockHeader }[] {
  const out: { at: number; h: BlockHeader }[] = [];
  const raw = new Uint8Array(BLOCK_HEADER_SIZE);
  for (let at = PREAMBLE_SIZE; at + BLOCK_HEADER_SIZE <= size && fs.readSync(fd, raw, 0, BLOCK_HEADER_SIZE, at) === BLOCK_HEADER_SIZE;) {
    const h = readBlockHeader(raw);
    if (h.type !== (out.length === 0 ? BLOCK_HEADER : BLOCK_MODULE)) break;
    out.push({ at, h });
    at += BLOCK_HEADER_SIZE + h.storedLength;
  }
  return out;
}
