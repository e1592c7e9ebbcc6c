// A copy of a trace with its module stored raw (uncompressed MODULE chunks, as format version 2 stored every
// module), for the bench's figure of what replay loses to the module's compression: the same recording, replayed
// by the same build, with and without it.
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';

/** Writes to `to` the trace at `from` (a complete one) with its module raw: same header, events and footer. */
export async function copyWithRawModule(from: string, to: string): Promise<void> {
  const reader = await TraceReader.open(from, { module: 'keep' });
  try {
    const { traceId: _old, ...header } = reader.headerMap;
    const writer = await TraceWriter.create(to, header, reader.module, { moduleLevel: 'raw' });
    for (const f of reader.frames()) writer.appendEvents(f.payload, f.count);
    const footer = reader.footerMap;
    if (!footer) throw new Error(`${from} has no footer: only a complete trace is copied`);
    writer.finish(footer);
  } finally {
    reader.close();
  }
}
