// Buffered, synchronous text output to stdout, a file or a callback, in pieces, so a huge listing never sits in
// memory.
import * as fs from 'node:fs';
import { OutputError, readerGone } from '../src/files.js';
import type { TextWriter } from '../src/inspect/writer.js';

/** The reader of our stdout went away (`dump ... | head`): stop quietly. */
export class OutputClosed extends Error {}

/** Writes all of `bytes` to `fd`, waiting out EAGAIN; OutputClosed when the reader went away (readerGone: EPIPE, ECONNRESET), OutputError naming `name` for any other failure. */
export const fdSink = (fd: number, name = fd === 1 ? 'stdout' : `fd ${fd}`) => (bytes: Uint8Array): void => {
  for (let at = 0; at < bytes.length;) {
    try {
      at += fs.writeSync(fd, bytes, at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (readerGone(e)) throw new OutputClosed();
      if (code !== 'EAGAIN') throw OutputError.from(e, name); // a full disk, EIO: one line naming the output
    }
  }
};

/** Text collected and handed to `sink` as bytes once `flushAt` characters are waiting, and on flush(). */
export class Output implements TextWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly sink: (bytes: Uint8Array) => void, private readonly flushAt = 1 << 16) {}

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= this.flushAt) this.flush();
  }

  line(s: string): void { this.write(`${s}\n`); }

  flush(): void {
    if (!this.parts.length) return;
    const buf = Buffer.from(this.parts.join(''));
    this.parts = [];
    this.size = 0;
    this.sink(buf);
  }
}

/** Runs a command body that writes to `out`, flushing what it wrote even when it fails; a closed pipe ends it quietly. */
export async function withOutput(out: Output, body: () => Promise<number> | number): Promise<number> {
  try {
    const code = await body();
    out.flush();
    return code;
  } catch (e) {
    try { out.flush(); } catch (e2) { if (!(e2 instanceof OutputClosed)) throw e2; }
    if (e instanceof OutputClosed) return 0;
    throw e;
  }
}
