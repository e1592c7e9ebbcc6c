/**
 * Reads a trace file (format versions 1, 2 and 3, see FORMAT.md), streaming its frames with bounded
 * memory. Anything wrong with the bytes is a TraceError naming the file offset; a file that
 * simply ends early (a recording cut short) is read up to its last complete block and says so
 * through `ending`. Everything is read through the one descriptor open() opened, so a trace that
 * is replaced (renamed over) while it is read is still read as the file that was opened.
 */
import * as fs from 'node:fs';
import { fileKind } from '../files.js';
import { crc32 } from './crc32.js';
import { TraceError, describeError } from './errors.js';
import {
  BLOCK_EVENTS,
  BLOCK_FOOTER,
  BLOCK_HEADER,
  BLOCK_HEADER_SIZE,
  BLOCK_MODULE,
  CODEC_RAW,
  CODEC_ZSTD,
  FORMAT_VERSION,
  FRAME_PREFIX_SIZE,
  MAGIC,
  MAX_BLOCK_BYTES,
  MAX_FRAME_BYTES,
  MAX_MODULE_BYTES,
  MAX_ZSTD_RAW_BYTES,
  PREAMBLE_SIZE,
  TRACE_ID_BYTES,
  TRAILER_MAGIC,
  TRAILER_SIZE,
  type BlockHeader,
  blockName,
  hasBytes,
  isPlainMap,
  readBlockHeader,
  traceIdBytes,
} from './format.js';
import { NOT_PLAIN, unpackPlain } from './plain-unpack.js';
import { readAt, TRACE_OPEN_FLAGS } from './read-at.js';
import {
  parseFooter, parseFooterContainer, parseHeader, parseHeaderContainer, type FooterContainer, type FrameStart, type TraceFooter,
  type TraceHeader,
} from './header.js';
import { decompress, initZstd, initZstdNow, zstdCompressBound, zstdReady } from './zstd.js';

export { TraceError } from './errors.js';

export interface TraceFrame {
  /** File offset of the EVENTS block. */
  offset: number;
  /** The frame's place among the trace's frames, from 0 (version 2 frames carry it; checked). */
  seq: number;
  /** Number of events the frame declares (its block header's item count; its decoder checks it). */
  count: number;
  /** The block's stored (compressed) and raw lengths, as its header gives them (raw includes the version 2 prefix). */
  storedLength: number;
  rawLength: number;
  /** The decompressed frame's events (a Buffer; without the version 2 prefix): `count` concatenated msgpack values. */
  payload: Uint8Array;
}

/** A trace already open: read through `fd`, which the caller keeps open while reading and closes. */
export interface OpenTraceFile {
  fd: number;
  /** The name messages use. */
  path: string;
}

/** Closes the descriptor of a reader nobody closed, once it is garbage (close() is the way; this is a net). */
const unclosed = new FinalizationRegistry<number>((fd) => {
  try { fs.closeSync(fd); } catch { /* already closed */ }
});


/** Where reading starts for a seek (TraceReader.framesFrom): frame `frame`, and where the run stands there. */
export interface SeekStart extends FrameStart {
  frame: number;
}

/** A seek that starts at the very beginning (a trace without a seek index). */
const FROM_THE_START: SeekStart = { frame: 0, calls: 0, time: 0, fdCalls: 0, carried: 0 };

export type TraceEnding = { complete: true } | { complete: false; offset: number; reason: string };

const NO_FOOTER = 'no footer (recording was cut short)';

type Step =
  | { kind: 'block'; offset: number; header: BlockHeader; stored: Uint8Array; next: number }
  | { kind: 'end'; offset: number; reason: string; /** The same fact, when it cannot be a cut. */ corrupt: string };

export class TraceReader {
  readonly path: string;
  readonly version: number;
  /** The HEADER block's map as stored (the container's view; `header` is the checked, typed one). */
  readonly headerMap: Record<string, unknown>;
  readonly module: Uint8Array;
  /** The trace id every frame must carry (version 2; undefined for version 1). */
  readonly traceId: string | undefined;
  /** The module's size as its MODULE chunks give it (their raw lengths); undefined when open() skipped them. */
  readonly moduleSize: number | undefined;
  /**
   * How the module is stored, as the MODULE chunks' block headers say (known however open() treated them): the
   * bytes of their payloads in the file, the raw lengths they declare, and whether any chunk is compressed.
   */
  readonly moduleStorage: { storedBytes: number; rawBytes: number; chunks: number; compressed: boolean };

