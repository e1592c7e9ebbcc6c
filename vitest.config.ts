// Test configuration. Tests import the TypeScript sources; the few that start the CLI as a process, or a worker
// thread, use the build in dist/, which test/global-setup.ts brings up to date first.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // worker threads start faster than processes; no test needs a process of its own (those spawn one)
    pool: 'threads',
    // the test files of one worker share its loaded modules instead of each loading src/ afresh (about a sixth of
    // the suite's CPU time). Tests restore what they change (process.env, the compiler tier: test/helpers.ts);
    // a file that mocks a module loads its subjects after vi.resetModules() (test/trace/memory.test.ts).
    isolate: false,
    globalSetup: ['test/global-setup.ts'],
    // the bundles of dist/ (cli/bundle.ts) load as Node loads them, not through vitest's transform (slow on files
    // of hundreds of KiB, and not what the CLI runs)
    server: { deps: { external: [/\/cli\/[\w-]+-bundle(\.[\w-]+)?\.js(\?.*)?$/] } },
    // vitest's default on a 2-core machine is one worker; the suite is half waiting on child processes
    maxWorkers: Math.max(2, availableParallelism()),
    // generous: a loaded CI machine may be slow, and no test here depends on how long anything takes
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
