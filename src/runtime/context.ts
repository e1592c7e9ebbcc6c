// What every syscall family works on (guest memory, the fd table, the run's arguments and environment), and the
// shape of an implementation as the binding layer (bind.ts) calls it.
import type { Chaos } from './chaos.js';
import type { FdTable } from './fdtable.js';
import type { GuestMemory } from './memory.js';

export interface RuntimeContext {
  /** Guest memory; set when the instance is bound, before the first call. */
  readonly mem: GuestMemory;
  readonly fds: FdTable;
  /** Arguments and environment as NUL-terminated UTF-8 strings, as args_get/environ_get hand them over. */
  readonly args: readonly Uint8Array[];
  readonly environ: readonly Uint8Array[];
  /** The run's chaos policy, when it has one (chaos.ts): the families consult it for answers ordinary runs never give. */
  readonly chaos?: Chaos;
}

/**
 * A preview1 function as the binding calls it: the context, then one value per schema param that is not an
 * out-param, in schema order — scalars as wasm passes them (i32 as number, i64 as bigint), strings decoded,
 * iovec arrays as an Iovecs, byte buffers as a live Uint8Array, input struct arrays as records. It returns the
 * value of its out-param (number for 32-bit and smaller types, bigint for 64-bit ones — or a non-negative safe-integer
 * number for a u64 out-param, which saves a BigInt on a hot path — a record for a struct, the
 * records for an out array, the strings for an args_get-style pair), a tuple of them in schema order when there
 * are several, nothing when there are none; or it throws WasiError (or a Node system error) to return an errno.
 */
export type Implementation = (ctx: RuntimeContext, ...args: any[]) => any;

/** An implementation with how it is bound. */
export interface Bound {
  readonly impl: Implementation;
  /**
   * Checks the scalar arguments (the context, then the scalar params in schema order) before any guest memory is
   * looked at, so its errno wins over EFAULT — for rules such as poll_oneoff's EINVAL for zero subscriptions.
   */
  readonly precheck?: Implementation;
  /**
   * The implementation changes nothing (it only reads state): its out-params are bounds-checked after it returns
   * instead of before, so its own errno (EBADF, EINVAL) wins over EFAULT for a bad out-pointer, as in wasmtime.
   * Functions whose out sizes depend on the result (args_get, environ_get) must be read-only.
   */
  readonly readOnly: boolean;
  /**
   * i64 scalar params the implementation never reads. V8 makes a new BigInt of every i64 that reaches JavaScript,
   * which costs more than the rest of a cheap call; a guest that calls the import directly
   * (WasiRuntime.imports({ direct: true })) gets a wasm trampoline that drops them, and the implementation receives
   * undefined for them. Called any other way, it receives them as usual.
   */
  readonly unused?: readonly string[];
}

/** Marks an implementation read-only (see Bound.readOnly). */
export const readOnly = (impl: Implementation): Bound => ({ impl, readOnly: true });

/** A syscall family: implementations by preview1 function name. */
export type Family = Readonly<Record<string, Implementation | Bound>>;