  /** The descriptor everything is read through; -1 once closed. */
  private fd: number;
  private readonly ownsFd: boolean;
  private readonly traceIdRaw: Uint8Array | undefined;
  private _footer: Record<string, unknown> | undefined;
  private _footerOffset: number | undefined;
  private parsedHeader: TraceHeader | undefined;
  private parsedFooter: TraceFooter | undefined;
  private _ending: TraceEnding;
  /** Offset of the first block after the MODULE chunks. */
  private readonly dataStart: number;
  /** Offset of the FOOTER block when the trailer was valid at open. */
  private readonly trailerFooterOffset: number | undefined;
  private readonly fileSize: number;
  /** The file's last 8 bytes are the trailer magic (so it was finished, whatever else is wrong). */
  private readonly endsWithTrailerMagic: boolean;

  private constructor(init: {
    path: string;
    fd: number;
    ownsFd: boolean;
    version: number;
    header: Record<string, unknown>;
    traceId: string | undefined;
    module: Uint8Array;
    moduleSize: number | undefined;
    moduleStorage: TraceReader['moduleStorage'];
    footer: Record<string, unknown> | undefined;
    footerOffset: number | undefined;
    dataStart: number;
    fileSize: number;
    endsWithTrailerMagic: boolean;
  }) {
    this.path = init.path;
    this.fd = init.fd;
    this.ownsFd = init.ownsFd;
    if (init.ownsFd) unclosed.register(this, init.fd, this);
    this.version = init.version;
    this.headerMap = init.header;
    this.traceId = init.traceId;
    this.traceIdRaw = traceIdBytes(init.traceId);
    this.module = init.module;
    this.moduleSize = init.moduleSize;
    this.moduleStorage = init.moduleStorage;
    this._footer = init.footer;
    this._footerOffset = init.footerOffset;
    this.trailerFooterOffset = init.footerOffset;
    this.dataStart = init.dataStart;
    this.fileSize = init.fileSize;
    this.endsWithTrailerMagic = init.endsWithTrailerMagic;
    this._ending = init.footerOffset !== undefined ? { complete: true } : { complete: false, offset: init.fileSize, reason: NO_FOOTER };
  }

  /**
   * The header, checked: TraceError (naming the header block) when a field is missing or malformed, or when
   * the module it describes is not the size of the module the MODULE chunks hold (as their block headers say it,
   * when open() skipped them).
   */
  get header(): TraceHeader {
    if (this.parsedHeader) return this.parsedHeader;
    const h = parseHeader(this.headerMap, PREAMBLE_SIZE);
    const held = this.moduleSize ?? this.moduleStorage.rawBytes;
    if (h.module.size !== held) {
      throw new TraceError(
        `corrupt trace: the header block at offset ${PREAMBLE_SIZE} says the module has ${h.module.size} bytes, but its module chunks hold ${held}`,
        PREAMBLE_SIZE,
      );
    }
    return (this.parsedHeader = h);
  }

  /**
   * The FOOTER block's map as stored: available right after open when the trailer is valid (read through it
   * without scanning), otherwise once frames() has reached a FOOTER block. Undefined for a trace whose
   * recording was cut short.
   */
  get footerMap(): Record<string, unknown> | undefined {
    return this._footer;
  }

  /** The footer, checked (see footerMap for when there is one): TraceError when a field is malformed. */
  get footer(): TraceFooter | undefined {
    if (this._footer === undefined) return undefined;
    return (this.parsedFooter ??= parseFooter(this._footer, this.version, this.traceId, this._footerOffset));
  }

  /**
   * The file ends with the trailer's magic: it was finished. When footerMap is undefined at open all the same, the
   * trailer does not lead to the footer, and reading the frames will say what is damaged.
   */
  get finished(): boolean {
    return this.endsWithTrailerMagic;
  }

  /** File offset of the FOOTER block, when footerMap is there (for messages about it). */
  get footerOffset(): number | undefined {
    return this._footer === undefined ? undefined : this._footerOffset;
  }

  /**
   * A footer must count the calls the frames before it hold: TraceError when `calls` (the calls read, once every
   * frame was) is not what it says. (The container alone cannot tell a last frame dropped with its footer fixed up.)
   * Nothing to check without a footer.
   */
  checkCallCount(calls: number): void {
    const said = this.footer?.calls;
    if (said !== undefined && said !== calls) {
      throw new TraceError(`corrupt trace: the footer block at offset ${this._footerOffset} says calls is ${said}, but the frames hold ${calls} calls`, this._footerOffset);
    }
  }

  /** Closes the file (a descriptor handed to open() is left to its owner). Reading frames is not possible after it. */
  close(): void {
    if (this.fd < 0) return;
    if (this.ownsFd) {
      unclosed.unregister(this);
      try { fs.closeSync(this.fd); } catch { /* closing is best effort */ }
    }
    this.fd = -1;
  }

  /** The descriptor the trace is read through (for a frame reader on another thread; see OpenTraceFile). */
  get file(): OpenTraceFile {
    if (this.fd < 0) throw new Error(`the trace reader of ${this.path} is closed`);
    return { fd: this.fd, path: this.path };
  }

