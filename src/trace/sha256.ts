/**
 * The hex SHA-256 of a module's bytes (what a trace's header names it by) without loading node:crypto for a small
 * one: loading node:crypto costs a start ~10 ms (more on a loaded machine), more than a small trace's whole replay
 * does besides starting Node. Up to WASM_MAX_BYTES it is hashed by a 1.7 KB wasm build of sha256.c (embedded
 * below; rebuilt by src/embed-wasm.sh): ~1 ms for 14 KB with V8's baseline code, ~100 MB/s once optimised. Larger
 * inputs go to node:crypto (~1 GB/s), whose load is then a small part of the time. Synchronous; any thread.
 */

/** Inputs up to this many bytes are hashed by the wasm build; larger ones by node:crypto. */
export const WASM_MAX_BYTES = 128 << 10;

// Built from sha256.c by src/embed-wasm.sh (exports `memory` and `sha256(data, len, out)`).
const WASM = 'AGFzbQEAAAABDAJgA39/fwBgAn9/AAMDAgABBAUBcAEBAQUDAQACBggBfwFBoIoBCwcTAgZtZW1vcnkCAAZzaGEyNTYAAAqrCgKNBgIHfwF+I4CAgIAAQaABayIDJICAgIAAQQAhBCADQZgBakEAKQOYiICAADcDACADQZABakEAKQOQiICAADcDACADQQApA4iIgIAANwOIASADQQApA4CIgIAANwOAAQJAIAFBQHEiBUUNAANAIANBgAFqIAAgBGoQgYCAgAAgBEHAAGoiBCAFSQ0ACwtBwABBgAEgAUE/cSIGQThJGyEHIAAgBWohCEEAIQQDQEEAIQACQCAEIAZPDQAgCCAEai0AACEACyADIARqIgUgADoAAEEAIQACQCAEQQFqIgkgBk8NACAIIARqQQFqLQAAIQALIAVBAWogADoAACAJQQFqIgQgB0cNAAsgAyAGakGAAToAACAHIANqIgRBfmogAa0iCkIFiDwAACAEQX9qIAFBA3Q6AAAgBEF9aiAKQg2IPAAAIARBfGogCkIViDwAACAEQXtqIApCHYg8AAAgBEF6akEAOgAAIARBeGpBADsBACADQYABaiADEIGAgIAAAkAgBkE4SQ0AIANBgAFqIANBwABqEIGAgIAACyACIAMoAoABIgRBGHQgBEEIdEGAgPwHcXIgBEEIdkGA/gNxIARBGHZycjYAACACIAMoAoQBIgRBGHQgBEEIdEGAgPwHcXIgBEEIdkGA/gNxIARBGHZycjYABCACIAMoAogBIgRBGHQgBEEIdEGAgPwHcXIgBEEIdkGA/gNxIARBGHZycjYACCACIAMoAowBIgRBGHQgBEEIdEGAgPwHcXIgBEEIdkGA/gNxIARBGHZycjYADCACIAMoApABIgRBGHQgBEEIdEGAgPwHcXIgBEEIdkGA/gNxIARBGHZycjYAECACIAMoApQBIgRBGHQgBEEIdEGAgPwHcXIgBEEIdkGA/gNxIARBGHZycjYAFCACIAMoApgBIgRBGHQgBEEIdEGAgPwHcXIgBEEIdkGA/gNxIARBGHZycjYAGCACIAMoApwBIgRBGHQgBEEIdEGAgPwHcXIgBEEIdkGA/gNxIARBGHZycjYAHCADQaABaiSAgICAAAuZBAEUfyOAgICAAEGAAmsiAiSAgICAAEEAIQMDQCACIANqIAEgA2ooAAAiBEEYdCAEQQh0QYCA/AdxciAEQQh2QYD+A3EgBEEYdnJyNgIAIANBBGoiA0HAAEcNAAtBACEBIAIoAgAiBSEGA0AgAiABaiIDQcAAaiADQQRqKAIAIgRBGXcgBEEOd3MgBEEDdnMgBmogA0EkaigCAGogA0E4aigCACIDQQ93IANBDXdzIANBCnZzajYCACAEIQYgAUEEaiIBQcABRw0ACyACQQRyIQdBACEBIAAoAhwiCCEJIAAoAhgiCiELIAAoAhQiDCENIAAoAhAiDiEDIAAoAgwiDyEQIAAoAggiESEGIAAoAgQiEiETIAAoAgAiFCEEAkADQCAGIBNzIARxIAYgE3FzIARBHncgBEETd3MgBEEKd3NqIANBGncgA0EVd3MgA0EHd3MgDSADcWogCWogCyADQX9zcWogAUGgiICAAGooAgBqIAVqIgVqIRUgBSAQaiEQIAFB/AFGDQEgByABaigCACEFIAFBBGohASALIQkgDSELIAMhDSAQIQMgBiEQIBMhBiAEIRMgFSEEDAALCyAAIAsgCGo2AhwgACANIApqNgIYIAAgAyAMajYCFCAAIBAgDmo2AhAgACAGIA9qNgIMIAAgEyARajYCCCAAIAQgEmo2AgQgACAVIBRqNgIAIAJBgAJqJICAgIAACwuoAgEAQYAIC6ACZ+YJaoWuZ7ty8248OvVPpX9SDlGMaAWbq9mDHxnN4FuYL4pCkUQ3cc/7wLWl27XpW8JWOfER8Vmkgj+S1V4cq5iqB9gBW4MSvoUxJMN9DFV0Xb5y/rHegKcG3Jt08ZvBwWmb5IZHvu/GncEPzKEMJG8s6S2qhHRK3KmwXNqI+XZSUT6YbcYxqMgnA7DHf1m/8wvgxkeRp9VRY8oGZykpFIUKtyc4IRsu/G0sTRMNOFNUcwpluwpqdi7JwoGFLHKSoei/oktmGqhwi0vCo1FsxxnoktEkBpnWhTUO9HCgahAWwaQZCGw3Hkx3SCe1vLA0swwcOUqq2E5Pypxb828uaO6Cj3RvY6V4FHjIhAgCx4z6/76Q62xQpPej+b7yeHHG'; // WASM

/** The instance's exports (one instance per thread, made at the first use). */
interface Sha256Exports {
  readonly memory: WebAssembly.Memory;
  sha256(data: number, len: number, out: number): void;
}
let instance: Sha256Exports | undefined;
/** Where the input goes in the module's memory (its data and stack are below), and the digest just under it. */
const INPUT = 1 << 16;
const DIGEST = INPUT - 32;

/** The hex SHA-256 of `bytes` (the same as node:crypto's createHash('sha256')...digest('hex')). */
export function sha256Hex(bytes: Uint8Array): string {
  const getBuiltin = process.getBuiltinModule as typeof process.getBuiltinModule | undefined; // Node 20.16 and later
  if (bytes.length > WASM_MAX_BYTES && typeof getBuiltin === 'function') {
    return getBuiltin('node:crypto').createHash('sha256').update(bytes).digest('hex');
  }
  const x = (instance ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM, 'base64')), {}).exports as unknown as Sha256Exports);
  const missing = INPUT + bytes.length - x.memory.buffer.byteLength;
  if (missing > 0) x.memory.grow(Math.ceil(missing / 65536));
  new Uint8Array(x.memory.buffer).set(bytes, INPUT);
  x.sha256(INPUT, bytes.length, DIGEST);
  return Buffer.from(x.memory.buffer, DIGEST, 32).toString('hex');
}
