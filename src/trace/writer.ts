/**
 * Writes a trace file (format version 3, see FORMAT.md): the module compressed in MODULE chunks, a random trace id in the header and the footer, and
 * in every frame with the frame's sequence number, so that a reader can tell a frame of another trace, or frames
 * out of place, from the frames this writer wrote.
 *
 * All writes are synchronous so that a recording can be finished from an exit path or a
 * signal handler. Bytes go to an OutputFile (src/files.ts): a temporary file beside the
 * target, which `finish` renames into place, so the target path never holds a half-written
 * trace (a device or FIFO is written straight). Every block goes out in a single write of header
 * and payload, so after a SIGKILL every completed frame in the temporary file is readable. Memory
 * stays bounded: only the pending frame is held. A write that fails (a full disk) leaves the writer
 * failed; `keepPartial` then keeps every complete block as a trace cut short.
 */
import { OutputFile } from '../files.js';
import { randomBytes } from 'node:crypto';
import { crc32 } from './crc32.js';
import {
  BLOCK_EVENTS,
  BLOCK_FOOTER,
  BLOCK_HEADER,
  BLOCK_HEADER_SIZE,
  BLOCK_MODULE,
  CODEC_RAW,
  CODEC_ZSTD,
  FRAME_PREFIX_SIZE,
  MAX_BLOCK_BYTES,
  MAX_FRAME_BYTES,
  MODULE_LEVEL,
  TRACE_ID_BYTES,
  encodePreamble,
  encodeTrailer,
  readBlockHeader,
  writeBlockHeader,
  writeFramePrefix,
} from './format.js';
import { copyInto } from './copy.js';
import type { packMap as PackMap } from './msgpack.js';
import { fdImportMarks, walkCalls, type WalkState } from './events.js';
import type { FrameStart, RunSummary, TraceHeader } from './header.js';
import { ZSTD_DEFAULT_LEVEL, ZSTD_MAX_LEVEL, ZSTD_MIN_LEVEL, compress, initZstd, zstdCompressBound } from './zstd.js';

export interface WriterOptions {
  /** zstd level, 1–9. Default 3. */
  level?: number;
  /** Raw (uncompressed) bytes per EVENTS frame. Default and maximum 1 MiB. */
  frameBytes?: number;
  /**
   * Events per EVENTS frame, where the batches appendEvents is given allow: a batch that would take the frame past
   * it starts the next frame (each batch must then start with an event that a frame may start with); one batch of
   * more events still makes one frame. Default: no limit.
   */
  frameEvents?: number;
  /** zstd level for the MODULE blocks (default MODULE_LEVEL), or 'raw' to store them uncompressed (see encodeModule). */
  moduleLevel?: number | 'raw';
  /**
   * EVENTS frames are stored raw (codec 0) while the events stored so far, the frame's own included, take at most
   * this many bytes; from the first frame that does not fit on, every frame is compressed. Default 0: all are.
   */
  rawEventBytes?: number;
}

type State = 'open' | 'finished' | 'abandoned' | 'failed';

/**
 * msgpack for the header and footer maps, loaded by prepare() or the first create(): msgpackr takes ~11 ms to load,
 * which a recording's thread then spends while it waits for its guest rather than before the guest can start.
 */
let packMap: typeof PackMap | undefined;

/** A module's MODULE blocks (each a block header and its stored payload), ready to write (TraceWriter.encodeModule). */
export class EncodedModule {
  constructor(readonly blocks: readonly Uint8Array[]) {}

  /**
   * The MODULE blocks of a module compressed elsewhere (the module cache): `frames` are the stored payloads, one zstd
   * frame per 1 MiB chunk of the `size`-byte module, in order (each records its content size). `crcs`: the CRC-32
   * of each frame when the caller kept them (`crcs` of these blocks, from a source it verified), else computed
   * here. RangeError when the frames cannot be the chunks of such a module (their count, or a frame larger than
   * its chunk can compress to).
   */
  static fromZstdFrames(frames: readonly Uint8Array[], size: number, crcs?: readonly number[]): EncodedModule {
    const chunks = Math.ceil(size / MAX_FRAME_BYTES);
    if (frames.length !== chunks) throw new RangeError(`${frames.length} zstd frames cannot hold a module of ${size} bytes in ${chunks} chunks`);
    const known = crcs !== undefined && crcs.length === frames.length && crcs.every((c) => Number.isInteger(c) && c >= 0 && c < 2 ** 32);
    return new EncodedModule(frames.map((stored, chunk) => {
      const raw = Math.min(MAX_FRAME_BYTES, size - chunk * MAX_FRAME_BYTES);
      if (stored.length > zstdCompressBound(raw)) throw new RangeError(`module chunk ${chunk}: ${stored.length} compressed bytes are too many for ${raw} bytes`);
      return storedBlock(BLOCK_MODULE, CODEC_ZSTD, stored, raw, chunk, known ? crcs[chunk] : undefined);
    }));
  }

