// Providers: what supplies the wasi_snapshot_preview1 imports of a run — the builtin runtime or Node's node:wasi.
import { MODULE_NAME } from './abi/index.js';
import { UserError } from './errors.js';
import { endFrom } from './runtime/errors.js';
import { WasiRuntime, type Preopen, type RunEnd } from './runtime/runtime.js';
import { openHostDirectory } from './vfs/host/index.js';
import type { DirectoryNode, FileHandle } from './vfs/types.js';
import type { ChaosSettings } from './runtime/chaos.js';

export type RuntimeKind = 'builtin' | 'node';
export const RUNTIME_KINDS: readonly RuntimeKind[] = ['builtin', 'node'];

export interface ProviderOptions {
  args: string[];
  env: string[];
  /** Builtin only: stdio handles (default: the process's own stdio). */
  stdin?: FileHandle;
  stdout?: FileHandle;
  stderr?: FileHandle;
  /** Directories the guest sees, at fd 3, 4, ... in order. node:wasi takes host directories only. */
  preopens?: PreopenSpec[];
  /** Builtin only: files placed at exactly these fds (see RuntimeOptions.fds), e.g. an anonymousFile(). */
  fds?: Record<number, FileHandle>;
  /** Builtin only: the run's chaos schedule (src/runtime/chaos.ts). */
  chaos?: ChaosSettings;
}

/**
 * A preopened directory: a host directory by path (confined to it), or any DirectoryNode such as a
 * memoryDirectory(). hostPath beside dir only labels it (the trace header records it).
 */
export type PreopenSpec =
  | { guestPath: string; dir: DirectoryNode; hostPath?: string }
  | { guestPath: string; hostPath: string; dir?: undefined };

/** The host directory at `hostPath` for the builtin runtime; UserError when it is missing or not a directory. */
export function hostDirectory(hostPath: string): DirectoryNode {
  try {
    return openHostDirectory(hostPath);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

const builtinPreopen = (p: PreopenSpec): Preopen =>
  ({ guestPath: p.guestPath, dir: p.dir ?? hostDirectory(p.hostPath) });

export interface Provider {
  readonly kind: RuntimeKind;
  /** The wasi_snapshot_preview1 functions. */
  readonly wasi: Record<string, (...args: any[]) => unknown>;
  /**
   * The same functions for a guest that calls them itself with nothing in between (run): possibly faster for the
   * guest, possibly slower to call from JavaScript (WasiRuntime.imports({ direct: true })). A proxy uses `wasi`.
   */
  direct(): Record<string, (...args: any[]) => unknown>;
  /** Runs _start of an instance made with these imports. */
  start(instance: WebAssembly.Instance): RunEnd;
}

export async function createProvider(kind: RuntimeKind, options: ProviderOptions): Promise<Provider> {
  if (kind === 'builtin') {
    const rt = new WasiRuntime({ ...options, preopens: options.preopens?.map(builtinPreopen) });
    return {
      kind, wasi: rt.imports()[MODULE_NAME]!, direct: () => rt.imports({ direct: true })[MODULE_NAME]!,
      start: (instance) => rt.start(instance),
    };
  }
  return createNodeProvider(options);
}

/** node:wasi, with its ExperimentalWarning suppressed. */
async function createNodeProvider(options: ProviderOptions): Promise<Provider> {
  if (options.stdin || options.stdout || options.stderr) {
    throw new UserError('--runtime node uses the process stdio; custom stdio needs the builtin runtime');
  }
  if (options.chaos) throw new UserError('--chaos needs the builtin runtime (--runtime builtin)');
  if (options.fds && Object.keys(options.fds).length > 0) {
    throw new UserError('--runtime node cannot place files at fds; that needs the builtin runtime');
  }
  const preopens: Record<string, string> = {};
  for (const p of options.preopens ?? []) {
    if (p.dir !== undefined || p.hostPath === undefined) {
      throw new UserError(`--runtime node cannot use the in-memory directory ${p.guestPath} (builtin runtime only)`);
    }
    hostDirectory(p.hostPath); // the same one-line error for a missing directory as the builtin runtime
    preopens[p.guestPath] = p.hostPath;
  }
  const env: Record<string, string> = {};
  for (const kv of options.env) {
    const i = kv.indexOf('=');
    env[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1);
  }
  const wasi = await withoutExperimentalWarning(async () => {
    const { WASI } = await import('node:wasi');
    return new WASI({ version: 'preview1', args: options.args, env, preopens, returnOnExit: true });
  });
  const wasiImports = (wasi.getImportObject() as Record<string, unknown>)[MODULE_NAME] as Record<string, (...args: any[]) => unknown>;
  return {
    kind: 'node',
    wasi: wasiImports,
    direct: () => wasiImports,
    start(instance) {
      try {
        return { kind: 'exit', code: wasi.start(instance) };
      } catch (e) {
        return endFrom(e);
      }
    },
  };
}

/** Runs `f` with Node's ExperimentalWarning (printed when node:wasi loads) filtered out. */
async function withoutExperimentalWarning<T>(f: () => Promise<T>): Promise<T> {
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' || (warning instanceof Error && warning.name === 'ExperimentalWarning')) return;
    (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try { return await f(); } finally { process.emitWarning = original; }
}