  /**
   * How the trace ends. Final once frames() has run to the end. Before that it is what open()
   * saw: `{ complete: true }` when the trailer is valid, otherwise incomplete at the file's size
   * with reason 'no footer (recording was cut short)'; frames() then finds the exact offset.
   */
  get ending(): TraceEnding {
    return this._ending;
  }

  /**
   * Opens a trace: reads the preamble, the header block and the module, and the footer when
   * the trailer is valid. The file stays open for frames() (and everything else) until close(); `source` may
   * also be a descriptor the caller opened (it is then neither closed here nor by close()). `module`: what to do
   * with the MODULE chunks: 'keep' (the default) reads and checks them into `module`; 'check' reads them and
   * checks their CRCs, one at a time, without keeping them (`module` is empty), for a reader that wants the
   * frames of a trace it checks; 'skip' (also `skipModule`) only steps over them (their payloads are neither read
   * nor checked), for a reader of frames another reader checked. `deferZstd`: do not start zstd unless the
   * header, module or footer needs it; frames() starts it (synchronously) at the first compressed frame.
   */
  static async open(
    source: string | OpenTraceFile,
    options: { module?: 'keep' | 'check' | 'skip'; skipModule?: boolean; deferZstd?: boolean } = {},
  ): Promise<TraceReader> {
    const mode = options.module ?? (options.skipModule ? 'skip' : 'keep');
    if (!options.deferZstd) await initZstd();
    /** With deferZstd, zstd starts only when a block read here needs it. */
    const zstdFor = async (step: Step) => { if (step.kind === 'block' && step.header.codec === CODEC_ZSTD && !zstdReady()) await initZstd(); };
    const path = typeof source === 'string' ? source : source.path;
    const ownsFd = typeof source === 'string';
    const fd = typeof source === 'string' ? fs.openSync(source, TRACE_OPEN_FLAGS) : source.fd;
    let opened = false;
    try {
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) throw new TraceError(`${path} is a directory, not a wasi-trace file`);
      if (!st.isFile()) throw new TraceError(`cannot read trace ${path}: it is ${fileKind(st)}, not a regular file (save the trace to a file first)`);
      const size = st.size;

      // Preamble.
      const pre = readAt(fd, PREAMBLE_SIZE, 0);
      if (pre.length === 0) throw new TraceError(`${path} is not a wasi-trace file (it is empty)`, 0);
      for (let i = 0; i < Math.min(pre.length, MAGIC.length); i++) {
        if (pre[i] !== MAGIC[i]) throw new TraceError(`${path} is not a wasi-trace file (bad magic)`, 0);
      }
      if (pre.length < PREAMBLE_SIZE) {
        throw new TraceError(`${path} is truncated: it ends inside its ${PREAMBLE_SIZE}-byte preamble (recording was cut short before it started)`, 0);
      }
      const pv = new DataView(pre.buffer, pre.byteOffset, PREAMBLE_SIZE);
      const version = pv.getUint16(8, true);
      if (version > FORMAT_VERSION) {
        throw new TraceError(
          `trace format version ${version} is newer than this wasi-trace reads (${FORMAT_VERSION}); upgrade wasi-trace`,
          8,
        );
      }
      if (version === 0) throw new TraceError('corrupt trace: trace format version 0 at offset 8 does not exist', 8);
      const flags = pv.getUint16(10, true);
      if (flags !== 0) throw new TraceError(`corrupt trace: unknown preamble flags 0x${flags.toString(16)} at offset 10`, 10);
      if (pv.getUint32(12, true) !== 0) throw new TraceError('corrupt trace: nonzero reserved preamble field at offset 12', 12);

      // Footer through the trailer, when there is a valid one.
      const footerOffset = probeTrailer(fd, size);
      let footer: Record<string, unknown> | undefined;
      let footerStep: Step | undefined;
      if (footerOffset !== undefined) {
        footerStep = readStep(fd, footerOffset, size - TRAILER_SIZE, true, version);
        if (footerStep.kind !== 'block') throw new Error('unreachable: probed footer block is missing');
      }
      const limit = footerOffset ?? size;
      const strict = footerOffset !== undefined;
      // Without a trailer, frames() may find a footer by scanning, and decodes it there without waiting.
      if (!strict) await loadMsgpack();

      // Header block.
      const first = readStep(fd, PREAMBLE_SIZE, limit, strict, version);
      if (first.kind === 'end') {
        throw new TraceError(
          `${path} is truncated: it ends inside its header block at offset ${PREAMBLE_SIZE} (recording was cut short before it started)`,
          PREAMBLE_SIZE,
        );
      }
      if (first.header.type !== BLOCK_HEADER) {
        throw new TraceError(
          `corrupt trace: expected the header block at offset ${PREAMBLE_SIZE}, found a ${blockName(first.header.type)}`,
          PREAMBLE_SIZE,
        );
      }
      await zstdFor(first);
      const header = await decodeMap(first);
      const { traceId } = parseHeaderContainer(header, version, PREAMBLE_SIZE);
      if (footerStep?.kind === 'block') {
        await zstdFor(footerStep);
        footer = await decodeMap(footerStep);
        parseFooterContainer(footer, version, traceId, footerOffset);
      }

      // Module chunks.
      const chunks: Uint8Array[] = [];
      let moduleBytes = 0;
      const storage = { storedBytes: 0, rawBytes: 0, chunks: 0, compressed: false };
      const count = (h: BlockHeader) => {
        storage.storedBytes += h.storedLength;
        storage.rawBytes += h.rawLength;
        storage.chunks++;
        if (h.codec !== CODEC_RAW) storage.compressed = true;
      };
      let pos = first.next;
      while (pos < limit) {
        // The type byte alone tells whether the module goes on (even in a cut-short header).
        if (readAt(fd, 1, pos)[0] !== BLOCK_MODULE) break;
        if (mode === 'skip') {
          const raw = readAt(fd, BLOCK_HEADER_SIZE, pos);
          if (raw.length < BLOCK_HEADER_SIZE) throw new TraceError(`${path} is truncated: it ends inside module chunk ${chunks.length} at offset ${pos}`, pos);
          const h = readBlockHeader(raw);
          validateHeader(h, pos, version);
          if (h.count !== chunks.length) {
            throw new TraceError(`corrupt trace: module chunk at offset ${pos} has index ${h.count}, expected ${chunks.length}`, pos);
          }
          const next = pos + BLOCK_HEADER_SIZE + h.storedLength;
          if (next > limit) {
            if (strict) throw new TraceError(`corrupt trace: module chunk at offset ${pos} runs past the footer at offset ${limit}`, pos);
            throw new TraceError(`${path} is truncated: it ends inside module chunk ${chunks.length} at offset ${pos}`, pos);
          }
          count(h);
          chunks.push(new Uint8Array(0));
          pos = next;
          continue;
        }
        const step = readStep(fd, pos, limit, strict, version);
        if (step.kind === 'end') {
          throw new TraceError(
            `${path} is truncated: it ends inside module chunk ${chunks.length} at offset ${pos} (recording was cut short before it started)`,
            pos,
          );
        }
        if (step.header.count !== chunks.length) {
          throw new TraceError(
            `corrupt trace: module chunk at offset ${pos} has index ${step.header.count}, expected ${chunks.length}`,
            pos,
          );
        }
        count(step.header);
        moduleBytes += step.header.rawLength;
        if (moduleBytes > MAX_MODULE_BYTES) {
          throw new TraceError(`corrupt trace: the module chunks up to offset ${pos} add up to more than 1 GiB`, pos);
        }
        if (mode === 'keep') {
          await zstdFor(step);
          chunks.push(decodeBlock(step));
        } else {
          chunks.push(new Uint8Array(0));
        }
        pos = step.next;
      }
      const reader = new TraceReader({
        path,
        fd,
        ownsFd,
        version,
        header,
        traceId,
        module: mode === 'keep' ? concat(chunks, moduleBytes) : new Uint8Array(0),
        moduleSize: mode === 'skip' ? undefined : moduleBytes,
        moduleStorage: storage,
        footer,
        footerOffset,
        dataStart: pos,
        fileSize: size,
        endsWithTrailerMagic: size >= PREAMBLE_SIZE + TRAILER_SIZE && hasBytes(readAt(fd, 8, size - 8), 0, TRAILER_MAGIC),
      });
      opened = true;
      return reader;
    } finally {
      if (!opened && ownsFd) fs.closeSync(fd);
    }
  }

  /**
   * The footer's seek index (FooterContainer.seek), when it can be used: the trailer led to the footer at open
   * (so the frame offsets are known without scanning) and the writer wrote one. Undefined otherwise (version 1 and
   * older version 2 traces, traces cut short); then reading starts at the first frame.
   */
  get seekIndex(): FrameStart[] | undefined {
    if (this.trailerFooterOffset === undefined || this._footerOffset !== this.trailerFooterOffset) return undefined;
    return this.footer?.seek;
  }

  /**
   * Where to start reading to reach call #`call`: the last frame that starts at or before it and does not start
   * inside the blob pieces of a call (FrameStart.carried), with the call number and time it starts at. The first
   * frame (call #0, time 0) without a seek index.
   */
  seekStart(call: number): SeekStart {
    const seek = this.seekIndex;
    if (!seek?.length) return FROM_THE_START;
    let k = 0;
    for (let i = 0; i < seek.length && seek[i]!.calls <= call; i++) if (seek[i]!.carried === 0) k = i;
    return { frame: k, ...seek[k]! };
  }

  /**
   * Reads the EVENTS frames from the one that holds call #`call` (seekStart) to the end, each checked as frames()
   * checks it, without reading the frames before it; `start` says which frame that is and which call and time it
   * starts at (call #`start.calls` is the first call event of the first frame). Without a seek index this is
   * frames() from the start. The footer's totals are checked only when every frame was read (frames()).
   */
  framesFrom(call: number): { start: SeekStart; frames: Generator<TraceFrame> } {
    const start = this.seekStart(call);
    if (start.frame === 0) return { start, frames: this.frames() };
    const self = this;
    function* from(): Generator<TraceFrame> {
      const count = self.footer!.index.length;
      for (let seq = start.frame; seq < count; seq++) yield self.readFrame(seq);
    }
    return { start, frames: from() };
  }

  /**
   * Frame #`seq` (from 0), read at the offset the footer's index gives, checked as frames() checks it: TraceError
   * when it is not an EVENTS block of this trace in that place. Only for a trace whose trailer led to its footer
   * (seekIndex is there); the frame's events may need blob pieces of the frames before it (FrameStart.carried).
   */
  readFrame(seq: number): TraceFrame {
    const fd = this.fd;
    if (fd < 0) throw new Error(`the trace reader of ${this.path} is closed`);
    const limit = this.trailerFooterOffset;
    const offset = this.footer?.index[seq];
    if (limit === undefined || offset === undefined) throw new Error(`frame #${seq} of ${this.path} cannot be read by its offset`);
    const size = fs.fstatSync(fd).size;
    if (size !== this.fileSize) throw new TraceError(`${this.path} changed size since it was opened (${this.fileSize} -> ${size} bytes)`);
    const step = readStep(fd, offset, limit, true, this.version);
    if (step.kind !== 'block' || step.header.type !== BLOCK_EVENTS) {
      throw new TraceError(`corrupt trace: the footer's index says frame #${seq} is at offset ${offset}, but no frame is there`, offset);
    }
    const h = step.header;
    const payload = this.events(decodeBlock(step), offset, seq);
    return { offset, seq, count: h.count, storedLength: h.storedLength, rawLength: h.rawLength, payload };
  }

  /**
   * Streams the EVENTS frames, decompressed and CRC-checked, holding one frame at a time; a version 2 frame
   * must carry this trace's id and its own sequence number (a frame of another trace, or frames swapped or
   * duplicated, are a TraceError naming the offset). Stops at the FOOTER block, whose container fields must
   * agree with the frames. When the file ends early it ends normally and sets `ending`. `into`: asked, for each
   * compressed frame, for an array to decompress it into (at least as long as the frame's raw bytes, else it is not
   * used); the frame's payload is then a view of it (default: a fresh array per frame).
   */
  *frames(into?: () => Uint8Array | undefined): Generator<TraceFrame> {
    const fd = this.fd;
    if (fd < 0) throw new Error(`the trace reader of ${this.path} is closed`);
    const st = fs.fstatSync(fd);
    const strict = this.trailerFooterOffset !== undefined;
    if (strict && st.size !== this.fileSize) {
      throw new TraceError(`${this.path} changed size since it was opened (${this.fileSize} -> ${st.size} bytes)`);
    }
    const size = st.size;
    const limit = this.trailerFooterOffset ?? size;
    const offsets: number[] = [];
    const totals = { events: 0, rawBytes: 0, storedBytes: 0 };
    let pos = this.dataStart;
    for (;;) {
      if (this.fd !== fd) throw new Error(`the trace reader of ${this.path} was closed while its frames were read`);
      if (strict && pos === limit) {
        this.verifyFooter(this._footer!, limit, offsets, totals);
        this._ending = { complete: true };
        return;
      }
      const step = readStep(fd, pos, limit, strict, this.version);
      if (step.kind === 'end') {
        if (this.endsWithTrailerMagic) {
          // A finished file whose trailer did not check out: damage, not a cut.
          throw new TraceError(`corrupt trace: ${step.corrupt}, yet the file ends with a trailer`, step.offset);
        }
        this._ending = { complete: false, offset: step.offset, reason: step.reason };
        return;
      }
      const h = step.header;
      if (h.type === BLOCK_EVENTS) {
        const seq = offsets.length;
        const payload = this.events(decodeBlock(step, h.codec === CODEC_RAW ? undefined : into?.()), step.offset, seq);
        offsets.push(pos);
        totals.events += h.count;
        totals.rawBytes += h.rawLength;
        totals.storedBytes += h.storedLength;
        pos = step.next;
        yield { offset: step.offset, seq, count: h.count, storedLength: h.storedLength, rawLength: h.rawLength, payload };
        continue;
      }
      if (h.type !== BLOCK_FOOTER) {
        throw new TraceError(`corrupt trace: unexpected ${blockName(h.type)} at offset ${pos}`, pos);
      }
      // A FOOTER block found by scanning (the trailer was missing or invalid at open).
      const footer = decodeMapNow(step);
      this.verifyFooter(footer, pos, offsets, totals);
      this._footer = footer;
      this._footerOffset = pos;
      this._ending = checkTrailer(fd, step.next, size, pos);
      return;
    }
  }

  /** A frame's events: a version 2 frame's raw payload without its prefix, once the prefix names this trace and place. */
  private events(raw: Uint8Array, offset: number, seq: number): Uint8Array {
    const id = this.traceIdRaw;
    if (this.version < 2 || id === undefined) return raw;
    // validateHeader made sure the raw payload is longer than the prefix.
    for (let i = 0; i < TRACE_ID_BYTES; i++) {
      if (raw[i] !== id[i]) {
        const theirs = Buffer.from(raw.subarray(0, TRACE_ID_BYTES)).toString('hex');
        throw new TraceError(`corrupt trace: frame at offset ${offset} belongs to another trace (trace id ${theirs}, this trace's is ${this.traceId})`, offset);
      }
    }
    const said = new DataView(raw.buffer, raw.byteOffset + TRACE_ID_BYTES, 4).getUint32(0, true);
    if (said !== seq) {
      throw new TraceError(
        `corrupt trace: frame at offset ${offset} is frame #${said} of this trace, but frame #${seq} belongs there (frames swapped, duplicated or missing)`,
        offset,
      );
    }
    return raw.subarray(FRAME_PREFIX_SIZE);
  }

  /** The writer's footer fields must agree with the frames the file holds. */
  private verifyFooter(
    map: Record<string, unknown>,
    footerOffset: number,
    offsets: number[],
    totals: { events: number; rawBytes: number; storedBytes: number },
  ): void {
    const footer: FooterContainer = parseFooterContainer(map, this.version, this.traceId, footerOffset);
    const mismatch = (field: string, says: string, holds: string): TraceError =>
      new TraceError(`corrupt trace: the footer at offset ${footerOffset} says ${field} ${says}, but the file holds ${holds}`, footerOffset);
    const fields: [keyof FooterContainer & string, number][] = [
      ['frames', offsets.length],
      ['events', totals.events],
      ['rawBytes', totals.rawBytes],
      ['storedBytes', totals.storedBytes],
    ];
    for (const [field, actual] of fields) {
      if (footer[field] !== actual) throw mismatch(field, `is ${String(footer[field])}`, String(actual));
    }
    const index = footer.index;
    if (index.length !== offsets.length) throw mismatch('index', `has ${index.length} entries`, `${offsets.length} frames`);
    for (let i = 0; i < offsets.length; i++) {
      if (index[i] !== offsets[i]) throw mismatch(`index[${i}]`, `is ${String(index[i])}`, `frame ${i} at offset ${offsets[i]}`);
    }
  }
}


