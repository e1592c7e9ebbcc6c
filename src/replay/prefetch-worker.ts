// Worker entry of the frame reader (prefetch.ts): waits for its start message, then serves one trace.
import { parentPort } from 'node:worker_threads';
import { initZstd } from '../trace/zstd.js';
import { servePrefetch, type PrefetchStart } from './prefetch.js';

// zstd's wasm is compiled at once, while the process boots: not while the guest is being compiled for the
// baseline tier (engine.ts), which would slow decompression down.
void initZstd().catch(() => {});

parentPort!.once('message', (start: PrefetchStart) => void servePrefetch(start, () => parentPort!.postMessage('ready')));
