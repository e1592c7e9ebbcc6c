// The filesystem conformance suite: the same cases, unchanged, against every backend of test/vfs/backends.ts.
// Each backend runs the fs_* guests (test/guests/README.md) through run(), and each semantic the filesystem issue
// names is its own test, from the guests' lines and from direct calls of the runtime (test/vfs/driver.ts).
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_RIGHTS, Errno, EventType, FdFlags, Filetype, FUNCTIONS, LookupFlags, OFlags, right, STRUCTS, Whence, wasmParams,
  writeStruct,
} from '../../src/abi/index.js';
import { HostFile } from '../../src/vfs/host/index.js';
import { runGuest } from '../helpers.js';
import {
  BACKENDS, GUEST_CASES, hostBackend, memoryBackend, parseCases, SECRET, type Backend, type Sandbox,
} from './backends.js';
import { Driver } from './driver.js';

/** Names in a DirectoryNode, sorted (the sandbox must look as it started after every guest). */
const names = (dir: { list(): { name: string }[] }): string[] => dir.list().map((e) => e.name).sort();

const FOLLOW = LookupFlags.SYMLINK_FOLLOW;
const DIRFD = 3;

for (const backend of BACKENDS) {
  describe(`conformance on the ${backend.name} backend`, () => {
    const runs = new Map<string, { stdout: string; code: number | undefined; sandbox: Sandbox }>();
    beforeAll(async () => {
      for (const guest of Object.keys(GUEST_CASES)) {
        const sandbox = backend.sandbox();
        const r = await runGuest(guest, { preopens: [{ guestPath: '/sandbox', dir: sandbox.dir }] });
        runs.set(guest, { stdout: r.stdout + r.stderr, code: r.end.kind === 'exit' ? r.end.code : undefined, sandbox });
      }
    });
    afterAll(() => { for (const r of runs.values()) r.sandbox.cleanup(); });

    /** Asserts that the listed guest cases passed. */
    const expectPass = (guest: string, cases: string[]): void => {
      const got = parseCases(runs.get(guest)!.stdout);
      for (const c of cases) expect(got.get(c)?.line, `${guest} ${c}`).toMatch(/^PASS /);
    };

    /** A fresh sandbox preopened at fd 3 of a runtime driven directly; no internal error may happen. */
    const withDriver = (fn: (d: Driver, sb: Sandbox) => void): void => {
      const sb = backend.sandbox();
      try {
        const d = new Driver({ preopens: [{ guestPath: '/sandbox', dir: sb.dir }] });
        fn(d, sb);
        expect(d.internalErrors).toEqual([]);
      } finally {
        sb.cleanup();
      }
    };

    for (const [guest, cases] of Object.entries(GUEST_CASES)) {
      it(`${guest}: every case passes, exit 0, and the sandbox is left as it was`, () => {
        const run = runs.get(guest)!;
        expect([...parseCases(run.stdout).keys()]).toEqual(cases);
        expectPass(guest, cases);
        expect(run.code).toBe(0);
        expect(names(run.sandbox.dir)).toEqual(['hello.txt', 'sub']);
        expect(names(run.sandbox.dir.lookup('sub') as never)).toEqual(['inner.txt']);
      });
    }

    it('fd numbers never change behind the guest\'s back: fd_fdstat_set_flags keeps the fd and its position', () => {
      expectPass('fs_fdflags', ['fd_stable', 'set_flags_nonblock', 'set_flags_append', 'read_continues']);
      withDriver((d) => {
        const a = d.open(DIRFD, 'hello.txt');
        const b = d.open(DIRFD, 'hello.txt');
        expect(d.read(b.fd, 2)).toEqual({ errno: 0, text: 'he' });
        expect(d.call('fd_close', a.fd)).toBe(Errno.SUCCESS);
        expect(d.call('fd_fdstat_set_flags', b.fd, FdFlags.NONBLOCK)).toBe(Errno.SUCCESS);
        expect(d.call('fd_fdstat_set_flags', b.fd, FdFlags.NONBLOCK | FdFlags.APPEND)).toBe(Errno.SUCCESS);
        expect(d.fdstat(b.fd).stat!.fs_flags).toBe(FdFlags.NONBLOCK | FdFlags.APPEND);
        expect(d.read(b.fd)).toEqual({ errno: 0, text: 'llo\n' });
        expect(d.open(DIRFD, 'sub/inner.txt').fd).toBe(a.fd); // the lowest free number; b never moved
        expect(d.fdstat(b.fd).errno).toBe(Errno.SUCCESS);
      });
    });

    it('fd_renumber(x, x) is a no-op, fd_renumber(a, b) closes b and moves a, and preopens can be renumbered', () => {
      expectPass('fs_fdflags', ['renumber_self', 'renumber', 'renumber_preopen']);
      withDriver((d) => {
        const a = d.open(DIRFD, 'hello.txt').fd;
        const b = d.open(DIRFD, 'sub/inner.txt').fd;
        expect(d.call('fd_renumber', a, a)).toBe(Errno.SUCCESS);
        expect(d.read(a, 2).text).toBe('he');
        expect(d.call('fd_renumber', a, b)).toBe(Errno.SUCCESS);
        expect(d.fdstat(a).errno).toBe(Errno.BADF);
        expect(d.read(b).text).toBe('llo\n'); // a's open description, position included
        expect(d.call('fd_renumber', b, 99)).toBe(Errno.BADF);
        expect(d.call('fd_renumber', DIRFD, b)).toBe(Errno.SUCCESS);
        expect(d.fdstat(DIRFD).errno).toBe(Errno.BADF);
        expect(d.readFile(b, 'sub/inner.txt')).toEqual({ errno: 0, text: 'inner\n' });
        const out = d.alloc(8);
        expect(d.call('fd_prestat_get', b, out)).toBe(Errno.SUCCESS);
        expect(d.u32(out + 4)).toBe('/sandbox'.length);
      });
    });

    it('path_open: EISDIR for a directory with O_TRUNC or write rights, ENOTDIR for O_DIRECTORY on a file, EEXIST for O_CREAT|O_EXCL', () => {
      expectPass('fs_errors', ['open_dir_trunc', 'open_dir_write', 'open_file_as_dir', 'open_excl_exists', 'open_missing']);
      withDriver((d) => {
        const RO = right('fd_read') | right('fd_readdir') | right('path_open');
        expect(d.open(DIRFD, 'sub', { oflags: OFlags.TRUNC, rights: RO }).errno).toBe(Errno.ISDIR);
        expect(d.open(DIRFD, 'sub', { oflags: OFlags.DIRECTORY | OFlags.TRUNC, rights: RO }).errno).toBe(Errno.ISDIR);
        expect(d.open(DIRFD, 'sub', { rights: RO | right('fd_write') }).errno).toBe(Errno.ISDIR);
        expect(d.open(DIRFD, '.', { oflags: OFlags.DIRECTORY, rights: right('fd_read') | right('fd_write') }).errno).toBe(Errno.ISDIR);
        expect(d.open(DIRFD, 'sub', { oflags: OFlags.CREAT, rights: RO }).errno).toBe(Errno.ISDIR);
        expect(d.open(DIRFD, 'hello.txt', { oflags: OFlags.DIRECTORY, rights: RO }).errno).toBe(Errno.NOTDIR);
        expect(d.open(DIRFD, 'hello.txt/', { rights: RO }).errno).toBe(Errno.NOTDIR);
        expect(d.open(DIRFD, 'hello.txt', { oflags: OFlags.CREAT | OFlags.EXCL }).errno).toBe(Errno.EXIST);
        expect(d.open(DIRFD, 'sub', { oflags: OFlags.CREAT | OFlags.EXCL, rights: RO }).errno).toBe(Errno.EXIST);
        expect(d.open(DIRFD, 'missing', { oflags: OFlags.CREAT | OFlags.DIRECTORY }).errno).toBe(Errno.INVAL);
        expect(d.open(DIRFD, 'missing/', { oflags: OFlags.CREAT }).errno).toBe(Errno.ISDIR);
        expect(d.open(DIRFD, 'missing').errno).toBe(Errno.NOENT);
        expect(d.symlink('sub/target.txt', DIRFD, 'dangling')).toBe(0);
        expect(d.open(DIRFD, 'dangling', { oflags: OFlags.CREAT | OFlags.EXCL }).errno).toBe(Errno.EXIST);
        expect(d.open(DIRFD, 'dangling', { oflags: OFlags.CREAT, dirflags: 0 }).errno).toBe(Errno.LOOP);
        expect(d.open(DIRFD, 'dangling', { oflags: OFlags.CREAT }).errno).toBe(Errno.SUCCESS);
        expect(d.filestat(DIRFD, 'sub/target.txt').stat!.filetype).toBe(Filetype.REGULAR_FILE);
        expect(d.open(DIRFD, '').errno).toBe(Errno.NOENT);
        // what does open: '.', a directory with no rights at all, and read-only for a directory
        for (const [path, rights] of [['.', 0n], ['sub', 0n], ['sub/', RO]] as const) {
          const o = d.open(DIRFD, path, { rights, dirflags: 0 });
          expect(o.errno).toBe(Errno.SUCCESS);
          expect(d.fdstat(o.fd).stat!.fs_filetype).toBe(Filetype.DIRECTORY);
        }
        // a file fd as the directory: ENOTDIR; rights ∩ the directory's inheriting rights
        const f = d.open(DIRFD, 'hello.txt', { rights: right('fd_read') });
        expect(d.open(f.fd, 'x').errno).toBe(Errno.NOTDIR);
        expect(d.fdstat(f.fd).stat!.fs_rights_base).toBe(right('fd_read'));
        expect(d.write(f.fd, 'x')).toBe(Errno.NOTCAPABLE);
      });
    });

    it('no host exception ever reaches the guest or the process: every fd_*/path_* call with hostile arguments returns an errno', () => {
      withDriver((d) => {
        let seed = 12345;
        const rnd = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
        const size = d.bytes.length;
        const i32s = [0, 3, 4, -1, 0x7fffffff, size - 1, size, size - 8, 1024, 1];
        const i64s = [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 4096n];
        const fns = FUNCTIONS.filter((f) => f.family === 'fd' || f.family === 'path');
        for (let round = 0; round < 40; round++) {
          // memory full of structured garbage: small numbers, pointers into memory, path-ish bytes
          for (let p = 1024; p < 8192; p += 4) d.view.setUint32(p, [rnd() % 16, 1024 + (rnd() % 4096), 0x2e2e2f2e][rnd() % 3]!, true);
          for (const fn of fns) {
            const args = wasmParams(fn).map((w) => (w.wasm === 'i64' ? i64s[rnd() % i64s.length]! : i32s[rnd() % i32s.length]!));
            let errno: unknown;
            expect(() => { errno = d.fns[fn.name]!(...args); }, `${fn.name}(${args.join(', ')})`).not.toThrow();
            expect(Number.isInteger(errno) && (errno as number) >= 0 && (errno as number) <= Errno.NOTCAPABLE).toBe(true);
          }
        }
      });
    });

    it('APPEND writes always go to the end, also after a seek', () => {
      expectPass('fs_fdflags', ['append_open', 'append_set_flags']);
      withDriver((d) => {
        const f = d.open(DIRFD, 'hello.txt', { fdflags: FdFlags.APPEND });
        expect(d.seek(f.fd, 0n, Whence.SET).pos).toBe(0n);
        expect(d.write(f.fd, 'A')).toBe(Errno.SUCCESS);
        expect(d.seek(f.fd, 0n, Whence.CUR).pos).toBe(7n);
        const g = d.open(DIRFD, 'hello.txt');
        expect(d.call('fd_fdstat_set_flags', g.fd, FdFlags.APPEND)).toBe(Errno.SUCCESS);
        d.seek(g.fd, 1n, Whence.SET);
        expect(d.write(g.fd, 'B')).toBe(Errno.SUCCESS);
        expect(d.readFile(DIRFD, 'hello.txt').text).toBe('hello\nAB');
      });
    });

    it('fd_readdir lists . and .., honours the cookie, and truncates the last entry when the buffer is short', () => {
      expectPass('fs_basic', ['readdir_list', 'readdir_cookie', 'readdir_truncated']);
    });

    it('path_readlink truncates to a short buffer', () => {
      expectPass('fs_errors', ['readlink_short', 'readlink_full']);
      withDriver((d) => {
        expect(d.symlink('hello.txt', DIRFD, 'ln')).toBe(Errno.SUCCESS);
        expect(d.readlink(DIRFD, 'ln', 3)).toEqual({ errno: 0, text: 'hel' });
        expect(d.readlink(DIRFD, 'ln', 0)).toEqual({ errno: 0, text: '' });
        expect(d.readlink(DIRFD, 'ln', 64)).toEqual({ errno: 0, text: 'hello.txt' });
        expect(d.readlink(DIRFD, 'hello.txt', 64).errno).toBe(Errno.INVAL);
        expect(d.readlink(DIRFD, 'nope', 64).errno).toBe(Errno.NOENT);
      });
    });

    it('filestat times keep nanoseconds', () => {
      expectPass('fs_basic', ['set_times_ns']);
      withDriver((d, sb) => {
        const st = d.filestat(DIRFD, 'hello.txt').stat!;
        const node = sb.dir.lookup('hello.txt')!.stat();
        expect([st.atim, st.mtim, st.ctim]).toEqual([node.atim, node.mtim, node.ctim]);
        if (sb.hostPath) expect(st.mtim).toBe(fs.statSync(join(sb.hostPath, 'hello.txt'), { bigint: true }).mtimeNs);
        const ts = 1234567890123456789n;
        const [p, n] = d.str('hello.txt');
        expect(d.call('path_filestat_set_times', DIRFD, FOLLOW, p, n, ts, ts, 1 | 4)).toBe(Errno.SUCCESS);
        const after = d.filestat(DIRFD, 'hello.txt').stat!;
        expect([after.atim, after.mtim]).toEqual([ts, ts]);
        if (sb.hostPath) expect(fs.statSync(join(sb.hostPath, 'hello.txt'), { bigint: true }).mtimeNs).toBe(ts);
      });
    });

    it('file types: regular file, directory and symlink in stat and readdir', () => {
      withDriver((d) => {
        d.symlink('hello.txt', DIRFD, 'ln');
        expect(d.filestat(DIRFD, 'hello.txt').stat!.filetype).toBe(Filetype.REGULAR_FILE);
        expect(d.filestat(DIRFD, 'sub').stat!.filetype).toBe(Filetype.DIRECTORY);
        expect(d.filestat(DIRFD, 'ln', false).stat!.filetype).toBe(Filetype.SYMBOLIC_LINK);
        expect(d.filestat(DIRFD, 'ln', true).stat!.filetype).toBe(Filetype.REGULAR_FILE);
        expect(readdir(d, DIRFD)).toEqual(new Map([['.', Filetype.DIRECTORY], ['..', Filetype.DIRECTORY],
          ['hello.txt', Filetype.REGULAR_FILE], ['ln', Filetype.SYMBOLIC_LINK], ['sub', Filetype.DIRECTORY]]));
      });
    });

    it('confinement: .., absolute paths, absolute and climbing symlinks, chains and renames never leave the preopen', () => {
      expectPass('fs_escape', GUEST_CASES.fs_escape!);
      const out = runs.get('fs_escape')!.stdout;
      expect(out).not.toContain(SECRET.trim());
      expect(out).not.toMatch(/root:.*:0:0:/);
      expect(out).not.toContain('SUCCEEDED');
      withDriver((d, sb) => {
        // links that were already there (made on the backend, as the host or an embedder would)
        const secretAbs = sb.outside ? join(sb.outside, 'secret.txt') : '/outside/secret.txt';
        sb.dir.symlink('pre_abs', secretAbs);
        sb.dir.symlink('pre_abs_dir', sb.outside ?? '/outside');
        sb.dir.symlink('pre_rel', '../outside/secret.txt');
        sb.dir.symlink('pre_dir', '../outside');
        sb.dir.symlink('pre_chain', 'sub/pre_hop');
        (sb.dir.lookup('sub') as typeof sb.dir).symlink('pre_hop', '../../outside/secret.txt');
        sb.dir.symlink('pre_loop', 'pre_loop');
        const routes = ['../outside/secret.txt', 'sub/../../outside/secret.txt', secretAbs, 'pre_abs', 'pre_abs_dir/secret.txt',
          'pre_rel', 'pre_dir/secret.txt', 'pre_chain', './sub/../pre_dir/./secret.txt'];
        for (const route of routes) {
          const r = d.readFile(DIRFD, route);
          expect(r, route).toEqual({ errno: Errno.NOTCAPABLE, text: '' });
          expect(d.filestat(DIRFD, route).errno, route).toBe(Errno.NOTCAPABLE);
        }
        expect(d.readFile(DIRFD, 'pre_loop').errno).toBe(Errno.LOOP);
        // the directory fd is the root of the walk: '..' may not climb above an opened subdirectory either
        const sub = d.open(DIRFD, 'sub', { oflags: OFlags.DIRECTORY, rights: right('path_open') }).fd;
        expect(d.readFile(sub, '../hello.txt').errno).toBe(Errno.NOTCAPABLE);
        expect(d.readFile(sub, 'inner.txt').text).toBe('inner\n');
        // after a rename, a link that climbed to the sandbox now climbs out
        expect(d.pathOp('path_create_directory', DIRFD, 'r1')).toBe(0);
        expect(d.pathOp('path_create_directory', DIRFD, 'r1/r2')).toBe(0);
        expect(d.symlink('../../hello.txt', DIRFD, 'r1/r2/ln')).toBe(0);
        expect(d.readFile(DIRFD, 'r1/r2/ln').text).toBe('hello\n');
        expect(d.rename(DIRFD, 'r1/r2', DIRFD, 'moved')).toBe(0);
        expect(d.readFile(DIRFD, 'moved/ln').errno).toBe(Errno.NOTCAPABLE);
        // creating through an escape, and absolute symlink targets, are refused too
        expect(d.open(DIRFD, 'pre_dir/new.txt', { oflags: OFlags.CREAT }).errno).toBe(Errno.NOTCAPABLE);
        expect(d.pathOp('path_create_directory', DIRFD, '../made')).toBe(Errno.NOTCAPABLE);
        expect(d.symlink('/etc/passwd', DIRFD, 'abs')).toBe(Errno.NOTCAPABLE);
        if (sb.outside) expect(fs.readdirSync(sb.outside)).toEqual(['secret.txt']);
      });
    });

    it('LOOKUP_SYMLINK_FOLLOW off: the last component is not followed (ELOOP, ENOTDIR with O_DIRECTORY)', () => {
      expectPass('fs_symlink', ['stat_nofollow', 'open_nofollow', 'open_dir_nofollow', 'dangling']);
      withDriver((d) => {
        d.symlink('hello.txt', DIRFD, 'ln');
        d.symlink('sub', DIRFD, 'ln_dir');
        expect(d.open(DIRFD, 'ln', { dirflags: 0 }).errno).toBe(Errno.LOOP);
        expect(d.open(DIRFD, 'ln_dir', { dirflags: 0, oflags: OFlags.DIRECTORY, rights: 0n }).errno).toBe(Errno.NOTDIR);
        expect(d.open(DIRFD, 'ln_dir/inner.txt', { dirflags: 0 }).errno).toBe(Errno.SUCCESS); // not the last component
        expect(d.filestat(DIRFD, 'ln_dir', false).stat!.filetype).toBe(Filetype.SYMBOLIC_LINK);
        expect(d.filestat(DIRFD, 'ln_dir', true).stat!.filetype).toBe(Filetype.DIRECTORY);
        expect(d.filestat(DIRFD, 'ln_dir/', false).errno).toBe(Errno.NOTDIR);
        // the link itself is removed, never its target
        expect(d.pathOp('path_unlink_file', DIRFD, 'ln_dir')).toBe(Errno.SUCCESS);
        expect(d.filestat(DIRFD, 'sub').stat!.filetype).toBe(Filetype.DIRECTORY);
      });
    });

    it('after an open, the opened file is the one the path resolved to (device and inode)', () => {
      withDriver((d, sb) => {
        const f = d.open(DIRFD, 'hello.txt');
        const out = d.alloc(STRUCTS.filestat.size);
        expect(d.call('fd_filestat_get', f.fd, out)).toBe(0);
        const byFd = { dev: d.u64(out), ino: d.u64(out + 8) };
        const byPath = d.filestat(DIRFD, 'hello.txt').stat!;
        expect(byFd).toEqual({ dev: byPath.dev, ino: byPath.ino });
        if (sb.hostPath) {
          // a swap on the host between lookup and open is refused
          const node = sb.dir.lookup('hello.txt') as HostFile;
          fs.writeFileSync(join(sb.hostPath, 'other.txt'), 'other\n');
          fs.renameSync(join(sb.hostPath, 'other.txt'), join(sb.hostPath, 'hello.txt'));
          expect(() => node.open({ read: true, write: false, truncate: false })).toThrow(/changed/);
        }
      });
    });

    it('a path with an interior NUL is EINVAL in every path function', () => {
      expectPass('fs_errors', ['open_interior_nul']);
      withDriver((d) => {
        const bad = 'hello.txt\0x';
        expect(d.open(DIRFD, bad).errno).toBe(Errno.INVAL);
        expect(d.filestat(DIRFD, bad).errno).toBe(Errno.INVAL);
        for (const fn of ['path_create_directory', 'path_remove_directory', 'path_unlink_file']) {
          expect(d.pathOp(fn, DIRFD, bad), fn).toBe(Errno.INVAL);
        }
        expect(d.readlink(DIRFD, bad, 16).errno).toBe(Errno.INVAL);
        expect(d.symlink(bad, DIRFD, 'x')).toBe(Errno.INVAL);
        expect(d.symlink('x', DIRFD, bad)).toBe(Errno.INVAL);
        expect(d.rename(DIRFD, bad, DIRFD, 'x')).toBe(Errno.INVAL);
        expect(d.link(DIRFD, 'hello.txt', DIRFD, bad)).toBe(Errno.INVAL);
        const [p, n] = d.str(bad);
        expect(d.call('path_filestat_set_times', DIRFD, 0, p, n, 0n, 0n, 0)).toBe(Errno.INVAL);
        expect(names(d.rt.fds.dir(DIRFD).handle)).toEqual(['hello.txt', 'sub']);
      });
    });

    it('a file stays readable and writable through its fd after it is unlinked or renamed over', () => {
      expectPass('fs_unlinked', GUEST_CASES.fs_unlinked!);
      withDriver((d) => {
        const f = d.open(DIRFD, 'hello.txt');
        expect(d.open(DIRFD, 'new.txt', { oflags: OFlags.CREAT }).errno).toBe(0);
        expect(d.rename(DIRFD, 'new.txt', DIRFD, 'hello.txt')).toBe(0);
        expect(d.read(f.fd).text).toBe('hello\n');
        expect(d.write(f.fd, 'more')).toBe(0);
        d.seek(f.fd, 0n, Whence.SET);
        expect(d.read(f.fd).text).toBe('hello\nmore');
        expect(d.readFile(DIRFD, 'hello.txt').text).toBe('');
      });
    });

    it('hard links, rename over files and empty directories, sizes (POSIX errnos)', () => {
      expectPass('fs_basic', ['rename_file', 'rename_over_file', 'rename_dir', 'set_size_truncate', 'set_size_extend']);
      expectPass('fs_symlink', ['hardlink']);
      withDriver((d) => {
        expect(d.link(DIRFD, 'hello.txt', DIRFD, 'sub/hard')).toBe(0);
        expect(d.filestat(DIRFD, 'sub/hard').stat!.nlink).toBe(2n);
        expect(d.link(DIRFD, 'hello.txt', DIRFD, 'sub/hard')).toBe(Errno.EXIST);
        expect(d.link(DIRFD, 'sub', DIRFD, 'sub2')).toBe(Errno.PERM);
        expect(d.link(DIRFD, 'hello.txt', DIRFD, 'x/')).toBe(Errno.NOENT);
        expect(d.pathOp('path_create_directory', DIRFD, 'empty')).toBe(0);
        expect(d.rename(DIRFD, 'hello.txt', DIRFD, 'empty')).toBe(Errno.ISDIR);
        expect(d.rename(DIRFD, 'empty', DIRFD, 'hello.txt')).toBe(Errno.NOTDIR);
        expect(d.rename(DIRFD, 'empty', DIRFD, 'sub')).toBe(Errno.NOTEMPTY);
        expect(d.rename(DIRFD, 'sub', DIRFD, 'sub/inside')).toBe(Errno.INVAL);
        expect(d.rename(DIRFD, 'hello.txt', DIRFD, 'sub/hard')).toBe(0); // two names of one file: nothing happens
        expect(d.rename(DIRFD, 'hello.txt/', DIRFD, 'x')).toBe(Errno.NOTDIR);
        expect(d.rename(DIRFD, 'hello.txt', DIRFD, 'x/')).toBe(Errno.NOTDIR);
        expect(d.rename(DIRFD, 'empty/', DIRFD, 'empty2/')).toBe(0);
        expect(d.rename(DIRFD, 'sub', DIRFD, 'empty2')).toBe(0);
        expect(d.readFile(DIRFD, 'empty2/hard').text).toBe('hello\n');
        expect(d.pathOp('path_remove_directory', DIRFD, 'empty2')).toBe(Errno.NOTEMPTY);
        expect(d.pathOp('path_remove_directory', DIRFD, 'hello.txt')).toBe(Errno.NOTDIR);
        expect(d.pathOp('path_remove_directory', DIRFD, '.')).toBe(Errno.INVAL);
        expect(d.pathOp('path_unlink_file', DIRFD, 'empty2')).toBe(Errno.ISDIR);
        expect(d.pathOp('path_unlink_file', DIRFD, 'hello.txt/')).toBe(Errno.NOTDIR);
        expect(d.pathOp('path_create_directory', DIRFD, 'hello.txt')).toBe(Errno.EXIST);
        expect(d.pathOp('path_create_directory', DIRFD, 'newdir/')).toBe(0);
        expect(d.symlink('x', DIRFD, 'newdir/')).toBe(Errno.EXIST);
        expect(d.symlink('x', DIRFD, 'hello.txt/')).toBe(Errno.NOTDIR);
        expect(d.symlink('x', DIRFD, 'nope/')).toBe(Errno.NOENT);
      });
    });

    it('poll_oneoff on file fds: always ready at once', () => {
      withDriver((d) => {
        const f = d.open(DIRFD, 'hello.txt').fd;
        d.read(f, 2);
        const subs = d.alloc(STRUCTS.subscription.size * 3);
        const events = d.alloc(STRUCTS.event.size * 3);
        const nout = d.alloc(4);
        const sub = (i: number, v: Record<string, number | bigint>): void =>
          writeStruct(d.view, subs + i * STRUCTS.subscription.size, STRUCTS.subscription, v);
        sub(0, { userdata: 1n, tag: EventType.FD_READ, 'fd_readwrite.file_descriptor': f });
        sub(1, { userdata: 2n, tag: EventType.FD_WRITE, 'fd_readwrite.file_descriptor': f });
        sub(2, { userdata: 3n, tag: EventType.CLOCK, 'clock.id': 1, 'clock.timeout': 10_000_000_000n });
        const t = Date.now();
        expect(d.fns.poll_oneoff!(subs, events, 3, nout)).toBe(0);
        expect(Date.now() - t).toBeLessThan(1000);
        expect(d.u32(nout)).toBe(2);
        expect(d.u64(events)).toBe(1n);
        expect(d.u64(events + 16)).toBe(4n); // bytes left after the position
        expect(d.u64(events + STRUCTS.event.size)).toBe(2n);
      });
    });
  });
}

