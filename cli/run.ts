// wasi-trace run: run a guest on a runtime, with the process's stdio, and exit as it did.
import type { Argv } from 'yargs';
import { run } from '../src/run.js';
import { guestFlags, guestOptions, type GuestFlags } from './common.js';
import { exitFor } from './exit.js';
import type { CliIo } from './io.js';

export const runCommand = {
  command: 'run <module> [args..]',
  describe: 'run a guest (no recording)',
  builder: (y: Argv) => guestFlags(y)
    .example('$0 run test/guests/hello.wasm', 'run a guest')
    .example('$0 run --dir ./data::/data app.wasm --help', '--help after the module goes to the guest')
    .epilog("Exit codes: the guest's own; 134 for a trap; 2 for bad input (one line on stderr)."),
  handler: async (flags: GuestFlags, io: CliIo) => {
    await io.moduleAhead?.settled; // (the module's read that cli/main.ts started, which guestOptions takes)
    const end = await run(guestOptions(flags, io));
    return exitFor(end, io);
  },
};
