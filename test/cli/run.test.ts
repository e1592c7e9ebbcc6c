// `wasi-trace run`: the same guests on both runtimes, the command line split, and every bad input as one line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli, guestPath } from '../helpers.js';

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
