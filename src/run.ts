// Running a guest: load and check the module, build its imports from a provider, instantiate, run _start.
import { MODULE_NAME } from './abi/index.js';
import { UserError } from './errors.js';
import { instantiate, loadGuestModule, type LoadedModule } from './module.js';
import { createProvider, type PreopenSpec, type Provider, type RuntimeKind } from './providers.js';
import type { RunEnd } from './runtime/runtime.js';
import { BufferInput, CallbackOutput } from './vfs/stream.js';
import { FileHandle } from './vfs/types.js';
import type { ChaosSettings } from './runtime/chaos.js';

export type { RunEnd } from './runtime/runtime.js';

/** What to run and how: shared by run() and record(). */
export interface GuestOptions {
  /** A path ("-" reads stdin) or the module's bytes. */
  module: string | Uint8Array;
  /** Name for a module given as bytes (default "<memory>"). */
  moduleName?: string;
  /** Guest arguments after the program name. */
  args?: string[];
  /** Environment as KEY=VALUE strings. */
  env?: string[];
  runtime?: RuntimeKind;
  /** Builtin runtime only: stdin as bytes or a handle; stdout/stderr as a callback or a handle. */
  stdin?: Uint8Array | FileHandle;
  stdout?: ((bytes: Uint8Array) => void) | FileHandle;
  stderr?: ((bytes: Uint8Array) => void) | FileHandle;
  /** Directories the guest sees, at fd 3, 4, ...: host directories by path, or DirectoryNodes (memoryDirectory()). */
  preopens?: PreopenSpec[];
  /** Builtin runtime only: files placed at exactly these fd numbers, e.g. { 0: anonymousFile(bytes) }. */
  fds?: Record<number, FileHandle>;
  /** Imports of other modules than wasi_snapshot_preview1, by module then name. */
  imports?: Record<string, Record<string, unknown>>;
  /** Builtin runtime only: answer within the spec but unlike an ordinary run, from this seeded schedule. */
  chaos?: ChaosSettings;
}

const inputHandle = (s: GuestOptions['stdin']): FileHandle | undefined =>
  s === undefined || s instanceof FileHandle ? s : new BufferInput(s);
const outputHandle = (s: GuestOptions['stdout']): FileHandle | undefined =>
  s === undefined || s instanceof FileHandle ? s : new CallbackOutput(s);

/** The provider for a guest: argv is the module name followed by the guest arguments. */
export function providerFor(loaded: LoadedModule, options: GuestOptions): Promise<Provider> {
  return createProvider(options.runtime ?? 'builtin', {
    args: [loaded.name, ...(options.args ?? [])],
    env: options.env ?? [],
    stdin: inputHandle(options.stdin),
    stdout: outputHandle(options.stdout),
    stderr: outputHandle(options.stderr),
    preopens: options.preopens,
    fds: options.fds,
    chaos: options.chaos,
  });
}

/**
 * The import object for a module: preview1 functions from `wasi`, everything else from `extra`.
 * UserError naming the first import that neither supplies (or whose kind is wrong).
 */
export function importsFor(
  loaded: LoadedModule, wasi: Record<string, unknown>, extra: GuestOptions['imports'] = {},
): WebAssembly.Imports {
  const imports: Record<string, Record<string, unknown>> = { [MODULE_NAME]: wasi };
  for (const imp of WebAssembly.Module.imports(loaded.module)) {
    const source = imp.module === MODULE_NAME ? wasi : extra[imp.module];
    const value = source?.[imp.name];
    if (value === undefined) {
      const how = imp.module === MODULE_NAME ? '' : ` (the API can supply it: run/record({ imports: { ${JSON.stringify(imp.module)}: { ${JSON.stringify(imp.name)}: ... } } }))`;
      throw new UserError(`${loaded.name} imports ${imp.module}.${imp.name} (${imp.kind}), which the runtime does not provide${how}`);
    }
    if (imp.module !== MODULE_NAME) (imports[imp.module] ??= {})[imp.name] = value;
  }
  return imports as WebAssembly.Imports;
}

/** Runs a guest to completion and tells how it ended (exit code, or trap message). */
export async function run(options: GuestOptions): Promise<RunEnd> {
  const loaded = await loadGuestModule(options);
  const provider = await providerFor(loaded, options);
  const instance = await instantiate(loaded, importsFor(loaded, provider.direct(), options.imports));
  return provider.start(instance);
}
