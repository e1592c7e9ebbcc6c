// One recording on the thread that runs the guest, independent of where its events go: builds the proxied imports,
// runs the guest, and describes the run for the trace header and footer (the one place each is built).
import { importName, importTable } from '../calls/imports.js';
import { memoryHash } from '../calls/hash.js';
import { stringLists, type StringLists } from '../calls/capture.js';
import { engineFingerprint } from '../engine.js';
import { instantiate, type LoadedModule } from '../module.js';
import type { Provider } from '../providers.js';
import { importsFor, type GuestOptions } from '../run.js';
import { GuestMemory } from '../runtime/memory.js';
import { endFrom } from '../runtime/errors.js';
import type { RunEnd } from '../runtime/runtime.js';
import type { ImportEntry, RecordedEnd, RunSummary, TraceHeader } from '../trace/header.js';
import { fdImportMarks } from '../trace/events.js';
import { TOOL_VERSION } from '../version.js';
import { recordingImports } from './proxy.js';
import { Recorder, type ChunkSink, type RecordingSettings } from './recorder.js';

/** The guest's argv and environment as the provider hands them over. */
export function guestArgv(loaded: LoadedModule, options: GuestOptions): { argv: string[]; env: string[] } {
  return { argv: [loaded.name, ...(options.args ?? [])], env: options.env ?? [] };
}

/**
 * The trace header of a recording (FORMAT.md, "Header fields"), with loaded.sha256 (computed on first use when the
 * module was compiled by compileModule; the recording pipeline hands the guest thread a module it already hashed).
 */
export function traceHeader(loaded: LoadedModule, options: GuestOptions, table: ImportEntry[]): TraceHeader {
  const { argv, env } = guestArgv(loaded, options);
  return {
    tool: 'wasi-trace',
    toolVersion: TOOL_VERSION,
    engine: engineFingerprint(),
    argv,
    env,
    preopens: (options.preopens ?? []).map((p) => (p.dir === undefined
      ? { guest: p.guestPath, host: p.hostPath }
      : { guest: p.guestPath, memory: true as const, ...(p.hostPath ? { copiedFrom: p.hostPath } : {}) })),
    runtime: options.runtime ?? 'builtin',
    imports: table,
    module: { name: loaded.name, size: loaded.bytes.length, sha256: loaded.sha256 },
    startedAt: new Date().toISOString(),
    timeUnit: 'ns',
    ...(options.chaos && { chaos: { seed: options.chaos.seed, knobs: [...options.chaos.knobs] } }),
  };
}

/**
 * The footer fields of a run that ended (FORMAT.md, "Footer fields"): with per-function counts and the memory
 * hash when the guest thread saw the end; a run cut short (signal, host failure) has only `end` and `calls`.
 */
export function runSummary(end: RecordedEnd, calls: number, seen?: { table: ImportEntry[]; counts: number[]; memory: Uint8Array }): RunSummary {
  if (!seen) return { end, calls };
  const counts: Record<string, number> = {};
  seen.counts.forEach((n, i) => { if (n) counts[importName(seen.table[i]!)] = n; });
  return { end, calls, counts, memorySize: seen.memory.length, memoryHash: memoryHash(seen.memory) };
}

/**
 * What a recording's imports are made from, before its recorder: the import table and the provider's imports,
 * each of the table's functions read once (the builtin runtime binds a function when it is first read), and the
 * guest's argument strings. Needs only the module's imports: `loaded.module` may be a stand-in with the module's
 * import section alone (importsOnly), so the guest thread builds it while the module still compiles.
 */
export interface RecordingBase {
  readonly table: ImportEntry[];
  readonly imports: WebAssembly.Imports;
  readonly lists: StringLists;
}

