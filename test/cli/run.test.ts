// `wasi-trace run`: the same guests on both runtimes, the command line split, and every bad input as one line.
import * as fs from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, guestPath, runGuest } from '../helpers.js';
import { GUEST_CASES, hostLayout, parseCases } from '../vfs/backends.js';
import { guestPreopens } from '../../cli/common.js';
import { UserError } from '../../src/errors.js';
import type { MemoryDirectory, MemoryFile } from '../../src/vfs/memory/index.js';

/** Guests on which node:wasi follows the spec, with their arguments and stdin. */
const SAME_ON_BOTH: [name: string, args: string[], stdin?: string][] = [
  ['hello', []],
  ['hello', ['3']],
  ['args_env', ['one', '--help', 'ünï']],
  ['clock_random', ['check']],
  ['trap', []],
  ['stdin_echo', [], 'some input\n'],
  ['exitcode', ['7']],
];

describe('wasi-trace run', () => {
  for (const [name, args, stdin] of SAME_ON_BOTH) {
    it(`${name} ${args.join(' ')} gives the same stdout and exit code on builtin and node`, () => {
      const a = cli(['run', '--env', 'X=1', guestPath(name), ...args], { input: stdin ?? '' });
      const b = cli(['run', '--runtime', 'node', '--env', 'X=1', guestPath(name), ...args], { input: stdin ?? '' });
      expect(a.stdout).toBe(b.stdout);
      expect(a.status).toBe(b.status);
      expect(b.stderr).not.toContain('ExperimentalWarning');
    });
  }

  it('exits 134 with the message on a trap', () => {
    const r = cli(['run', guestPath('trap')]);
    expect(r.status).toBe(134);
    expect(r.stdout).toBe('before trap\n');
    expect(r.stderr).toBe('wasi-trace: guest trapped: unreachable\n');
  });

  it('passes everything after the module to the guest, flags included', () => {
    const r = cli(['run', '--env', 'A=1', guestPath('args_env'), '--help', '--env', 'B=2']);
    expect(r.stdout.split('\n').slice(2)).toEqual(['argv[1]=--help', 'argv[2]=--env', 'argv[3]=B=2', 'env A=1', '']);
  });

  it('reads the module from stdin with -', () => {
    const r = cli(['run', '-', '5'], { input: readFileSync(guestPath('hello')) });
    expect(r.stdout).toBe('hello, world\n');
    expect(r.status).toBe(5);
  });

  it('--inherit-env passes the environment, --env overrides it', () => {
    const r = cli(['run', '--inherit-env', '--env', 'WT_B=over', guestPath('args_env')], { env: { ...process.env, WT_A: 'a', WT_B: 'b' } });
    expect(r.stdout).toContain('env WT_A=a\n');
    expect(r.stdout).toContain('env WT_B=over\n');
    expect(r.stdout).not.toContain('env WT_B=b\n');
  });

  const BAD: [what: string, args: string[], message: RegExp][] = [
    ['a missing file', ['run', 'no-such.wasm'], /^wasi-trace: cannot read module no-such\.wasm: no such file\n$/],
    ['a directory', ['run', 'test'], /^wasi-trace: test is a directory, not a WebAssembly module\n$/],
    ['not a wasm module', ['run', 'package.json'], /^wasi-trace: package\.json is not a WebAssembly module/],
    ['a module without _start', ['run', guestPath('no_start')], /has no _start function/],
    ['an import no runtime provides', ['run', guestPath('unknown_import')], /imports env\.mystery \(function\), which the runtime does not provide\n$/],
    ['an unknown flag', ['run', '--bogus', guestPath('hello')], /^wasi-trace: unknown option --bogus for run/],
    ['an unknown runtime', ['run', '--runtime', 'jvm', guestPath('hello')], /^wasi-trace: Invalid values: .*jvm/],
    ['a bad --env', ['run', '--env', 'NOEQUALS', guestPath('hello')], /^wasi-trace: --env NOEQUALS: expected KEY=VALUE\n$/],
    ['no module', ['run'], /^wasi-trace: missing the module path/],
    ['an unknown command', ['frobnicate'], /^wasi-trace: Unknown argument: frobnicate\n$/],
  ];
  for (const [what, args, message] of BAD) {
    it(`rejects ${what} with one line and a non-zero exit`, () => {
      const r = cli(args);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    });
  }
  for (const runtime of ['builtin', 'node']) {
    it(`rejects an unknown import on --runtime ${runtime} too`, () => {
      const r = cli(['run', '--runtime', runtime, guestPath('unknown_import')]);
      expect(r.stderr).toMatch(/env\.mystery/);
      expect(r.status).toBe(2);
    });
  }
});

