// The builtin preview1 host: binds every function of the schema to its family's implementation through the
// binding layer (bind.ts), which also converts whatever an implementation throws into an errno.
import { ALL_RIGHT_BITS, Errno, FUNCTIONS, MODULE_NAME } from '../abi/index.js';
import { FileHandle, type DirectoryNode } from '../vfs/types.js';
import { HostStream } from '../vfs/stream.js';
import { argsFamily } from './args.js';
import { clockFamily } from './clock.js';
import { bindFunction } from './bind.js';
import { Chaos, type ChaosSettings } from './chaos.js';
import type { Bound, Family, Implementation, RuntimeContext } from './context.js';
import { endFrom } from './errors.js';
import { fdFamily } from './fd.js';
import { DIRECTORY_RIGHT_BITS, FdTable, FILE_RIGHT_BITS, STREAM_RIGHT_BITS, type FdEntry } from './fdtable.js';
import { GuestMemory } from './memory.js';
import { pathFamily } from './path.js';
import { pollFamily } from './poll.js';
import { procFamily } from './proc.js';
import { randomFamily } from './random.js';
import { sockFamily } from './sock.js';

const FAMILIES: Family[] = [argsFamily, clockFamily, fdFamily, pathFamily, pollFamily, procFamily, randomFamily, sockFamily];

/** Every implementation, by preview1 function name. */
export const IMPLEMENTATIONS: ReadonlyMap<string, Implementation | Bound> = new Map(FAMILIES.flatMap((f) => Object.entries(f)));

export interface Preopen {
  /** The path the guest sees (fd_prestat_dir_name). */
  guestPath: string;
  dir: DirectoryNode;
}

export interface RuntimeOptions {
  /** argv as the guest sees it, program name first. */
  args: string[];
  /** Environment as KEY=VALUE strings, in order. */
  env: string[];
  stdin?: FileHandle;
  stdout?: FileHandle;
  stderr?: FileHandle;
  /** Directories placed at fd 3, 4, ... in order. */
  preopens?: Preopen[];
  /**
   * Files placed at exactly these fd numbers, after stdio and the preopens (fd 0-2 replace stdin/stdout/stderr),
   * for example an anonymous in-memory file. An fd that a preopen took is an error (RangeError).
   */
  fds?: Record<number, FileHandle>;
  /** Called with any non-WASI exception an implementation threw (a bug); the guest sees EIO. */
  onInternalError?: (e: unknown) => void;
  /** Answer within the spec but unlike an ordinary run, from this seeded schedule (see chaos.ts). */
  chaos?: ChaosSettings;
}

/** How a run ended. */
export type RunEnd = { kind: 'exit'; code: number; signal?: string } | { kind: 'trap'; message: string };

const encoder = new TextEncoder();
const cString = (s: string): Uint8Array => encoder.encode(`${s}\0`);

export class WasiRuntime {
  readonly fds = new FdTable();
  private readonly ctx: { -readonly [K in keyof RuntimeContext]: RuntimeContext[K] };

  constructor(private readonly options: RuntimeOptions) {
    this.ctx = {
      mem: undefined as unknown as GuestMemory,
      fds: this.fds,
      args: options.args.map(cString),
      environ: options.env.map(cString),
      ...(options.chaos && { chaos: new Chaos(options.chaos) }),
    };
    const stream = (handle: FileHandle): FdEntry => ({ handle, rightsBase: STREAM_RIGHT_BITS, rightsInheriting: 0, fdflags: 0, position: 0 });
    this.fds.set(0, stream(options.stdin ?? new HostStream(0, 'read')));
    this.fds.set(1, stream(options.stdout ?? new HostStream(1, 'write')));
    this.fds.set(2, stream(options.stderr ?? new HostStream(2, 'write')));
    for (const p of options.preopens ?? []) {
      this.fds.add({ handle: p.dir, rightsBase: DIRECTORY_RIGHT_BITS, rightsInheriting: ALL_RIGHT_BITS, fdflags: 0, position: 0, preopen: p.guestPath });
    }
    const preopenFds = new Set(this.fds.fds().filter((fd) => fd > 2));
    for (const [key, handle] of Object.entries(options.fds ?? {})) {
      const fd = Number(key);
      if (preopenFds.has(fd)) throw new RangeError(`fd ${fd} is already a preopened directory`);
      const rightsBase = handle.seekable ? FILE_RIGHT_BITS : STREAM_RIGHT_BITS;
      this.fds.set(fd, { handle, rightsBase, rightsInheriting: 0, fdflags: 0, position: 0 });
    }
  }

  /**
   * The import object for `wasi_snapshot_preview1`: every function of the schema; unimplemented ones return ENOSYS.
   * Each function is bound (its binding generated and compiled, bind.ts) when it is first looked up: a guest imports
   * a few of the 46, and binding them all costs several ms of every start.
   * `direct`: the guest instance calls these functions itself, with nothing in between (a run, not a recording):
   * some may then be wasm functions that are faster for the guest but slower to call from JavaScript (see
   * bindFunction). Every function behaves the same either way.
   */
  imports(options: { direct?: boolean } = {}): Record<string, Record<string, (...args: any[]) => number>> {
    const direct = options.direct ?? false;
    const table: Record<string, (...args: any[]) => number> = {};
    for (const def of FUNCTIONS) {
      const impl = IMPLEMENTATIONS.get(def.name);
      if (impl === undefined) {
        table[def.name] = () => Errno.NOSYS;
        continue;
      }
      Object.defineProperty(table, def.name, {
        enumerable: true,
        configurable: true,
        get: () => {
          const f = bindFunction(def.name, impl, this.ctx, this.options.onInternalError, direct) as (...args: any[]) => number;
          Object.defineProperty(table, def.name, { value: f, enumerable: true, configurable: true, writable: true });
          return f;
        },
      });
    }
    return { [MODULE_NAME]: table };
  }

  /** Binds the guest's memory; must be called before the guest makes its first call. */
  attach(memory: WebAssembly.Memory): void {
    this.ctx.mem = new GuestMemory(memory);
  }

  /**
   * Runs `_start` of an instance created with imports(): returns how the run ended. A trap (or any exception
   * out of the guest that is not proc_exit) becomes { kind: 'trap' }.
   */
  start(instance: WebAssembly.Instance): RunEnd {
    const memory = instance.exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('module does not export its memory as "memory"');
    this.attach(memory);
    const start = instance.exports._start;
    if (typeof start !== 'function') throw new Error('module has no _start function');
    try {
      (start as () => void)();
      return { kind: 'exit', code: 0 };
    } catch (e) {
      return endFrom(e);
    } finally {
      this.fds.closeAll();
    }
  }
}
