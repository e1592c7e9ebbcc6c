// Loading and checking guest modules. A module is bytes: from a path, from stdin, from /dev/fd/N or from the
// API; it is read once and never opened again by path.
import * as fs from 'node:fs';
import { compileGuest, type Tiering } from './engine.js';
import { UserError } from './errors.js';

export interface LoadedModule {
  /** What to call the module in messages and in a trace: its path, "<stdin>", or a name the API gave. */
  name: string;
  bytes: Uint8Array;
  module: WebAssembly.Module;
  /** Hex sha256 of `bytes` (computed at the first read). */
  readonly sha256: string;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** Whether `bytes` start with the wasm magic. */
const hasMagic = (bytes: Uint8Array): boolean => WASM_MAGIC.every((b, i) => bytes[i] === b);

/** The largest module V8 compiles (1 GiB, its kV8MaxWasmModuleSize): a module is never read beyond this. */
export const MAX_MODULE_BYTES = 1 << 30;

const notAModule = (name: string) => new UserError(`${name} is not a WebAssembly module (no \\0asm header)`);
const tooLarge = (name: string) => new UserError(`${name} is larger than 1 GiB, the largest module V8 compiles`);

/**
 * Reads module bytes from a path, or from stdin for "-". UserError when they cannot be read, do not start with the
 * wasm magic (checked on the first bytes, so `/dev/zero` or a wrong file is refused at once), or exceed
 * MAX_MODULE_BYTES. `shared`: the bytes are in a SharedArrayBuffer (for a worker thread to take without a copy).
 */
export function readModuleBytes(path: string, options: { shared?: boolean } = {}): { name: string; bytes: Uint8Array } {
  const shared = options.shared ?? false;
  if (path === '-') {
    let bytes: Uint8Array;
    try {
      bytes = readModuleFd(0, '<stdin>', 0, shared);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot read the module from stdin: ${(e as Error).message}`);
    }
    return { name: '<stdin>', bytes };
  }
  let fd: number | undefined;
  try {
    const st = fs.statSync(path);
    if (st.isDirectory()) throw new UserError(`${path} is a directory, not a WebAssembly module`);
    if (st.isFile() && st.size > MAX_MODULE_BYTES) throw tooLarge(path);
    // Read by streaming, so pipes and /dev/fd/N (whose size is unknown) work like files.
    fd = fs.openSync(path, 'r');
    return { name: path, bytes: readModuleFd(fd, path, st.isFile() ? st.size : 0, shared) };
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UserError(`cannot read module ${path}: ${why}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Reads a module from `fd` to its end: refused as soon as its first bytes are not the magic, or it grows too large.
 * With `expected` (a regular file's size), read straight into one array of that size, with no copy when the file
 * has exactly that size; anything else (a pipe, a file that grows meanwhile) is read into an array that grows.
 * `shared`: the array is in a SharedArrayBuffer (for a worker thread to take without a copy).
 */
function readModuleFd(fd: number, name: string, expected = 0, shared = false): Uint8Array {
  const allocate = (n: number) => (shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n));
  let bytes = allocate(expected > 0 ? expected : 1 << 20);
  let total = 0;
  let probe: Uint8Array | undefined; // where to read once the array is full: is there more?
  for (;;) {
    const into = total < bytes.length ? bytes.subarray(total) : (probe ??= new Uint8Array(1 << 16));
    let n: number;
    try {
      n = fs.readSync(fd, into, 0, into.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; }
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    const before = total;
    if (total + n > MAX_MODULE_BYTES) throw tooLarge(name);
    if (into === probe) { // more than the array holds: grow it
      const grown = allocate(Math.min(Math.max(bytes.length * 2, total + n), MAX_MODULE_BYTES));
      grown.set(bytes);
      grown.set(probe.subarray(0, n), total);
      bytes = grown;
    }
    total += n;
    // The magic, as soon as its 4 bytes are in (they may come in pieces from a pipe).
    if (before < WASM_MAGIC.length && total >= WASM_MAGIC.length && !hasMagic(bytes)) throw notAModule(name);
  }
  return total === bytes.length ? bytes : bytes.subarray(0, total);
}

/** `bytes`, read whole from the regular file `name` elsewhere: UserError (as readModuleBytes) unless they start with the magic. */
export function checkedModuleBytes(name: string, bytes: Uint8Array): Uint8Array {
  if (!hasMagic(bytes)) throw notAModule(name);
  return bytes;
}

/**
 * Compiles module bytes (with `tier`, default the tiering set); UserError when they are not a valid WebAssembly module.
 * `sha256`: where the bytes' hex sha256 comes from when one is known or being computed elsewhere (asked once, when
 * first wanted); else it is computed here, when first wanted.
 */
export async function compileModule(name: string, bytes: Uint8Array, tier?: Tiering, sha256Of?: () => string): Promise<LoadedModule> {
  if (bytes.length < 8 || !hasMagic(bytes)) throw notAModule(name);
  const compiling = compileGuest(bytes, tier);
  // The sha256 is computed when first asked for (a recording asks; a plain run neither hashes nor loads
  // node:crypto, which costs every start ~10 ms). A Node 20 before 20.16 (no getBuiltinModule) loads it now.
  const preloaded = typeof process.getBuiltinModule === 'function' || sha256Of ? undefined : await import('node:crypto');
  let sha256: string | undefined;
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
  const hash = sha256Of ?? (() => (preloaded ?? process.getBuiltinModule('node:crypto')).createHash('sha256').update(bytes).digest('hex'));
  return { name, bytes, module, get sha256() { return (sha256 ??= hash()); } };
}

/**
 * Reads (once) and compiles the module of `options`: a path ("-" reads stdin) or bytes named `moduleName` (default
 * "<memory>"), with `tier` (default the tiering set).
 */
export async function loadGuestModule(options: { module: string | Uint8Array; moduleName?: string }, tier?: Tiering): Promise<LoadedModule> {
  const { name, bytes } = typeof options.module === 'string'
    ? readModuleBytes(options.module)
    : { name: options.moduleName ?? '<memory>', bytes: options.module };
  return compileModule(name, bytes, tier);
}

/** Instantiates; UserError when instantiation fails (for example a signature mismatch in an import). */
export async function instantiate(loaded: LoadedModule, imports: WebAssembly.Imports): Promise<WebAssembly.Instance> {
  try {
    return await WebAssembly.instantiate(loaded.module, imports);
  } catch (e) {
    throw new UserError(`cannot instantiate ${loaded.name}: ${(e as Error).message}`);
  }
}