  /** The stored payloads (for a cache of them). */
  get payloads(): Uint8Array[] {
    return this.blocks.map((b) => b.subarray(BLOCK_HEADER_SIZE));
  }

  /** The CRC-32 of each stored payload, as its block header holds it (for a cache of them). */
  get crcs(): number[] {
    return this.blocks.map((b) => readBlockHeader(b).crc);
  }
}

export class TraceWriter {
  /** Final path of the trace (absolute). */
  readonly path: string;
  /** Where the bytes go while recording: `.<name>.<pid>.tmp` beside the target (the target itself when direct). */
  readonly tempPath: string;
  /** zstd level used for every block. */
  readonly level: number;
  /** Raw bytes per EVENTS frame. */
  readonly frameBytes: number;
  readonly frameEvents: number;
  /** The trace id the header, the footer and every frame carry (32 hex digits). */
  readonly traceId: string;
  private readonly traceIdRaw: Uint8Array;

  private readonly out: OutputFile;
  private position: number;
  private state: State = 'open';
  private failure: unknown;
  /** The pending frame: its prefix, then `pendingLength` bytes of events. */
  private readonly pending: Uint8Array;
  private pendingLength = 0;
  private pendingCount = 0;
  private events = 0;
  private readonly index: number[] = [];
  private rawBytes = 0;
  private storedBytes = 0;
  /** Bytes of events the next frames may still be stored raw with (WriterOptions.rawEventBytes); 0 once one was compressed. */
  private rawEventsLeft: number;
  /**
   * The footer's `seek` entries so far, one per frame written (FooterContainer.seek); undefined once a frame did
   * not hold well-formed events (a writer used for other payloads: its footer then has no `seek`).
   */
  private seek: FrameStart[] | undefined = [];
  /** Where the frames written so far leave the run: calls, ns, blob pieces after the last call. */
  private readonly seekState: WalkState = { calls: 0, time: 0, pieces: 0, marked: 0 };
  /**
   * Where the run is after the events pending, as the caller of appendEvents said (its `marked` counting every fd
   * call so far); undefined when a batch of them came without it (the frame is walked then).
   */
  private pendingAfter: WalkState | undefined;
  /** The caller's count of fd calls at the end of the frames written so far; undefined once a frame was walked. */
  private markedSoFar: number | undefined = 0;
  /** Nonzero at the import indices of the calls that may change the fd table (from the header's import table). */
  private readonly fdImports: Uint8Array;

  private constructor(out: OutputFile, level: number, frameBytes: number, frameEvents: number, traceId: Uint8Array, fdImports: Uint8Array,
    rawEventBytes: number) {
    this.fdImports = fdImports;
    this.rawEventsLeft = rawEventBytes;
    this.out = out;
    this.path = out.path;
    this.tempPath = out.tempPath ?? out.path;
    this.position = out.position;
    this.level = level;
    this.frameBytes = frameBytes;
    this.frameEvents = frameEvents;
    this.traceIdRaw = traceId;
    this.traceId = Buffer.from(traceId).toString('hex');
    this.pending = new Uint8Array(FRAME_PREFIX_SIZE + frameBytes);
  }

