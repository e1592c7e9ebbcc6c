// The run() API's filesystem options: files placed at fds with no path (anonymous in-memory files), and
// preopens given as host paths or DirectoryNodes.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Errno, Filetype, Whence } from '../../src/abi/index.js';
import { UserError } from '../../src/errors.js';
import { anonymousFile, memoryDirectory } from '../../src/index.js';
import { run } from '../../src/run.js';
import { FILE_RIGHTS } from '../../src/runtime/fdtable.js';
import { guestPath, runGuest } from '../helpers.js';
import { hostLayout } from '../vfs/backends.js';
import { Driver } from '../vfs/driver.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('files placed at fds through the API', () => {
  it('an anonymous in-memory file as stdin', async () => {
    const r = await runGuest('stdin_echo', { stdin: undefined, fds: { 0: anonymousFile(enc('from memory\n')) } });
    expect(r.stdout).toBe('from memory\n');
    expect(r.stderr).toBe('\nread 12 bytes\n');
  });

  it('an anonymous file at any fd: a seekable regular file with file rights, no path and no prestat', () => {
    const file = anonymousFile(enc('data'));
    const d = new Driver({ preopens: [{ guestPath: '/m', dir: memoryDirectory() }], fds: { 7: file } });
    expect(d.fdstat(7).stat).toMatchObject({ fs_filetype: Filetype.REGULAR_FILE, fs_rights_base: FILE_RIGHTS });
    expect(d.read(7).text).toBe('data');
    expect(d.write(7, '+more')).toBe(Errno.SUCCESS);
    expect(d.seek(7, 0n, Whence.SET).pos).toBe(0n);
    expect(d.read(7).text).toBe('data+more');
    expect(d.call('fd_prestat_get', 7, d.alloc(8))).toBe(Errno.BADF);
    expect(d.open(3, 'x').errno).toBe(Errno.NOENT); // the preopen is still fd 3
    expect(d.call('fd_close', 7)).toBe(Errno.SUCCESS);
    expect(file.stat().size).toBe(9n); // closing an fd does not discard the file: the embedder still has it
  });

  it('an fd that a preopen holds cannot be given a file', () => {
    expect(() => new Driver({ preopens: [{ guestPath: '/m', dir: memoryDirectory() }], fds: { 3: anonymousFile() } }))
      .toThrow(/fd 3 is already a preopened directory/);
  });

  it('--runtime node refuses files at fds and in-memory directories with a UserError', async () => {
    await expect(run({ module: guestPath('hello'), runtime: 'node', fds: { 5: anonymousFile() } })).rejects.toThrow(UserError);
    await expect(run({ module: guestPath('hello'), runtime: 'node', preopens: [{ guestPath: '/m', dir: memoryDirectory() }] }))
      .rejects.toThrow(/in-memory directory \/m/);
  });
});

describe('preopens through the API', () => {
  it('a host directory given by path', async () => {
    const { root, sandbox } = hostLayout();
    try {
      const r = await runGuest('fs_fdflags', { preopens: [{ guestPath: '/sandbox', hostPath: sandbox }] });
      expect(r.stdout).not.toContain('FAIL');
      expect(r.end).toEqual({ kind: 'exit', code: 0 });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a missing host directory is a UserError naming it', async () => {
    await expect(runGuest('hello', { preopens: [{ guestPath: '/x', hostPath: '/no/such/dir' }] }))
      .rejects.toThrow(new UserError('host directory /no/such/dir does not exist'));
    await expect(runGuest('hello', { preopens: [{ guestPath: '/x', hostPath: guestPath('hello') }] }))
      .rejects.toThrow(/is not a directory/);
  });
});