/**
 * The FOOTER offset named by a valid trailer, or undefined. A trailer counts only when it
 * points at a FOOTER block header that ends exactly where the trailer starts.
 */
function probeTrailer(fd: number, size: number): number | undefined {
  const smallest = PREAMBLE_SIZE + 2 * BLOCK_HEADER_SIZE + TRAILER_SIZE;
  if (size < smallest) return undefined;
  const t = readAt(fd, TRAILER_SIZE, size - TRAILER_SIZE);
  if (t.length < TRAILER_SIZE || !hasBytes(t, 8, TRAILER_MAGIC)) return undefined;
  const at = new DataView(t.buffer, t.byteOffset, TRAILER_SIZE).getBigUint64(0, true);
  if (at > BigInt(size)) return undefined;
  const offset = Number(at);
  if (offset < PREAMBLE_SIZE + BLOCK_HEADER_SIZE || offset + BLOCK_HEADER_SIZE > size - TRAILER_SIZE) return undefined;
  const h = readBlockHeader(readAt(fd, BLOCK_HEADER_SIZE, offset));
  if (h.type !== BLOCK_FOOTER || offset + BLOCK_HEADER_SIZE + h.storedLength !== size - TRAILER_SIZE) return undefined;
  return offset;
}

/** After a FOOTER block found by scanning: the trailer must follow and end the file. */
function checkTrailer(fd: number, at: number, size: number, footerOffset: number): TraceEnding {
  const remaining = size - at;
  if (remaining < TRAILER_SIZE) {
    return { complete: false, offset: at, reason: 'file ends before its trailer (recording was cut short while finishing)' };
  }
  if (zeroTail(fd, at, size)) {
    return { complete: false, offset: at, reason: `file ends in ${remaining} zero bytes where its trailer should be (recording was cut short by a crash)` };
  }
  const t = readAt(fd, TRAILER_SIZE, at);
  const pointsBack = new DataView(t.buffer, t.byteOffset, TRAILER_SIZE).getBigUint64(0, true) === BigInt(footerOffset);
  if (!hasBytes(t, 8, TRAILER_MAGIC) || !pointsBack) {
    throw new TraceError(`corrupt trace: bad trailer at offset ${at} after the footer block at offset ${footerOffset}`, at);
  }
  if (remaining > TRAILER_SIZE) {
    throw new TraceError(`corrupt trace: ${remaining - TRAILER_SIZE} unexpected bytes after the trailer at offset ${at}`, at + TRAILER_SIZE);
  }
  return { complete: true };
}

