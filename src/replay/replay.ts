// The replayer: an import object built from a trace. Each guest call must match the next recorded event
// (function, scalar args, input bytes); it then writes the recorded memory ranges and returns the recorded
// result. It reads no host files, clocks or randomness; it re-emits the guest's stdout and stderr.
import * as fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { Errno, fdEffect, FD_EFFECT_FUNCTIONS, FD_WRITE, FUNCTIONS, wasmParams } from '../abi/index.js';
import { withReusedArgs } from '../calls/arity.js';
import { callPlan, stringLists, type CallPlan } from '../calls/capture.js';
import { formatCall } from '../calls/format.js';
import { importTable } from '../calls/imports.js';
import { UserError } from '../errors.js';
import { ioReason, readerGone } from '../files.js';
import { engineFingerprint, type Tiering } from '../engine.js';
import { warmXxh64 } from '../calls/xxh64.js';
import { compileModule, instantiate, loadGuestModule, type LoadedModule } from '../module.js';
import { endFrom, ProcExit } from '../runtime/errors.js';
import { GuestMemory } from '../runtime/memory.js';
import { splitTrampoline } from '../runtime/trampoline.js';
import type { RunEnd } from '../runtime/runtime.js';
import { EventDecodeError, type CallEvent, type CallResult, type Scalar } from '../trace/events.js';
import { describeEnd, sameEnd, type ImportEntry, type RecordedEnd, type TraceHeader } from '../trace/header.js';
import { TraceError, TraceReader, type TraceEnding } from '../trace/reader.js';
import { CODEC_RAW, PREAMBLE_SIZE } from '../trace/format.js';
import { decompressNextChunk, moduleChunkList, moduleChunksSound, moduleOf, readModuleWork } from '../trace/module-chunks.js';
import { moduleCacheDir } from '../trace/cache-dir.js';
import { sha256Hex } from '../trace/sha256.js';
import { initZstdNow } from '../trace/zstd.js';
import { RAW_CACHE_MIN_BYTES, rawEntryPath, rawModuleKey, readRawEntryUnchecked, writeRawEntry } from './raw-module-cache.js';
import { EventCursor, flatImport, type Mismatch } from './cursor.js';
// Types only: the matching by meaning is loaded only for a replay against another build (--module).
import type { SemanticMatch, SemanticMatcher } from './semantic.js';
// Types only: the reader thread's side (and node:worker_threads with it) is loaded only for a replay that has one.
import type { PrefetchedFrames } from './prefetch.js';

export interface ReplayOptions {
  trace: string;
  /** Replay against another build of the module (a path or bytes) instead of the one in the trace. */
  module?: string | Uint8Array;
  /**
   * Where the guest's stdout/stderr go (default: this process's; nowhere when quiet). This process's stdout or
   * stderr failing (a closed pipe, a full disk) is not a divergence: the replay goes on to the recorded end and the
   * rest of that stream is dropped (onWarning hears of it, unless the pipe's reader just closed it).
   */
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (bytes: Uint8Array) => void;
  quiet?: boolean;
  /**
   * V8's compiler tier for the guest: by default the one the trace was recorded with (its header says; this
   * thread's setTiering for traces that do not), so that stack depth and timing are the recording's. Another tier
   * is used as asked, with a warning.
   */
  tiering?: Tiering;
  /** Also check guest memory against the hash the recording kept. */
  verify?: boolean;
  /**
   * Prefix each chunk of the guest's stdout/stderr (and each line in it) with the number of the event that wrote
   * it, `[#12] `, so a user can go to that event (like rr's -M). Output a --module lets through: `[+] `.
   */
  tagOutput?: boolean;
  /** Called with warnings such as a --module whose hash differs. */
  onWarning?: (message: string) => void;
  /**
   * Read and decompress frames on a worker thread, ahead of the guest (worth it for long traces). `true` starts
   * a worker; a Worker started from prefetchWorkerUrl (say, while the command line loads) is used as it is.
   */
  prefetch?: boolean | Worker;
  /**
   * Go to an event: replay up to, not including, event #stopAt (numbered as `dump` numbers them), then stop the
   * guest; the result's `stoppedAt` says so. UserError when the trace has no event #stopAt.
   */
  stopAt?: number;
  /**
   * With stopAt: execute a `debugger` statement inside the import function just before event #stopAt would run,
   * so an attached debugger pauses with the guest's wasm frames on the stack (a no-op when none is attached).
   */
  pause?: boolean;
  /**
   * Called at every event boundary with the live guest memory (copy what you keep; it is valid only during the
   * call): `'before'` event #index runs (memory as the guest's own code left it), `'after'` its recorded writes were
   * applied (before the call returns to the guest), and once `'end'` when the run is over (index = calls replayed),
   * unless the replay diverged or stopped at stopAt. Costs nothing when absent. What it throws ends the replay and
   * is what replay() throws.
   */
  onBoundary?: (index: number, memory: Uint8Array, when: 'before' | 'after' | 'end') => void;
}

