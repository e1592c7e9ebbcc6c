// Worker entry of the frame reader (prefetch.ts): waits for its start message, then serves one trace.
import { parentPort } from 'node:worker_threads';
import { initZstd } from '../trace/zstd.js';
import { readAhead, servePrefetch, type PrefetchStart } from './prefetch.js';

// zstd's wasm is compiled at once, while the process boots: not while the guest is being compiled for the
// baseline tier (engine.ts), which would slow decompression down.
void initZstd().catch(() => {});

// Before its start message, a guess of the trace may come ({ readAhead: path }: see readAhead).
const onMessage = (m: PrefetchStart | { readAhead: string }) => {
  if ('readAhead' in m) { readAhead(m.readAhead); return; }
  parentPort!.off('message', onMessage);
  void servePrefetch(m, () => parentPort!.postMessage('ready'));
};
parentPort!.on('message', onMessage);