  /**
   * Writes the preamble, the HEADER block (the msgpack-encoded `header`) and the module in MODULE chunks, all in
   * one write, to `target`: an output already opened (the writer then owns it: a failed create discards it), or
   * a path to open (OutputFile.open: UserError for a name that cannot be a trace). OutputError when the write
   * fails.
   */
  static async create(
    target: string | OutputFile,
    header: TraceHeader | Record<string, unknown>,
    module: Uint8Array | EncodedModule,
    options: WriterOptions = {},
  ): Promise<TraceWriter> {
    const discard = () => { if (target instanceof OutputFile) target.discard(); };
    const level = options.level ?? ZSTD_DEFAULT_LEVEL;
    const frameBytes = options.frameBytes ?? MAX_FRAME_BYTES;
    let start: Uint8Array;
    const traceId = Uint8Array.from(randomBytes(TRACE_ID_BYTES));
    try {
      if (!Number.isInteger(level) || level < ZSTD_MIN_LEVEL || level > ZSTD_MAX_LEVEL) {
        throw new RangeError(`trace compression level ${level} is not supported: use ${ZSTD_MIN_LEVEL} to ${ZSTD_MAX_LEVEL}`);
      }
      if (!Number.isInteger(frameBytes) || frameBytes < 1 || frameBytes > MAX_FRAME_BYTES) {
        throw new RangeError(`trace frame size ${frameBytes} is not supported: use 1 to ${MAX_FRAME_BYTES} bytes`);
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) {
        throw new TypeError('trace header must be an object');
      }
      await initZstd();
      await TraceWriter.prepare();
      // Everything before the first frame, encoded before the file is created.
      const moduleBlocks = module instanceof EncodedModule ? module : TraceWriter.encodeModule(module, options.moduleLevel);
      // The header and footer are stored raw: small, and readable before (or without) zstd.
      start = concat([encodePreamble(), encodeRawBlock(BLOCK_HEADER, packMap!(withTraceId(header, traceId)), 1), ...moduleBlocks.blocks]);
    } catch (error) {
      discard();
      throw error;
    }
    const out = target instanceof OutputFile ? target : OutputFile.open(target, { what: 'trace' });
    try {
      out.write(start);
    } catch (error) {
      out.discard();
      throw error;
    }
    return new TraceWriter(out, level, frameBytes, options.frameEvents ?? Infinity, traceId, fdImportsOf(header), Math.max(0, options.rawEventBytes ?? 0));
  }

  /**
   * Loads what create() needs besides zstd (msgpack), ahead of it: a recorder calls it while it waits for its guest
   * thread, so that the header's write does not wait for it.
   */
  static async prepare(): Promise<void> {
    packMap ??= (await import('./msgpack.js')).packMap;
  }

  /**
   * The MODULE blocks of a module, ahead of create() (so a recorder can make them while the guest starts):
   * compressed at `level` (default MODULE_LEVEL; zstd must be initialised, initZstd()), one zstd frame per 1 MiB
   * chunk, or stored as they are with 'raw'. A recorder takes them from the module cache instead
   * (src/record/module-cache.ts), which makes them here once per module.
   */
  static encodeModule(module: Uint8Array, level: number | 'raw' = MODULE_LEVEL): EncodedModule {
    const blocks: Uint8Array[] = [];
    for (let at = 0, chunk = 0; at < module.length; at += MAX_FRAME_BYTES, chunk++) {
      const piece = module.subarray(at, Math.min(module.length, at + MAX_FRAME_BYTES));
      blocks.push(level === 'raw' ? encodeRawBlock(BLOCK_MODULE, piece, chunk) : encodeBlock(BLOCK_MODULE, piece, chunk, level));
    }
    return new EncodedModule(blocks);
  }

  /** Bytes written to the file so far. */
  get bytesWritten(): number {
    return this.position;
  }

  /**
   * fsyncs the blocks written so far (OutputError when it fails; the writer is failed then). finish() still fsyncs
   * everything: this only leaves it less to do, for a recorder that calls it while the guest runs (say, after a
   * large module).
   */
  syncWritten(): void {
    this.assertOpen('syncWritten');
    this.guard(() => this.out.syncWritten());
  }

  /** Events appended so far, including those still pending. */
  get eventCount(): number {
    return this.events;
  }

  /** EVENTS frames written so far. */
  get frameCount(): number {
    return this.index.length;
  }