export interface ReplayResult {
  /**
   * How the replayed guest ended: the recorded end when the trace stops before the guest does; kind `error` (with
   * `complete` true) when the recording failed (say, a host error) and the replay reproduced every call up to there.
   */
  end: RecordedEnd;
  calls: number;
  /** False when the trace was cut short and the replay stopped at its last event. */
  complete: boolean;
  /** Why the trace ends early, when it does. */
  incompleteReason?: string;
  verified: boolean;
  /** Whether frames were read ahead on a worker thread (see ReplayOptions.prefetch). */
  prefetched: boolean;
  /** With a --module that differs from the recorded one: the fd_writes to stdout/stderr it added (let through). */
  extraWrites?: number;
  /**
   * Set when the replay stopped before event #stopAt (ReplayOptions.stopAt): the guest was stopped there, `calls`
   * equals it, and `end` is how the recording ended (the replay never got there).
   */
  stoppedAt?: number;
}

export interface DivergenceReport {
  index: number;
  reason: string;
  /** The argument that differed, by its schema name, with both values (replay --module). */
  argument?: string;
  expected?: string;
  actual?: string;
  before: string[];
}

/** The replayed run departed from the recording. */
export class DivergenceError extends Error {
  constructor(readonly report: DivergenceReport) {
    super(formatDivergence(report));
  }
}

export function formatDivergence(r: DivergenceReport): string {
  const lines = [`replay diverged at event #${r.index}: ${r.reason}`];
  if (r.expected) lines.push(`  expected: ${r.expected}`);
  if (r.actual) lines.push(`  actual:   ${r.actual}`);
  if (r.argument) lines.push(`  argument: ${r.argument}`);
  if (r.before.length) lines.push('  events before it:', ...r.before.map((b) => `    ${b}`));
  return lines.join('\n');
}

/** Traces of at most this many frames are read on the replaying thread when prefetch asks for a new thread. */
const PREFETCH_MIN_FRAMES = 4;

/** Stops the guest when a cut-short trace has no more events. */
class TraceExhausted extends Error {}

/** Stops the guest before event ReplayOptions.stopAt. */
class StopReached extends Error {}

/** Carries what ReplayOptions.onBoundary threw out of the guest, to be thrown by replay(). */
class HookThrew extends Error {
  constructor(readonly error: unknown) { super('onBoundary threw'); }
}

/**
 * The `debugger` statement of `replay --stop-at N --inspect`. Paused here, the debugger's call stack shows, below
 * this function and the replayer's import function, the guest's own wasm frames that made call #N (with their
 * locals, and C source when the module has DWARF). Resuming stops the replay before event #N runs.
 */
function pauseBeforeEvent(index: number): void {
  void index; // event #index is the call the guest is making now
  debugger;
}

/**
 * Writes the guest's output to this process's `fd` until the fd fails: then drops the rest of it (the replay goes
 * on; the guest's results come from the trace) and tells `onFailure`, except when the reader stopped early
 * (`replay | head`, readerGone), which needs no word.
 */
function guestOutput(fd: number, onFailure: (e: unknown) => void): (b: Uint8Array) => void {
  let open = true;
  return (b) => {
    for (let at = 0; open && at < b.length;) {
      try {
        at += fs.writeSync(fd, b, at);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; }
        open = false;
        if (!readerGone(e)) onFailure(e);
      }
    }
  };
}

/**
 * `bytes` with `prefix` before it and after each newline inside it (one followed by more bytes), so that every line a
 * chunk starts carries the prefix: `[#12] a\n[#12] b\n`. Empty bytes stay empty.
 */
