// Loading and checking guest modules. A module is bytes: from a path, from stdin, from /dev/fd/N or from the
// API; it is read once and never opened again by path.
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { compileGuest } from './engine.js';
import { UserError } from './errors.js';

export interface LoadedModule {
  /** What to call the module in messages and in a trace: its path, "<stdin>", or a name the API gave. */
  name: string;
  bytes: Uint8Array;
  module: WebAssembly.Module;
  sha256: string;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Reads module bytes from a path, or from stdin for "-". UserError when it cannot be read. */
export function readModuleBytes(path: string): { name: string; bytes: Uint8Array } {
  if (path === '-') {
    try {
      return { name: '<stdin>', bytes: readAllStdin() };
    } catch (e) {
      throw new UserError(`cannot read the module from stdin: ${(e as Error).message}`);
    }
  }
  try {
    const st = fs.statSync(path);
    if (st.isDirectory()) throw new UserError(`${path} is a directory, not a WebAssembly module`);
    // Read by streaming, so pipes and /dev/fd/N (whose size is unknown) work like files.
    return { name: path, bytes: readAllFd(fs.openSync(path, 'r')) };
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UserError(`cannot read module ${path}: ${why}`);
  }
}

function readAllStdin(): Uint8Array {
  return readAllFd(0, false);
}

function readAllFd(fd: number, close = true): Uint8Array {
  const chunks: Buffer[] = [];
  const chunk = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; }
        if (code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
  } finally {
    if (close) fs.closeSync(fd);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Compiles module bytes; UserError when they are not a valid WebAssembly module. */
export async function compileModule(name: string, bytes: Uint8Array): Promise<LoadedModule> {
  if (bytes.length < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new UserError(`${name} is not a WebAssembly module (no \\0asm header)`);
  }
  // V8 compiles on background threads: hash meanwhile.
  const compiling = compileGuest(bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let module: WebAssembly.Module;
  try {
    module = await compiling;
  } catch (e) {
    throw new UserError(`${name} is not a valid WebAssembly module: ${(e as Error).message}`);
  }
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((x) => x.name === '_start' && x.kind === 'function')) {
    throw new UserError(`${name} has no _start function (is it a WASI command module?)`);
  }
  if (!exports.some((x) => x.name === 'memory' && x.kind === 'memory')) {
    throw new UserError(`${name} does not export its memory as "memory"`);
  }
  return { name, bytes, module, sha256 };
}
