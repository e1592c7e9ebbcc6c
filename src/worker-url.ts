// Where a worker thread's script is. Workers run compiled JavaScript: when a module runs from its TypeScript source
// (the test suite runs src/ through vitest), its worker script is taken from the build in dist/ instead
// (`npm test` builds before it tests).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';

/** The URL of worker script `relative` (a .js name) beside the module at `base` (its import.meta.url). */
export function workerUrl(relative: string, base: string): URL {
  const url = new URL(relative, base);
  if (!base.endsWith('.ts') || existsSync(fileURLToPath(url))) return url;
  const at = url.href.lastIndexOf('/src/');
  const built = new URL(`${url.href.slice(0, at)}/dist${url.href.slice(at)}`);
  return existsSync(fileURLToPath(built)) ? built : url;
}

/**
 * Options for a worker thread that never reads its process.stdin (the guest thread reads fd 0 itself): a stdin of
 * its own, which it leaves alone. Without one, Node's worker start ends the worker's stdin stream, which creates
 * that stream on the thread's critical path (a few ms of its boot).
 */
export const NO_STDIN_STREAM = { stdin: true } as const;

/**
 * Resolves once `worker` posts `{ type: 'ready' }` (the guest thread does, once it has loaded), or exits: listen from
 * the worker's creation on, a message nobody listens to is lost. The guest's compile waits for it (pipeline.ts).
 */
export function whenReady(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { worker.off('message', onMessage); worker.off('exit', done); resolve(); };
    const onMessage = (m: unknown): void => { if ((m as { type?: unknown } | null)?.type === 'ready') done(); };
    worker.on('message', onMessage);
    worker.once('exit', done); // (an error is the caller's: this listens to no 'error')
  });
}
