// cli/prewarm.ts: which traces `replay` reads without a reader thread.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SMALL_TRACE_BYTES, smallTrace } from '../../cli/prewarm.js';
import { tempDir } from '../trace/helpers.js';

describe('smallTrace', () => {
  it('takes regular files of at most SMALL_TRACE_BYTES, not larger ones, directories or missing paths', () => {
    const dir = tempDir();
    const at = (name: string, size: number) => { const p = join(dir, name); fs.writeFileSync(p, Buffer.alloc(size)); return p; };
    expect(smallTrace(at('small.bin', 100))).toBe(true);
    expect(smallTrace(at('limit.bin', SMALL_TRACE_BYTES))).toBe(true);
    expect(smallTrace(at('large.bin', SMALL_TRACE_BYTES + 1))).toBe(false);
    expect(smallTrace(dir)).toBe(false);
    expect(smallTrace(join(dir, 'missing.bin'))).toBe(false);
  });
});
