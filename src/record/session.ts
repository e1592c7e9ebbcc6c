// One recording on the thread that runs the guest, independent of where its events go: builds the proxied imports,
// runs the guest, and describes the run for the trace header and footer (the one place each is built).
import { importName, importTable } from '../calls/imports.js';
import { memoryHash } from '../calls/hash.js';
import { stringLists } from '../calls/capture.js';
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

export interface RecordingRun {
  recorder: Recorder;
  table: ImportEntry[];
  /** Instantiates and runs the guest to its end; the recorder holds the events not yet flushed. */
  run(onInstance?: (instance: WebAssembly.Instance) => void): Promise<RunEnd>;
  /** The footer fields of the run, once it ended (see runSummary). */
  summary(end: RunEnd): RunSummary;
  /** Bytes of guest memory now (what summary() hashes). */
  readonly memorySize: number;
}

/**
 * Prepares a recording of `loaded` on `provider`, with events going to `sink` in chunks of `chunk`'s size;
 * `settings`: timing and checkpoints (RecordingSettings).
 */
export function prepareRecording(loaded: LoadedModule, provider: Provider, options: GuestOptions,
  sink: ChunkSink, chunk: Uint8Array, progress?: Int32Array, settings: RecordingSettings = {}): RecordingRun {
  const table = importTable(loaded.module);
  const recorder = new Recorder(sink, chunk, table.length, performance.now(), progress, settings, fdImportMarks(table));
  const mem = new GuestMemory();
  const { argv, env } = guestArgv(loaded, options);
  const imports = recordingImports(table, importsFor(loaded, provider.wasi, options.imports), recorder, mem, stringLists(argv, env), settings.timing);
  return {
    recorder,
    table,
    async run(onInstance) {
      const instance = await instantiate(loaded, imports);
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
