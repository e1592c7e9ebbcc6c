// The command line reading unbounded or odd inputs, replaying a recording that failed, and replaying into output
// that is closed or full. Output names, full disks and SIGKILL: robust-output.test.ts. Inputs that a regression
// would read forever or block on run as a process (with a timeout); recordings to set up run in-process.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TraceReader } from '../../src/trace/reader.js';
import { TraceWriter } from '../../src/trace/writer.js';
import { cli, cliPath, guestPath, wt, type CliResult } from '../helpers.js';
import { cliTo, fresh } from './robust-helpers.js';

describe('unbounded inputs are refused at once', () => {
  it('record /dev/zero and replay --module /dev/zero: not a module (checked on its first bytes)', async () => {
    const trace = join(fresh(), 't.bin');
    expect((await wt(['record', '-o', trace, guestPath('hello')])).status).toBe(0);
    for (const args of [['record', '-o', join(fresh(), 'x.bin'), '/dev/zero'], ['replay', '--module', '/dev/zero', trace]]) {
      const r = cli(args, { timeout: 20_000 });
      expect(r.stderr).toBe('wasi-trace: /dev/zero is not a WebAssembly module (no \\0asm header)\n');
      expect(r.status).toBe(2);
    }
  });

  it('a module file larger than V8 compiles (1 GiB) is refused without reading it', () => {
    const big = join(fresh(), 'big.wasm');
    fs.writeFileSync(big, fs.readFileSync(guestPath('hello')));
    fs.truncateSync(big, 2 ** 30 + 1); // sparse
    const r = cli(['run', big], { timeout: 20_000 });
    expect(r.stderr).toBe(`wasi-trace: ${big} is larger than 1 GiB, the largest module V8 compiles\n`);
    expect(r.status).toBe(2);
  });

  it('a trace that is a FIFO: info, dump and replay refuse it instead of waiting for a writer', () => {
    const fifo = join(fresh(), 'fifo.bin');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const command of ['info', 'dump', 'replay']) {
      const r = cli([command, fifo], { timeout: 20_000 });
      expect(r.stderr).toBe(`wasi-trace: cannot read trace ${fifo}: it is a FIFO (pipe), not a regular file (save the trace to a file first)\n`);
      expect(r.status).toBe(2);
    }
  });
});

describe('replay of a recording that failed', () => {
  it('says where the recording failed and exits 123 (not a divergence)', async () => {
    const d = fresh();
    const good = join(d, 'good.bin');
    expect((await wt(['record', '-o', good, guestPath('hello')])).status).toBe(0);
    // The same trace with the footer of a recording whose host failed after the guest's last call.
    const reader = await TraceReader.open(good);
    const failed = join(d, 'failed.bin');
    const w = await TraceWriter.create(failed, reader.header as unknown as Record<string, unknown>, reader.module, { level: 1 });
    for (const f of reader.frames()) w.appendEvents(f.payload, f.count);
    w.finish({ end: { kind: 'error', message: 'data is too long' }, calls: reader.footer!.calls });
    const r = await wt(['replay', failed]);
    expect(r.stdout).toBe('hello, world\n');
    expect(r.stderr).toBe(`hello, stderr\nwasi-trace: the recording failed here: data is too long (the replay reproduced the ${reader.footer!.calls} calls before it)\n`);
    expect(r.status).toBe(123);
  });
});

describe('replay whose own output is closed or full: no divergence, the recorded end', () => {
  const d = fresh();
  const trace = join(d, 'echo.bin');
  const input = Buffer.alloc(3_000_000);
  for (let i = 0; i < input.length; i++) input[i] = (i * 131 + (i >> 12)) & 0xff;
  const guestStderr = '\nread 3000000 bytes\n';
  let rec: CliResult;
  beforeAll(async () => { rec = await wt(['record', '-o', trace, guestPath('stdin_echo')], input); });

  it('recorded as expected', () => {
    expect(rec.status).toBe(0);
    expect(rec.stderr).toBe(guestStderr);
  });

  it('replay | head -c 100: the rest of stdout is dropped, the replay ends as recorded (exit 0)', async () => {
    const child = spawn(process.execPath, [cliPath, 'replay', trace], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => { stderr += b; });
    const status = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Read 100 bytes, then close the pipe (3 MB cannot all sit in a pipe: the replay is still writing).
    const first = await new Promise<Buffer>((r) => child.stdout.once('data', (b: Buffer) => r(b)));
    expect(first.length).toBeGreaterThan(0);
    child.stdout.destroy();
    expect(await status).toBe(0);
    expect(stderr).toBe(guestStderr);
  }, 60_000);

  it('replay > /dev/full: one warning, the rest of stdout dropped, exit 0', () => {
    const r = cliTo(['replay', trace], '/dev/full');
    expect(r.stderr).toBe("wasi-trace: warning: cannot write the guest's stdout (no space left on device); the replay goes on without it\n" + guestStderr);
    expect(r.status).toBe(0);
  });

  it('replay with its stderr closed early: stdout complete, exit 0', async () => {
    const child = spawn(process.execPath, [cliPath, 'replay', trace], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.destroy(); // the guest's stderr line at the end gets EPIPE
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    const status = await new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    expect(status).toBe(0);
    expect(Buffer.concat(out).equals(input)).toBe(true);
  }, 60_000);

  it('replay 2> /dev/full: stdout complete, exit 0', () => {
    const out = join(d, 'out.txt');
    const r = cliTo(['replay', trace], out, { stderrTo: '/dev/full' });
    expect(r.status).toBe(0);
    expect(fs.readFileSync(out).equals(input)).toBe(true);
  });
});
