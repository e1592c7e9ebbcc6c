// Reads and decompresses a trace's module (first, when asked) and frames on a worker thread, ahead of the replay,
// so that this thread decompresses nothing: it runs the guest and cannot wait for messages the usual way: frames are taken with receiveMessageOnPort, and
// Atomics.wait sleeps while none is ready. At most AHEAD frames (1 MiB, 128k calls each as wasi-trace writes them)
// wait at a time. The worker reads through the descriptor the replay opened the trace with (threads share descriptors), never through the path:
// a trace renamed over meanwhile cannot mix its frames into the replay.
import * as fs from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { workerUrl } from '../worker-url.js';
import { CODEC_RAW, FRAME_PREFIX_SIZE, MAX_ZSTD_RAW_BYTES } from '../trace/format.js';
import { loadNativeCrc32 } from '../trace/crc32.js';
import { TraceError } from '../trace/errors.js';
// Types only: the reader is loaded when the frames are wanted, not while the module is read.
import type { OpenTraceFile, TraceEnding, TraceFrame } from '../trace/reader.js';
import { decompressNextChunk, moduleChunkList, moduleChunksSound, moduleOf, readModuleWork, unclaimedChunks, type ModuleWork } from '../trace/module-chunks.js';
import { initZstdNow } from '../trace/zstd.js';
import { flatBuffers, flatten, spare, warmUp, type FlatFrame } from './flat.js';

const AHEAD = 8;
/** Payload arrays the reader thread keeps for frames to be decompressed into (handed back by spare()). */
const PAYLOAD_POOL = AHEAD + 4;
/** Without a frame or word from the reader for this long, it is taken to have died. */
const STALL_MS = 60_000;
/**
 * The replaying thread helps decompress a module the reader thread is still decompressing when at least this many
 * chunks (1 MiB each) are left: fewer are done before this thread would have started zstd.
 */
const HELP_MIN_CHUNKS = 3;

/**
 * The worker's start message. `file`: the open trace (the replay keeps the descriptor open until the worker is
 * gone); `traceId`: the id the replay read there, checked again; `module`: send the module (read from its MODULE
 * chunks, CRC-checked and decompressed) before the frames; `moduleSha256`: the header's, for a module decompressed
 * there to be kept decompressed in the module cache (raw-module-cache.ts) only when it is that module.
 * control: [0] messages posted and not yet taken.
 */
export interface PrefetchStart { file: OpenTraceFile; traceId: string | undefined; module: boolean; moduleSha256?: string; port: MessagePort; control: SharedArrayBuffer }
export type PrefetchMessage =
  | { moduleWork: ModuleWork }
  | { module: Uint8Array; cacheEntry?: string }
  | { moduleSha256: string }
  | { frame: TraceFrame & { flat: FlatFrame | null } }
  | { ending: TraceEnding }
  | { error: string; offset?: number };

export const prefetchWorkerUrl = workerUrl('./prefetch-worker.js', import.meta.url);

/** A frame reader for an open trace on `worker` (a new one if not given): its frames, then how the trace ended. */
export class PrefetchedFrames {
  private readonly port: MessagePort;
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  /** How the trace ends, once the reader got there. */
  ending: TraceEnding | undefined;
  /** The module cache's entry module() gave the module from, if it did (raw-module-cache.ts). */
  moduleCacheEntry: string | undefined;

  private constructor(file: OpenTraceFile, traceId: string | undefined, private readonly withModule: boolean, private readonly worker: Worker, moduleSha256?: string) {
    worker.unref(); // never keeps the process alive; close() ends it
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const start: PrefetchStart = { file, traceId, module: withModule, ...(moduleSha256 && { moduleSha256 }), port: port2, control: this.control.buffer as SharedArrayBuffer };
    worker.postMessage(start, [port2]);
  }

  /**
   * Starts reading the open trace `file` (whose trace id is `traceId`) on `worker` (a new one if not given) and
   * waits until that thread answers, so that a reader which cannot start is known before the guest runs. Rejects
   * when it cannot start. The descriptor must stay open until close() has settled. `withModule`: the thread reads
   * the module first (take it with module(), before frames()); `moduleSha256`: the header's (see PrefetchStart).
   */
  static start(file: OpenTraceFile, traceId: string | undefined, worker: Worker = new Worker(prefetchWorkerUrl), withModule = false, moduleSha256?: string): Promise<PrefetchedFrames> {
    return new Promise((resolve, reject) => {
      const failed = (why: string) => { void worker.terminate(); reject(new TraceError(`the trace reader thread could not start: ${why}`)); };
      worker.once('error', (e) => failed(e.message));
      worker.once('exit', () => failed('it exited'));
      const reader = new PrefetchedFrames(file, traceId, withModule, worker, moduleSha256);
      worker.ref(); // keep the process alive until it answers (the constructor unref'd it)
      worker.once('message', () => {
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        worker.unref();
        resolve(reader);
      });
    });
  }

