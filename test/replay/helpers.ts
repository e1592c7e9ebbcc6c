// Traces made to order for the replay tests: a real recording's events, edited, written back as a trace with
// the same header and module (events encoded by the recorder, frames by the trace writer).
import { Recorder } from '../../src/record/recorder.js';
import { EventDecoder, type CallEvent } from '../../src/trace/events.js';
import type { TraceFooter, TraceHeader } from '../../src/trace/header.js';
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';

export interface TraceParts {
  /** As TraceWriter takes them: any fields, so that a test can write a header or footer no recording would. */
  header: TraceHeader | Record<string, unknown>;
  module: Uint8Array;
  events: CallEvent[];
  footer: TraceFooter | Record<string, unknown>;
}

/** The header, module, call events (decoded, bytes copied) and footer of a complete trace. */
export async function readTrace(path: string): Promise<TraceParts> {
  const reader = await TraceReader.open(path);
  const decoder = new EventDecoder();
  const events: CallEvent[] = [];
  for (const f of reader.frames()) {
    for (const e of decoder.decodeFrame(f.payload)) {
      events.push({ ...e, writes: e.writes.map((w) => ({ addr: w.addr, bytes: w.bytes.slice() })), inputs: e.inputs && e.inputs.slice() });
    }
  }
  return { header: reader.header, module: reader.module.slice(), events, footer: reader.footer! };
}

/** Encodes call events as the recorder does, into payloads of at most `chunkBytes` (one frame each). */
export function encodeEvents(events: CallEvent[], chunkBytes = 1 << 20): { bytes: Uint8Array; count: number }[] {
  const chunks: { bytes: Uint8Array; count: number }[] = [];
  const buf = new Uint8Array(chunkBytes);
  const rec = new Recorder((b, count) => { chunks.push({ bytes: b.slice(), count }); return buf; }, buf, 1 + Math.max(0, ...events.map((e) => e.imp)), 0);
  const top = Math.max(64, ...events.flatMap((e) => e.writes.map((w) => w.addr + w.bytes.length)));
  const mem = new Uint8Array(top);
  let t = 0;
  for (const e of events) {
    const flat: number[] = [];
    for (const w of e.writes) { mem.set(w.bytes, w.addr); flat.push(w.addr, w.bytes.length); }
    const start = t + e.gap / 1e6;
    t = start + e.dur / 1e6;
    rec.call(e.imp, e.args, e.result, flat, mem, e.inputs, start, t);
  }
  rec.flush();
  return chunks;
}

/**
 * Writes a trace of `parts` to `path`; `frameBytes` bounds each frame. `finish: false` leaves it cut short
 * (no footer), as a recording that was killed.
 */
export async function writeTrace(path: string, parts: TraceParts, options: { frameBytes?: number; finish?: boolean } = {}): Promise<string> {
  const writer = await TraceWriter.create(path, parts.header, parts.module, { level: 1, frameBytes: options.frameBytes });
  for (const c of encodeEvents(parts.events, options.frameBytes)) writer.appendEvents(c.bytes, c.count);
  if (options.finish === false) { writer.flush(); return writer.tempPath; }
  writer.finish({ ...parts.footer, calls: parts.events.length });
  return path;
}