  /** Raw bytes waiting in the pending frame. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /**
   * Appends `count` whole msgpack-encoded events (concatenated in `encoded`). They are
   * buffered; the pending frame is written first when they would not fit in it. A batch larger
   * than `frameBytes` gets a frame of its own; a batch is never split, so it must not exceed
   * 1 MiB. The bytes are copied, so the caller may reuse `encoded`.
   * `after`: where the run is after these events, from a caller that knows (the recorder): its calls, the sum of
   * their gaps and durations, the blob pieces after the last call, and `marked`, the calls so far whose import
   * may change the fd table (fdImportMarks in events.ts). The footer's seek index is made of these without walking the
   * frames' events; a frame with a batch that came without them is walked (walkCalls).
   */
  appendEvents(encoded: Uint8Array, count: number, after?: WalkState): void {
    this.assertOpen('appendEvents');
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`appendEvents: event count ${count} is not a non-negative integer`);
    }
    if (encoded.length === 0 || count === 0) {
      if (encoded.length === 0 && count === 0) return;
      throw new RangeError(`appendEvents: ${encoded.length} bytes do not hold ${count} events`);
    }
    if (count > encoded.length) {
      throw new RangeError(`appendEvents: ${encoded.length} bytes cannot hold ${count} msgpack values`);
    }
    if (encoded.length > MAX_FRAME_BYTES) {
      throw new RangeError(
        count === 1
          ? `an encoded event of ${encoded.length} bytes is larger than the trace format's 1 MiB frame limit`
          : `${count} encoded events of ${encoded.length} bytes in one appendEvents call exceed the trace format's ` +
              '1 MiB frame limit: an event batch is never split, append smaller batches',
      );
    }
    if (this.pendingLength + encoded.length > this.frameBytes || (this.pendingCount > 0 && this.pendingCount + count > this.frameEvents)) this.flush();
    if (encoded.length > this.frameBytes) {
      const raw = new Uint8Array(FRAME_PREFIX_SIZE + encoded.length);
      copyInto(raw, FRAME_PREFIX_SIZE, encoded);
      this.guard(() => this.writeFrame(raw, count, after));
      this.events += count;
      return;
    }
    copyInto(this.pending, FRAME_PREFIX_SIZE + this.pendingLength, encoded);
    this.pendingAfter = this.pendingCount === 0 || this.pendingAfter !== undefined ? after : undefined;
    this.pendingLength += encoded.length;
    this.pendingCount += count;
    this.events += count;
    if (this.pendingLength === this.frameBytes) this.flush();
  }

  /** Writes the pending frame now (nothing when no events are pending). */
  flush(): void {
    this.assertOpen('flush');
    if (this.pendingCount === 0) return;
    this.guard(() => this.writeFrame(this.pending.subarray(0, FRAME_PREFIX_SIZE + this.pendingLength), this.pendingCount, this.pendingAfter));
    this.pendingLength = 0;
    this.pendingCount = 0;
  }

  /**
   * Flushes, writes the FOOTER block (`footer` plus `frames`, `events`, `index`, `rawBytes`,
   * `storedBytes`, `traceId` and, when every frame held well-formed events, `seek`, which override fields of the
   * same name) and the trailer, fsyncs, closes and
   * renames the temporary file onto `path`, replacing any file there. OutputError when a write fails.
   */
  finish(footer: RunSummary | Record<string, unknown>): void {
    this.assertOpen('finish');
    this.flush();
    this.guard(() => {
      const full: Record<string, unknown> = {
        ...footer,
        frames: this.index.length,
        events: this.events,
        index: this.index.slice(),
        rawBytes: this.rawBytes,
        storedBytes: this.storedBytes,
        traceId: this.traceId,
      };
      if (this.seek) full.seek = this.seek.map((f) => [f.calls, f.time, f.fdCalls, f.carried]);
      else delete full.seek;
      const footerOffset = this.position;
      const block = encodeRawBlock(BLOCK_FOOTER, packMap!(full), 1);
      this.write(concat([block, encodeTrailer(footerOffset)]));
      this.out.commit();
    });
    this.state = 'finished';
  }

  /**
   * Closes and deletes the temporary file. Used when recording could not start, or after a
   * failure. Does nothing once the trace is finished (the final file is never deleted).
   */
  abandon(): void {
    if (this.state === 'finished' || this.state === 'abandoned') return;
    this.state = 'abandoned';
    this.out.discard();
  }

  /**
   * After a failure (say, a full disk) or instead of finishing: closes the output and keeps every complete block
   * written so far, as a trace cut short that readers read up to there (no footer). Returns the path of what was
   * kept — the temporary file, which is not renamed onto the target — or undefined when nothing worth keeping was
   * written (no EVENTS frame, or a device or FIFO target); the file is then removed.
   */
  keepPartial(): string | undefined {
    if (this.state === 'finished' || this.state === 'abandoned') return undefined;
    this.state = 'abandoned';
    return this.out.keep(this.index.length > 0 ? this.position : 0);
  }

  private assertOpen(what: string): void {
    if (this.state === 'open') return;
    if (this.state === 'failed') {
      const reason = this.failure instanceof Error ? this.failure.message : String(this.failure);
      throw new Error(`trace writer for ${this.path} failed earlier (${reason}); ${what} is not possible`, {
        cause: this.failure,
      });
    }
    throw new Error(`trace writer for ${this.path} is ${this.state}; ${what} is not possible`);
  }

  /** Runs a step that writes; a failure leaves the writer failed (only abandon() remains). */
  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.state = 'failed';
      this.failure = error;
      throw error;
    }
  }

  /** Writes one EVENTS block: `raw` is FRAME_PREFIX_SIZE free bytes (filled here) and then the events. */
  private writeFrame(raw: Uint8Array, count: number, after: WalkState | undefined): void {
    const offset = this.position;
    writeFramePrefix(raw, 0, this.traceIdRaw, this.index.length);
    const stayRaw = raw.length <= this.rawEventsLeft;
    this.rawEventsLeft = stayRaw ? this.rawEventsLeft - raw.length : 0;
    const block = stayRaw ? encodeRawBlock(BLOCK_EVENTS, raw, count) : encodeBlock(BLOCK_EVENTS, raw, count, this.level);
    this.write(block);
    this.index.push(offset);
    this.noteFrame(raw.subarray(FRAME_PREFIX_SIZE), count, after);
    this.rawBytes += raw.length;
    this.storedBytes += block.length - BLOCK_HEADER_SIZE;
  }

  /**
   * The `seek` entry of a frame just written: where the frames before it left the run, and the calls in it that
   * may change the fd table; then moves that state past its events (counting calls, not blob pieces): to `after`
   * when the caller said where the run is after them (appendEvents), else by walking them.
   */
  private noteFrame(events: Uint8Array, count: number, after: WalkState | undefined): void {
    const seek = this.seek;
    if (!seek) return;
    const st = this.seekState;
    const entry: FrameStart = { calls: st.calls, time: st.time, fdCalls: 0, carried: st.pieces };
    if (after !== undefined && this.markedSoFar !== undefined) {
      entry.fdCalls = after.marked - this.markedSoFar;
      this.markedSoFar = after.marked;
      st.calls = after.calls;
      st.time = after.time;
      st.pieces = after.pieces;
      seek.push(entry);
      return;
    }
    this.markedSoFar = undefined;
    st.marked = 0;
    if (!walkCalls(events, count, st, this.fdImports)) { this.seek = undefined; return; }
    entry.fdCalls = st.marked;
    seek.push(entry);
  }

  /** Writes one whole block (or the footer and trailer); `position` then ends after it. */
  private write(bytes: Uint8Array): void {
    this.out.write(bytes);
    this.position += bytes.length;
  }
}

