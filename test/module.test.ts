// src/module.ts's reading of module bytes: a regular file straight into one array of its size, anything else
// (a FIFO) into an array that grows; either in a SharedArrayBuffer when asked.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readModuleBytes } from '../src/module.js';
import { paddedGuest } from './helpers.js';
import { tempDir } from './trace/helpers.js';

const dir = tempDir();
const paddedModule = (pad: number) => paddedGuest('hello', pad);

it('reads a regular file whole, into shared memory when asked', () => {
  const bytes = paddedModule(3 << 20);
  const file = join(dir, 'big.wasm');
  writeFileSync(file, bytes);
  const plain = readModuleBytes(file);
  expect(plain.name).toBe(file);
  expect(Buffer.compare(plain.bytes, bytes)).toBe(0);
  expect(plain.bytes.buffer).toBeInstanceOf(ArrayBuffer);
  const shared = readModuleBytes(file, { shared: true });
  expect(shared.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(shared.bytes.length).toBe(bytes.length);
  expect(Buffer.compare(shared.bytes, bytes)).toBe(0);
  // (V8 compiles from a view of shared memory, which the typings of BufferSource leave out)
  expect(new WebAssembly.Module(shared.bytes as unknown as BufferSource)).toBeInstanceOf(WebAssembly.Module);
});

it('reads a FIFO of unknown size to its end, growing its array, into shared memory when asked', async () => {
  const bytes = paddedModule((2 << 20) + 12345); // more than the first 1 MiB array
  const file = join(dir, 'fifo-source.wasm');
  writeFileSync(file, bytes);
  const fifo = join(dir, 'module.fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // The writer is another process: the read below blocks this thread until the FIFO ends.
  const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, fifo], { stdio: 'ignore' });
  const exited = new Promise((resolve) => writer.on('exit', resolve));
  const read = readModuleBytes(fifo, { shared: true });
  await exited;
  expect(read.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(read.bytes.length).toBe(bytes.length);
  expect(Buffer.compare(read.bytes, bytes)).toBe(0);
});

it('refuses a file that is not a module after its first bytes', () => {
  const file = join(dir, 'not.wasm');
  writeFileSync(file, Buffer.alloc(5 << 20, 1));
  expect(() => readModuleBytes(file, { shared: true })).toThrow(`${file} is not a WebAssembly module (no \\0asm header)`);
});
