// src/files.ts: which write errors mean that the reader of an output went away.
import { describe, expect, it } from 'vitest';
import { readerGone } from '../src/files.js';

const failed = (code: string) => Object.assign(new Error(`${code}: write`), { code });

describe('readerGone', () => {
  it('is true for a closed pipe (EPIPE) and a socket whose reader closed with bytes unread (ECONNRESET: a Node parent gives its child sockets as stdio)', () => {
    expect(readerGone(failed('EPIPE'))).toBe(true);
    expect(readerGone(failed('ECONNRESET'))).toBe(true);
  });

  it('is false for any other failure, and for what is not an error', () => {
    for (const code of ['ENOSPC', 'EIO', 'EAGAIN', 'EBADF']) expect(readerGone(failed(code))).toBe(false);
    expect(readerGone(new Error('no code'))).toBe(false);
    expect(readerGone(undefined)).toBe(false);
    expect(readerGone(null)).toBe(false);
  });
});
