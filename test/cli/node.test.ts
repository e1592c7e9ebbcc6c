// --runtime node (node:wasi), which writes to the process's own stdio and so runs as a process of its own: each
// guest is recorded once on node:wasi by the built CLI. Its output must match the builtin runtime's (where
// node:wasi follows the spec: test/guests/README.md), and its trace must replay (in-process) to the same bytes
// and exit, with any host directory gone.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, guestPath, runGuest, wt } from '../helpers.js';
import { GUEST_CASES, hostLayout, parseCases } from '../vfs/backends.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('node');
let n = 0;
const tracePath = () => join(dir, `t${n++}.bin`);

/** Guests on which node:wasi follows the spec, with their arguments and stdin. */
const SAME_ON_BOTH: [name: string, args: string[], stdin: string][] = [
  ['hello', ['3'], ''],
  ['args_env', ['one', '--help', 'ünï'], ''],
  ['clock_random', ['check'], ''],
  ['trap', [], ''],
  ['stdin_echo', [], 'some input\n'],
  ['exitcode', ['7'], ''],
  ['renumber_stdout', [], ''], // stdout moved to fd 2: replay must still print it on stdout
];

describe('guests on node:wasi', () => {
  for (const [name, args, stdin] of SAME_ON_BOTH) {
    it(`${[name, ...args].join(' ')}: the same stdout and exit as the builtin runtime; the trace replays the same`, async () => {
      const trace = tracePath();
      const node = cli(['record', '-o', trace, '--runtime', 'node', '--env', 'X=1', guestPath(name), ...args], { input: stdin });
      expect(node.stderr).not.toContain('ExperimentalWarning');
      const builtin = await wt(['run', '--env', 'X=1', guestPath(name), ...args], stdin);
      expect({ stdout: node.stdout, status: node.status }).toEqual({ stdout: builtin.stdout, status: builtin.status });
      expect(await wt(['replay', trace])).toEqual(node);
    });
  }
});

/** Cases of the fs_* guests where node:wasi is known to be wrong (test/guests/README.md): not compared. */
const NODE_WRONG = new Set(['readdir_list', 'readdir_cookie', 'set_times_ns', 'set_flags_nonblock', 'set_flags_append',
  'append_open', 'readlink_short', 'open_nofollow', 'open_dir_nofollow']);

describe('filesystem guests on node:wasi --dir', () => {
  for (const guest of Object.keys(GUEST_CASES)) {
    it(`${guest}: node:wasi and the builtin runtime agree on every case node:wasi gets right; replay needs no directory`, async () => {
      const layout = hostLayout();
      const other = hostLayout();
      try {
        const trace = join(layout.root, 'trace.bin');
        const node = cli(['record', '-o', trace, '--runtime', 'node', '--dir', `${layout.sandbox}::/sandbox`, guestPath(guest)]);
        const ours = await runGuest(guest, { preopens: [{ guestPath: '/sandbox', hostPath: other.sandbox }] });
        const nodeCases = parseCases(node.stdout);
        const ourCases = parseCases(ours.stdout);
        for (const c of GUEST_CASES[guest]!) {
          if (NODE_WRONG.has(c)) continue;
          expect({ c, node: nodeCases.get(c)?.pass }).toEqual({ c, node: true });
          expect({ c, ours: ourCases.get(c)?.pass }).toEqual({ c, ours: true });
        }
        rmSync(layout.sandbox, { recursive: true, force: true });
        expect(existsSync(layout.sandbox)).toBe(false);
        expect(await wt(['replay', trace])).toEqual(node);
      } finally {
        rmSync(layout.root, { recursive: true, force: true });
        rmSync(other.root, { recursive: true, force: true });
      }
    });
  }
});

describe('bad input on node:wasi: one line, exit 2', () => {
  const BAD: [what: string, args: string[], message: RegExp][] = [
    ['a missing --dir', ['run', '--runtime', 'node', '--dir', '/no/such/dir', guestPath('hello')], /^wasi-trace: host directory \/no\/such\/dir does not exist\n$/],
    ['a --mem-dir', ['run', '--runtime', 'node', '--mem-dir', '/m', guestPath('hello')], /^wasi-trace: --runtime node cannot use the in-memory directory \/m \(builtin runtime only\)\n$/],
    ['an unknown import', ['run', '--runtime', 'node', guestPath('unknown_import')], /^wasi-trace: .*imports env\.mystery \(function\), which the runtime does not provide \(the API can supply it: run\/record\(\{ imports: \{ "env": \{ "mystery": \.\.\. \} \} \}\)\)\n$/],
  ];
  for (const [what, args, message] of BAD) {
    it(`rejects ${what}`, () => {
      const r = cli(args);
      expect(r.stderr).toMatch(message);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    });
  }
});

describe('compiler tier on node:wasi', () => {
  it("guests get V8's usual tiers (node:wasi unwinds proc_exit's exception through every frame), recorded in the trace; replay follows the trace's tier", async () => {
    const trace = tracePath();
    const node = cli(['record', '-o', trace, '--runtime', 'node', guestPath('deep_exit'), '3000']);
    expect({ stdout: node.stdout, status: node.status }).toEqual({ stdout: 'going 3000 deep\n', status: 3 });
    const info = JSON.parse((await wt(['info', '--json', trace])).stdout);
    expect(info.engine.tiering).toBe('optimizing');
    // The builtin runtime keeps the baseline tier; replaying the node:wasi trace uses the recorded one, no warning.
    expect(JSON.parse((await wt(['info', '--json', (await recordedOnBuiltin())])).stdout).engine.tiering).toBe('baseline');
    expect(await wt(['replay', trace])).toEqual({ stdout: 'going 3000 deep\n', stderr: '', status: 3 });
  });
});

async function recordedOnBuiltin(): Promise<string> {
  const trace = tracePath();
  expect((await wt(['record', '-o', trace, guestPath('deep_exit'), '10'])).status).toBe(3);
  return trace;
}
