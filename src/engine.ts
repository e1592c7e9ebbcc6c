// The WebAssembly engine's configuration and fingerprint. The CLI compiles guests for V8's baseline compiler
// (Liftoff) only, unless asked to optimise: then no background tier-up compiles hot functions at times that
// vary from run to run (so stack depth and timing are the same in record and replay), and a large module
// (esbuild is 20 MB) starts and exits in a fraction of the time. Long compute-bound guests run faster with
// --optimize. V8 fixes a module's tiers when it compiles it, so the flag is set around the guest's compilation
// only. But clearing --liftoff-only does not undo the flags it implied (no tier-up): from the first baseline compile
// on, every wasm compiled in the process, on any thread, stays on baseline code, and V8 rejects the code cache of
// Node's own modules, so a worker that boots afterwards compiles Node's internals from source (~135 ms instead of
// ~67 for an empty one). So wasi-trace's own wasm (zstd) is compiled before the guest, and record compiles the guest
// once its guest thread has booted (record/pipeline.ts). Setting the tier-up flags back would let the guest tier up.
import v8 from 'node:v8';

export type Tiering = 'baseline' | 'optimizing';

let tiering: Tiering = 'optimizing';

/** Sets how guest modules are compiled from now on, in this thread (compileGuest). */
export function setTiering(t: Tiering): void {
  tiering = t;
}

/**
 * Compiles a guest module with `tier` (default: the tiering set). The V8 flag is process-wide, and what it implies
 * stays set (see the top): wasm compiled afterwards, on any thread, gets the baseline tier too (slower, never wrong).
 */
export async function compileGuest(bytes: Uint8Array, tier: Tiering = tiering): Promise<WebAssembly.Module> {
  if (tier === 'optimizing') return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  v8.setFlagsFromString('--liftoff-only');
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } finally {
    v8.setFlagsFromString('--no-liftoff-only');
  }
}

/** What a trace header records about the engine that ran the guest. */
export function engineFingerprint(): { node: string; v8: string; platform: string; arch: string; tiering: Tiering } {
  return { node: process.versions.node, v8: process.versions.v8, platform: process.platform, arch: process.arch, tiering };
}
