// wasi-trace record: runs a guest like `run` while the proxy records every call into a trace.
// The guest runs in a worker thread; this thread writes the trace, so SIGINT/SIGTERM (or a crash of the guest
// thread) still finishes a valid trace that says how the run ended.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { EXIT_USAGE, UserError } from '../src/errors.js';
import { engineFingerprint } from '../src/engine.js';
import { createChunkPool, ChunkConsumer } from '../src/record/chunks.js';
import { RECORD_LEVEL } from '../src/record/record.js';
import type { RunEnd } from '../src/run.js';
import { MAX_FRAME_BYTES } from '../src/trace/format.js';
import { TraceWriter } from '../src/trace/writer.js';
import { guestFlags, type GuestFlags } from './common.js';
import { exitFor } from './exit.js';
import { note, readGuestModule, type CliIo } from './io.js';
import { takeWorker } from './prewarm.js';
import type { RecordWorkerData } from './record-worker.js';

interface RecordFlags extends GuestFlags { output: string; level: number }

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

/**
 * UserError unless a trace can be created at `output`: checked before the guest starts, because the trace file
 * itself is created while the guest already runs.
 */
function checkWritable(output: string): void {
  const dir = dirname(resolve(output));
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`cannot write trace ${output}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot write trace ${output}: ${code === 'ENOENT' ? `directory ${dir} does not exist` : code === 'EACCES' ? `directory ${dir} is not writable` : (e as Error).message}`);
  }
  if (existsSync(output) && statSync(output).isDirectory()) throw new UserError(`cannot write trace ${output}: it is a directory`);
}

export const recordCommand = {
  command: 'record <module> [args..]',
  describe: 'run a guest and record every call into a trace',
  builder: (y: Argv) => guestFlags(y)
    .option('output', { alias: 'o', type: 'string', default: 'trace.bin', requiresArg: true, describe: 'where to write the trace' })
    .option('level', { type: 'number', default: RECORD_LEVEL, requiresArg: true, describe: 'zstd compression level, 1 (fastest) to 9' }),
  handler: async (flags: RecordFlags, io: CliIo): Promise<number> => {
    if (!Number.isInteger(flags.level) || flags.level < 1 || flags.level > 9) throw new UserError(`--level ${flags.level}: use 1 to 9`);
    checkWritable(flags.output);
    const read = readGuestModule(flags.module, io);
    // In shared memory, so that the worker gets the module without a copy of it being made and sent.
    const module = { name: read.name, bytes: new Uint8Array(new SharedArrayBuffer(read.bytes.length)) };
    module.bytes.set(read.bytes);
    const pool = createChunkPool(4, MAX_FRAME_BYTES);
    const consumer = new ChunkConsumer(pool);
    // The worker (booted while the command line loaded) compiles and starts the guest ...
    const worker = takeWorker('record');
    if (!worker) throw new Error('record runs the guest on a worker thread, which only the built CLI has');
    worker.ref();
    const start: RecordWorkerData = { flags: { ...flags }, module, pool, tiering: engineFingerprint().tiering };
    worker.postMessage(start);
    // ... and prepares the module's blocks, so that only the small header is left once the guest runs.
    const encodedModule = TraceWriter.encodeModule(module.bytes);
    let writer: TraceWriter | undefined;
    /** Settles once the header and module are written (the guest runs meanwhile). */
    let writerReady: Promise<unknown> = Promise.resolve();
    const append = (b: Uint8Array, n: number) => writer!.appendEvents(b, n);

    return new Promise<number>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => number) => {
        if (settled) return;
        settled = true;
        for (const s of Object.keys(SIGNALS)) process.removeAllListeners(s);
        try { resolve(f()); } catch (e) { reject(e); }
      };
      let stopping = false;
      /** Finishes the trace from whatever the guest thread completed, after it stopped for good (first reason wins). */
      const cutShort = async (end: Record<string, unknown>, exitCode: number, message?: string) => {
        if (stopping || settled) return;
        stopping = true;
        await worker.terminate();
        await writerReady.catch(() => {});
        settle(() => {
          if (writer) {
            consumer.salvage(append);
            writer.finish({ end, calls: writer.eventCount });
          }
          if (message) note(io, message);
          return exitCode;
        });
      };
      for (const [sig, num] of Object.entries(SIGNALS)) {
        process.on(sig, () => void cutShort({ kind: 'signal', signal: sig }, 128 + num, `recording stopped by ${sig}; the trace holds every call made before it`));
      }
      worker.on('message', (m: { type: string; [k: string]: unknown }) => {
        if (m.type === 'header') {
          writerReady = TraceWriter.create(flags.output, m.header as Record<string, unknown>, encodedModule, { level: flags.level })
            .then((w) => { writer = w; consumer.drain(append); })
            .catch((e: unknown) => {
              stopping = true;
              void worker.terminate();
              settle(() => { throw new UserError(`cannot write trace ${flags.output}: ${(e as Error).message}`); });
            });
        } else if (m.type === 'chunk') {
          if (writer) consumer.drain(append);
        } else if (m.type === 'end') {
          stopping = true;
          void writerReady.then(() => {
            settle(() => {
              consumer.drain(append);
              writer!.finish(m.footer as Record<string, unknown>);
              return exitFor(m.end as RunEnd, io);
            });
            void worker.terminate();
          });
        } else if (m.type === 'fail') {
          if (m.user) {
            // bad input found while setting up (say, an import signature that does not match): no trace at all
            stopping = true;
            void worker.terminate();
            void writerReady.then(() => {
              writer?.abandon();
              settle(() => { throw new UserError(String(m.message)); });
            });
          } else {
            void cutShort({ kind: 'error', message: m.message }, EXIT_USAGE, `recording failed: ${String(m.message)}`);
          }
        }
      });
      worker.on('error', (e) => void cutShort({ kind: 'error', message: e.message }, EXIT_USAGE, `recording failed: ${e.message}`));
      worker.on('exit', () => void cutShort({ kind: 'error', message: 'the guest thread ended unexpectedly' }, EXIT_USAGE, 'the guest thread ended unexpectedly'));
    });
  },
};