  /**
   * The trace's module, as the reader thread read it (started withModule; once, before frames()): its MODULE chunks
   * CRC-checked and decompressed there while this thread waits. TraceError for a damaged module chunk.
   */
  module(): Uint8Array {
    if (!this.withModule) throw new Error('the trace reader thread was not asked for the module');
    let m = this.take();
    // The reader thread is still decompressing it: take chunks too, rather than wait (a read that failed may be
    // followed by another try).
    while ('moduleWork' in m) {
      if (unclaimedChunks(m.moduleWork) >= HELP_MIN_CHUNKS) {
        try {
          initZstdNow();
          while (decompressNextChunk(m.moduleWork));
        } catch {
          // zstd cannot start here: the reader thread decompresses it all
        }
      }
      m = this.take();
    }
    if ('module' in m) {
      this.moduleCacheEntry = m.cacheEntry;
      return m.module;
    }
    if ('error' in m) throw new TraceError(m.error, m.offset);
    throw new Error('the trace reader thread sent frames before the module');
  }

  /** The hex sha256 of the module module() gave, as the reader thread computed it (after sending the module). */
  moduleSha256(): string {
    const m = this.take();
    if ('moduleSha256' in m) return m.moduleSha256;
    if ('error' in m) throw new TraceError(m.error, m.offset);
    throw new Error("the trace reader thread did not send the module's sha256 after the module");
  }

  /** The frames, each with its flat form (flat.ts) made on the reader thread, null when it has none. */
  *frames(): Generator<TraceFrame & { flat: FlatFrame | null }> {
    for (;;) {
      const m = this.take();
      if ('frame' in m) { yield m.frame; continue; }
      if ('moduleWork' in m || 'module' in m || 'moduleSha256' in m) continue; // when module() was never asked for it
      if ('ending' in m) { this.ending = m.ending; return; }
      throw new TraceError(m.error, m.offset);
    }
  }

  /**
   * Hands a frame the replay is done with back to the reader thread, to be filled again: the arrays of its flat form
   * (null when it had none) and its payload (which nothing may use after this).
   */
  spare(f: FlatFrame | null, payload: Uint8Array): void {
    const buffers = f ? flatBuffers(f) : [];
    const own = payload.buffer instanceof ArrayBuffer && payload.buffer.byteLength >= MAX_ZSTD_RAW_BYTES ? payload.buffer : undefined;
    try {
      this.port.postMessage({ spare: f, payload: own }, own ? [...buffers, own] : buffers);
    } catch {
      // the reader is gone (closed): nothing to hand back to
    }
  }

  private take(): PrefetchMessage {
    let waited = 0;
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (m) {
        Atomics.sub(this.control, 0, 1);
        Atomics.notify(this.control, 0);
        return m.message as PrefetchMessage;
      }
      if (Atomics.wait(this.control, 0, 0, 100) === 'timed-out' && (waited += 100) >= STALL_MS) {
        throw new TraceError('the trace reader thread stopped answering');
      }
    }
  }

  private closing: Promise<void> | undefined;

  /**
   * Stops the reader thread (the replay is over); settles once it is gone, so the descriptor may be closed then.
   * Calling it again returns the same promise.
   */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.port.close();
      await this.worker.terminate();
    })());
  }
}

/**
 * Runs in the worker: says it is running (to `ready`), then reads the module (when asked) and the frames of `file`
 * and posts them, at most AHEAD at a time.
 */
