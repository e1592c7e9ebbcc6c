// The builtin runtime on the issue-2 test guests (see test/guests/README.md for what each one checks).
import { describe, expect, it } from 'vitest';
import { runGuest } from '../helpers.js';

describe('builtin runtime guests', () => {
  it('hello writes stdout and stderr and exits with the code it is given', async () => {
    expect(await runGuest('hello')).toEqual({ end: { kind: 'exit', code: 0 }, stdout: 'hello, world\n', stderr: 'hello, stderr\n' });
    expect((await runGuest('hello', { args: ['42'] })).end).toEqual({ kind: 'exit', code: 42 });
  });

  it('args_env sees argv and the environment with UTF-8 byte lengths', async () => {
    const r = await runGuest('args_env', { args: ['a b', 'ünï', ''], env: ['K=v', 'EMPTY=', 'U=ß'] });
    expect(r.stdout).toBe('argc=4\nargv[0]=' + r.stdout.split('\n')[1]!.slice(8) +
      '\nargv[1]=a b\nargv[2]=ünï\nargv[3]=\nenv K=v\nenv EMPTY=\nenv U=ß\n');
    expect(r.stdout.split('\n')[1]).toMatch(/^argv\[0\]=.*args_env\.wasm$/);
  });

  it('clock_random: every clock works, an unknown clock is EINVAL', async () => {
    const r = await runGuest('clock_random');
    expect(r.end).toEqual({ kind: 'exit', code: 0 });
    expect(r.stdout).toMatch(/^clock realtime ok\nclock monotonic ok\nclock process_cputime ok\nclock thread_cputime ok\nclock invalid ok\nrandom [0-9a-f]{32}\ntime \d+\n$/);
    const t = BigInt(/time (\d+)/.exec(r.stdout)![1]!);
    expect(Number(t / 1_000_000n)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(t / 1_000_000n)).toBeLessThanOrEqual(Date.now());
  });

  it('random_get gives different bytes on each run', async () => {
    const a = /random (\w+)/.exec((await runGuest('clock_random')).stdout)![1];
    const b = /random (\w+)/.exec((await runGuest('clock_random')).stdout)![1];
    expect(a).not.toBe(b);
  });

  it('poll_oneoff sleeps for relative and absolute clocks, several at once, and reports ready fds', async () => {
    const r = await runGuest('poll_sleep');
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toContain('poll relative ok\npoll multi ok\npoll abstime ok\npoll fd_write ok\npoll empty ok\n');
    expect(r.end).toEqual({ kind: 'exit', code: 0 });
  });

  it('a trap ends the run with its message', async () => {
    const r = await runGuest('trap');
    expect(r.stdout).toBe('before trap\n');
    expect(r.end).toEqual({ kind: 'trap', message: 'unreachable' });
  });

  it('stdin_echo reads stdin to the end', async () => {
    const input = new TextEncoder().encode('line one\nline two\n'.repeat(1000));
    const r = await runGuest('stdin_echo', { stdin: input });
    expect(r.stdout).toBe('line one\nline two\n'.repeat(1000));
    expect(r.stderr).toBe(`\nread ${input.length} bytes\n`);
  });

  it('proc_exit ends the run with its code', async () => {
    expect((await runGuest('exitcode', { args: ['9'] })).end).toEqual({ kind: 'exit', code: 9 });
  });

  it('bad pointers and lengths give EFAULT, never a host exception', async () => {
    const r = await runGuest('badptr');
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout.trim().split('\n')).toHaveLength(10);
    expect(r.end).toEqual({ kind: 'exit', code: 0 });
  });

  it('sock_* give EBADF for a closed fd and ENOTSOCK for a non-socket', async () => {
    const r = await runGuest('sock');
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout.trim().split('\n')).toHaveLength(8);
    expect(r.end).toEqual({ kind: 'exit', code: 0 });
  });
});