/** Cases of the fs_* guests where node:wasi is known to be wrong (test/guests/README.md): not compared. */
const NODE_WRONG = new Set(['readdir_list', 'readdir_cookie', 'set_times_ns', 'set_flags_nonblock', 'set_flags_append',
  'append_open', 'readlink_short', 'open_nofollow', 'open_dir_nofollow']);

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

  for (const guest of Object.keys(GUEST_CASES)) {
    it(`${guest}: node:wasi and the builtin runtime agree on every case node:wasi gets right`, async () => {
      const node = cli(['run', '--runtime', 'node', '--dir', `${layout().sandbox}::/sandbox`, guestPath(guest)]);
      const ours = await runGuest(guest, { preopens: [{ guestPath: '/sandbox', hostPath: layout().sandbox }] });
      const n = parseCases(node.stdout);
      const o = parseCases(ours.stdout);
      for (const c of GUEST_CASES[guest]!) {
        if (NODE_WRONG.has(c)) continue;
        expect({ c, node: n.get(c)?.pass }).toEqual({ c, node: true });
        expect({ c, ours: o.get(c)?.pass }).toEqual({ c, ours: true });
      }
    });
  }

  it('--dir HOST::GUEST preopens a host directory, confined to it', () => {
    const { sandbox, outside } = layout();
    const r = cli(['run', '--dir', `${sandbox}::/sandbox`, guestPath('fs_escape')]);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).not.toContain('TOP-SECRET');
    expect(r.status).toBe(0);
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('--dir HOST alone uses HOST as the guest path', () => {
    const { sandbox } = layout();
    const r = cli(['run', '--dir', sandbox, guestPath('fs_fdflags')]);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status).toBe(0);
  });

  it('--mem-dir GUEST=HOSTDIR runs on an in-memory copy and never writes the host', () => {
    const { sandbox } = layout();
    const before = snapshot(sandbox);
    fs.utimesSync(sandbox, 1000, 1000);
    for (const guest of ['fs_basic', 'fs_symlink']) {
      const r = cli(['run', '--mem-dir', `/sandbox=${sandbox}`, guestPath(guest)]);
      expect(r.stdout).not.toContain('FAIL');
      expect(r.status).toBe(0);
    }
    expect(snapshot(sandbox)).toEqual(before);
    expect(fs.statSync(sandbox).mtimeMs).toBe(1_000_000);
  });

  it('--mem-dir GUEST alone is an empty in-memory directory', () => {
    const r = cli(['run', '--mem-dir', '/sandbox', guestPath('fs_errors')]);
    expect(r.stdout).toContain('PASS open_missing\n');
    expect(r.stdout).toContain('FAIL open_dir_trunc'); // there is no sub/ in an empty directory
  });

  it('--mem-file GUEST=HOSTFILE places copies in memory, making their directory a preopen', () => {
    const { sandbox } = layout();
    const r = cli(['run', '--mem-file', `/sandbox/hello.txt=${join(sandbox, 'hello.txt')}`,
      '--mem-file', `/sandbox/sub/inner.txt=${join(sandbox, 'sub/inner.txt')}`, guestPath('fs_basic')]);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status).toBe(0);
    const into = cli(['run', '--mem-dir', '/sandbox', '--mem-file', `/sandbox/hello.txt=${join(sandbox, 'hello.txt')}`,
      '--mem-file', `/sandbox/sub/inner.txt=${join(sandbox, 'sub/inner.txt')}`, guestPath('fs_fdflags')]);
    expect(into.stdout).not.toContain('FAIL');
    expect(into.status).toBe(0);
  });

  const BAD_FS: [what: string, args: () => string[], message: RegExp][] = [
    ['a missing --dir', () => ['run', '--dir', '/no/such/dir::/x', guestPath('hello')], /^wasi-trace: host directory \/no\/such\/dir does not exist\n$/],
    ['a missing --dir on node:wasi', () => ['run', '--runtime', 'node', '--dir', '/no/such/dir', guestPath('hello')], /^wasi-trace: host directory \/no\/such\/dir does not exist\n$/],
    ['--mem-dir on node:wasi', () => ['run', '--runtime', 'node', '--mem-dir', '/m', guestPath('hello')], /^wasi-trace: --runtime node cannot use the in-memory directory \/m \(builtin runtime only\)\n$/],
    ['a malformed --mem-file', () => ['run', '--mem-file', '/x/y', guestPath('hello')], /^wasi-trace: --mem-file \/x\/y: expected GUEST=HOSTFILE\n$/],
  ];
  for (const [what, args, message] of BAD_FS) {
    it(`rejects ${what} with one line and exit 2`, () => {
      const r = cli(args());
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