export async function servePrefetch({ file, traceId, module, moduleSha256, port, control }: PrefetchStart, ready: () => void): Promise<void> {
  if (!module) aheadWanted = false; // the replay has the module (from the module cache): a read-ahead can stop
  ready();
  loadNativeCrc32(); // for the frames' CRCs (a no-op after readAhead)
  const pending = new Int32Array(control);
  const post = (m: PrefetchMessage, transfer: ArrayBuffer[] = []) => {
    while (Atomics.load(pending, 0) >= AHEAD) Atomics.wait(pending, 0, Atomics.load(pending, 0), 100);
    port.postMessage(m, transfer);
    Atomics.add(pending, 0, 1);
    Atomics.notify(pending, 0);
  };
  try {
    const { initZstd } = await import('../trace/zstd.js');
    await initZstd();
    // The module this thread read ahead (readAhead) when it is the very file of the descriptor: sent before the
    // reader (and msgpack) is even loaded, and hashed once sent, while the replay compiles it.
    // Else read here the same way (not from the guess: an API replay, or another file than the guessed one).
    const share = (work: ModuleWork) => post({ moduleWork: work });
    const early = module ? (await earlyModule(file, share)) ?? (await moduleOfFile(file.fd, share).catch(() => undefined)) : undefined;
    if (early) {
      post({ module: early.module, ...(early.cacheEntry && { cacheEntry: early.cacheEntry }) });
      const digest = early.sha256 ?? (await sha256(early.module)); // a cache entry's own, else computed
      post({ moduleSha256: digest });
      // Decompressed here: kept decompressed for the next replay, once known to be the header's module.
      if (early.keep && digest === moduleSha256) (await import('./raw-module-cache.js')).writeRawEntry(early.keep.dir, early.keep.key, early.module, Date.now(), digest);
    }
    warmUp(); // while the replay compiles the guest
    const { TraceReader } = await import('../trace/reader.js');
    const reader = await TraceReader.open(file, { module: module && !early ? 'keep' : 'skip' });
    if (reader.traceId !== traceId) throw new TraceError(`${file.path} is no longer the trace the replay opened (its trace id changed)`);
    if (module && !early) {
      const bytes = reader.module;
      const digest = await sha256(bytes);
      const own = bytes.buffer.byteLength === bytes.byteLength ? bytes : bytes.slice();
      post({ module: own }, [own.buffer as ArrayBuffer]);
      post({ moduleSha256: digest });
    }
    // Frames are decompressed into the payload arrays the replay handed back (PrefetchedFrames.spare), else into
    // new ones of the largest frame's size: no fresh megabyte to allocate and fault in for every frame.
    const payloads: ArrayBuffer[] = [];
    let given: ArrayBuffer | undefined;
    const into = () => {
      given = payloads.pop() ?? new ArrayBuffer(MAX_ZSTD_RAW_BYTES);
      return new Uint8Array(given);
    };
    for (const f of reader.frames(into)) {
      // Transferred without a copy when its buffer holds nothing else than the frame (and its version 2 prefix).
      const whole = f.payload.buffer === given || f.payload.buffer.byteLength <= f.payload.byteLength + FRAME_PREFIX_SIZE;
      given = undefined;
      const own = whole ? f.payload : f.payload.slice();
      // Decoded here into its flat form, so that the replaying thread only compares and copies; into the arrays of
      // frames the replay handed back when there are.
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const back = m.message as { spare: FlatFrame | null; payload?: ArrayBuffer };
        if (back.spare) spare(back.spare);
        if (back.payload && payloads.length < PAYLOAD_POOL) payloads.push(back.payload);
      }
      const flat = flatten(own, f.count);
      post({ frame: { ...f, payload: own, flat } }, [own.buffer as ArrayBuffer, ...(flat ? flatBuffers(flat) : [])]);
    }
    post({ ending: reader.ending });
  } catch (e) {
    post({ error: (e as Error).message, offset: (e as TraceError).offset });
  }
}

