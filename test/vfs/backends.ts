// The backends the conformance suite runs against, each making the sandbox the fs_* guests expect:
// hello.txt = "hello\n" and sub/inner.txt = "inner\n", and nothing else. Adding a backend is one entry in BACKENDS.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { openHostDirectory } from '../../src/vfs/host/index.js';
import { memoryDirectory, MemoryDirectory } from '../../src/vfs/memory/index.js';
import type { DirectoryNode } from '../../src/vfs/types.js';

/** Content of the file placed OUTSIDE the sandbox (host backends): it must never reach a guest. */
export const SECRET = 'TOP-SECRET-7f3a9c outside the sandbox\n';

export interface Sandbox {
  dir: DirectoryNode;
  /** Host backends: the sandbox's host path, and a sibling directory holding secret.txt (= SECRET). */
  hostPath?: string;
  outside?: string;
  cleanup(): void;
}

export interface Backend {
  name: string;
  sandbox(): Sandbox;
}

const enc = new TextEncoder();

/** Writes `text` to a new file `name` of an in-memory directory. */
export function memWrite(dir: MemoryDirectory, name: string, text: string): void {
  dir.createFile(name).open({ read: false, write: true, truncate: false }).write(enc.encode(text), 0n);
}

export const memoryBackend: Backend = {
  name: 'memory',
  sandbox() {
    const dir = memoryDirectory();
    memWrite(dir, 'hello.txt', 'hello\n');
    dir.mkdir('sub');
    memWrite(dir.lookup('sub') as MemoryDirectory, 'inner.txt', 'inner\n');
    return { dir, cleanup() {} };
  },
};

/** A fresh host layout: <tmp>/sandbox (the preopen) and <tmp>/outside/secret.txt. */
export function hostLayout(): { root: string; sandbox: string; outside: string } {
  const root = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-conf-')));
  const sandbox = join(root, 'sandbox');
  const outside = join(root, 'outside');
  fs.mkdirSync(join(sandbox, 'sub'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(join(sandbox, 'hello.txt'), 'hello\n');
  fs.writeFileSync(join(sandbox, 'sub', 'inner.txt'), 'inner\n');
  fs.writeFileSync(join(outside, 'secret.txt'), SECRET);
  return { root, sandbox, outside };
}

/** The host backend: through directory fds, or (bestEffort) by whole host paths, its fallback without /proc. */
function hostBackendOf(name: string, bestEffort: boolean): Backend {
  return {
    name,
    sandbox() {
      const { root, sandbox, outside } = hostLayout();
      return {
        dir: openHostDirectory(sandbox, { bestEffort }), hostPath: sandbox, outside,
        cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
      };
    },
  };
}

export const hostBackend: Backend = hostBackendOf('host', false);
export const hostPathsBackend: Backend = hostBackendOf('host (best-effort paths)', true);

export const BACKENDS: Backend[] = [memoryBackend, hostBackend, hostPathsBackend];

/** Every case each guest prints, in order (test/guests/README.md). */
export const GUEST_CASES: Record<string, string[]> = {
  fs_basic: ['read_hello', 'readdir_list', 'readdir_cookie', 'readdir_truncated', 'prestat', 'create_write_read',
    'seek_tell', 'pread_pwrite', 'fd_filestat_get', 'set_size_truncate', 'set_size_extend', 'fd_advise', 'fd_allocate',
    'fd_sync', 'fd_datasync', 'path_filestat_get', 'mkdir_rmdir', 'unlink', 'rename_file', 'rename_over_file',
    'rename_dir', 'set_times_ns'],
  fs_fdflags: ['fd_stable', 'set_flags_nonblock', 'set_flags_append', 'read_continues', 'append_open',
    'append_set_flags', 'renumber_self', 'renumber', 'renumber_preopen'],
  fs_errors: ['open_dir_trunc', 'open_dir_write', 'open_file_as_dir', 'open_excl_exists', 'open_missing',
    'open_interior_nul', 'rmdir_nonempty', 'unlink_dir', 'close_twice', 'seek_dir', 'read_dir', 'readlink_short',
    'readlink_full'],
  fs_symlink: ['symlink_readlink', 'stat_nofollow', 'stat_follow', 'open_follow', 'open_nofollow', 'open_dir_nofollow',
    'open_dir_follow', 'hardlink', 'dangling'],
  fs_escape: ['dotdot', 'sub_dotdot', 'absolute', 'create_outside', 'symlink_absolute', 'symlink_relative',
    'symlink_chain', 'symlink_dir_relative', 'symlink_dir_absolute', 'rename_escape'],
  fs_unlinked: ['unlink_open_file', 'path_gone', 'read_after_unlink', 'write_after_unlink', 'filestat_after_unlink',
    'close_after_unlink'],
};

/** A guest's output as case → status and its whole line. */
export function parseCases(stdout: string): Map<string, { pass: boolean; line: string }> {
  const m = new Map<string, { pass: boolean; line: string }>();
  for (const line of stdout.split('\n')) {
    const r = /^(PASS|FAIL) (\w+)/.exec(line);
    if (r) m.set(r[2]!, { pass: r[1] === 'PASS', line });
  }
  return m;
}
