// End-to-end smoke tests: the built CLI (dist/cli/main.js) as its own process, as a user starts it: the commands
// that run a guest (run, record, replay, whose worker thread cli/main.ts starts first), exit codes and one-line
// errors from a real process, and what only a process has: signals, a module on stdin or /dev/fd, a pipe closed
// under it. The inspectors' output (dump, info, stats, diff, export, --help) is the same in-process (wt()), where
// it is checked here and in the other files of test/cli and test/inspect; a process starts in about 0.4 s of CPU.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceReader } from '../../src/trace/reader.js';
import { cli, cliPath, guestPath, recordLikeCli, repoRoot, until, wt } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('e2e');
const FS = 'traces/inspect_fs-v1.bin';
const CR = 'traces/clock_random-v1.bin';
const inRepo = { cwd: repoRoot };
const lines = (s: string) => s.split('\n').filter(Boolean);

describe('each command as a process', () => {
  it('run --runtime node: node:wasi, without its ExperimentalWarning (a guest that returns from main)', () => {
    expect(cli(['run', '--runtime', 'node', guestPath('hello')])).toEqual({ status: 0, stdout: 'hello, world\n', stderr: 'hello, stderr\n' });
  });

  it('run (module on stdin): the guest\'s stdout, stderr and exit code', () => {
    expect(cli(['run', '-', '5'], { input: readFileSync(guestPath('hello')) })).toEqual({ status: 5, stdout: 'hello, world\n', stderr: 'hello, stderr\n' });
  });

  it('record (module on stdin, default output trace.bin) then replay: the same bytes and exit', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    const rec = cli(['record', '-', '4'], { cwd, input: readFileSync(guestPath('hello')) });
    expect(rec).toEqual({ status: 4, stdout: 'hello, world\n', stderr: 'hello, stderr\n' });
    expect(readdirSync(cwd)).toEqual(['trace.bin']);
    const trace = join(cwd, 'trace.bin');
    const reader = await TraceReader.open(trace);
    expect(reader.header).toMatchObject({ argv: ['<stdin>', '4'], runtime: 'builtin', module: { name: '<stdin>' } });
    expect(reader.footer).toMatchObject({ calls: 6, end: { kind: 'exit', code: 4 } });
    expect(await wt(['replay', trace])).toEqual(rec);
  });

  it('record reads a module from /dev/fd/N (bash process substitution) and gives the guest its stdin', async () => {
    const trace = join(dir, 'devfd.bin');
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cliPath}" record -o "${trace}" <(cat "${guestPath('stdin_echo')}")`], { encoding: 'utf8', input: 'piped input\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('piped input');
    expect((await TraceReader.open(trace)).header).toMatchObject({ module: { name: expect.stringMatching(/^\/dev\/fd\/\d+$/) } });
    expect(await wt(['replay', trace])).toEqual({ status: 0, stdout: r.stdout, stderr: r.stderr });
  });

  it('dump prints the listing', async () => {
    expect(await wt(['dump', 'traces/hello-v1.bin'])).toEqual({ status: 0, stdout: readFileSync(join(repoRoot, 'traces/hello-v1.dump'), 'utf8'), stderr: '' });
  });

  it('dump stops quietly when the reader of its output goes away', async () => {
    const storm = join(dir, 'storm.bin');
    // 20000 calls: a listing of about 1.5 MB, many times what a pipe holds, so dump is still writing when head exits
    expect((await recordLikeCli({ module: guestPath('storm'), args: ['20000'], output: storm })).end).toEqual({ kind: 'exit', code: 0 });
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cliPath}" dump "${storm}" | head -n 2; exit \${PIPESTATUS[0]}`], { encoding: 'utf8' });
    expect(lines(r.stdout)).toHaveLength(2);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('info, stats, diff and export', async () => {
    const info = await wt(['info', '--json', FS]);
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ calls: 19, end: { kind: 'exit', code: 3 } });
    const stats = await wt(['stats', CR]);
    expect(stats).toMatchObject({ status: 0, stderr: '' });
    expect(stats.stdout).toMatch(/^ended: exit code 0$/m);
    const diff = await wt(['diff', FS, CR]);
    expect(diff.status).toBe(1);
    expect(diff.stdout).toMatch(/^the runs differ in behaviour at event #0 of a: only a makes this call\n  a: #0 path_open\(/m);
    const out = join(dir, 'timeline.json');
    expect(await wt(['export', FS, '-o', out])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(JSON.parse(readFileSync(out, 'utf8')).traceEvents.filter((e: { ph: string }) => e.ph === 'X')).toHaveLength(19);
  });

  it('--help prints on stdout and exits 0', async () => {
    const help = await wt(['--help']);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^wasi-trace <command> \[options\]\n/);
  });
});

