// wasi-trace info: what a trace's header and footer say, after checking the whole file: every block's CRC, every
// frame's place and item count (its events are walked, not decoded in full: dump does that), the module against
// its sha256, and the footer's index, totals and call counts against the frames (streaming, one frame in memory at
// a time). `quick` reads the header and the footer only.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { EventDecoder, EventDecodeError } from '../trace/events.js';
import type { TraceFooter } from '../trace/header.js';
import type { TraceReader } from '../trace/reader.js';
import { UserError } from '../errors.js';
import { endingText } from './dump.js';
import type { Json } from '../calls/format.js';
import type { TextWriter } from './writer.js';
import { footerOf, importsOf, traceFailure, withTrace } from './trace.js';
import { importName } from '../calls/imports.js';
import { memoryHashParts } from '../calls/hash.js';

/** A header string, or null where the trace did not record it. */
const str = (v: string): string | null => v || null;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** A footer's memory hash as info shows it: its algorithm and digest ("xxh64 …", "sha256 …"), or "hash ?". */
const memoryHashText = (recorded: unknown): string => {
  const parts = typeof recorded === 'string' ? memoryHashParts(recorded) : undefined;
  return parts ? `${parts.algorithm} ${parts.hex}` : `hash ${typeof recorded === 'string' ? recorded : '?'}`;
};

interface Counted { frames: number; events: number; calls: number; storedBytes: number; rawBytes: number }

/**
 * Reads every frame (the reader checks CRCs, frame ids and sequence numbers, and the footer's container fields
 * when it gets there) and walks every event (checking the item counts); UserError for the first problem.
 * Returns what the frames hold, with the calls per function.
 */
function countFrames(reader: TraceReader): Counted & { counts: Map<string, number> } {
  const counted = { frames: 0, events: 0, calls: 0, storedBytes: 0, rawBytes: 0, counts: new Map<string, number>() };
  const names = importsOf(reader).map(importName);
  const perImport = new Array<number>(names.length).fill(0);
  const decoder = new EventDecoder();
  let offset = 0;
  let unknown: number | undefined;
  const onCall = (imp: number) => { if (imp < perImport.length) perImport[imp]!++; else unknown ??= imp; };
  try {
    for (const f of reader.frames()) {
      offset = f.offset;
      decoder.scanFrame(f.payload, f.count, onCall);
      if (unknown !== undefined) throw new UserError(`${reader.path}: corrupt trace: the frame at offset ${f.offset} calls import ${unknown}, but the header has ${names.length}`);
      counted.frames++;
      counted.events += f.count;
      counted.storedBytes += f.storedLength;
      counted.rawBytes += f.rawLength;
    }
  } catch (e) {
    if (e instanceof EventDecodeError) throw new UserError(`${reader.path}: corrupt trace: frame at offset ${offset}: ${e.message}`);
    throw traceFailure(reader.path, e);
  }
  names.forEach((name, imp) => {
    counted.calls += perImport[imp]!;
    if (perImport[imp]) counted.counts.set(name, (counted.counts.get(name) ?? 0) + perImport[imp]!);
  });
  return counted;
}

/** The recorder's footer fields must agree with the calls the frames hold. */
function checkFooterCalls(reader: TraceReader, footer: TraceFooter, counted: Counted & { counts: Map<string, number> }): void {
  const bad = (what: string) => new UserError(`${reader.path}: corrupt trace: the footer block at offset ${reader.footerOffset} says ${what}`);
  if (footer.calls !== counted.calls) throw bad(`calls is ${footer.calls}, but the frames hold ${counted.calls} calls`);
  if (!footer.counts) return;
  for (const name of new Set([...Object.keys(footer.counts), ...counted.counts.keys()])) {
    const says = footer.counts[name] ?? 0;
    const holds = counted.counts.get(name) ?? 0;
    if (says !== holds) throw bad(`${name} was called ${says} times, but the frames hold ${holds} calls of it`);
  }
}

/** The module chunks must hold the module the header describes (its size is checked by the reader). */
function checkModule(reader: TraceReader): void {
  const sha256 = createHash('sha256').update(reader.module).digest('hex');
  if (sha256 !== reader.header.module.sha256) {
    throw new UserError(`${reader.path}: corrupt trace: the module chunks do not hold the module the header block describes (its sha256 differs)`);
  }
}

/**
 * Everything `info` reports, as `info --json` prints it. The whole file is checked first (UserError for the first
 * problem); `quick`: only the header and the footer are read (`verified` is then false).
 */