/** Nonzero at the import indices of the header's import table whose preview1 function may change the fd table. */
function fdImportsOf(header: TraceHeader | Record<string, unknown>): Uint8Array {
  return fdImportMarks((header as { imports?: unknown }).imports);
}

/** The header map as stored: the caller's fields and the trace id (which replaces any `traceId` given). */
function withTraceId(header: TraceHeader | Record<string, unknown>, traceId: Uint8Array): Record<string, unknown> {
  return { ...(header as Record<string, unknown>), traceId: Buffer.from(traceId).toString('hex') };
}

/** Header and payload of a block stored as it is (codec 0), in one buffer. */
function encodeRawBlock(type: number, raw: Uint8Array, count: number): Uint8Array {
  if (raw.length > MAX_BLOCK_BYTES) throw new RangeError(`a trace block of ${raw.length} bytes is more than the 64 MiB a block may hold`);
  const out = new Uint8Array(BLOCK_HEADER_SIZE + raw.length);
  writeBlockHeader(out, 0, { type, codec: CODEC_RAW, reserved: 0, storedLength: raw.length, rawLength: raw.length, crc: crc32(raw), count });
  out.set(raw, BLOCK_HEADER_SIZE);
  return out;
}

/** Header and payload of a zstd-compressed block (codec 1, at most 1 MiB raw), in one buffer. */
function encodeBlock(type: number, raw: Uint8Array, count: number, level: number): Uint8Array {
  const limit = MAX_FRAME_BYTES + (type === BLOCK_EVENTS ? FRAME_PREFIX_SIZE : 0);
  if (raw.length > limit) throw new RangeError(`block of ${raw.length} bytes exceeds the 1 MiB limit`);
  return storedBlock(type, CODEC_ZSTD, compress(raw, level), raw.length, count);
}

/**
 * A block header and `stored` (its payload as stored, `rawLength` bytes once decoded), in one buffer; `crc`: the
 * payload's CRC-32 when the caller knows it (computed here otherwise).
 */
function storedBlock(type: number, codec: number, stored: Uint8Array, rawLength: number, count: number, crc = crc32(stored)): Uint8Array {
  const out = new Uint8Array(BLOCK_HEADER_SIZE + stored.length);
  writeBlockHeader(out, 0, { type, codec, reserved: 0, storedLength: stored.length, rawLength, crc, count });
  out.set(stored, BLOCK_HEADER_SIZE);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
