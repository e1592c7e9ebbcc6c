// Record then replay, as a user: each guest is recorded in-process as `wasi-trace record` records it
// (src/record, baseline tier) and replayed by the CLI's replay command in-process (cli/app.ts): the same bytes,
// the same exit. Then bad traces and flags. The CLI's own recording pipeline (its guest thread), signals and
// node:wasi need a process of their own: see e2e.test.ts and node.test.ts.
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exitFor } from '../../cli/exit.js';
import { UserError } from '../../src/errors.js';
import { record } from '../../src/record/record.js';
import type { RecordedEnd } from '../../src/trace/header.js';
import { guestPath, recordLikeCli, wt } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('cli');
let n = 0;
const tracePath = () => join(dir, `t${n++}.bin`);

/** What `wasi-trace record` itself would add for this end: its exit code, and its stderr line for a trap. */
function cliEnd(end: RecordedEnd): { status: number; note: string } {
  if (end.kind !== 'exit' && end.kind !== 'trap') throw new Error(`the recording did not end with the guest: ${JSON.stringify(end)}`);
  let note = '';
  const status = exitFor(end, { stderr: (b) => { note += Buffer.from(b).toString(); } });
  return { status, note };
}

/** Guests with their args and stdin (the node:wasi runs of these are in node.test.ts). */
const GUESTS: [name: string, args: string[], stdin: string][] = [
  ['hello', ['3'], ''],
  ['args_env', ['a', '--flag', 'ünï'], ''],
  ['clock_random', [], ''],
  ['trap', [], ''],
  ['stdin_echo', [], 'piped input\n'],
  ['exitcode', ['5'], ''],
  ['poll_sleep', [], ''],
  ['badptr', [], ''],
  ['sock', [], ''],
  ['renumber_stdout', [], ''], // stdout moved to fd 2: replay must still print it on stdout
];

describe('record then replay, as a user', () => {
  for (const [name, args, stdin] of GUESTS) {
    it(`${name}: replay prints the same bytes and exits the same`, async () => {
      const trace = tracePath();
      const rec = await recordLikeCli({ module: guestPath(name), args, env: ['K=v'], stdin: Buffer.from(stdin), output: trace });
      const { status, note } = cliEnd(rec.end);
      const rep = await wt(['replay', trace]);
      expect(rep).toEqual({ status, stdout: rec.stdout, stderr: rec.stderr + note });
    });
  }

  it('replays without the module file: it travels inside the trace', async () => {
    const module = join(dir, 'copy.wasm');
    copyFileSync(guestPath('clock_random'), module);
    const trace = tracePath();
    const rec = await recordLikeCli({ module, output: trace });
    rmSync(module);
    const rep = await wt(['replay', '--verify', trace]);
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.stderr).toMatch(/^wasi-trace: verified: guest memory matches the recording after \d+ calls\n$/);
    expect(rep.status).toBe(0);
  });

  it('replay -q leaves out the guest\'s output but keeps the exit and the notes', async () => {
    const trace = tracePath();
    await recordLikeCli({ module: guestPath('trap'), output: trace });
    expect(await wt(['replay', '-q', trace])).toEqual({ status: 134, stdout: '', stderr: 'wasi-trace: guest trapped: unreachable\n' });
  });
});

describe('bad traces and flags', () => {
  let good: string;
  beforeAll(async () => {
    good = tracePath();
    await recordLikeCli({ module: guestPath('clock_random'), output: good });
  });

  const cases: [string, () => string, RegExp][] = [
    ['a missing trace', () => join(dir, 'nope.bin'), /^wasi-trace: cannot read trace .*nope\.bin: no such file\n$/],
    ['a file that is not a trace', () => guestPath('hello'), /not a wasi-trace file/],
    ['a trace with a flipped bit', () => { const b = readFileSync(good); b[b.length >> 1]! ^= 0x10; const p = tracePath(); writeFileSync(p, b); return p; }, /offset \d+/],
  ];
  for (const [what, make, message] of cases) {
    it(`replay of ${what}: one clear line, non-zero exit`, async () => {
      const r = await wt(['replay', make()]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.status).not.toBe(0);
    });
  }

  it('replay without a trace: one line, exit 2', async () => {
    expect(await wt(['replay'])).toEqual({ status: 2, stdout: '', stderr: 'wasi-trace: missing the trace file (see wasi-trace replay --help)\n' });
  });

  it('record into a directory that does not exist: one line, exit 2', async () => {
    const r = await wt(['record', '-o', join(dir, 'no/such/dir/t.bin'), guestPath('hello')]);
    expect(r.stderr).toMatch(/^wasi-trace: cannot write trace .*: directory .*no\/such\/dir does not exist\n$/);
    expect(r.status).toBe(2);
  });

  it('record of a module that is missing: one line, exit 2, no trace', async () => {
    const out = join(dir, 'missing-module.bin');
    expect(await wt(['record', '-o', out, 'no-such.wasm'])).toEqual({ status: 2, stdout: '', stderr: 'wasi-trace: cannot read module no-such.wasm: no such file\n' });
    expect(readdirSync(dir).filter((f) => f.startsWith('missing-module'))).toEqual([]);
  });

  it('record of a guest without _start: UserError, no trace left behind (the CLI: e2e.test.ts)', async () => {
    const d = tempDir('bad');
    const err = await record({ module: guestPath('no_start'), output: join(d, 't.bin') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/has no _start function/);
    expect(readdirSync(d)).toEqual([]);
  });

  it('record rejects a compression level outside 1-9', async () => {
    for (const level of ['12', '0', '2.5', 'abc']) {
      expect(await wt(['record', '--level', level, '-o', tracePath(), guestPath('hello')])).toEqual({ status: 2, stdout: '', stderr: `wasi-trace: --level ${level}: expected a whole number from 1 to 9\n` });
    }
  });

  it('replay warns when the trace was recorded with another compiler tier (--optimize)', async () => {
    const trace = tracePath();
    await recordLikeCli({ module: guestPath('hello'), output: trace });
    expect((await wt(['replay', trace])).stderr).toBe('hello, stderr\n');
    const r = await wt(['--optimize', 'replay', trace]);
    expect(r.stdout).toBe('hello, world\n');
    expect(r.stderr).toMatch(/^wasi-trace: warning: recorded with the baseline compiler tier, replaying with the optimizing one/);
  });

  it('a divergence exits 125 with a report', async () => {
    const trace = tracePath();
    await recordLikeCli({ module: guestPath('variant_a'), output: trace });
    const r = await wt(['replay', '--module', guestPath('variant_b'), trace]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/replay diverged at event #\d+: fd_write was called with other data\n  expected: fd_write\(fd=1, iovs="variant A/);
    expect(r.stderr).toMatch(/warning: .*differs from the recorded module/);
  });
});
