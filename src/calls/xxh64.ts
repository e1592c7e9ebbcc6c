/**
 * XXH64 (seed 0) of any bytes, by a 1.6 KB wasm build of xxh64.c (embedded below; rebuilt by src/embed-wasm.sh): the
 * memory hash of a recording (calls/hash.ts). The bytes are copied into the module's memory a CHUNK at a time and
 * hashed there: measured on 29 MB, copy included, 4.4 GB/s the first time and 8.6 GB/s once V8 has optimised it,
 * against node:crypto's sha256 at 1.2-1.9 GB/s. V8 optimises it only when it was compiled before the process compiled a guest for the baseline tier
 * (src/engine.ts): warmXxh64() compiles it. Synchronous; any thread (one instance per thread, made at the first use).
 */

// Built from xxh64.c by src/embed-wasm.sh (exports `memory`, `reset()`, `stripes(p, n)` and `finish(p, n, out)`).
const WASM = 'AGFzbQEAAAABDwNgAABgAn9/AGADf39/AAMEAwABAgQFAXABAQEFAwEAEgYIAX8BQcCIAQsHJQQGbWVtb3J5AgAFcmVzZXQAAAdzdHJpcGVzAAEGZmluaXNoAAIKywsDUwBBAELP1tO+0ser2UI3A5CIgIAAQQBC1uuC7ur9ifXgADcDgIiAgABBAEIANwOgiICAAEEAQvnq0NDnyaHk4QA3A7CIgIAAQQBCADcDuIiAgAALsQICBH4Bf0EAKQOwiICAACECQQApA6CIgIAAIQNBACkDkIiAgAAhBEEAKQOAiICAACEFAkAgAUEgSQ0AIAFBBXYhBgNAIAApAABCz9bTvtLHq9lCfiAFfEIfiUKHla+vmLbem55/fiEFIABBGGopAABCz9bTvtLHq9lCfiACfEIfiUKHla+vmLbem55/fiECIABBEGopAABCz9bTvtLHq9lCfiADfEIfiUKHla+vmLbem55/fiEDIABBCGopAABCz9bTvtLHq9lCfiAEfEIfiUKHla+vmLbem55/fiEEIABBIGohACAGQX9qIgYNAAsLQQAgBDcDkIiAgABBACAFNwOAiICAAEEAIAM3A6CIgIAAQQAgAjcDsIiAgABBAEEAKQO4iICAACABrXw3A7iIgIAAC8EIAwR+An8CfkEAKQOwiICAACEDQQApA6CIgIAAIQRBACkDkIiAgAAhBUEAKQOAiICAACEGAkAgAUEgSQ0AIAFBBXYhByAAIQgDQCAIKQAAQs/W077Sx6vZQn4gBnxCH4lCh5Wvr5i23puef34hBiAIQRhqKQAAQs/W077Sx6vZQn4gA3xCH4lCh5Wvr5i23puef34hAyAIQRBqKQAAQs/W077Sx6vZQn4gBHxCH4lCh5Wvr5i23puef34hBCAIQQhqKQAAQs/W077Sx6vZQn4gBXxCH4lCh5Wvr5i23puef34hBSAIQSBqIQggB0F/aiIHDQALC0EAIAU3A5CIgIAAQQAgBjcDgIiAgABBACAENwOgiICAAEEAIAM3A7CIgIAAQQBBACkDuIiAgAAgAa18Igk3A7iIgIAAIAFBH3EhByABQWBxIQhCxc/ZsvHluuonIQoCQCAJQiBUDQAgBUIHiSAGQgGJfCAEQgyJfCADQhKJfCAGQs/W077Sx6vZQn5CH4lCh5Wvr5i23puef36FQoeVr6+Ytt6bnn9+QuPcypX8zvL1hX98IAVCz9bTvtLHq9lCfkIfiUKHla+vmLbem55/foVCh5Wvr5i23puef35C49zKlfzO8vWFf3wgBELP1tO+0ser2UJ+Qh+JQoeVr6+Ytt6bnn9+hUKHla+vmLbem55/fkLj3MqV/M7y9YV/fCADQs/W077Sx6vZQn5CH4lCh5Wvr5i23puef36FQoeVr6+Ytt6bnn9+QuPcypX8zvL1hX98IQoLIAAgCGohCCAKIAl8IQMCQAJAIAdBCE8NACAIIQEMAQsDQCAIKQAAQs/W077Sx6vZQn5CH4lCh5Wvr5i23puef34gA4VCG4lCh5Wvr5i23puef35C49zKlfzO8vWFf3whAyAIQQhqIgEhCCAHQXhqIgdBB0sNAAsLAkACQCAHQQRPDQAgASEADAELIAdBfGohByABQQRqIQAgATUAAEKHla+vmLbem55/fiADhUIXiULP1tO+0ser2UJ+Qvnz3fGZ9pmrFnwhAwsCQCAHRQ0AAkACQCAHQQFxDQAgACEIIAchAQwBCyAHQX9qIQEgAEEBaiEIIAAxAABCxc/ZsvHluuonfiADhUILiUKHla+vmLbem55/fiEDCyAHQQFGDQADQCAIQQFqMQAAQsXP2bLx5brqJ34gCDEAAELFz9my8eW66id+IAOFQguJQoeVr6+Ytt6bnn9+hUILiUKHla+vmLbem55/fiEDIAhBAmohCCABQX5qIgENAAsLIAIgA0IhiCADhULP1tO+0ser2UJ+IgNCHYggA4VC+fPd8Zn2masWfiIDQiCIIgQ8AAMgAiADQiiIPAACIAIgA0IwiDwAASACIANCOIg8AAAgAiAEIAOFpyIIQRh0IAhBCHRBgID8B3FyIAhBCHZBgP4DcSAIQRh2cnI2AAQL'; // WASM

/** Bytes hashed per call into the module: a multiple of 32 (an XXH64 stripe). */
export const CHUNK = 1 << 20;

interface Xxh64Exports {
  readonly memory: WebAssembly.Memory;
  reset(): void;
  stripes(at: number, len: number): void;
  finish(at: number, len: number, out: number): void;
}
let instance: Xxh64Exports | undefined;
/** Where the input goes in the module's memory (its data and stack are below), and the digest just under it. */
const INPUT = 1 << 16;
const DIGEST = INPUT - 8;

/** Compiles and instantiates the module in this thread, if not yet (see the top). */
export function warmXxh64(): void {
  instance ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM, 'base64')), {}).exports as unknown as Xxh64Exports;
}

/** The XXH64 (seed 0) of `bytes`, as its canonical 8 bytes (big-endian). `chunk` (a multiple of 32) is for tests. */
export function xxh64(bytes: Uint8Array, chunk = CHUNK): Uint8Array {
  if (chunk <= 0 || chunk % 32 !== 0 || chunk > CHUNK) throw new RangeError(`chunk ${chunk}: not a multiple of 32 up to ${CHUNK}`);
  warmXxh64();
  const x = instance!;
  const into = new Uint8Array(x.memory.buffer);
  x.reset();
  let at = 0;
  for (; bytes.length - at > chunk; at += chunk) {
    into.set(bytes.subarray(at, at + chunk), INPUT);
    x.stripes(INPUT, chunk);
  }
  into.set(bytes.subarray(at), INPUT);
  x.finish(INPUT, bytes.length - at, DIGEST);
  return into.slice(DIGEST, DIGEST + 8);
}
