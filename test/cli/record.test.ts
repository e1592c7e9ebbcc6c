// `wasi-trace record` and `replay` as a user runs them: both runtimes, anonymous modules, signals, bad traces.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliPath, guestPath } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wasi-trace-cli-'));
let n = 0;
const tracePath = () => join(dir, `t${n++}.bin`);

/** Guests with their args and stdin; `nodeOk`: node:wasi follows the spec on it (test/guests/README.md). */
const GUESTS: [name: string, args: string[], stdin: string, nodeOk: boolean][] = [
  ['hello', ['3'], '', true],
  ['args_env', ['a', '--flag', 'ünï'], '', true],
  ['clock_random', [], '', true],
  ['trap', [], '', true],
  ['stdin_echo', [], 'piped input\n', true],
  ['exitcode', ['5'], '', true],
  ['poll_sleep', [], '', false],
  ['badptr', [], '', false],
  ['sock', [], '', false],
  ['renumber_stdout', [], '', true], // stdout moved to fd 2: replay must still print it on stdout
];

describe('record then replay, as a user', () => {
  for (const [name, args, stdin, nodeOk] of GUESTS) {
    for (const runtime of nodeOk ? ['builtin', 'node'] : ['builtin']) {
      it(`${name} on ${runtime}: replay prints the same bytes and exits the same`, () => {
        const trace = tracePath();
        const rec = cli(['record', '-o', trace, '--runtime', runtime, '--env', 'K=v', guestPath(name), ...args], { input: stdin });
        expect(existsSync(trace)).toBe(true);
        const rep = cli(['replay', trace]);
        expect(rep.stdout).toBe(rec.stdout);
        expect(rep.status).toBe(rec.status);
        expect(rep.stderr).toBe(rec.stderr);
      });
    }
  }

  it('replays without the module file: it travels inside the trace', () => {
    const module = join(dir, 'copy.wasm');
    copyFileSync(guestPath('clock_random'), module);
    const trace = tracePath();
    const rec = cli(['record', '-o', trace, module]);
    rmSync(module);
    const rep = cli(['replay', '--verify', trace]);
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.stderr).toMatch(/verified: guest memory matches/);
  });

  it('records a module read from stdin (-)', () => {
    const trace = tracePath();
    const rec = cli(['record', '-o', trace, '-', '4'], { input: readFileSync(guestPath('hello')) });
    expect(rec.status).toBe(4);
    const rep = cli(['replay', trace]);
    expect(rep.stdout).toBe('hello, world\n');
    expect(rep.status).toBe(4);
  });

  it('records a module from /dev/fd/N (bash process substitution)', () => {
    const trace = tracePath();
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cliPath}" record -o "${trace}" <(cat "${guestPath('hello')}")`], { encoding: 'utf8' });
    expect(r.stdout).toBe('hello, world\n');
    expect(cli(['replay', trace]).stdout).toBe('hello, world\n');
  });

  it('defaults to trace.bin in the current directory', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wasi-trace-cwd-'));
    cli(['record', guestPath('hello')], { cwd });
    expect(readdirSync(cwd)).toEqual(['trace.bin']);
  });
});