/**
 * Reads and checks the block at `offset`, which must end by `limit`. When the file ends before
 * the block does, returns an 'end' step, or throws when `strict` (the trailer says where the
 * footer is, so nothing may be cut short before it). Corruption is always a TraceError.
 */
function readStep(fd: number, offset: number, limit: number, strict: boolean, version: number): Step {
  const remaining = limit - offset;
  if (remaining === 0) return { kind: 'end', offset, reason: NO_FOOTER, corrupt: `no footer at offset ${offset}` };
  const partialHeader: Step = {
    kind: 'end',
    offset,
    reason: 'file ends inside a block header (recording was cut short)',
    corrupt: `block header at offset ${offset} runs past the end of the file`,
  };
  if (remaining < BLOCK_HEADER_SIZE) {
    if (strict) throw new TraceError(`corrupt trace: block at offset ${offset} runs past the footer at offset ${limit}`, offset);
    return partialHeader;
  }
  const raw = readAt(fd, BLOCK_HEADER_SIZE, offset);
  if (raw.length < BLOCK_HEADER_SIZE) return partialHeader;
  const h = readBlockHeader(raw);
  if (!strict && raw.every((b) => b === 0)) {
    const zeros = zeroTail(fd, offset, limit);
    if (zeros) {
      return {
        kind: 'end',
        offset,
        reason: `file ends in ${remaining} zero bytes where a block should be (recording was cut short by a crash)`,
        corrupt: `${remaining} zero bytes at offset ${offset} where a block should be`,
      };
    }
  }
  validateHeader(h, offset, version);
  const name = blockName(h.type);
  const next = offset + BLOCK_HEADER_SIZE + h.storedLength;
  const partialBlock: Step = {
    kind: 'end',
    offset,
    reason: `file ends inside a ${name} (recording was cut short)`,
    corrupt: `${name} at offset ${offset} runs past the end of the file`,
  };
  if (next > limit) {
    if (strict) {
      throw new TraceError(`corrupt trace: ${name} at offset ${offset} runs past the footer at offset ${limit}`, offset);
    }
    return partialBlock;
  }
  const stored = readAt(fd, h.storedLength, offset + BLOCK_HEADER_SIZE);
  if (stored.length < h.storedLength) return partialBlock;
  if (crc32(stored) !== h.crc) {
    throw new TraceError(`corrupt trace: ${name} at offset ${offset} fails its CRC check`, offset);
  }
  return { kind: 'block', offset, header: h, stored, next };
}

