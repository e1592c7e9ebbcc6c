// Worker entry of the frame reader (prefetch.ts): waits for its start message, then serves one trace.
import { parentPort } from 'node:worker_threads';
import { servePrefetch, type PrefetchStart } from './prefetch.js';

parentPort!.once('message', (start: PrefetchStart) => void servePrefetch(start, () => parentPort!.postMessage('ready')));
