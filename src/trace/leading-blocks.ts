// The block headers a trace starts with (its header block, then its module chunks), read one by one without
// anything else of the trace: what the CLI looks at before it has even loaded the trace reader (cli/prewarm.ts).
// Nothing is checked but each block's type; the reader checks everything later.
import * as fs from 'node:fs';
import { BLOCK_HEADER, BLOCK_HEADER_SIZE, BLOCK_MODULE, PREAMBLE_SIZE, readBlockHeader, type BlockHeader } from './format.js';

/**
 * The header block and the module chunks of the trace open at `fd` (`size` bytes long), with their offsets, up to
 * the first block of another type or the end of the file, and where they end (`end`: the frames start there); none
 * (and `end` 0) when the first block is no header block.
 */
export function leadingBlocks(fd: number, size: number): { blocks: { at: number; h: BlockHeader }[]; end: number } {
  const blocks: { at: number; h: BlockHeader }[] = [];
  const raw = new Uint8Array(BLOCK_HEADER_SIZE);
  let at = PREAMBLE_SIZE;
  while (at + BLOCK_HEADER_SIZE <= size && fs.readSync(fd, raw, 0, BLOCK_HEADER_SIZE, at) === BLOCK_HEADER_SIZE) {
    const h = readBlockHeader(raw);
    if (h.type !== (blocks.length === 0 ? BLOCK_HEADER : BLOCK_MODULE)) break;
    blocks.push({ at, h });
    at += BLOCK_HEADER_SIZE + h.storedLength;
  }
  return { blocks, end: blocks.length === 0 ? 0 : at };
}