/** Checks what a block header can be checked for on its own (the CRC covers only the payload). */
function validateHeader(h: BlockHeader, offset: number, version: number): void {
  if (h.type < BLOCK_HEADER || h.type > BLOCK_FOOTER) {
    throw new TraceError(`corrupt trace: unknown block type ${h.type} at offset ${offset}`, offset);
  }
  const name = blockName(h.type);
  const bad = (what: string): TraceError => new TraceError(`corrupt trace: ${name} at offset ${offset} ${what}`, offset);
  if (h.codec !== CODEC_RAW && h.codec !== CODEC_ZSTD) throw bad(`has unknown codec ${h.codec}`);
  if (h.reserved !== 0) throw bad('has a nonzero reserved field');
  if (h.storedLength > MAX_BLOCK_BYTES || h.rawLength > MAX_BLOCK_BYTES) {
    throw bad(`claims ${Math.max(h.storedLength, h.rawLength)} bytes, more than a block may hold (64 MiB)`);
  }
  if (h.codec === CODEC_RAW && h.storedLength !== h.rawLength) {
    throw bad(`is stored raw but its lengths differ (${h.storedLength} stored, ${h.rawLength} raw)`);
  }
  /** A version 2 frame's raw payload is its prefix and at least one event byte. */
  const prefix = h.type === BLOCK_EVENTS && version >= 2 ? FRAME_PREFIX_SIZE : 0;
  if (h.codec === CODEC_ZSTD) {
    if (h.rawLength > (prefix ? MAX_ZSTD_RAW_BYTES : MAX_FRAME_BYTES)) throw bad(`claims ${h.rawLength} raw bytes, more than a zstd block may hold (1 MiB)`);
    if (h.storedLength > zstdCompressBound(h.rawLength)) {
      throw bad(`claims ${h.storedLength} compressed bytes for ${h.rawLength} raw bytes`);
    }
  }
  switch (h.type) {
    case BLOCK_EVENTS:
      if (h.rawLength > MAX_FRAME_BYTES + prefix) throw bad(`claims ${h.rawLength} raw bytes, more than a frame may hold (1 MiB)`);
      if (h.count === 0 || h.count > h.rawLength - prefix) throw bad(`claims ${h.count} events in ${h.rawLength - prefix} bytes`);
      break;
    case BLOCK_MODULE:
      if (h.rawLength === 0 || h.rawLength > MAX_FRAME_BYTES) throw bad(`claims ${h.rawLength} raw bytes (1 to 1 MiB allowed)`);
      break;
    default:
      if (h.count !== 1) throw bad(`claims ${h.count} items instead of 1`);
  }
}

