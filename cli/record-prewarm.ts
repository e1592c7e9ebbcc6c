// The worker thread of `wasi-trace record`, started before the command line is parsed (it takes a while to
// boot). Only node:worker_threads is imported here, so starting it costs the main thread nothing.
import { Worker } from 'node:worker_threads';

let prewarmed: Worker | undefined;

export function prewarmRecordWorker(): void {
  prewarmed ??= new Worker(new URL('./record-worker.js', import.meta.url));
  prewarmed.unref(); // a worker that is never used must not keep the process alive
}

/** The record worker: the prewarmed one if there is one, else a new one. It waits for its start message. */
export function recordWorker(): Worker {
  const w = prewarmed ?? new Worker(new URL('./record-worker.js', import.meta.url));
  prewarmed = undefined;
  w.ref();
  return w;
}