/** The RecordingBase of `loaded` on `provider`; UserError for an import the provider does not supply. */
export function recordingBase(loaded: LoadedModule, provider: Provider, options: GuestOptions): RecordingBase {
  const table = importTable(loaded.module);
  const imports = importsFor(loaded, provider.wasi, options.imports);
  for (const e of table) void (imports[e.module] as Record<string, unknown>)[e.name];
  const { argv, env } = guestArgv(loaded, options);
  return { table, imports, lists: stringLists(argv, env) };
}

/**
 * A module that imports exactly what `bytes`' module imports and has nothing else (its type and import sections,
 * copied), compiled at once: WebAssembly.Module.imports of it is that of the module itself, long before a large
 * module has compiled. Undefined when the sections cannot be read or the stand-in does not compile (the module is
 * then waited for).
 */
export function importsOnly(bytes: Uint8Array): WebAssembly.Module | undefined {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let at = 8;
  try {
    while (at < bytes.length) {
      const start = at;
      const id = bytes[at++]!;
      let size = 0;
      for (let shift = 0; ; shift += 7) {
        if (shift > 28 || at >= bytes.length) return undefined;
        const b = bytes[at++]!;
        size += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
      }
      const end = at + size;
      if (end > bytes.length) return undefined;
      if (id === 1 || id === 2) parts.push(bytes.subarray(start, end));
      else if (id !== 0) break; // past the import section (sections other than custom ones come in order)
      at = end;
    }
    const stub = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let k = 0;
    for (const p of parts) { stub.set(p, k); k += p.length; }
    return new WebAssembly.Module(stub);
  } catch {
    return undefined;
  }
}

/** Whether two modules import the same things in the same order. */
export function sameImports(a: WebAssembly.Module, b: WebAssembly.Module): boolean {
  const x = WebAssembly.Module.imports(a);
  const y = WebAssembly.Module.imports(b);
  return x.length === y.length && x.every((d, i) => d.module === y[i]!.module && d.name === y[i]!.name && d.kind === y[i]!.kind);
}

export interface RecordingRun {
  recorder: Recorder;
  table: ImportEntry[];
  /**
   * Starts the recorder's clock, instantiates `module` and runs the guest to its end; the recorder holds the events
   * not yet flushed. `module`: the module prepared for (default), or the module itself when it was prepared for a
   * stand-in with the same imports (importsOnly, sameImports).
   */
  run(onInstance?: (instance: WebAssembly.Instance) => void, module?: LoadedModule): Promise<RunEnd>;
  /** The footer fields of the run, once it ended (see runSummary). */
  summary(end: RunEnd): RunSummary;
  /** Bytes of guest memory now (what summary() hashes). */
  readonly memorySize: number;
}

/**
 * Prepares a recording of `loaded` on `provider`, with events going to `sink` in chunks of `chunk`'s size;
 * `settings`: timing and checkpoints (RecordingSettings); `base`: made ahead (recordingBase) for this module and
 * provider. Its recorder's clock starts with run().
 */
export function prepareRecording(loaded: LoadedModule, provider: Provider, options: GuestOptions,
  sink: ChunkSink, chunk: Uint8Array, progress?: Int32Array, settings: RecordingSettings = {},
  base: RecordingBase = recordingBase(loaded, provider, options)): RecordingRun {
  const { table } = base;
  const recorder = new Recorder(sink, chunk, table.length, performance.now(), progress, settings, fdImportMarks(table));
  const mem = new GuestMemory();
  const imports = recordingImports(table, base.imports, recorder, mem, base.lists, settings.timing);
  return {
    recorder,
    table,
    async run(onInstance, module = loaded) {
      recorder.startClock(performance.now());
      const instance = await instantiate(module, imports);
      mem.attach(instance.exports.memory as WebAssembly.Memory);
      onInstance?.(instance);
      try {
        return provider.start(instance);
      } catch (e) {
        return endFrom(e);
      }
    },
    summary: (end) => runSummary(end, recorder.calls, { table, counts: recorder.counts, memory: mem.bytes }),
    get memorySize() { return mem.bytes.length; },
  };
}
