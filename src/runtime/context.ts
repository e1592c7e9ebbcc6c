// What every syscall family works on: guest memory, the fd table, the run's arguments, environment and clocks.
import type { FdTable } from './fdtable.js';
import type { GuestMemory } from './memory.js';

export interface RuntimeContext {
  /** Guest memory; set when the instance is bound, before the first call. */
  readonly mem: GuestMemory;
  readonly fds: FdTable;
  /** Arguments and environment as NUL-terminated UTF-8 strings, as args_get/environ_get hand them over. */
  readonly args: readonly Uint8Array[];
  readonly environ: readonly Uint8Array[];
}

/**
 * A host function implementation: receives the context and the raw wasm arguments (i32 as number, i64 as
 * bigint) and returns an errno. It may throw WasiError (or a Node system error) to return an errno instead.
 */
export type HostFunction = (ctx: RuntimeContext, ...args: any[]) => number;

/** A syscall family: implementations by preview1 function name. */
export type Family = Readonly<Record<string, HostFunction>>;
