// Recording the filesystem guests with the CLI's directory flags, then replaying with the directories gone: the
// same output and exit. Recorded in-process as `wasi-trace record` does, replayed by the CLI in-process; the
// node:wasi runs are in node.test.ts, esbuild through the whole CLI in e2e.test.ts.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestPreopens } from '../../cli/common.js';
import { guestPath, recordLikeCli, wt } from '../helpers.js';
import { hostLayout } from '../vfs/backends.js';

const FS_GUESTS = ['fs_basic', 'fs_fdflags', 'fs_errors', 'fs_symlink', 'fs_unlinked', 'fs_escape'];

describe('record and replay of filesystem guests', () => {
  for (const guest of FS_GUESTS) {
    for (const [label, how] of [['--dir', 'dir'], ['--mem-dir copy', 'mem']] as const) {
      it(`${guest} on ${label}: replay without the directory gives the same output and exit`, async () => {
        const { root, sandbox } = hostLayout();
        try {
          const trace = join(root, 'trace.bin');
          const preopens = guestPreopens(how === 'mem' ? { 'mem-dir': `/sandbox=${sandbox}` } : { dir: `${sandbox}::/sandbox` });
          const rec = await recordLikeCli({ module: guestPath(guest), preopens, output: trace });
          expect(rec.stdout).toMatch(/PASS/);
          expect(rec.stdout).not.toMatch(/FAIL/);
          rmSync(sandbox, { recursive: true, force: true });
          const rep = await wt(['replay', trace]);
          expect(rep).toEqual({ status: rec.end.kind === 'exit' ? rec.end.code : -1, stdout: rec.stdout, stderr: rec.stderr });
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      });
    }
  }
});