export function prefixLines(prefix: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return bytes; // nothing written: no line to mark
  const head = Buffer.from(prefix);
  const parts: Uint8Array[] = [head];
  let from = 0;
  for (let nl = bytes.indexOf(10); nl >= 0 && nl + 1 < bytes.length; nl = bytes.indexOf(10, from)) {
    parts.push(bytes.subarray(from, nl + 1), head);
    from = nl + 1;
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

/** The mark of output a replay against another build lets through (replay --module): see ReplayOptions.tagOutput. */
export const EXTRA_OUTPUT_PREFIX = '[+] ';

/** `path: message`, unless the message names the path already. */
const withPath = (path: string, message: string) => (message.includes(path) ? message : `${path}: ${message}`);

/** Anything wrong with the trace's bytes, found wherever the replay was, as one line (other errors pass). */
function traceProblem(path: string, e: unknown): unknown {
  if (e instanceof TraceError) return new UserError(withPath(path, e.message));
  if (e instanceof EventDecodeError) return new UserError(withPath(path, `corrupt trace: ${e.message}`));
  return e;
}

/**
 * Opens the trace once: everything the replay reads comes through this reader's one descriptor. The module chunks
 * are read where the module is wanted (see moduleBytes), and zstd is started only when something needs it.
 */
async function openTrace(path: string): Promise<TraceReader> {
  try {
    return await TraceReader.open(path, { deferZstd: true, module: 'skip' });
  } catch (e) {
    if (e instanceof TraceError) throw new UserError(withPath(path, e.message));
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`cannot read trace ${path}: no such file`);
    if (code === 'EISDIR') throw new UserError(`cannot read trace ${path}: it is a directory`);
    throw new UserError(`cannot read trace ${path}: ${(e as Error).message}`);
  }
}

/** The trace's checked header and footer; UserError when either is malformed. */
function traceParts(reader: TraceReader): { header: TraceHeader; recorded: RecordedEnd | undefined } {
  try {
    return { header: reader.header, recorded: reader.footer?.end };
  } catch (e) {
    if (e instanceof TraceError) throw new UserError(`${reader.path}: ${e.message}`);
    throw e;
  }
}

/**
 * The trace's module: from the reader thread, which decompresses it meanwhile and hashes it while this thread
 * compiles it, when there is one (`sha256` then takes its digest); else read here (moduleHere). `cached`: the module
 * cache may give it (not when an entry it gave turned out not to be the trace's module).
 */
async function moduleBytes(reader: TraceReader, prefetched: PrefetchedFrames | undefined, cached = true): Promise<EmbeddedModule> {
  if (prefetched) {
    const bytes = prefetched.module();
    return { bytes, sha256: () => prefetched.moduleSha256(), cacheEntry: prefetched.moduleCacheEntry };
  }
  return moduleHere(reader, cached) ?? (await moduleByReader(reader));
}

/**
 * Where the module cache would keep the trace's module decompressed: undefined when it is stored raw, is smaller than
 * `minSize`, or there is no cache.
 */
function rawEntryOf(reader: TraceReader, minSize = 0): { dir: string; key: string; size: number } | undefined {
  const { fd } = reader.file;
  const list = moduleChunkList(fd, fs.fstatSync(fd).size);
  const size = list?.chunks.reduce((n, c) => n + c.rawLength, 0) ?? 0;
  const dir = size >= minSize && list?.chunks.some((c) => c.codec !== CODEC_RAW) ? moduleCacheDir() : undefined;
  if (dir === undefined) return undefined;
  return { dir, key: rawModuleKey(list!), size };
}

/**
 * The trace's module from the module cache (raw-module-cache.ts), read here; undefined when it does not hold it. Its
 * sha256 is the one the entry keeps (computed from the module when it was written), else computed here. Its CRCs
 * and those of the trace's own chunks are checked by `sound`, while the module compiles (replayModule): when one
 * fails, the entry is not used and the trace's chunks are read instead (which report a damaged chunk).
 */
function cachedModule(reader: TraceReader, entry: { dir: string; key: string; size: number } | undefined): EmbeddedModule | undefined {
  const kept = entry && readRawEntryUnchecked(entry.dir, entry.key, entry.size);
  if (!kept) return undefined;
  const cacheEntry = rawEntryPath(entry!.dir, entry!.key);
  const { sha256 } = kept;
  const sound = (): 'sound' | 'entry' | 'chunks' => (!kept.sound() ? 'entry' : soundChunks(reader) ? 'sound' : 'chunks');
  // An entry written before entries kept their module's sha256 is hashed here, and kept again with it (`keep`), so
  // that the next replay need not hash it (esbuild's 20 MB: ~20 ms).
  return sha256 !== undefined
    ? { bytes: kept.module, sha256: () => sha256, digest: sha256, cacheEntry, sound }
    : { ...hashedHere(kept.module), cacheEntry, sound, keep: { dir: entry!.dir, key: entry!.key } };
}

/**
 * The trace's module read on this thread straight from its MODULE chunks (module-chunks.ts, through the replay's
 * descriptor): from the module cache when it kept a compressed module decompressed (raw-module-cache.ts; then zstd
 * need not start at all: ~5–10 ms of a small trace's replay), else decompressed here and to be kept there (`keep`,
 * done by replayModule once the module is known to be the header's). Undefined when the chunks do not read back
 * (a damaged chunk): moduleByReader then says what is wrong.
 */
/** Whether the trace's MODULE chunks all read back with their CRCs (module-chunks.ts moduleChunksSound). */
const soundChunks = (reader: TraceReader): boolean => {
  const { fd } = reader.file;
  return moduleChunksSound(fd, fs.fstatSync(fd).size);
};

function moduleHere(reader: TraceReader, cached: boolean): EmbeddedModule | undefined {
  const entry = cached ? rawEntryOf(reader) : undefined;
  const kept = cachedModule(reader, entry);
  if (kept) return kept;
  const { fd } = reader.file;
  const work = readModuleWork(fd, fs.fstatSync(fd).size);
  if (work === undefined) return undefined;
  if (work.chunks.some((c) => c.codec !== CODEC_RAW)) initZstdNow();
  while (decompressNextChunk(work));
  const module = moduleOf(work);
  return module && { ...hashedHere(module), ...(entry && { keep: { dir: entry.dir, key: entry.key } }) };
}

/** The trace's module as the usual reader reads it (a second reader on the same descriptor): it says what is wrong. */
async function moduleByReader(reader: TraceReader): Promise<EmbeddedModule> {
  const withModule = await TraceReader.open(reader.file, { module: 'keep' });
  try {
    return hashedHere(withModule.module);
  } finally {
    withModule.close();
  }
}

/**
 * The trace's module as moduleBytes gives it: its bytes, where its sha256 comes from (`digest`: known already), the
 * cache entry it came from; `hashHere`: read on this thread, to be hashed here; `keep`: the module cache's entry to
 * write once it is the header's module.
 */
interface EmbeddedModule {
  bytes: Uint8Array; sha256?: () => string; digest?: string; cacheEntry?: string; hashHere?: boolean; keep?: { dir: string; key: string };
  /** Checks a cache entry's CRCs ('entry' fails) and the trace's own chunks' ('chunks' fails) while it compiles. */
  sound?: () => 'sound' | 'entry' | 'chunks';
}

/** A module read on this thread: hashed here (once, when first asked), without node:crypto when small (sha256.ts). */
function hashedHere(bytes: Uint8Array): EmbeddedModule {
  let digest: string | undefined;
  return { bytes, sha256: () => (digest ??= sha256Hex(bytes)), hashHere: true };
}

/**
 * The module to replay: the trace's (checked against the header's sha256), or options.module. A module the
 * reader thread took from the module cache that is not the header's is removed from the cache, and the trace's
 * own chunks are read instead (`fromTrace`).
 */
async function replayModule(embeddedModule: EmbeddedModule, header: TraceHeader, options: ReplayOptions, tier: Tiering, fromTrace: (cached?: boolean) => Promise<EmbeddedModule>, later: (() => void)[]): Promise<LoadedModule> {
  if (embeddedModule.cacheEntry !== undefined && embeddedModule.digest !== undefined && embeddedModule.digest !== header.module.sha256) {
    fs.rmSync(embeddedModule.cacheEntry, { force: true }); // says it is another module: not even compiled
    return replayModule(await fromTrace(), header, options, tier, fromTrace, later);
  }
  if (options.verify) warmXxh64(); // (before a baseline compile: see warmXxh64)
  const compiling = compileModule(header.module.name, embeddedModule.bytes, tier, embeddedModule.sha256);
  // V8 compiles on its own threads: a cache entry's CRCs are checked meanwhile, and a module read here is hashed.
  const sound = embeddedModule.sound?.() ?? 'sound';
  if (sound !== 'sound') {
    await compiling.catch(() => {});
    if (sound === 'entry') fs.rmSync(embeddedModule.cacheEntry!, { force: true }); // damaged: made again from the trace
    return replayModule(await fromTrace(sound === 'entry'), header, options, tier, fromTrace, later);
  }
  if (embeddedModule.hashHere) embeddedModule.sha256!();
  const embedded = await compiling.catch((e: unknown) => {
    if (embeddedModule.cacheEntry !== undefined) return undefined;
    throw new TraceError(`corrupt trace: the module in its module chunks does not load (${(e as Error).message})`);
  });
  if (embeddedModule.cacheEntry !== undefined && embedded?.sha256 !== header.module.sha256) {
    fs.rmSync(embeddedModule.cacheEntry, { force: true });
    return replayModule(await fromTrace(), header, options, tier, fromTrace, later);
  }
  if (embedded === undefined) throw new Error('unreachable: only a cached module may fail to load here');
  if (embedded.sha256 !== header.module.sha256) {
    throw new TraceError(`corrupt trace: the module chunks do not hold the module the header block at offset ${PREAMBLE_SIZE} describes (its sha256 differs)`, PREAMBLE_SIZE);
  }
  // Kept in the module cache once the replay is over (not on the guest's way).
  const { keep } = embeddedModule;
  if (keep) later.push(() => writeRawEntry(keep.dir, keep.key, embeddedModule.bytes, Date.now(), header.module.sha256));
  if (options.module === undefined) return embedded;
  const other = await loadGuestModule({ module: options.module, moduleName: '<replacement module>' }, tier);
  if (other.sha256 !== embedded.sha256) {
    options.onWarning?.(`${other.name} differs from the recorded module (sha256 ${other.sha256.slice(0, 12)}… vs ${embedded.sha256.slice(0, 12)}…)`);
  }
  return other;
}

/** Replays a trace; throws DivergenceError when the guest departs from it, UserError for a bad trace. */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const reader = await openTrace(options.trace);
  try {
    return await replayReader(reader, options);
  } catch (e) {
    throw traceProblem(reader.path, e);
  } finally {
    reader.close();
  }
}

