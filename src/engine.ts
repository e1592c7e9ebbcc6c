// The WebAssembly engine's configuration and fingerprint. The CLI runs guests on V8's baseline compiler
// (Liftoff) only, unless asked to optimise: then no background tier-up compiles hot functions at times that
// vary from run to run (so stack depth and timing are the same in record and replay), and a large module
// (esbuild is 20 MB) starts and exits in a fraction of the time. Long compute-bound guests run faster with
// --optimize.
import v8 from 'node:v8';

export type Tiering = 'baseline' | 'optimizing';

let tiering: Tiering = 'optimizing';

/** Sets how V8 compiles wasm for the rest of this process (V8 flags are process-wide, workers included). */
export function setTiering(t: Tiering): void {
  if (t === 'baseline') v8.setFlagsFromString('--liftoff-only');
  tiering = t;
}

/** What a trace header records about the engine that ran the guest. */
export function engineFingerprint(): { node: string; v8: string; platform: string; arch: string; tiering: Tiering } {
  return { node: process.versions.node, v8: process.versions.v8, platform: process.platform, arch: process.arch, tiering };
}
