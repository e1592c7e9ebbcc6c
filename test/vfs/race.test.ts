// Confinement under races (issue 10 item 1): a directory inside a --dir swapped for a symlink that leads out,
// while a guest works through it, must never let anything outside be read, created or changed.
// The assertions count escapes only (zero, whatever the scheduling); the rounds are bounded.
// Rounds: 20,000 each with WASI_TRACE_LONG=1 (the number); in an ordinary `npm test` 500 for the host
// race (direct runtime calls) and 500 for the two guests (whose cost is mostly starting two CLIs).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Errno, OFlags } from '../../src/abi/index.js';
import { openHostDirectory } from '../../src/vfs/host/index.js';
import { cliPath, guestPath } from '../helpers.js';
import { hostLayout, SECRET } from './backends.js';
import { Driver } from './driver.js';

const LONG = process.env.WASI_TRACE_LONG === '1';
const ROUNDS = LONG ? 20_000 : 500;
const GUEST_ROUNDS = LONG ? 20_000 : 500;
const INSIDE = 'inside the sandbox\n';

/**
 * The host helper: swaps `race` between the directory `race_dir` and the symlink `race_link` (-> ../outside) by
 * renames, as fast as it can, until the file `stop` appears.
 */
const SWAPPER = `
const fs = require('fs');
const [dir, stop] = process.argv.slice(1);
const race = dir + '/race', rd = dir + '/race_dir', rl = dir + '/race_link';
const mv = (a, b) => { try { fs.renameSync(a, b); } catch {} };
process.stdout.write('ready\\n');
let i = 0;
for (;; i++) {
  mv(rd, race); mv(race, rd); mv(rl, race); mv(race, rl);
  if ((i & 63) === 0 && fs.existsSync(stop)) break;
}
`;

let root: string;
let sandbox: string;
let outside: string;
let before: { names: string[]; stat: fs.BigIntStats };
const children: ChildProcess[] = [];

beforeEach(() => {
  ({ root, sandbox, outside } = hostLayout());
  before = snapshotOutside();
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

/** What `outside` holds: its entry names and the secret's lstat. */
function snapshotOutside(): { names: string[]; stat: fs.BigIntStats } {
  return { names: fs.readdirSync(outside).sort(), stat: fs.lstatSync(join(outside, 'secret.txt'), { bigint: true }) };
}

/** Asserts that nothing in `outside` was created, removed or changed, and that no sandbox entry is the secret. */
function expectOutsideUntouched(): void {
  const now = snapshotOutside();
  expect(now.names).toEqual(before.names);
  expect(fs.readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe(SECRET);
  for (const k of ['ino', 'size', 'nlink', 'mtimeNs', 'ctimeNs', 'mode'] as const) {
    expect(now.stat[k], `secret.txt ${k}`).toBe(before.stat[k]);
  }
  // A hard link to the secret made inside the sandbox would be a read handed to the guest.
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else expect(fs.lstatSync(p, { bigint: true }).ino, p).not.toBe(before.stat.ino);
    }
  };
  walk(sandbox);
}

/** Starts the swapper on `sandbox`; resolves once it is swapping. `stop()` ends it and gives its exit code. */
async function startSwapper(): Promise<{ stop(): Promise<number | null> }> {
  const stopFile = join(root, 'stop');
  const child = spawn(process.execPath, ['-e', SWAPPER, sandbox, stopFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const exited = new Promise<number | null>((ok) => child.on('exit', ok));
  let out = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (s: string) => { out += s; if (out.includes('ready\n')) ok(); });
    void exited.then((code) => fail(new Error(`swapper exited early (${code})`)));
  });
  return {
    stop: async () => {
      fs.writeFileSync(stopFile, '');
      return exited;
    },
  };
}

describe('a directory swapped for a symlink to ../outside by a host process', () => {
  it(`never lets a guest read, create or change anything outside (${ROUNDS} rounds)`, async () => {
    fs.mkdirSync(join(sandbox, 'race_dir'));
    fs.writeFileSync(join(sandbox, 'race_dir', 'secret.txt'), INSIDE);
    fs.symlinkSync('../outside', join(sandbox, 'race_link'));
    const d = new Driver({ preopens: [{ guestPath: '/sandbox', dir: openHostDirectory(sandbox) }] });
    const swapper = await startSwapper();
    const escapes: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = d.readFile(3, 'race/secret.txt');
      if (r.text.includes('TOP-SECRET')) escapes.push(`read the secret in round ${i}`);
      const st = d.filestat(3, 'race/secret.txt', false);
      if (st.stat && st.stat.ino === before.stat.ino) escapes.push(`stat the secret in round ${i}`);
      const c = d.open(3, `race/c${i}`, { oflags: OFlags.CREAT | OFlags.EXCL });
      if (c.errno === Errno.SUCCESS) d.call('fd_close', c.fd);
      d.pathOp('path_create_directory', 3, `race/m${i}`);
      d.symlink('x', 3, `race/s${i}`);
      d.link(3, 'race/secret.txt', 3, `l${i}`);
      const t = d.open(3, 'race/secret.txt', { oflags: OFlags.TRUNC });
      if (t.errno === Errno.SUCCESS) d.call('fd_close', t.fd);
    }
    expect(await swapper.stop()).toBe(0);

    expect(escapes).toEqual([]);
    expectOutsideUntouched();
    expect(d.internalErrors).toEqual([]);
  }, 120_000);
});

/** Runs the CLI in the background: its stdout and stderr so far, a wait for text in them, and its exit code. */
function cliChild(args: string[]): { child: ChildProcess; output: () => string; seen(until: string): Promise<void>;
  exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => { out += s; });
  child.stderr!.on('data', (s: string) => { out += s; });
  const exited = new Promise<number | null>((ok) => child.on('close', ok));
  return {
    child,
    output: () => out,
    seen: (until) => new Promise<void>((ok) => {
      const look = (): void => { if (out.includes(until)) ok(); };
      child.stdout!.on('data', look);
      child.stderr!.on('data', look);
      void exited.then(() => ok());
      look();
    }),
    exited,
  };
}

describe('two confined guests sharing one --dir, with no host help', () => {
  it(`one renaming a directory back and forth with a symlink never lets the other out (${GUEST_ROUNDS} rounds)`,
    async () => {
      const dir = `${sandbox}::/d`;
      const swapper = cliChild(['run', '--dir', dir, guestPath('race'), 'swap']);
      await swapper.seen('ready\n');
      expect(swapper.output()).toBe('ready\n');
      const probe = cliChild(['run', '--dir', dir, guestPath('race'), 'probe', String(GUEST_ROUNDS)]);
      expect(await probe.exited, probe.output()).toBe(0);
      fs.writeFileSync(join(sandbox, 'stop'), ''); // the probe made it already; this is only in case it could not
      expect(await swapper.exited, swapper.output()).toBe(0);
      expect(swapper.output()).toMatch(/^ready\nswaps \d+\n$/);
      const m = /^probe rounds=(\d+) ok=(\d+) secret=(\d+)\n$/.exec(probe.output());
      expect(m, probe.output()).not.toBeNull();
      expect(Number(m![1])).toBe(GUEST_ROUNDS);
      expect(Number(m![3]), 'reads of the secret').toBe(0);
      expectOutsideUntouched();
    }, 120_000);
});