async function replayReader(reader: TraceReader, options: ReplayOptions): Promise<ReplayResult> {
  const { header } = traceParts(reader);
  const recordedTiering = header.engine.tiering;
  const known = recordedTiering === 'baseline' || recordedTiering === 'optimizing' ? recordedTiering : undefined;
  const tier = options.tiering ?? known ?? engineFingerprint().tiering;
  if (recordedTiering && recordedTiering !== tier) {
    options.onWarning?.(`recorded with the ${recordedTiering} compiler tier, replaying with the ${tier} one: a trap from stack exhaustion may come at another depth`);
  }
  // A thread already started (the CLI starts it while it loads) is always worth using: this thread then needs no
  // zstd at all, and the module is decompressed there. Starting one only pays for a long trace (a complete trace
  // tells its frame count up front).
  const frameCount = reader.footer?.frames;
  const worker = typeof options.prefetch === 'object' ? options.prefetch : undefined;
  const worthPrefetching = worker !== undefined || !(typeof frameCount === 'number' && frameCount <= PREFETCH_MIN_FRAMES);
  const prefetching = !!options.prefetch && worthPrefetching;
  /** The module read from the trace's own chunks; `cached`: or the module cache's entry for them (one was removed). */
  const fromTrace = (cached = false) => moduleBytes(reader, undefined, cached);
  // A module the module cache holds decompressed is read here at once rather than waiting for the reader thread
  // (which may still be booting) to read it, and its compile starts before that thread is waited for; the thread
  // then reads only frames. (A small one the thread decompresses in no time: not looked for.)
  const cached = prefetching ? cachedModule(reader, rawEntryOf(reader, RAW_CACHE_MIN_BYTES)) : undefined;
  /** What is done once the replay is over (replayModule). */
  const later: (() => void)[] = [];
  const loading = cached && replayModule(cached, header, options, tier, fromTrace, later);
  loading?.catch(() => {}); // awaited (and its failure thrown) in replayWith
  // Prefetching only speeds things up: a reader thread that cannot start leaves the reading to this thread.
  const prefetched = prefetching
    ? await import('./prefetch.js').then(({ PrefetchedFrames }) =>
      PrefetchedFrames.start(reader.file, reader.traceId, worker, cached === undefined, header.module.sha256)).catch(() => undefined)
    : undefined;
  try {
    const loaded = await (loading ?? replayModule(await moduleBytes(reader, prefetched), header, options, tier, fromTrace, later));
    return await replayWith(reader, header, options, prefetched, loaded);
  } finally {
    await prefetched?.close(); // before the descriptor it reads through is closed
    for (const f of later) f();
  }
}