/** Starts a long recording and sends `signal` once its temporary trace holds at least one frame. */
async function interruptedRecording(signal: NodeJS.Signals): Promise<{ status: number | null; stderr: string; trace: string; dir: string }> {
  const d = mkdtempSync(join(tmpdir(), 'wasi-trace-sig-'));
  const trace = join(d, 'cut.bin');
  const child = spawn(process.execPath, [cliPath, 'record', '-o', trace, guestPath('storm'), '2000000000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const tmp = readdirSync(d).find((f) => f.endsWith('.tmp'));
    if (tmp && readFileSync(join(d, tmp)).length > 300_000) break;
    if (Date.now() > deadline) throw new Error('recording did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill(signal);
  const status = await new Promise<number | null>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
  return { status, stderr, trace, dir: d };
}

describe('recordings cut short', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} finishes a valid trace that says how the run ended`, async () => {
      const r = await interruptedRecording(signal);
      expect(r.status).toBe(code);
      expect(r.stderr).toMatch(new RegExp(`recording stopped by ${signal}`));
      expect(existsSync(r.trace)).toBe(true);
      const rep = cli(['replay', '-q', r.trace]);
      expect(rep.stderr).toMatch(new RegExp(`recorded end: signal ${signal}`));
      expect(rep.status).toBe(code);
    }, 60_000);
  }

  it('after SIGKILL the temporary file is readable and replay says where it ends', async () => {
    const r = await interruptedRecording('SIGKILL');
    expect(existsSync(r.trace)).toBe(false);
    const tmp = readdirSync(r.dir).find((f) => f.endsWith('.tmp'))!;
    const rep = cli(['replay', '-q', join(r.dir, tmp)]);
    expect(rep.stderr).toMatch(/^wasi-trace: the trace ends after \d+ calls: .*cut short.* \(at offset \d+\); replay stopped there/);
    expect(rep.status).toBe(124);
  }, 60_000);
});

describe('bad traces and flags', () => {
  const good = tracePath();
  cli(['record', '-o', good, guestPath('clock_random')]);

  const cases: [string, () => string, RegExp][] = [
    ['a missing trace', () => join(dir, 'nope.bin'), /^wasi-trace: cannot read trace .*nope\.bin: no such file\n$/],
    ['a file that is not a trace', () => guestPath('hello'), /not a wasi-trace file/],
    ['a trace with a flipped bit', () => { const b = readFileSync(good); b[b.length >> 1]! ^= 0x10; const p = tracePath(); writeFileSync(p, b); return p; }, /offset \d+/],
  ];
  for (const [what, make, message] of cases) {
    it(`replay of ${what}: one clear line, non-zero exit`, () => {
      const r = cli(['replay', make()]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.status).not.toBe(0);
    });
  }

  it('record into a directory that does not exist: one line, exit 2', () => {
    const r = cli(['record', '-o', join(dir, 'no/such/dir/t.bin'), guestPath('hello')]);
    expect(r.stderr).toMatch(/^wasi-trace: cannot write trace/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.status).toBe(2);
  });

  for (const [guest, message] of [['unknown_import', /imports env\.mystery/], ['no_start', /has no _start function/]] as const) {
    it(`record of a guest that cannot start (${guest}): one line, exit 2, no trace left behind`, () => {
      const d = mkdtempSync(join(tmpdir(), 'wasi-trace-bad-'));
      const r = cli(['record', '-o', join(d, 't.bin'), guestPath(guest)]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.status).toBe(2);
      expect(readdirSync(d)).toEqual([]);
    });
  }

  it('record rejects a compression level outside 1-9', () => {
    const r = cli(['record', '--level', '12', '-o', tracePath(), guestPath('hello')]);
    expect(r.stderr).toBe('wasi-trace: --level 12: use 1 to 9\n');
    expect(r.status).toBe(2);
  });

  it('replay warns when the trace was recorded with another compiler tier (--optimize)', () => {
    const trace = tracePath();
    cli(['record', '-o', trace, guestPath('hello')]);
    const r = cli(['--optimize', 'replay', trace]);
    expect(r.stdout).toBe('hello, world\n');
    expect(r.stderr).toMatch(/warning: recorded with the baseline compiler tier, replaying with the optimizing one/);
  });

  it('a divergence exits 125 with a report', () => {
    const trace = tracePath();
    cli(['record', '-o', trace, guestPath('variant_a')]);
    const r = cli(['replay', '--module', guestPath('variant_b'), trace]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/replay diverged at event #\d+: fd_write was called with other data\n  expected: fd_write\(fd=1, iovs="variant A/);
    expect(r.stderr).toMatch(/warning: .*differs from the recorded module/);
  });
});
