// Buffered, synchronous output to an fd (stdout or a file), in pieces, so a huge listing never sits in memory.
import * as fs from 'node:fs';
import { OutputError } from '../files.js';

/** The reader of our stdout went away (`dump ... | head`): stop quietly. */
export class OutputClosed extends Error {}

export class Output {
  private parts: string[] = [];
  private size = 0;

  /** `name`: what the fd is, for the one-line error when it cannot be written (OutputError: a full disk, EIO). */
  constructor(private readonly fd: number, private readonly flushAt = 1 << 16, private readonly name = fd === 1 ? 'stdout' : `fd ${fd}`) {}

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
    for (let at = 0; at < buf.length;) {
      try {
        at += fs.writeSync(this.fd, buf, at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') throw new OutputClosed();
        if (code !== 'EAGAIN') throw OutputError.from(e, this.name);
      }
    }
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
