// `wasi-trace run` in-process (cli/app.ts): the command line split, stdio, help, the filesystem flags, and every
// bad input as one line. node:wasi comparisons, which need a process of their own, are in node.test.ts.
import * as fs from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { guestPath, repoRoot, wt } from '../helpers.js';
import { hostLayout } from '../vfs/backends.js';
import { guestPreopens } from '../../cli/common.js';
import { UserError } from '../../src/errors.js';
import type { MemoryDirectory, MemoryFile } from '../../src/vfs/memory/index.js';

describe('wasi-trace run', () => {
  it('prints the guest\'s stdout and stderr and exits with its code', async () => {
    expect(await wt(['run', guestPath('hello'), '3'])).toEqual({ status: 3, stdout: 'hello, world\n', stderr: 'hello, stderr\n' });
    expect(await wt(['run', guestPath('exitcode'), '7'])).toMatchObject({ status: 7 });
  });

  it('gives the guest its stdin', async () => {
    expect(await wt(['run', guestPath('stdin_echo')], 'some input\n')).toMatchObject({ status: 0, stdout: expect.stringContaining('some input') });
  });

  it('exits 134 with the message on a trap', async () => {
    const r = await wt(['run', guestPath('trap')]);
    expect(r.status).toBe(134);
    expect(r.stdout).toBe('before trap\n');
    expect(r.stderr).toBe('wasi-trace: guest trapped: unreachable\n');
  });

  it('passes everything after the module to the guest, flags included', async () => {
    const r = await wt(['run', '--env', 'A=1', guestPath('args_env'), '--help', '--env', 'B=2']);
    expect(r.stdout.split('\n').slice(2)).toEqual(['argv[1]=--help', 'argv[2]=--env', 'argv[3]=B=2', 'env A=1', '']);
  });

  it('reads the module from stdin with -', async () => {
    const r = await wt(['run', '-', '5'], readFileSync(guestPath('hello')));
    expect(r.stdout).toBe('hello, world\n');
    expect(r.status).toBe(5);
  });

  it('--inherit-env passes the environment, --env overrides it', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { WT_A: 'a', WT_B: 'b' });
    try {
      const r = await wt(['run', '--inherit-env', '--env', 'WT_B=over', guestPath('args_env')]);
      expect(r.stdout).toContain('env WT_A=a\n');
      expect(r.stdout).toContain('env WT_B=over\n');
      expect(r.stdout).not.toContain('env WT_B=b\n');
    } finally {
      delete process.env.WT_A;
      delete process.env.WT_B;
      Object.assign(process.env, saved);
    }
  });

  it('prints help on stdout and exits 0 (wasi-trace --help, run --help)', async () => {
    const top = await wt(['--help']);
    expect(top).toMatchObject({ status: 0, stderr: '' });
    for (const c of ['run', 'record', 'replay', 'dump', 'info', 'stats', 'diff', 'export']) expect(top.stdout).toContain(`wasi-trace ${c} `);
    const run = await wt(['run', '--help']);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^wasi-trace run <module> \[args\.\.\]\n/);
    expect(run.stdout).toContain('--mem-file');
    // Each command's help: its positionals as required, its exit codes and an example.
    for (const [c, usage, exit] of [
      ['dump', 'wasi-trace dump <trace>', 'Exit codes: 0; 2 for a bad trace'], ['diff', 'wasi-trace diff <a> <b>', 'Exit codes: 0 when the traces do not differ in behaviour (input differences alone are summarised in one line), 1 when they do'],
      ['record', 'wasi-trace record <module> [args..]', 'With --until-fail: the failing run'], ['replay', 'wasi-trace replay <trace>', '125 the replay diverged'],
    ]) {
      const h = await wt([c!, '--help']);
      expect(h.stdout.startsWith(`${usage}\n`), c).toBe(true);
      expect(h.stdout.replace(/\s+/g, ' '), c).toContain(exit); // yargs wraps the epilog
      expect(h.stdout, c).toContain('Examples:');
    }
    const completion = await wt(['completion']);
    expect(completion).toMatchObject({ status: 0, stderr: '' });
    expect(completion.stdout).toContain('###-begin-wasi-trace-completions-###');
    const version = await wt(['--version']);
    expect(version).toEqual({ status: 0, stdout: `${JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version}\n`, stderr: '' });
  });

  const BAD: [what: string, args: string[], message: RegExp][] = [
    ['a missing file', ['run', 'no-such.wasm'], /^wasi-trace: cannot read module no-such\.wasm: no such file\n$/],
    ['a directory', ['run', 'test'], /^wasi-trace: test is a directory, not a WebAssembly module\n$/],
    ['not a wasm module', ['run', 'package.json'], /^wasi-trace: package\.json is not a WebAssembly module/],
    ['a module without _start', ['run', guestPath('no_start')], /has no _start function/],
    ['an import no runtime provides', ['run', guestPath('unknown_import')], /imports env\.mystery \(function\), which the runtime does not provide \(the API can supply it: run\/record\(\{ imports: \{ "env": \{ "mystery": \.\.\. \} \} \}\)\)\n$/],
    ['an unknown flag', ['run', '--bogus', guestPath('hello')], /^wasi-trace: unknown option --bogus for run/],
    ['an unknown runtime', ['run', '--runtime', 'jvm', guestPath('hello')], /^wasi-trace: --runtime jvm: not one of builtin, node \(see wasi-trace run --help\)\n$/],
    ['a bad --env', ['run', '--env', 'NOEQUALS', guestPath('hello')], /^wasi-trace: --env NOEQUALS: expected KEY=VALUE\n$/],
    ['no module', ['run'], /^wasi-trace: missing the module path/],
    ['no command', [], /^wasi-trace: name a command: run, record, replay, dump, info, stats, diff, export, mem\n$/],
    ['an unknown command', ['frobnicate'], /^wasi-trace: Unknown argument: frobnicate\n$/],
  ];
  for (const [what, args, message] of BAD) {
    it(`rejects ${what} with one line and a non-zero exit`, async () => {
      const r = await wt(args);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    });
  }
});

