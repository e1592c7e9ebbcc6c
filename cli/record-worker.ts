// The guest thread of `wasi-trace record`: builds the guest's runtime from the command line flags, runs it
// through the recording proxy, and passes encoded events to the main thread in shared chunks (chunks.ts).
// Messages out: header (as the run starts), chunk (a chunk is full), end (with the footer), fail (setup error).
import { parentPort } from 'node:worker_threads';
import { compileModule } from '../src/module.js';
import { providerFor } from '../src/run.js';
import { ChunkProducer, type ChunkPool } from '../src/record/chunks.js';
import { prepareRecording, traceHeader } from '../src/record/session.js';
import { UserError } from '../src/errors.js';
import { setTiering, type Tiering } from '../src/engine.js';
import { guestOptions, type GuestFlags } from './common.js';

/** The start message (the worker is started before the command line is parsed). */
export interface RecordWorkerData {
  flags: GuestFlags;
  /** The module as read (once) by the main thread; compiled here, where it runs. */
  module: { name: string; bytes: Uint8Array };
  pool: ChunkPool;
  /** The main thread's engine setting (V8 flags are shared; this module's record of them is not). */
  tiering: Tiering;
}

async function main({ flags, module, pool, tiering }: RecordWorkerData): Promise<void> {
  setTiering(tiering);
  const loaded = await compileModule(module.name, module.bytes);
  const port = parentPort!;
  const options = guestOptions(flags);
  const provider = await providerFor(loaded, options);
  const producer = new ChunkProducer(pool, () => port.postMessage({ type: 'chunk' }));
  const session = prepareRecording(loaded, provider, options, (b, n) => producer.full(b.length, n), producer.first(), producer.progress);
  // The main thread writes the header and module while the guest already runs; events wait in the chunks.
  port.postMessage({ type: 'header', header: traceHeader(loaded, options, session.table) });
  const end = await session.run();
  session.recorder.flush();
  port.postMessage({ type: 'end', end, footer: session.footer(end) });
}

parentPort!.once('message', (data: RecordWorkerData) => {
  main(data).catch((e: unknown) => {
    parentPort!.postMessage({ type: 'fail', message: (e as Error)?.message ?? String(e), user: e instanceof UserError });
  });
});