export async function traceInfo(path: string, quick = false): Promise<Record<string, Json>> {
  return withTrace(path, { module: quick ? 'skip' : 'keep' }, (reader) => {
    const h = reader.header;
    const fileSize = fs.fstatSync(reader.file.fd).size;
    let counted: Counted | undefined;
    if (!quick) {
      checkModule(reader);
      const all = countFrames(reader);
      const found = footerOf(reader); // read at open, or found by scanning when the trailer was missing
      if (found) checkFooterCalls(reader, found, all);
      // A complete trace's footer agrees with its frames (the reader checked it); a cut one is told by what it holds.
      if (!reader.ending.complete) counted = all;
    }
    const f = footerOf(reader);
    if (quick && !f && reader.finished) {
      throw new UserError(`${path}: corrupt trace: the file ends with a trailer, but it does not lead to its footer block (info without --quick says what is damaged)`);
    }
    const ending = reader.ending;
    /** With quick and no footer at the end of the file, nothing is known about the frames. */
    const unknown = quick && !f;
    const imports = importsOf(reader);
    return {
      file: path,
      fileSize,
      format: reader.version,
      ...(reader.traceId !== undefined && { traceId: reader.traceId }),
      tool: str(h.tool),
      toolVersion: str(h.toolVersion),
      engine: { ...h.engine },
      startedAt: str(h.startedAt),
      runtime: str(h.runtime),
      chaos: h.chaos ? { seed: h.chaos.seed, knobs: h.chaos.knobs } : null,
      // size: the module's own; storedBytes: what its MODULE chunks take in the file (compressed since version 3).
      module: {
        name: h.module.name, size: h.module.size, sha256: h.module.sha256,
        storedBytes: reader.moduleStorage.storedBytes, compressed: reader.moduleStorage.compressed,
      },
      argv: h.argv,
      env: h.env,
      preopens: h.preopens.map((p, i) => ({ fd: 3 + i, guest: p.guest, ...('host' in p ? { host: p.host } : { memory: true }) })),
      imports: imports.map(importName),
      calls: counted?.calls ?? f?.calls ?? null,
      events: counted?.events ?? f?.events ?? null,
      frames: counted?.frames ?? f?.frames ?? null,
      storedBytes: counted?.storedBytes ?? f?.storedBytes ?? null,
      rawBytes: counted?.rawBytes ?? f?.rawBytes ?? null,
      memorySize: f?.memorySize ?? null,
      memoryHash: f?.memoryHash ?? null,
      end: (f?.end ?? null) as Json,
      ended: unknown ? null : endingText(reader),
      complete: unknown ? null : ending.complete,
      verified: !quick,
      ...(!ending.complete && !unknown && { cut: { offset: ending.offset, reason: ending.reason } }),
    };
  });
}

/** `info` as text: one `label  value` line per fact. `quick`: see traceInfo; the output says what was not checked. */
export async function info(path: string, json: boolean, out: TextWriter, quick = false): Promise<number> {
  const i = await traceInfo(path, quick);
  if (json) { out.line(JSON.stringify(i, null, 2)); return 0; }
  const line = (label: string, value: string) => out.line(`${label.padEnd(10)}  ${value}`);
  const many = (label: string, values: string[]) => {
    if (!values.length) line(label, '(none)');
    values.forEach((v, n) => line(n ? '' : label, v));
  };
  const e = (i.engine ?? {}) as Record<string, Json>;
  const m = i.module as { name: string | null; size: number; sha256: string | null; storedBytes: number; compressed: boolean };
  line('trace', `${i.file} (${plural(i.fileSize as number, 'byte')})`);
  line('format', `version ${i.format}, written by ${i.tool ?? '?'} ${i.toolVersion ?? '?'}`);
  if (typeof i.traceId === 'string') line('trace id', i.traceId);
  line('recorded', `${i.startedAt ?? '?'} on node ${e.node ?? '?'} (v8 ${e.v8 ?? '?'}), ${e.platform ?? '?'} ${e.arch ?? '?'}`);
  line('runtime', String(i.runtime ?? '?'));
  const chaos = i.chaos as { seed: number; knobs: string[] } | null;
  if (chaos) line('chaos', `seed ${chaos.seed}, knobs ${chaos.knobs.join(',')} (record --chaos=${chaos.knobs.join(',')} --seed ${chaos.seed} repeats it)`);
  const stored = m.compressed
    ? `compressed to ${plural(m.storedBytes, 'byte')}${m.storedBytes ? `, ${(m.size / m.storedBytes).toFixed(2)}x` : ''}`
    : 'stored uncompressed';
  line('module', `${m.name ?? '?'} (${plural(m.size, 'byte')}; ${stored})`);
  line('sha256', m.sha256 ?? '?');
  line('argv', (i.argv as string[]).map((a) => JSON.stringify(a)).join(' ') || '(none)');
  many('env', (i.env as string[]).map((a) => JSON.stringify(a)));
  many('preopens', (i.preopens as { fd: number; guest: string; host?: string }[])
    .map((p) => `fd ${p.fd}: ${p.guest} (${p.host !== undefined ? `host directory ${p.host}` : 'in memory'})`));
  const imports = i.imports as string[];
  const distinct = [...new Set(imports)];
  line('imports', `${imports.length}${distinct.length < imports.length ? ` (${distinct.length} distinct)` : ''}: ${distinct.join(', ') || '(none)'}`);
  const cut = i.complete === false;
  const read = cut ? ' (read before the cut)' : quick ? ' (as the footer says)' : '';
  line('calls', `${i.calls ?? '?'}${i.calls === null ? '' : read}`);
  line('events', `${i.events ?? '?'} in ${i.frames === null ? '?' : plural(Number(i.frames), 'frame')}${i.events === null ? '' : read}`);
  if (typeof i.storedBytes === 'number' && typeof i.rawBytes === 'number') {
    const ratio = i.storedBytes ? ` (${(i.rawBytes / i.storedBytes).toFixed(2)}x)` : '';
    line('size', `events ${plural(i.storedBytes, 'byte')} compressed, ${plural(i.rawBytes, 'byte')} uncompressed${ratio}`);
  }
  if (i.memorySize !== null) line('memory', `${plural(i.memorySize as number, 'byte')} at the end, ${memoryHashText(i.memoryHash)}`);
  if (i.complete === null) {
    line('ended', 'unknown');
    line('complete', 'unknown: no footer at the end of the file (--quick reads no frames; run info without --quick)');
  } else {
    line('ended', i.complete ? String(i.ended) : 'unknown: the recording was cut short');
    line('complete', i.complete ? 'yes' : `no: ${i.ended}`);
  }
  if (quick) line('checked', 'header and footer only (--quick): the frames, their CRCs and the module were not read');
  return 0;
}
