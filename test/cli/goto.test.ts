// `replay --stop-at N [--inspect]` and `mem` on the command line (in-process), on a recording of the memwatch guest:
// #0 fd_write "start", #1 random_get into seed, #2..#4 fd_write "tick" (counter 10, 20, 30 set just before each),
// #5 fd_write "done" (message "corrupted" and counter -1 just before it), #6 proc_exit(3). Addresses (wasm-objdump):
// counter 0x420, message 0x430, seed 0x440, .data 0x420 (32 bytes).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_STOPPED, inspectAddress } from '../../cli/replay.js';
import { openTrace, traceCalls } from '../../src/inspect/trace.js';
import { guestPath, recordLikeCli, wt } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('goto');
const trace = join(dir, 'memwatch.bin');
/** The 8 random bytes random_get (#1) gave the recording, as xxd shows them. */
let seedRow: string;

beforeAll(async () => {
  await recordLikeCli({ module: readFileSync(guestPath('memwatch')), moduleName: 'memwatch.wasm', args: [], output: trace });
  const reader = await openTrace(trace);
  const seed = [...traceCalls(reader)][1]!.writes![0]!.bytes;
  reader.close();
  expect(seed).toHaveLength(8);
  const h = Buffer.from(seed).toString('hex').replace(/(.{4})(?!$)/g, '$1 ');
  const ascii = Array.from(seed, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  seedRow = `00000440: ${h.padEnd(39)}  ${ascii}`;
});

describe('replay --stop-at', () => {
  it('replays the events before #N, then names event #N as dump shows it, and exits 120', async () => {
    const r = await wt(['replay', '--stop-at', '3', trace]);
    expect(r).toEqual({
      status: EXIT_STOPPED, stdout: 'start\ntick\n',
      stderr: 'wasi-trace: stopped before #3 fd_write(fd=1<stdout>, iovs="tick\\n") = ESUCCESS (nwritten=5)\n',
    });
    expect(EXIT_STOPPED).toBe(120);
    const dumped = (await wt(['dump', '--from', '6', '--to', '6', trace])).stdout.split('\n')[0];
    expect(dumped).toBe('#6 proc_exit(rval=3) = ? <exit 3>');
    const last = await wt(['replay', '--stop-at', '#6', '-q', trace]);
    expect(last.stderr).toBe(`wasi-trace: stopped before ${dumped}\n`);
    expect(last.stdout).toBe('');
  });

  it('an event past the end, a bad number, --inspect without --stop-at and a bad address: one line, exit 2', async () => {
    expect(await wt(['replay', '--stop-at', '7', trace])).toEqual({
      status: 2, stdout: '', stderr: 'wasi-trace: event #7 is past the end of the trace: it has 7 events (#0 to #6)\n',
    });
    expect((await wt(['replay', '--stop-at', 'x', trace])).stderr).toBe('wasi-trace: --stop-at x: expected a whole number\n');
    expect(await wt(['replay', '--inspect', trace])).toEqual({
      status: 2, stdout: '', stderr: 'wasi-trace: --inspect needs --stop-at N: the event to pause before\n',
    });
    expect((await wt(['replay', '--stop-at', '1', '--inspect=a:b:c', trace])).stderr)
      .toBe('wasi-trace: --inspect=a:b:c: expected HOST:PORT or PORT (default 127.0.0.1:9229)\n');
    expect((await wt(['replay', '--stop-at', '1', '--verify', trace])).status).toBe(2);
  });

  it('--inspect takes HOST:PORT or PORT, like node --inspect; a bare --inspect does not swallow the trace path', async () => {
    expect(inspectAddress('')).toEqual({ host: '127.0.0.1', port: 9229 });
    expect(inspectAddress('9300')).toEqual({ host: '127.0.0.1', port: 9300 });
    expect(inspectAddress('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(inspectAddress('[::1]:9229')).toEqual({ host: '::1', port: 9229 });
    expect(() => inspectAddress('1:99999')).toThrow(/expected HOST:PORT/);
    // parsed as a flag: the trace is still the positional, so the error is about --stop-at, not a missing trace
    expect((await wt(['replay', '--inspect', trace])).stderr).toMatch(/--inspect needs --stop-at/);
  });

  it('--help documents --stop-at, --inspect and exit code 120', async () => {
    const help = (await wt(['replay', '--help'])).stdout;
    expect(help).toMatch(/--stop-at/);
    expect(help).toMatch(/--inspect/);
    expect(help.replace(/\s+/g, ' ')).toMatch(/120 stopped before event #N \(--stop-at N\)/);
  });
});

describe('mem', () => {
  it('--at N prints ranges as xxd does, by address or name, memory as it is just before event #N', async () => {
    const r = await wt(['mem', trace, '--at', '5', 'counter:4', 'message:16', '0x400:29']);
    expect(r).toEqual({ status: 0, stderr: '', stdout: [
      'counter (0x420), 4 bytes, before event #5:',
      '00000420: ffff ffff                                ....',
      'message (0x430), 16 bytes, before event #5:',
      '00000430: 636f 7272 7570 7465 6400 0000 0000 0000  corrupted.......',
      '0x400, 29 bytes, before event #5:', // .rodata: the string literals
      '00000400: 636f 7272 7570 7465 6400 7374 6172 740a  corrupted.start.',
      '00000410: 0074 6963 6b0a 0064 6f6e 650a 00         .tick..done..',
      '',
    ].join('\n') });
    const early = await wt(['mem', trace, '--at', '2', '.data']);
    expect(early.stdout).toBe([
      '.data (0x420), 32 bytes, before event #2:',
      '00000420: 0a00 0000 0000 0000 0000 0000 0000 0000  ................',
      '00000430: 6669 6e65 0000 0000 0000 0000 0000 0000  fine............',
      '',
    ].join('\n'));
  });

  it('--string reads up to the NUL; --at end is the final memory; --json', async () => {
    expect((await wt(['mem', trace, '--at', '2', '--string', 'message', '.rodata+10'])).stdout)
      .toBe('message (0x430) before event #2: "fine"\n.rodata+10 (0x40a) before event #2: "start\\n"\n');
    expect((await wt(['mem', trace, '--at', 'end', '--string', '0x430:4'])).stdout)
      .toBe('0x430 at the end (after 7 events): "corr" (no NUL in 4 bytes)\n');
    const json = (await wt(['mem', trace, '--at', 'end', '--json', 'counter:4', '--string', 'message'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json).toEqual([
      { range: 'counter:4', address: 0x420, end: true, events: 7, string: '\xff\xff\xff\xff'.replace(/\xff/g, '\ufffd'), terminated: false },
      { range: 'message', address: 0x430, end: true, events: 7, string: 'corrupted', terminated: true },
    ]);
    expect(JSON.parse((await wt(['mem', trace, '--at', '0', '--json', 'counter:4'])).stdout))
      .toEqual({ range: 'counter:4', address: 0x420, length: 4, event: 0, hex: '07000000' });
  });

  it('--watch shows each change, old and new, and whether a call wrote it or the guest\'s own code', async () => {
    const r = await wt(['mem', trace, '--watch', 'counter:4', '--watch', 'seed:8']); // to the end without --at
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'watch counter (0x420), 4 bytes: first seen before event #0:',
      '  00000420: 0700 0000                                ....',
      'watch seed (0x440), 8 bytes: first seen before event #0:',
      '  00000440: 0000 0000 0000 0000                      ........',
      expect.stringMatching(/^watch seed: written by #1 random_get\(buf=".*", buf_len=8\) = ESUCCESS:$/),
      '- 00000440: 0000 0000 0000 0000                      ........',
      `+ ${seedRow}`,
      "watch counter: changed by the guest's code after #1 returned, seen before event #2:",
      '- 00000420: 0700 0000                                ....',
      '+ 00000420: 0a00 0000                                ....',
      "watch counter: changed by the guest's code after #2 returned, seen before event #3:",
      '- 00000420: 0a00 0000                                ....',
      '+ 00000420: 1400 0000                                ....',
      "watch counter: changed by the guest's code after #3 returned, seen before event #4:",
      '- 00000420: 1400 0000                                ....',
      '+ 00000420: 1e00 0000                                ....',
      "watch counter: changed by the guest's code after #4 returned, seen before event #5:",
      '- 00000420: 1e00 0000                                ....',
      '+ 00000420: ffff ffff                                ....',
      '',
    ]);
    // by address (1056 = counter), up to --at 3: the changes seen before event #3 only
    expect((await wt(['mem', trace, '--at', '3', '--watch', '1056:4'])).stdout.split('\n').filter((l) => l.startsWith('watch'))).toEqual([
      'watch 0x420, 4 bytes: first seen before event #0:',
      "watch 0x420: changed by the guest's code after #1 returned, seen before event #2:",
      "watch 0x420: changed by the guest's code after #2 returned, seen before event #3:",
    ]);
    // the same as JSON
    const json = (await wt(['mem', trace, '--at', '3', '--json', '--watch', 'counter:4'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json).toEqual([
      { watch: 'counter:4', address: 0x420, length: 4, event: 0, first: true, hex: '07000000' },
      { watch: 'counter:4', address: 0x420, length: 4, event: 2, by: 'guest', old: '07000000', new: '0a000000' },
      { watch: 'counter:4', address: 0x420, length: 4, event: 3, by: 'guest', old: '0a000000', new: '14000000' },
    ]);
  });

  it('bad input: one line, exit 2 (outside memory, unknown names, no --at, past the end, a bad trace)', async () => {
    const line = async (args: string[]) => { const r = await wt(['mem', trace, ...args]); expect(r.status).toBe(2); expect(r.stdout).toBe(''); return r.stderr; };
    expect(await line(['--at', '3', '0x1fffe:4'])).toBe('wasi-trace: 0x1fffe:4: 0x1fffe..0x20002 is outside guest memory before event #3 (it is 131072 bytes, up to 0x20000)\n');
    expect(await line(['--at', '3', 'nope'])).toBe('wasi-trace: nope: no such name in the module (it names: seed, counter, message, __heap_base, .rodata, .data)\n');
    expect(await line(['--at', '3', '__stack_pointer'])).toMatch(/^wasi-trace: __stack_pointer: a mutable global/);
    expect(await line(['0x400'])).toMatch(/^wasi-trace: mem: --at N \(or --at end\)/);
    expect(await line(['--at', '3'])).toBe('wasi-trace: mem: name at least one ADDR[:LEN] to show or --watch\n');
    expect(await line(['--at', '8', '0x400'])).toBe('wasi-trace: event #8 is past the end of the trace: it has 7 events (#0 to #6)\n');
    expect(await line(['--at', 'soon', '0x400'])).toBe('wasi-trace: --at soon: expected a whole number\n');
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'not a trace');
    const r = await wt(['mem', junk, '--at', '0', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