describe('wasi-trace run: filesystem flags', () => {
  const roots: string[] = [];
  /** A fresh host sandbox (hello.txt, sub/inner.txt) with a sibling outside/secret.txt. */
  const layout = (): ReturnType<typeof hostLayout> => {
    const l = hostLayout();
    roots.push(l.root);
    return l;
  };
  /** The host tree below `dir` as path → content (directories as '/'). */
  const snapshot = (dir: string): Record<string, string> => Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((p) => {
      const full = join(dir, p);
      return [p, fs.lstatSync(full).isDirectory() ? '/' : fs.readFileSync(full, 'utf8')];
    }));
  afterEach(() => { for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true }); });

  it('--dir HOST::GUEST preopens a host directory, confined to it', async () => {
    const { sandbox, outside } = layout();
    const r = await wt(['run', '--dir', `${sandbox}::/sandbox`, guestPath('fs_escape')]);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).not.toContain('TOP-SECRET');
    expect(r.status).toBe(0);
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('--dir HOST alone uses HOST as the guest path', async () => {
    const { sandbox } = layout();
    const r = await wt(['run', '--dir', sandbox, guestPath('fs_fdflags')]);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status).toBe(0);
  });

  it('--mem-dir GUEST=HOSTDIR runs on an in-memory copy and never writes the host', async () => {
    const { sandbox } = layout();
    const before = snapshot(sandbox);
    fs.utimesSync(sandbox, 1000, 1000);
    for (const guest of ['fs_basic', 'fs_symlink']) {
      const r = await wt(['run', '--mem-dir', `/sandbox=${sandbox}`, guestPath(guest)]);
      expect(r.stdout).not.toContain('FAIL');
      expect(r.status).toBe(0);
    }
    expect(snapshot(sandbox)).toEqual(before);
    expect(fs.statSync(sandbox).mtimeMs).toBe(1_000_000);
  });

  it('--mem-dir GUEST alone is an empty in-memory directory', async () => {
    const r = await wt(['run', '--mem-dir', '/sandbox', guestPath('fs_errors')]);
    expect(r.stdout).toContain('PASS open_missing\n');
    expect(r.stdout).toContain('FAIL open_dir_trunc'); // there is no sub/ in an empty directory
  });

  it('--mem-file GUEST=HOSTFILE places copies in memory, making their directory a preopen', async () => {
    const { sandbox } = layout();
    const r = await wt(['run', '--mem-file', `/sandbox/hello.txt=${join(sandbox, 'hello.txt')}`,
      '--mem-file', `/sandbox/sub/inner.txt=${join(sandbox, 'sub/inner.txt')}`, guestPath('fs_basic')]);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status).toBe(0);
    const into = await wt(['run', '--mem-dir', '/sandbox', '--mem-file', `/sandbox/hello.txt=${join(sandbox, 'hello.txt')}`,
      '--mem-file', `/sandbox/sub/inner.txt=${join(sandbox, 'sub/inner.txt')}`, guestPath('fs_fdflags')]);
    expect(into.stdout).not.toContain('FAIL');
    expect(into.status).toBe(0);
  });

  const BAD_FS: [what: string, args: () => string[], message: RegExp][] = [
    ['a missing --dir', () => ['run', '--dir', '/no/such/dir::/x', guestPath('hello')], /^wasi-trace: host directory \/no\/such\/dir does not exist\n$/],
    ['a malformed --mem-file', () => ['run', '--mem-file', '/x/y', guestPath('hello')], /^wasi-trace: --mem-file \/x\/y: expected GUEST=HOSTFILE\n$/],
  ];
  for (const [what, args, message] of BAD_FS) {
    it(`rejects ${what} with one line and exit 2`, async () => {
      const r = await wt(args());
      expect(r.stderr).toMatch(message);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    });
  }

  /** More bad values, checked where the flags are parsed (every UserError is one line and exit 2, as above). */
  const BAD_VALUES: [what: string, flags: () => Parameters<typeof guestPreopens>[0], message: RegExp][] = [
    ['an empty --dir host', () => ({ dir: '::/x' }), /^--dir ::\/x: expected HOST\[::GUEST\]$/],
    ['an empty --dir guest', () => ({ dir: '/tmp::' }), /^--dir \/tmp::: expected HOST\[::GUEST\]$/],
    ['a missing --mem-dir copy', () => ({ 'mem-dir': '/x=/no/such/dir' }), /^--mem-dir: host directory \/no\/such\/dir does not exist$/],
    ['an empty --mem-dir guest', () => ({ 'mem-dir': '=/tmp' }), /^--mem-dir =\/tmp: expected GUEST\[=HOSTDIR\]$/],
    ['a --mem-file naming a directory', () => ({ 'mem-file': `/x/..=${guestPath('hello')}` }), /expected GUEST=HOSTFILE$/],
    ['a missing --mem-file source', () => ({ 'mem-file': '/x/y=/no/such/file' }), /host file \/no\/such\/file does not exist$/],
    ['a --mem-file inside a --dir', () => ({ dir: `${layout().sandbox}::/s`, 'mem-file': `/s/y=${guestPath('hello')}` }), /inside the host directory \/s \(--dir\); use a --mem-dir$/],
    ['a --mem-file given twice', () => ({ 'mem-file': [`/s/y=${guestPath('hello')}`, `/s/y=${guestPath('trap')}`] }), /y is already there$/],
    ['a --mem-file below a file', () => ({ 'mem-file': [`/s/y=${guestPath('hello')}`, `/s/y/z=${guestPath('trap')}`] }), /y is not a directory$/],
    ['a guest path given twice', () => ({ 'mem-dir': ['/s', '/s/'] }), /^the guest directory \/s\/ is given twice$/],
  ];
  for (const [what, flags, message] of BAD_VALUES) {
    it(`rejects ${what}`, () => {
      expect(() => guestPreopens(flags())).toThrow(UserError);
      expect(() => guestPreopens(flags())).toThrow(message);
    });
  }

  it('orders preopens --dir, --mem-dir, then --mem-file directories, and puts --mem-files into a --mem-dir', () => {
    const { sandbox } = layout();
    const hello = join(sandbox, 'hello.txt');
    const p = guestPreopens({ dir: [sandbox, `${sandbox}::/h`], 'mem-dir': '/m', 'mem-file': [`/m/a/b.txt=${hello}`, `/f/c.txt=${hello}`, `/f/d.txt=${hello}`] });
    expect(p.map((x) => x.guestPath)).toEqual([sandbox, '/h', '/m', '/f']);
    expect(p.map((x) => x.hostPath)).toEqual([sandbox, sandbox, undefined, undefined]);
    const m = p[2]!.dir as MemoryDirectory;
    expect(((m.lookup('a') as MemoryDirectory).lookup('b.txt') as MemoryFile).bytes()).toEqual(new TextEncoder().encode('hello\n'));
    expect((p[3]!.dir as MemoryDirectory).list().map((e) => e.name)).toEqual(['c.txt', 'd.txt']);
  });
});