/** True when every byte from `offset` to `limit` is zero. */
function zeroTail(fd: number, offset: number, limit: number): boolean {
  const chunk = 1 << 16;
  for (let at = offset; at < limit; at += chunk) {
    const part = readAt(fd, Math.min(chunk, limit - at), at);
    for (let i = 0; i < part.length; i++) if (part[i] !== 0) return false;
  }
  return true;
}

/** The raw bytes of a block: its stored ones, or them decompressed (into `into` when it is long enough). */
function decodeBlock(step: Extract<Step, { kind: 'block' }>, into?: Uint8Array): Uint8Array {
  const h = step.header;
  if (h.codec === CODEC_RAW) return step.stored;
  try {
    initZstdNow(); // opened with deferZstd: started at the first compressed frame
  } catch (error) {
    throw new TraceError(`cannot read the ${blockName(h.type)} at offset ${step.offset}: ${describeError(error)}`, step.offset, { cause: error });
  }
  try {
    const out = decompress(step.stored, h.rawLength, into !== undefined && into.length >= h.rawLength ? into : undefined);
    // A Buffer view (no copy), so that msgpack binary values decode as Buffers whatever the codec.
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    throw new TraceError(
      `corrupt trace: ${blockName(h.type)} at offset ${step.offset} does not decompress: ${describeError(error)}`,
      step.offset,
      { cause: error },
    );
  }
}