/** fd_readdir of a directory fd: name → d_type. */
function readdir(d: Driver, fd: number): Map<string, number> {
  const buf = d.alloc(4096);
  const out = d.alloc(4);
  expect(d.call('fd_readdir', fd, buf, 4096, 0n, out)).toBe(0);
  const m = new Map<string, number>();
  for (let off = buf; off < buf + d.u32(out);) {
    const len = d.u32(off + 16);
    m.set(new TextDecoder().decode(d.bytes.slice(off + 24, off + 24 + len)), d.bytes[off + 20]!);
    off += 24 + len;
  }
  return m;
}

describe('file types come from mode & S_IFMT', () => {
  it('maps all seven host kinds by S_IFMT, never by single bits', async () => {
    const { filetypeFromMode } = await import('../../src/vfs/stream.js');
    const C = fs.constants;
    const kinds: [number, Filetype][] = [
      [C.S_IFLNK, Filetype.SYMBOLIC_LINK], [C.S_IFDIR, Filetype.DIRECTORY], [C.S_IFREG, Filetype.REGULAR_FILE],
      [C.S_IFBLK, Filetype.BLOCK_DEVICE], [C.S_IFCHR, Filetype.CHARACTER_DEVICE], [C.S_IFSOCK, Filetype.SOCKET_STREAM],
      [C.S_IFIFO, Filetype.UNKNOWN], // preview1 has no FIFO type (wasmtime also says unknown)
    ];
    for (const [fmt, ft] of kinds) {
      expect(filetypeFromMode(fmt | 0o644)).toBe(ft);
      expect(filetypeFromMode(fmt | 0o7777)).toBe(ft);
    }
  });

  it('host backend: a FIFO, a socket and a character device reached through the sandbox', async () => {
    const host = BACKENDS.find((b) => b.name === 'host') as Backend;
    const sb = host.sandbox();
    const net = await import('node:net');
    const server = net.createServer();
    try {
      const { spawnSync } = await import('node:child_process');
      const fifo = spawnSync('mkfifo', [join(sb.hostPath!, 'fifo')]).status === 0;
      await new Promise<void>((ok) => server.listen(join(sb.hostPath!, 'sock'), ok));
      const d = new Driver({ preopens: [{ guestPath: '/sandbox', dir: sb.dir }] });
      expect(d.filestat(DIRFD, 'sock').stat!.filetype).toBe(Filetype.SOCKET_STREAM);
      if (fifo) expect(d.filestat(DIRFD, 'fifo').stat!.filetype).toBe(Filetype.UNKNOWN);
      const types = readdir(d, DIRFD);
      expect(types.get('sock')).toBe(Filetype.SOCKET_STREAM);
      expect(types.get('hello.txt')).toBe(Filetype.REGULAR_FILE);
      if (fs.existsSync('/dev/null')) {
        const dev = new Driver({ preopens: [{ guestPath: '/dev', dir: (await import('../../src/vfs/host/index.js')).openHostDirectory('/dev') }] });
        expect(dev.filestat(DIRFD, 'null').stat!.filetype).toBe(Filetype.CHARACTER_DEVICE);
      }
      expect(d.internalErrors).toEqual([]);
    } finally {
      server.close();
      sb.cleanup();
    }
  });
});