async function replayWith(reader: TraceReader, header: TraceHeader, options: ReplayOptions, prefetched: PrefetchedFrames | undefined, loaded: LoadedModule): Promise<ReplayResult> {
  const table = header.imports;
  /** Another build than the recorded one: calls match by meaning (semantic.ts), not by addresses. */
  const semantic = options.module !== undefined && loaded.sha256 !== header.module.sha256;
  if (semantic && options.verify) {
    options.onWarning?.("--verify compares this build's memory byte for byte with the recorded build's: a rebuild whose data moved differs at the first checkpoint");
  }
  const actualTable = importTable(loaded.module);
  if (JSON.stringify(actualTable.map((e) => [e.module, e.name])) !== JSON.stringify(table.map((e) => [e.module, e.name]))) {
    if (options.module === undefined) {
      throw new TraceError(`corrupt trace: the header block at offset ${PREAMBLE_SIZE} lists other imports than the module in the trace has`, PREAMBLE_SIZE);
    }
    throw new UserError(`${loaded.name} does not import the same functions as the recorded module, so it cannot replay this trace`);
  }
  if (WebAssembly.Module.imports(loaded.module).some((i) => i.kind !== 'function')) {
    throw new UserError(`${loaded.name} imports a memory, table or global, which replay cannot supply`);
  }

  const dropped = (stream: string) => (e: unknown) =>
    options.onWarning?.(`cannot write the guest's ${stream} (${ioReason(e)}); the replay goes on without it`);
  const stdout = options.quiet ? () => {} : options.stdout ?? guestOutput(1, dropped('stdout'));
  // A failing stderr is where a warning would go: nothing is said then.
  const stderr = options.quiet ? () => {} : options.stderr ?? guestOutput(2, () => {});
  const lists = stringLists(header.argv, header.env);
  const plans: (CallPlan | undefined)[] = table.map((e) => (e.wasi !== undefined ? callPlan(FUNCTIONS[e.wasi]!, lists) : undefined));
  const meaning = semantic ? await import('./semantic.js') : undefined;
  const matchers: SemanticMatcher[] = meaning
    ? table.map((e, i) => (e.wasi !== undefined ? meaning.semanticMatcher(FUNCTIONS[e.wasi]!, plans[i]!, lists) : meaning.exactMatcher(`${e.module}.${e.name}`)))
    : [];
  const cursor = prefetched ? new EventCursor(prefetched.frames(), undefined, (f, payload) => prefetched.spare(f, payload)) : new EventCursor(reader.frames());
  /** How the trace ends: known at once for a complete trace; for a cut one, after its last frame was read. */
  const traceEnding = (): TraceEnding => prefetched?.ending ?? reader.ending;

  const mem = new GuestMemory();
  /** fds that are the guest's stdout/stderr, followed through renumber/close/open. */
  const stdio = new Map<number, (b: Uint8Array) => void>([[1, stdout], [2, stderr]]);

  /** fd_writes to stdout/stderr a --module build added, let through since the cursor last moved on. */
  const extras: { imp: number; args: Scalar[]; inputs: Uint8Array }[] = [];
  let extraWrites = 0;
  const describe = (imp: number, args: readonly Scalar[], ev?: CallEvent, inputs?: Uint8Array | null) => {
    const e = table[imp];
    if (!e) return `import #${imp}`;
    return formatCall({ ...e, args, inputs: inputs ?? ev?.inputs ?? null, result: ev?.result, writes: ev?.writes });
  };
  /**
   * Stops the replay with a report. `atEvent`: the cursor's newest event is the one that did not match
   * (else the divergence is at the end of the trace or of the run).
   */
  const diverge = (reason: string, atEvent: boolean, actual?: { imp: number; args: readonly Scalar[]; inputs: Uint8Array | null }, argument?: string): never => {
    const recent = cursor.recentEvents();
    const expected = atEvent ? recent.pop() : undefined;
    // A recorded fd_write to stdout/stderr that is still expected, after the guest wrote other data to that fd
    // (let through as extra output): that write is where the guest departed.
    const changed = expected && table[expected.event.imp]?.wasi === FD_WRITE.index
      ? extras.find((x) => x.args[FD_WRITE.fd] === expected.event.args[FD_WRITE.fd]) : undefined;
    if (changed) {
      [reason, actual] = [`${table[changed.imp]!.name} was called with other data`, changed];
      argument = meaning!.inputsDiffer(FUNCTIONS[FD_WRITE.index]!, expected!.event, changed.args, changed.inputs); // extras: semantic only
    }
    throw new DivergenceError({
      index: expected ? expected.index : cursor.index,
      reason,
      ...(argument !== undefined && { argument }),
      expected: expected ? describe(expected.event.imp, expected.event.args, expected.event) : undefined,
      actual: actual ? describe(actual.imp, actual.args, undefined, actual.inputs) : undefined,
      before: recent.slice(-5).map((r) => `#${r.index} ${describe(r.event.imp, r.event.args, r.event)}`),
    });
  };

  // Memory hashes (and node:crypto with them) only for --verify.
  const hashes = options.verify ? await import('../calls/hash.js') : undefined;
  if (hashes) verifyCheckpoints(cursor, mem, hashes.matchesCheckpointHash, (reason) => diverge(reason, false));

  const u32At = (addr: number) => new DataView(mem.bytes.buffer).getUint32(addr >>> 0, true);
  /** Keeps the stdio map in step with calls that open, close or move fds. */
  const trackFds = (name: string, args: unknown[]) => {
    const e = fdEffect(name, args, u32At);
    if (e === undefined) return;
    if (e.kind === 'opened' || e.kind === 'closed') stdio.delete(e.fd);
    else if (e.from !== e.to) {
      const w = stdio.get(e.from);
      stdio.delete(e.from);
      if (w) stdio.set(e.to, w); else stdio.delete(e.to);
    }
  };

  const { stopAt } = options;
  const hook = options.onBoundary;
  const onBoundary = hook && ((i: number, m: Uint8Array, when: 'before' | 'after' | 'end') => {
    try { hook(i, m, when); } catch (e) { throw new HookThrew(e); }
  });
  const hooked = stopAt !== undefined || onBoundary !== undefined;
  /** At the boundary before event #index: the onBoundary hook, and the stop of stopAt. */
  const beforeEvent = (index: number): void => {
    onBoundary?.(index, mem.bytes, 'before');
    if (index !== stopAt) return;
    if (options.pause) pauseBeforeEvent(stopAt);
    throw new StopReached();
  };

  function replayCall(imp: number, args: unknown[]): unknown {
    const plan = plans[imp];
    if (hooked) beforeEvent(cursor.index);
    const m = mem.bytes;
    const inputs = plan ? plan.inputs(m, args) : null;
    const r = cursor.step(imp, args, inputs, m);
    if (hooked && typeof r !== 'string') onBoundary?.(cursor.index - 1, m, 'after');
    return settle(imp, args, inputs, r);
  }

  /**
   * replayCall without the boundary hooks, for the replay that has none (the common one): what a call of import
   * `imp` needs besides its match is decided here once, not on every call.
   */
  function fastCall(imp: number): (args: unknown[]) => unknown {
    const plan = plans[imp];
    const readsInputs = plan?.readsInputs === true;
    const plain = plainCall(table[imp]!);
    return (args) => {
      const m = mem.bytes;
      const inputs = readsInputs ? plan!.inputs(m, args) : null;
      const r = cursor.step(imp, args, inputs, m);
      if (plain && typeof r === 'number') return r;
      return settle(imp, args, inputs, r);
    };
  }

  /** After cursor.step: a mismatch stops the replay with a report, a match is finished by replayed(). */
  function settle(imp: number, args: unknown[], inputs: Uint8Array | null, r: CallResult | Mismatch): unknown {
    const entry = table[imp]!;
    if (typeof r === 'string') {
      const actual = { imp, args: args.slice() as Scalar[], inputs };
      switch (r) {
        case 'end':
          reader.checkCallCount(cursor.index); // a footer that counts more calls than the frames hold
          if (!traceEnding().complete || runWasCut(reader)) throw new TraceExhausted();
          return diverge(`the guest called ${entry.name} after the last recorded event`, false, actual);
        case 'call': return diverge(`the guest called ${entry.name} differently`, true, actual);
        case 'inputs': return diverge(`${entry.name} was called with other data`, true, actual);
        case 'memory': return diverge(`${entry.name} wrote past the end of guest memory`, true, actual);
      }
    }
    return replayed(entry, args, inputs, r);
  }

  /** After a call matched (its writes made): re-emits its stdout/stderr output, follows fds, gives its result. */
  function replayed(entry: ImportEntry, args: unknown[], inputs: Uint8Array | null, r: CallResult): unknown {
    if (entry.wasi !== undefined && r === 0) {
      if (entry.wasi === FD_WRITE.index && inputs) {
        const out = stdio.get(args[FD_WRITE.fd] as number);
        const data = out && inputs.subarray(0, u32At(args[FD_WRITE.nwritten] as number));
        if (data) out(options.tagOutput ? prefixLines(`[#${cursor.index - 1}] `, data) : data);
      }
      trackFds(entry.name, args);
    }
    if (r !== null && typeof r === 'object') {
      if ('exit' in r) throw new ProcExit(r.exit);
      throw new ReplayedThrow(r.throw);
    }
    return r === null ? undefined : r;
  }

  /**
   * Lets an fd_write the recording does not have through, when it goes to the guest's stdout/stderr (the fds the
   * stdio map follows): prints its bytes marked EXTRA_OUTPUT_PREFIX, reports all of them written. False for any
   * other call, which is then a divergence.
   */
  const extraOutput = (imp: number, args: unknown[]): boolean => {
    const out = table[imp]!.wasi === FD_WRITE.index ? stdio.get(args[FD_WRITE.fd] as number) : undefined;
    const at = (args[FD_WRITE.nwritten] as number) >>> 0;
    const m = mem.bytes;
    if (!out || at + 4 > m.length) return false;
    const inputs = plans[imp]!.inputs(m, args) ?? new Uint8Array(0);
    new DataView(m.buffer).setUint32(at, inputs.length, true);
    extras.push({ imp, args: args.slice() as Scalar[], inputs });
    extraWrites++;
    out(prefixLines(EXTRA_OUTPUT_PREFIX, inputs));
    return true;
  };

  /** replayCall for another build (--module): matches by meaning (semantic.ts) and lets extra output through. */
  function semanticCall(imp: number, args: unknown[]): unknown {
    const entry = table[imp]!;
    const ev = cursor.peek();
    if (!ev) {
      reader.checkCallCount(cursor.index);
      if (!traceEnding().complete || runWasCut(reader)) throw new TraceExhausted();
      if (extraOutput(imp, args)) return Errno.SUCCESS;
      return diverge(`the guest called ${entry.name} after the last recorded event`, false, { imp, args: args.slice() as Scalar[], inputs: plans[imp]?.inputs(mem.bytes, args) ?? null });
    }
    const match: SemanticMatch = ev.imp === imp ? matchers[imp]!(ev, args, mem.bytes)
      : { ok: false, kind: 'call', reason: `the guest called ${entry.name}, the recording has ${table[ev.imp]?.name ?? `import #${ev.imp}`}`, inputs: plans[imp]?.inputs(mem.bytes, args) ?? null };
    if (!match.ok) {
      if (extraOutput(imp, args)) return Errno.SUCCESS;
      return diverge(match.reason, true, { imp, args: args.slice() as Scalar[], inputs: match.inputs }, match.argument);
    }
    // A call let through (extraOutput) is no event: the boundary is at the call that matches the peeked event.
    if (hooked) beforeEvent(cursor.index - 1);
    cursor.take();
    extras.length = 0;
    const m = mem.bytes;
    for (const w of match.writes) m.set(w.bytes, w.addr);
    if (hooked) onBoundary?.(cursor.index - 1, m, 'after');
    return replayed(entry, args, match.inputs, ev.result);
  }

  const callOf = (imp: number): ((args: unknown[]) => unknown) => {
    if (semantic) return (args) => semanticCall(imp, args);
    if (hooked) return (args) => replayCall(imp, args);
    return fastCall(imp);
  };
  /** flatImport's function for the import; one with i64 params behind a trampoline that splits them (no BigInts). */
  const flatDirect = (wasi: number, imp: number, name: string, params: ('i32' | 'i64')[], call: (args: unknown[]) => unknown) =>
    (params.includes('i64') ? splitTrampoline(FUNCTIONS[wasi]!, flatImport(cursor, imp, name, params, mem, call, true))
      : flatImport(cursor, imp, name, params, mem, call));
  const imports: Record<string, Record<string, (...a: unknown[]) => unknown>> = {};
  table.forEach((e, imp) => {
    const call = callOf(imp);
    const params = e.wasi !== undefined ? wasmParams(FUNCTIONS[e.wasi]!).map((p) => p.wasm) : undefined;
    // The common replay's WASI calls that read no inputs and need nothing but their result (clock, random, fd_read,
    // stat...): matched straight from the flat form by a function of exactly their params (cursor.ts flatImport).
    const direct = params !== undefined && !semantic && !hooked && plans[imp]?.readsInputs !== true && plainCall(e);
    (imports[e.module] ??= {})[e.name] = params === undefined ? (...args: unknown[]) => call(args)
      : direct ? flatDirect(e.wasi!, imp, e.name, params, call)
      : withReusedArgs(params.length, call);
  });
  /**
   * The result once the trace has no more events for a guest that goes on: a recording that failed (a host
   * error) ends complete with its `error` end; one stopped by a signal, or a trace cut short, ends incomplete.
   */
  const stoppedEarly = (): ReplayResult => {
    const recorded = recordedEnd(reader);
    const ending = traceEnding();
    const base = { calls: cursor.index, verified: false, prefetched: !!prefetched };
    if (ending.complete && recorded?.kind === 'error') return { ...base, end: recorded, complete: true };
    return {
      ...base, end: recorded ?? { kind: 'error', message: 'recording cut short' }, complete: false,
      incompleteReason: ending.complete ? `the recording was stopped (${describeEnd(recorded!)})` : `${ending.reason} (at offset ${ending.offset})`,
    };
  };
  if (stopAt !== undefined) {
    const total = reader.footer?.calls; // a cut-short trace without a footer is checked when it runs out
    if (typeof total === 'number' && stopAt >= total) throw new UserError(pastEnd(stopAt, total));
  }
  try {
    const instance = await instantiate(loaded, imports as WebAssembly.Imports);
    mem.attach(instance.exports.memory as WebAssembly.Memory);
    const start = instance.exports._start;
    if (typeof start !== 'function') throw new UserError(`${loaded.name} has no _start function`);
    let end: RunEnd;
    try {
      (start as () => void)();
      end = { kind: 'exit', code: 0 };
    } catch (e) {
      if (e instanceof DivergenceError) throw e;
      if (e instanceof TraceError || e instanceof EventDecodeError) throw e; // the trace, not the guest: see replay()
      if (e instanceof HookThrew) throw e.error;
      if (e instanceof StopReached) {
        const recorded = recordedEnd(reader) ?? { kind: 'error', message: 'recording cut short' };
        return { end: recorded, calls: stopAt!, complete: true, verified: false, prefetched: !!prefetched, stoppedAt: stopAt! };
      }
      if (e instanceof TraceExhausted) {
        if (stopAt !== undefined) throw new UserError(pastEnd(stopAt, cursor.index)); // a cut trace ran out first
        hook?.(cursor.index, mem.bytes, 'end');
        return stoppedEarly();
      }
      end = e instanceof ReplayedThrow ? { kind: 'trap', message: e.message } : endFrom(e);
    }
    if (cursor.skipToNext()) diverge('the guest ended, but the recording has more calls', true);
    if (stopAt !== undefined) throw new UserError(pastEnd(stopAt, cursor.index)); // a trace without a footer
    hook?.(cursor.index, mem.bytes, 'end');
    reader.checkCallCount(cursor.index);
    const recorded = recordedEnd(reader);
    if (!traceEnding().complete) {
      const ending = traceEnding() as { offset: number; reason: string };
      return { end, calls: cursor.index, complete: false, verified: false, prefetched: !!prefetched, incompleteReason: `${ending.reason} (at offset ${ending.offset})` };
    }
    // The recording was cut (a signal, a host error) just as the guest ended: its end is the recorded one.
    if (runWasCut(reader)) return stoppedEarly();
    if (recorded && !sameEnd(recorded, end)) {
      diverge(`the run ended differently: recorded ${describeEnd(recorded)}, replayed ${describeEnd(end)}`, false);
    }
    let verified = false;
    if (options.verify) {
      const want = reader.footer?.memoryHash; // the footer was checked by recordedEnd above
      if (typeof want !== 'string') throw new UserError('this trace has no memory hash to verify against');
      if (hashes!.memoryHashParts(want) === undefined) throw new UserError(`this trace's memory hash (${JSON.stringify(want.slice(0, 80))}) is neither an xxh64 nor a sha256 one: the footer is damaged`);
      if (!hashes!.matchesMemoryHash(want, mem.bytes)) diverge('guest memory at the end differs from the recording (--verify)', false);
      verified = true;
    }
    return { end, calls: cursor.index, complete: true, verified, prefetched: !!prefetched, ...(semantic && { extraWrites }) };
  } finally {
    await prefetched?.close(); // before the descriptor it reads through is closed
  }
}

/** A call whose success changes nothing in the replay: not fd_write (stdout/stderr), not one that opens, closes or moves fds. */
const plainCall = (e: ImportEntry): boolean => e.wasi === undefined || (e.wasi !== FD_WRITE.index && !FD_EFFECT_FUNCTIONS.has(e.name));

/** The one line for a stopAt the trace does not reach. */
const pastEnd = (stopAt: number, total: number): string =>
  `event #${stopAt} is past the end of the trace: it has ${total} events${total ? ` (#0 to #${total - 1})` : ''}`;

/**
 * replay --verify at the recording's memory checkpoints (FORMAT.md, "checkpoint event"): guest memory must have the
 * recorded size and hash as the guest makes the call after each one; the first that differs stops the replay with
 * the window of calls in which memory diverged (between the last checkpoint that matched and this one).
 */
function verifyCheckpoints(cursor: EventCursor, mem: GuestMemory, matches: (recorded: Uint8Array, m: Uint8Array) => boolean,
  diverge: (reason: string) => never): void {
  let matched: number | undefined;
  cursor.onCheckpoint = (c) => {
    const m = mem.bytes;
    if (m.length === c.size && matches(c.hash, m)) { matched = c.after; return; }
    const what = m.length === c.size ? 'memory differs' : `memory is ${m.length} bytes, not ${c.size},`;
    diverge(`${what} at the checkpoint after event #${c.after}; ${matched === undefined ? 'no checkpoint before it (--verify)' : `it matched at #${matched} (--verify)`}`);
  };
}

/** An exception a host function threw during the recording, thrown again at the same call. */
class ReplayedThrow extends Error {}

/** Whether the recording stopped before the guest did (a signal or a host error ended it). */
const runWasCut = (reader: TraceReader): boolean => {
  const kind = recordedEnd(reader)?.kind;
  return kind === 'signal' || kind === 'error';
};

/** How the recorded run ended, once the footer is known (UserError for a malformed footer). */
const recordedEnd = (reader: TraceReader): RecordedEnd | undefined => traceParts(reader).recorded;