describe('bad input in a real process: one line, no stack trace, exit 2', () => {
  // in-process: dump of a missing trace (an inspector: the same in a process); replay, whose reader thread
  // cli/main.ts starts before the command line is read, runs as a process
  const CASES: [what: string, args: string[], message: RegExp, inProcess?: true][] = [
    ['an unknown command', ['frobnicate'], /^wasi-trace: Unknown argument: frobnicate\n$/],
    ['dump of a missing trace', ['dump', 'no-such.bin'], /^wasi-trace: cannot read trace no-such\.bin: no such file\n$/, true],
    ['replay of a file that is not a trace', ['replay', 'package.json'], /^wasi-trace: package\.json is not a wasi-trace file/],
  ];
  for (const [what, args, message, inProcess] of CASES) {
    it(what, async () => {
      const r = inProcess ? await wt(args) : cli(args, inRepo);
      expect(r.stderr).toMatch(message);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    });
  }

  it('record of a guest that cannot start (found on the guest thread): one line, exit 2, no trace left behind', () => {
    const d = mkdtempSync(join(dir, 'bad-'));
    const r = cli(['record', '-o', join(d, 't.bin'), guestPath('unknown_import')]);
    expect(r.stderr).toMatch(/^wasi-trace: .*imports env\.mystery \(function\), which the runtime does not provide \(the API can supply it: run\/record\(\{ imports: \{ "env": \{ "mystery": \.\.\. \} \} \}\)\)\n$/);
    expect(r.status).toBe(2);
    expect(readdirSync(d)).toEqual([]);
  });
});

/** A long recording: a call storm (the writer always busy), or a guest that sleeps 100 ms between its calls. */
const LONG = { storm: [guestPath('storm'), '2000000000'], sleeper: [guestPath('sleeper'), '1000', '100'] };

/**
 * Starts a long recording and sends `signal` once its temporary trace holds at least one frame of calls (looked
 * for whenever the directory changes: the recording writes its frames there).
 */
async function interruptedRecording(signal: NodeJS.Signals, guest: keyof typeof LONG = 'storm'): Promise<{ status: number | null; stderr: string; trace: string; dir: string }> {
  const d = mkdtempSync(join(dir, 'sig-'));
  const trace = join(d, 'cut.bin');
  const changed = watch(d);
  const child = spawn(process.execPath, [cliPath, 'record', '-o', trace, ...LONG[guest]], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
  try {
    await until('the recording to write its first frame', async () => {
      const tmp = readdirSync(d).find((f) => f.endsWith('.tmp'));
      return tmp !== undefined && await holdsAFrame(join(d, tmp));
    }, [[changed, 'change']]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    changed.close();
  }
  child.kill(signal);
  return { status: await exited, stderr, trace, dir: d };
}

/** Whether the (temporary) trace at `path` has a complete frame of events (false while it has not even a header). */
async function holdsAFrame(path: string): Promise<boolean> {
  try {
    const reader = await TraceReader.open(path);
    try {
      return !reader.frames().next().done;
    } finally {
      reader.close();
    }
  } catch {
    return false;
  }
}

describe('recordings cut short', () => {
  // SIGINT stops a call storm (the writer always busy), SIGTERM a guest asleep in poll_oneoff: each kind of run once
  for (const [signal, code, guest] of [['SIGINT', 130, 'storm'], ['SIGTERM', 143, 'sleeper']] as const) {
    it(`${signal} finishes a valid trace that says how the run ended (${guest})`, async () => {
      const r = await interruptedRecording(signal, guest);
      expect(r.status).toBe(code);
      expect(r.stderr).toBe(`wasi-trace: recording stopped by ${signal}; the trace holds every call made before it\n`);
      const reader = await TraceReader.open(r.trace);
      expect(reader.ending).toEqual({ complete: true });
      expect(reader.footer).toMatchObject({ end: { kind: 'signal', signal } });
      const rep = await wt(['replay', '-q', r.trace]);
      expect(rep.stderr).toMatch(new RegExp(`^wasi-trace: the trace ends after \\d+ calls: the recording was stopped \\(signal ${signal}\\); replay stopped there \\(recorded end: signal ${signal}\\)\\n$`));
      expect(rep.status).toBe(code);
    }, 60_000);
  }

  it('after SIGKILL the temporary file is readable and replay says where it ends', async () => {
    const r = await interruptedRecording('SIGKILL');
    expect(existsSync(r.trace)).toBe(false);
    const tmp = readdirSync(r.dir).find((f) => f.endsWith('.tmp'))!;
    const rep = await wt(['replay', '-q', join(r.dir, tmp)]);
    expect(rep.stderr).toMatch(/^wasi-trace: the trace ends after \d+ calls: .*cut short.* \(at offset \d+\); replay stopped there/);
    expect(rep.status).toBe(124);
  }, 60_000);
});

describe('esbuild as a new user would record it', () => {
  it('bundles a project, then replays with the module and the project deleted: identical bytes and exit', async () => {
    const work = mkdtempSync(join(dir, 'esbuild-'));
    const project = join(work, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(project, 'src', `m${i}.js`), `export const v${i} = ${i} * 7;\n`);
    writeFileSync(join(project, 'src', 'index.js'),
      `${Array.from({ length: 20 }, (_, i) => `import { v${i} } from './m${i}.js';`).join('\n')}\nconsole.log(${Array.from({ length: 20 }, (_, i) => `v${i}`).join(' + ')});\n`);
    const module = join(work, 'esbuild.wasm');
    cpSync(join(repoRoot, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm'), module);
    const trace = join(work, 'esbuild.bin');
    const rec = cli(['record', '-o', trace, '--dir', `${project}::/`, module, '--bundle', '/src/index.js', '--format=esm']);
    expect(rec.status).toBe(0);
    expect(rec.stdout).toMatch(/console\.log\(v0 \+ v1/);
    rmSync(project, { recursive: true });
    rmSync(module);
    const rep = await wt(['replay', '--verify', trace]);
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.status).toBe(0);
    expect(rep.stderr).toMatch(/^wasi-trace: verified: /m);
  }, 60_000);
});