describe('two backends in one runtime', () => {
  it('rename and link across backends give EXDEV; copying through fds works', () => {
    const [mem, host] = [memoryBackend, hostBackend].map((b) => b.sandbox());
    try {
      const d = new Driver({ preopens: [{ guestPath: '/mem', dir: mem!.dir }, { guestPath: '/host', dir: host!.dir }] });
      expect(d.rename(3, 'hello.txt', 4, 'moved.txt')).toBe(Errno.XDEV);
      expect(d.rename(4, 'hello.txt', 3, 'moved.txt')).toBe(Errno.XDEV);
      expect(d.link(3, 'hello.txt', 4, 'linked.txt')).toBe(Errno.XDEV);
      expect(d.link(4, 'hello.txt', 3, 'linked.txt')).toBe(Errno.XDEV);
      const dst = d.open(4, 'copy.txt', { oflags: OFlags.CREAT, rights: ALL_RIGHTS }).fd;
      expect(d.write(dst, d.readFile(3, 'sub/inner.txt').text)).toBe(0);
      expect(fs.readFileSync(join(host!.hostPath!, 'copy.txt'), 'utf8')).toBe('inner\n');
      expect(d.internalErrors).toEqual([]);
    } finally {
      mem!.cleanup();
      host!.cleanup();
    }
  });
});