/** msgpack.ts (and msgpackr with it), once loaded: only for a header or footer that is not plain (decodeMap). */
let msgpack: typeof import('./msgpack.js') | undefined;
/** Loads msgpack.ts. */
async function loadMsgpack(): Promise<void> {
  msgpack ??= await import('./msgpack.js');
}

/**
 * The header or footer map of `step`. Decoded without msgpackr when it holds only plain values (plain-unpack.ts),
 * as every map the writer writes does; else by msgpackr (loadMsgpack first), which decodes it or says what is wrong
 * with it.
 */
async function decodeMap(step: Extract<Step, { kind: 'block' }>): Promise<Record<string, unknown>> {
  const raw = decodeBlock(step);
  const plain = unpackPlain(raw);
  if (plain === NOT_PLAIN) await loadMsgpack();
  return mapOf(step, raw, plain);
}

/** decodeMap, for a map that is plain or once msgpackr is loaded (an Error if it is needed and is not). */
function decodeMapNow(step: Extract<Step, { kind: 'block' }>): Record<string, unknown> {
  const raw = decodeBlock(step);
  return mapOf(step, raw, unpackPlain(raw));
}

/** The map of `step`, whose decoded bytes are `raw`: `plain` (unpackPlain's), or msgpackr's when it is NOT_PLAIN. */
function mapOf(step: Extract<Step, { kind: 'block' }>, raw: Uint8Array, plain: unknown): Record<string, unknown> {
  const name = blockName(step.header.type);
  let value = plain;
  if (value === NOT_PLAIN) try {
    if (msgpack === undefined) throw new Error('unreachable: msgpackr is not loaded');
    value = msgpack.newUnpackr().unpack(raw);
  } catch (error) {
    throw new TraceError(
      `corrupt trace: ${name} at offset ${step.offset} does not decode as msgpack: ${describeError(error)}`,
      step.offset,
      { cause: error },
    );
  }
  if (!isPlainMap(value)) throw new TraceError(`corrupt trace: ${name} at offset ${step.offset} does not hold a msgpack map`, step.offset);
  return value;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
