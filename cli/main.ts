#!/usr/bin/env node
// wasi-trace's entry point. The worker thread a command needs (record's guest thread, replay's frame reader) is
// started first, so that it boots while this thread loads the rest of the command line (cli/app.ts), and so is the
// read of run's guest module (cli/read-ahead.ts). Other commands do not even load node:worker_threads. The command
// line (and each worker) loads from its bundle, dist/cli/app-bundle.js and its parts (cli/bundle.ts), when
// `npm run build` made the bundles from the current build; otherwise from the separate modules.
const argv = process.argv.slice(2);
const command = argv.find((a) => !a.startsWith('-'));
// record's guest thread before anything else is loaded, on its bundle's runner file (cli/bundle.ts writes it; a build
// without one gets its thread from prewarm): its boot is the critical path of a short recording, and loading prewarm
// first cost it 6-8 ms. Ready is listened to from its start: a message nobody listens to is lost.
const runner = new URL('./guest-thread-bundle.runner.cjs', import.meta.url); // (runnerOf in fresh-bundle.ts)
const threads = command === 'record' && typeof process.getBuiltinModule === 'function' && process.getBuiltinModule('node:fs').existsSync(runner)
  ? await import('../src/worker-url.js') : undefined;
const worker = threads && new (process.getBuiltinModule('node:worker_threads').Worker)(runner, threads.NO_STDIN_STREAM);
const early = worker && { worker, ready: threads!.whenReady(worker) };
const warm = command === 'record' || command === 'replay' ? await import('./prewarm.js') : undefined;
if (command === 'record') warm!.startGuestThread(early); // prewarm() checks its bundle
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
