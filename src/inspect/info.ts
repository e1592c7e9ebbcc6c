// wasi-trace info: what a trace's header and footer say. A trace cut short (no footer) is read frame by frame
// to count what it holds, and the answer says where and why it ends.
import * as fs from 'node:fs';
import { readBlockHeader, BLOCK_HEADER_SIZE } from '../trace/format.js';
import { EventDecoder, EventDecodeError } from '../trace/events.js';
import { UserError } from '../errors.js';
import { endingText } from './dump.js';
import type { Json } from '../calls/format.js';
import { importName } from '../calls/imports.js';
import type { TextWriter } from './writer.js';
import { footerOf, importsOf, openTrace, traceFailure } from './trace.js';

/** A header string, or null where the trace did not record it. */
const str = (v: string): string | null => v || null;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Everything `info` reports, as `info --json` prints it. */
export async function traceInfo(path: string): Promise<Record<string, Json>> {
  const reader = await openTrace(path);
  const h = reader.header;
  const fileSize = fs.statSync(path).size;
  let footer = footerOf(reader);
  let counted: { frames: number; events: number; calls: number; storedBytes: number; rawBytes: number } | undefined;
  if (!footer) {
    // No footer to trust: count what the file holds, frame by frame.
    counted = { frames: 0, events: 0, calls: 0, storedBytes: 0, rawBytes: 0 };
    const decoder = new EventDecoder();
    const fd = fs.openSync(path, 'r');
    try {
      for (const f of reader.frames()) {
        const head = Buffer.alloc(BLOCK_HEADER_SIZE);
        fs.readSync(fd, head, 0, BLOCK_HEADER_SIZE, f.offset);
        counted.frames++;
        counted.events += f.count;
        counted.storedBytes += readBlockHeader(head).storedLength;
        counted.rawBytes += f.payload.length;
        counted.calls += decoder.decodeFrame(f.payload).length;
      }
    } catch (e) {
      if (e instanceof EventDecodeError) throw new UserError(`${path}: corrupt trace: frame ${counted.frames}: ${e.message}`);
      throw traceFailure(path, e);
    } finally {
      fs.closeSync(fd);
    }
    footer = footerOf(reader); // found by scanning, when the trailer was missing but the footer is there
  }
  const f = footer;
  const ending = reader.ending;
  const imports = importsOf(reader);
  return {
    file: path,
    fileSize,
    format: reader.version,
    tool: str(h.tool),
    toolVersion: str(h.toolVersion),
    engine: { ...h.engine },
    startedAt: str(h.startedAt),
    runtime: str(h.runtime),
    module: { name: h.module.name, size: h.module.size, sha256: h.module.sha256 },
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
    ended: endingText(reader),
    complete: ending.complete,
    ...(!ending.complete && { cut: { offset: ending.offset, reason: ending.reason } }),
  };
}

/** `info` as text: one `label  value` line per fact. */
export async function info(path: string, json: boolean, out: TextWriter): Promise<number> {
  const i = await traceInfo(path);
  if (json) { out.line(JSON.stringify(i, null, 2)); return 0; }
  const line = (label: string, value: string) => out.line(`${label.padEnd(10)}  ${value}`);
  const many = (label: string, values: string[]) => {
    if (!values.length) line(label, '(none)');
    values.forEach((v, n) => line(n ? '' : label, v));
  };
  const e = (i.engine ?? {}) as Record<string, Json>;
  const m = i.module as { name: string | null; size: number; sha256: string | null };
  line('trace', `${i.file} (${plural(i.fileSize as number, 'byte')})`);
  line('format', `version ${i.format}, written by ${i.tool ?? '?'} ${i.toolVersion ?? '?'}`);
  line('recorded', `${i.startedAt ?? '?'} on node ${e.node ?? '?'} (v8 ${e.v8 ?? '?'}), ${e.platform ?? '?'} ${e.arch ?? '?'}`);
  line('runtime', String(i.runtime ?? '?'));
  line('module', `${m.name ?? '?'} (${plural(m.size, 'byte')})`);
  line('sha256', m.sha256 ?? '?');
  line('argv', (i.argv as string[]).map((a) => JSON.stringify(a)).join(' ') || '(none)');
  many('env', (i.env as string[]).map((a) => JSON.stringify(a)));
  many('preopens', (i.preopens as { fd: number; guest: string; host?: string }[])
    .map((p) => `fd ${p.fd}: ${p.guest} (${p.host !== undefined ? `host directory ${p.host}` : 'in memory'})`));
  const imports = i.imports as string[];
  const distinct = [...new Set(imports)];
  line('imports', `${imports.length}${distinct.length < imports.length ? ` (${distinct.length} distinct)` : ''}: ${distinct.join(', ') || '(none)'}`);
  const cut = !i.complete;
  const read = cut ? ' (read before the cut)' : '';
  line('calls', `${i.calls ?? '?'}${read}`);
  line('events', `${i.events ?? '?'} in ${plural(Number(i.frames ?? 0), 'frame')}${read}`);
  if (typeof i.storedBytes === 'number' && typeof i.rawBytes === 'number') {
    const ratio = i.storedBytes ? ` (${(i.rawBytes / i.storedBytes).toFixed(2)}x)` : '';
    line('size', `events ${plural(i.storedBytes, 'byte')} compressed, ${plural(i.rawBytes, 'byte')} uncompressed${ratio}`);
  }
  if (i.memorySize !== null) line('memory', `${plural(i.memorySize as number, 'byte')} at the end, sha256 ${i.memoryHash ?? '?'}`);
  line('ended', i.complete ? String(i.ended) : 'unknown: the recording was cut short');
  line('complete', i.complete ? 'yes' : `no: ${i.ended}`);
  return 0;
}
