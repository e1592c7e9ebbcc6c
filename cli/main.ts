#!/usr/bin/env node
// wasi-trace's entry point. For `record`, the guest's worker thread is started first, so that it boots while
// this thread loads the rest of the command line (cli/app.ts).
import { prewarmRecordWorker } from './record-prewarm.js';

const argv = process.argv.slice(2);
if (argv.find((a) => !a.startsWith('-')) === 'record') prewarmRecordWorker();
const { main } = await import('./app.js');
process.exitCode = await main(argv);
