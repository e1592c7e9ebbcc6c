// One recording, independent of where its events go: builds the proxied imports, runs the guest, and
// describes the run for the trace header and footer.
import { createHash } from 'node:crypto';
import { MODULE_NAME } from '../abi/index.js';
import type { LoadedModule } from '../module.js';
import type { Provider } from '../providers.js';
import { importsFor, instantiate, type GuestOptions } from '../run.js';
import { GuestMemory } from '../runtime/memory.js';
import { endFrom, type RunEnd } from '../runtime/runtime.js';
import { TOOL_VERSION } from '../version.js';
import { engineFingerprint } from '../engine.js';
import { stringLists } from './capture.js';
import { importTable, recordingImports, type ImportEntry } from './proxy.js';
import { Recorder, type ChunkSink } from './recorder.js';


/** The guest's argv and environment as the provider hands them over. */
export function guestArgv(loaded: LoadedModule, options: GuestOptions): { argv: string[]; env: string[] } {
  return { argv: [loaded.name, ...(options.args ?? [])], env: options.env ?? [] };
}

/** The trace header of a recording (FORMAT.md, "Header"). */
export function traceHeader(loaded: LoadedModule, options: GuestOptions, table: ImportEntry[]): Record<string, unknown> {
  const { argv, env } = guestArgv(loaded, options);
  return {
    tool: 'wasi-trace',
    toolVersion: TOOL_VERSION,
    engine: engineFingerprint(),
    argv,
    env,
    preopens: (options.preopens ?? []).map((p) => (p.dir === undefined
      ? { guest: p.guestPath, host: p.hostPath }
      : { guest: p.guestPath, memory: true, ...(p.hostPath ? { copiedFrom: p.hostPath } : {}) })),
    runtime: options.runtime ?? 'builtin',
    imports: table,
    module: { name: loaded.name, size: loaded.bytes.length, sha256: loaded.sha256 },
    startedAt: new Date().toISOString(),
    timeUnit: 'ns',
  };
}

/** sha256 of guest memory, as the footer and --verify use it. */
export const memoryHash = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export interface RecordingRun {
  recorder: Recorder;
  table: ImportEntry[];
  /** Instantiates and runs the guest to its end; the recorder holds the events not yet flushed. */
  run(onInstance?: (instance: WebAssembly.Instance) => void): Promise<RunEnd>;
  /** The footer fields that describe the run (the writer adds frame counts and the index). */
  footer(end: RunEnd | { kind: 'signal'; signal: string } | { kind: 'error'; message: string }): Record<string, unknown>;
}

/** Prepares a recording of `loaded` on `provider`, with events going to `sink` in chunks of `chunk`'s size. */
export function prepareRecording(loaded: LoadedModule, provider: Provider, options: GuestOptions,
  sink: ChunkSink, chunk: Uint8Array, progress?: Int32Array): RecordingRun {
  const table = importTable(loaded.module);
  const recorder = new Recorder(sink, chunk, table.length, performance.now(), progress);
  const mem = new GuestMemory();
  const { argv, env } = guestArgv(loaded, options);
  const imports = recordingImports(table, importsFor(loaded, provider.wasi, options.imports), recorder, mem, stringLists(argv, env));
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
    footer(end) {
      const bytes = mem.bytes;
      const counts: Record<string, number> = {};
      recorder.counts.forEach((n, i) => { if (n) counts[`${table[i]!.module === MODULE_NAME ? '' : `${table[i]!.module}.`}${table[i]!.name}`] = n; });
      return { end, calls: recorder.calls, counts, memorySize: bytes.length, memoryHash: memoryHash(bytes) };
    },
  };
}
