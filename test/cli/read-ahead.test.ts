// cli/read-ahead.ts: run's guest module read while the command line loads, taken only while it is still the file's.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGuestModule } from '../../cli/io.js';
import { guessModule, readAhead } from '../../cli/read-ahead.js';
import { tempDir } from '../trace/helpers.js';

const dir = tempDir();
const file = (name: string, bytes: Uint8Array): string => { const p = join(dir, name); fs.writeFileSync(p, bytes); return p; };
/** `n` bytes that start as a module does. */
const module = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i < 8 ? [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0][i]! : i & 0xff));
const MiB = 1 << 20;

/** The read ahead of `p`, once it has ended. */
async function readOf(p: string) {
  const ahead = readAhead(p);
  expect(ahead).toBeDefined();
  await ahead!.settled;
  return ahead!;
}

describe('the guest module read ahead', () => {
  it('guesses the first argument after the command that is not a flag and ends with .wasm', () => {
    expect(guessModule(['run', '--dir', 'data::/d', '--env=A=b', 'app.wasm', 'in.wasm'], 'run')).toBe('app.wasm');
    expect(guessModule(['--debug', 'record', '-o', 'trace.bin', 'm.wasm'], 'record')).toBe('m.wasm');
    expect(guessModule(['run', '-', 'x'], 'run')).toBeUndefined();
  });

  it('gives the bytes of the file, in shared memory, once; a path asked for that was not read gets none', async () => {
    const bytes = module(3 * MiB);
    const p = file('a.wasm', bytes);
    expect((await readOf(p)).take(join(dir, 'other.wasm'))).toBeUndefined();
    const ahead = await readOf(p);
    const got = ahead.take(p)!;
    expect(got.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
    expect(ahead.take(p)).toBeUndefined();
  });

  it('gives nothing for a file changed since (other bytes, or only its modification time) or replaced', async () => {
    const p = file('b.wasm', module(2 * MiB));
    let ahead = await readOf(p);
    fs.writeFileSync(p, module(2 * MiB + 1));
    expect(ahead.take(p)).toBeUndefined();
    ahead = await readOf(p);
    fs.utimesSync(p, new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(ahead.take(p)).toBeUndefined();
    ahead = await readOf(p);
    fs.renameSync(file('c.wasm', module(2 * MiB + 1)), p); // the same size and bytes, another file
    fs.utimesSync(p, new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(ahead.take(p)).toBeUndefined();
  });

  it('reads neither a directory, a file under 1 MiB (read sooner by the command itself) nor a FIFO (which would block)', async () => {
    expect(readAhead(dir)).toBeUndefined();
    expect(readAhead(file('small.wasm', module(MiB - 1)))).toBeUndefined();
    expect(readAhead(join(dir, 'missing.wasm'))).toBeUndefined();
    if (process.platform !== 'win32') {
      const fifo = join(dir, 'pipe.wasm');
      const { execFileSync } = await import('node:child_process');
      execFileSync('mkfifo', [fifo]);
      expect(readAhead(fifo)).toBeUndefined();
    }
  });

  it('is what readGuestModule takes from its io, with the checks of a module read from the file', async () => {
    const p = file('d.wasm', module(MiB));
    const got = readGuestModule(p, { moduleAhead: await readOf(p) });
    expect(got.name).toBe(p);
    expect(got.bytes.buffer).toBeInstanceOf(SharedArrayBuffer); // the read-ahead's, not a read of its own
    expect(readGuestModule(p, {}).bytes.buffer).toBeInstanceOf(ArrayBuffer);
    const bad = file('bad.wasm', Buffer.alloc(MiB, 'not a module at all'));
    expect(() => readGuestModule(bad, { moduleAhead: readAhead(bad) })).toThrow(`${bad} is not a WebAssembly module`); // (read by itself: not ended yet)
    const ahead = await readOf(bad);
    expect(() => readGuestModule(bad, { moduleAhead: ahead })).toThrow(`${bad} is not a WebAssembly module`);
  });
});
