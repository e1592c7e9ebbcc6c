// The command line writing its results when things go wrong: a recording killed with SIGKILL, a full disk, and
// output names that are devices, FIFOs, symlinks or directories. Every wait is for an observable condition, with
// a generous bound (never a fixed sleep). Inputs and replay's own output: robust-input.test.ts. What needs no
// process of its own (reading what was left, output files the command opens itself) runs in-process (wt()).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fdSink } from '../../cli/output.js';
import { EXIT_OUTPUT } from '../../src/errors.js';
import { cli, cliPath, guestPath, recordLikeCli, wt, type CliResult } from '../helpers.js';
import { cliTo, device, framed, fresh, isRoot, oneLine, until } from './robust-helpers.js';

describe('SIGKILL keeps the calls of all but the last fraction of a second', () => {
  it('a slow guest killed after its first calls leaves a .tmp that dump and replay read with those calls', async () => {
    const d = fresh();
    const trace = join(d, 'slow.bin');
    // 1000 ticks of 100 ms: about 2 calls every 100 ms, so its first chunk would take hours to fill.
    const changed = fs.watch(d); // the recording writes its frames in d
    const child = spawn(process.execPath, [cliPath, 'record', '-o', trace, guestPath('sleeper'), '1000', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (b) => { stdout += b; });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    try {
      await until('the guest to print its third tick', () => stdout.includes('tick 2\n'), [[child.stdout, 'data']]);
      const tmp = () => fs.readdirSync(d).find((f) => f.endsWith('.tmp'));
      // The fd_write of tick 2 (its data is in the event) is in a frame within about 250 ms.
      await until('the temporary trace to hold the call that wrote tick 2', async () => !!tmp() && (await framed(join(d, tmp()!))).includes('tick 2\n'), [[changed, 'change']]);
    } finally {
      changed.close();
      child.kill('SIGKILL');
      await exited;
    }
    const tmp = join(d, fs.readdirSync(d).find((f) => f.endsWith('.tmp'))!);
    const dump = await wt(['dump', tmp]);
    expect(dump.stdout).toMatch(/^#\d+ fd_write\(fd=1<stdout>, iovs="tick 0\\n"\) = ESUCCESS \(nwritten=7\)$/m);
    expect(dump.stdout).toMatch(/fd_write\(fd=1<stdout>, iovs="tick 2\\n"\)/);
    expect(dump.stdout).toMatch(/\+\+\+ the trace ends early, at offset \d+: .* \+\+\+\n$/);
    const rep = await wt(['replay', tmp]);
    expect(rep.stdout.startsWith('tick 0\ntick 1\ntick 2\n')).toBe(true);
    expect(rep.status).toBe(124);
  }, 90_000);
});

describe('a full disk: one line, exit 74, the guest stopped', () => {
  it('record -o a full device (written straight)', async () => {
    const full = device('full');
    const r = await wt(['record', '-o', full, guestPath('storm'), '50000000']);
    const name = full.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(r.stderr).toMatch(new RegExp(`^wasi-trace: no space left on device writing ${name}; the recording was stopped after \\d+ calls\n$`));
    expect(fs.statSync(full).isCharacterDevice()).toBe(true);
    expect(r.status).toBe(EXIT_OUTPUT);
    expect(r.stdout).toBe(''); // storm prints only at its end: it was stopped
  });

  /**
   * Mounts a tmpfs of `kib` KiB (as root, or in a user namespace); undefined when this system allows neither.
   * `run` records into it as `trace` (in-process as root, else a process in the namespace's directory).
   */
  function tinyFs(kib: number): { dir: string; trace: string; run: (args: string[]) => Promise<CliResult>; done: () => void } | undefined {
    const dir = fresh();
    const mount = `mount -t tmpfs -o size=${kib}k tmpfs '${dir}'`;
    if (isRoot && spawnSync('sh', ['-c', mount]).status === 0) {
      return { dir, trace: join(dir, 'trace.bin'), run: (args) => wt(args), done: () => void spawnSync('umount', [dir]) };
    }
    // Without root: a private mount namespace, where the tmpfs lives as long as the one command.
    if (spawnSync('unshare', ['-rm', 'sh', '-c', mount]).status !== 0) return undefined;
    const quoted = (args: string[]) => [process.execPath, cliPath, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    return {
      dir,
      trace: 'trace.bin',
      run: async (args) => {
        const r = spawnSync('unshare', ['-rm', 'sh', '-c', `${mount} && cd '${dir}' && exec ${quoted(args)}`], { encoding: 'utf8' });
        return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
      },
      done: () => {},
    };
  }

  it('record onto a full file system keeps the complete frames as a cut-short trace, and says where', async () => {
    const fsys = tinyFs(1024); // room for a few frames of storm (~250 KB each: ~0.35 bytes a call)
    if (!fsys) {
      // No way to mount one here: test/record/robust.test.ts simulates the full disk in-process instead.
      expect(isRoot).toBe(false);
      return;
    }
    try {
      const r = await fsys.run(['record', '-o', fsys.trace, guestPath('storm'), '50000000']);
      const name = fsys.trace.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const m = new RegExp(`^wasi-trace: no space left on device writing ${name}; the recording was stopped after (\\d+) calls \\(the calls written before it are kept in (.*\\.tmp), a trace cut short that replay and dump read\\)\n$`).exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(r.status).toBe(EXIT_OUTPUT);
      if (isRoot) {
        // Still mounted: read what was kept.
        expect(fs.existsSync(join(fsys.dir, 'trace.bin'))).toBe(false);
        const rep = await wt(['replay', '-q', m![2]!]);
        expect(rep.stderr).toMatch(/^wasi-trace: the trace ends after \d+ calls: .*cut short/);
        expect(rep.status).toBe(124);
        expect((await wt(['dump', '--to', '20', m![2]!])).stdout).toMatch(/^#\d+ clock_time_get\(id=MONOTONIC, precision=1\) = ESUCCESS/m);
      }
    } finally {
      fsys.done();
    }
  }, 60_000);

  it('export -o a full device, dump > /dev/full, info > /dev/full: one line each, exit 74', async () => {
    const trace = join(fresh(), 't.bin');
    // 5000 calls: dump and export have several 64 KiB flushes (cli/output.ts) to write when their first one fails
    expect((await recordLikeCli({ module: guestPath('storm'), args: ['5000'], output: trace })).end).toEqual({ kind: 'exit', code: 0 });
    const full = device('full');
    /** In-process, writing stdout as the CLI writes its own (cli/output.ts), onto /dev/full. */
    const toFull = async (args: string[]) => {
      const fd = fs.openSync('/dev/full', 'w');
      try { return await wt(args, '', fdSink(fd, 'stdout')); } finally { fs.closeSync(fd); }
    };
    const cases: [string, CliResult][] = [
      [full, await wt(['export', '-o', full, trace])],
      ['stdout', cliTo(['dump', trace], '/dev/full')], // one as a process: its own stdout is the full device
      ['stdout', await toFull(['info', trace])],
      ['stdout', await toFull(['export', trace])],
    ];
    for (const [name, r] of cases) {
      expect(r.stderr).toBe(`wasi-trace: no space left on device writing ${name}\n`);
      expect(r.status).toBe(EXIT_OUTPUT);
    }
  }, 60_000);
});

describe('output names: rename only onto a regular file or a missing name', () => {
  const trace = join(fresh(), 'source.bin');
  beforeAll(async () => { expect((await wt(['record', '-o', trace, guestPath('hello')])).status).toBe(0); });

  it('a character device is written straight, never replaced', async () => {
    const target = device('null');
    const d = join(target, '..');
    expect(fs.statSync(target).isCharacterDevice()).toBe(true);
    for (const args of [['record', '-o', target, guestPath('hello')], ['export', '-o', target, trace]]) {
      const r = await wt(args);
      expect(r.status, r.stderr).toBe(0);
      expect(fs.statSync(target).isCharacterDevice()).toBe(true);
    }
    if (target !== '/dev/null') expect(fs.readdirSync(d)).toEqual(['null']); // no temporary file left beside it
  });

  it('a FIFO is written straight: its reader gets the whole trace', async () => {
    const d = fresh();
    const fifo = join(d, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const copy = join(d, 'copy.bin');
    const reader = spawn('sh', ['-c', `cat '${fifo}' > '${copy}'`]);
    const read = new Promise<number | null>((r) => reader.on('exit', (code) => r(code)));
    const rec = await wt(['record', '-o', fifo, guestPath('hello')]);
    expect(rec.status).toBe(0);
    expect(await read).toBe(0);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    expect(fs.readdirSync(d).sort()).toEqual(['copy.bin', 'fifo']);
    const rep = await wt(['replay', copy]);
    expect(rep.stdout).toBe('hello, world\n');
    expect(rep.status).toBe(0);
  });

  it('a symlink is followed: the file it leads to is replaced, the link stays', async () => {
    const d = fresh();
    fs.writeFileSync(join(d, 'real.bin'), 'old');
    fs.symlinkSync('real.bin', join(d, 'link.bin'));
    const r = await wt(['record', '-o', join(d, 'link.bin'), guestPath('hello')]);
    expect(r.status).toBe(0);
    expect(fs.lstatSync(join(d, 'link.bin')).isSymbolicLink()).toBe(true);
    expect((await wt(['replay', join(d, 'real.bin')])).stdout).toBe('hello, world\n');
    expect(fs.readdirSync(d).sort()).toEqual(['link.bin', 'real.bin']);
  });

  // In-process, but for the empty name, which is relative to the working directory: a process started in d.
  const refused: [string, (d: string) => string, RegExp][] = [
    ['a directory', (d) => { fs.mkdirSync(join(d, 'sub')); return join(d, 'sub'); }, /: it is a directory/],
    ['an empty name', () => '', /^wasi-trace: cannot write trace '': the name is empty/],
    ['a name ending in /', (d) => join(d, 'new') + '/', /: the name is a directory/],
    ['a symlink to nothing', (d) => { fs.symlinkSync('nothing', join(d, 'dangling')); return join(d, 'dangling'); }, /: it is a symbolic link to a file that does not exist/],
  ];
  for (const [what, make, message] of refused) {
    it(`record -o ${what}: refused before the guest runs, nothing left behind`, async () => {
      const d = fresh();
      const target = make(d);
      const before = fs.readdirSync(d).sort();
      const args = ['record', '-o', target, guestPath('hello')];
      const r = target === '' ? cli(args, { cwd: d }) : await wt(args);
      expect(r.stderr).toMatch(message);
      expect(oneLine(r)).toHaveLength(1);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe(''); // the guest never ran
      expect(fs.readdirSync(d).sort()).toEqual(before);
    });
  }

  it('export -o a directory: refused, nothing left behind', async () => {
    const d = fresh();
    const r = await wt(['export', '-o', d, trace]);
    expect(r.stderr).toMatch(/^wasi-trace: cannot write .*: it is a directory/);
    expect(r.status).toBe(2);
    expect(fs.readdirSync(d)).toEqual([]);
  });
});
