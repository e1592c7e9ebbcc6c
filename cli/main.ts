#!/usr/bin/env node
// wasi-trace's entry point. The worker thread a command needs (record's guest thread, replay's frame reader) is
// started first, so that it boots while this thread loads the rest of the command line (cli/app.ts), and so is the
// read of run's guest module (cli/read-ahead.ts). Other commands do not even load node:worker_threads. The command
// line (and each worker) loads from its bundle, dist/cli/app-bundle.js and its parts (cli/bundle.ts), when
// `npm run build` made the bundles from the current build; otherwise from the separate modules.
const argv = process.argv.slice(2);
const command = argv.find((a) => !a.startsWith('-'));
const warm = command === 'record' || command === 'replay' ? await import('./prewarm.js') : undefined;
if (command === 'record') warm!.startGuestThread(); // before anything else: on its bundle, which prewarm() checks
// run's guest module is read from now on too. Not record's: on 2 cores that read slowed the guest thread's boot as much
// as it saved this thread (esbuild's 20 MB, 14-16 interleaved rounds).
const readAhead = command === 'run' ? await import('./read-ahead.js') : undefined;
const guess = readAhead?.guessModule(argv, 'run');
const moduleAhead = guess === undefined ? undefined : readAhead!.readAhead(guess);
const fresh = await import('./fresh-bundle.js');
const bundled = fresh.freshBundle();
if (warm) await warm.prewarm(command!, argv, bundled);
const { main }: { main: typeof import('./app.js').main } = bundled ? await fresh.runScriptBundle() : await import('./app.js');
process.exitCode = await main(argv, moduleAhead && { moduleAhead });
