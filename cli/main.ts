#!/usr/bin/env node
// wasi-trace's entry point. The worker thread a command needs (record's guest thread, replay's frame reader) is
// started first, so that it boots while this thread loads the rest of the command line (cli/app.ts).
import { prewarm } from './prewarm.js';

const argv = process.argv.slice(2);
prewarm(argv.find((a) => !a.startsWith('-')), argv);
const { main } = await import('./app.js');
process.exitCode = await main(argv);