/** node:crypto is loaded here only (the replaying thread never hashes the module when it has a reader thread). */
const sha256 = async (bytes: Uint8Array): Promise<string> => (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');

/** Which file a read-ahead read: device, inode, size and modification time. */
interface FileIdentity { dev: number; ino: number; size: number; mtimeMs: number }
const identity = (st: FileIdentity): FileIdentity => ({ dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
const sameFile = (a: FileIdentity, b: FileIdentity) => a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * What readAhead found: the module of the trace at a path, and which file that was; read from the module cache
 * (`cacheEntry`, with the `sha256` the entry keeps, if it does), or decompressed and to be kept there (`keep`).
 */
interface AheadModule extends FileIdentity { module: Uint8Array; cacheEntry?: string; sha256?: string; keep?: { dir: string; key: string } }
let ahead: Promise<AheadModule | undefined> | undefined;
/** False once the replay said it does not want the module from here: readAhead then stops where it is. */
let aheadWanted = true;
/** The module readAhead is decompressing right now, and which file it is from. */
let inProgress: (FileIdentity & { work: ModuleWork }) | undefined;

/**
 * Runs in the worker, before its start message, on a guess of the trace the replay will open (the CLI's command
 * line, before it is parsed): reads that trace's module meanwhile (moduleOfFile), so that the replay has it
 * sooner. A wrong guess (not a trace, a damaged one) costs only the time; nothing is reported. Settles when done.
 */
export function readAhead(path: string): Promise<void> {
  loadNativeCrc32(); // for the frames' CRCs, before the replay waits for them
  ahead = (async (): Promise<AheadModule | undefined> => {
    const { TRACE_OPEN_FLAGS } = await import('../trace/read-at.js');
    // Non-blocking, so that a FIFO (or a device) guessed as the trace does not hold this thread, and the process
    // with it, in open() until a writer comes: it is not a regular file, so it is not read.
    const fd = fs.openSync(path, TRACE_OPEN_FLAGS);
    try {
      return await moduleOfFile(fd, undefined, () => aheadWanted, true);
    } finally {
      fs.closeSync(fd);
    }
  })().catch(() => undefined);
  return ahead.then(() => {});
}

/**
 * The module of the trace open at `fd` (a regular file), straight from its MODULE chunks (readModuleWork: no
 * msgpack is loaded for it): from the module cache when it kept that module decompressed (raw-module-cache.ts),
 * else decompressed here, handing the work to `share` first when given (for the replaying thread to take chunks
 * too). Undefined when the file does not read as a trace with a whole module (the usual reader then says why).
 * Lets messages in between chunks: a start message that comes meanwhile can share the rest (earlyModule), or say
 * that the module is not wanted (`wanted` then answers false: undefined at once). `leaveKept`: undefined when the
 * module cache holds the module, which the replaying thread reads then (readAhead's case).
 */
async function moduleOfFile(fd: number, share?: (work: ModuleWork) => void, wanted = () => true, leaveKept = false): Promise<AheadModule | undefined> {
  const { initZstd } = await import('../trace/zstd.js');
  const { moduleCacheDir } = await import('../trace/cache-dir.js');
  const cache = await import('./raw-module-cache.js');
  await initZstd();
  if (!wanted()) return undefined;
  const st = fs.fstatSync(fd);
  const list = st.isFile() ? moduleChunkList(fd, st.size) : undefined;
  if (list === undefined) return undefined;
  const size = list.chunks.reduce((n, c) => n + c.rawLength, 0);
  // Kept for compressed modules that take a while to decompress.
  const worthKeeping = size >= cache.RAW_CACHE_MIN_BYTES && list.chunks.some((c) => c.codec !== CODEC_RAW);
  const dir = worthKeeping ? moduleCacheDir() : undefined;
  const keep = dir === undefined ? undefined : { dir, key: cache.rawModuleKey(list) };
  if (keep) {
    // The replaying thread reads a kept module itself, as soon as it has opened the trace (replay.ts cachedModule).
    if (leaveKept && fs.existsSync(cache.rawEntryPath(keep.dir, keep.key))) return undefined;
    const kept = cache.readRawEntryWithDigest(keep.dir, keep.key, size);
    // Taken only while the trace's own chunks are sound: damage to them is still reported (by the usual reading).
    if (kept && moduleChunksSound(fd, st.size)) return { ...identity(st), ...kept, cacheEntry: cache.rawEntryPath(keep.dir, keep.key) };
  }
  const work = readModuleWork(fd, st.size);
  if (work === undefined) return undefined;
  const read = { ...identity(st), work };
  share?.(work);
  inProgress = read;
  try {
    while (wanted() && decompressNextChunk(work)) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    inProgress = undefined;
  }
  if (!wanted()) return undefined; // stopped with chunks unclaimed: nobody wants them
  const module = moduleOf(work);
  return module && { ...identity(read), module, ...(keep && { keep }) };
}

/**
 * What readAhead read, when `file` is the same file (device, inode, size and modification time); the replay
 * still checks the module against the header's sha256. While readAhead is still decompressing that file's module,
 * the work is first handed to `share` (for the replaying thread to take chunks too).
 */
async function earlyModule(file: OpenTraceFile, share: (work: ModuleWork) => void): Promise<AheadModule | undefined> {
  const st = identity(fs.fstatSync(file.fd));
  if (inProgress && sameFile(inProgress, st)) share(inProgress.work);
  const found = await ahead;
  ahead = undefined;
  return found && sameFile(found, st) ? found : undefined;
}
