// The hand parser of the hot command lines (cli/quick-parse.ts) against yargs: one flag table (each command's
// builder), the same flags for every command line it takes, and yargs for everything else.
import { describe, expect, it } from 'vitest';
import { flagsOf } from '../../cli/app.js';
import { wt } from '../helpers.js';
import { optionTable } from '../../cli/quick-parse.js';
import { recordCommand } from '../../cli/record.js';
import { replayCommand } from '../../cli/replay.js';
import { runCommand } from '../../cli/run.js';

/** The flags as the handler sees them, without yargs' own bookkeeping keys. */
async function both(argv: string[]) {
  const strip = (f: Record<string, unknown> | undefined) => {
    if (f === undefined) return undefined;
    const { _: _ignored, $0: _name, ...rest } = f;
    return rest;
  };
  return { quick: strip(await flagsOf(argv, 'quick')), yargs: strip(await flagsOf(argv, 'yargs')) };
}

const M = 'test/guests/hello.wasm';

describe('the quick parser gives the flags yargs gives', () => {
  const lines: string[][] = [
    ['run', M],
    ['run', M, 'a', '--b', '-c'],
    ['run', '--env', 'A=1', '--env=B=2', '--inherit-env', '--dir', '.::/', '--mem-dir', '/tmp', M, '--help'],
    ['run', '--runtime', 'node', '--optimize', M],
    ['run', '--runtime=builtin', '--mem-file', '/x/y=package.json', '--', M, 'x'],
    ['--debug', 'run', M],
    ['--optimize', 'run', M],
    ['record', M],
    ['record', '-o', 'out.bin', '--level', '3', M, '1'],
    ['record', '--output=t.bin', '--chaos', '--seed', '7', '--env', 'A=1', M],
    ['record', '--chaos=short-io,clock', M],
    ['replay', 'trace.bin'],
    ['replay', '-q', '--verify', '--module', 'x.wasm', 'trace.bin'],
    ['replay', '--quiet', 'trace.bin', '--optimize'],
    ['replay', 'trace.bin', '--debug'],
  ];
  for (const line of lines) {
    it(line.join(' '), async () => {
      const { quick, yargs } = await both(line);
      expect(quick).toBeDefined();
      expect(quick).toEqual(yargs);
    });
  }
});

describe('the quick parser leaves the rest to yargs', () => {
  const lines: string[][] = [
    ['run', '--help'],
    ['run', '-h', M],
    ['run', '--runtime', 'jvm', M],
    ['run', '--runtime', 'node', '--runtime', 'builtin', M],
    ['run'],
    ['run', '--no-inherit-env', M],
    ['run', '--env', '--dir', M],
    ['run', '--inherit-env', '--inherit-env', M],
    ['--debug', 'run', '--debug', M],
    ['record', '--until-fail', '--runs', '5', M],
    ['record', '-o=x.bin', M],
    ['replay'],
    ['replay', 'a.bin', 'b.bin'],
    ['replay', '-qv', 'a.bin'],
    ['replay', '--bogus', 'a.bin'],
    ['--version'],
    ['--bogus', 'run', M],
  ];
  for (const line of lines) {
    it(line.join(' '), async () => {
      expect(await flagsOf(line, 'quick')).toBeUndefined();
    });
  }

  it('a bad choice still gets yargs\' one-line message and exit 2', async () => {
    expect(await wt(['run', '--runtime', 'jvm', M])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^wasi-trace: --runtime jvm: not one of builtin, node/) });
  });
});

describe('one flag table: what --help lists is what the quick parser knows', () => {
  for (const [name, command] of [['run', runCommand], ['record', recordCommand], ['replay', replayCommand]] as const) {
    it(name, async () => {
      const help = (await wt([name, '--help'])).stdout;
      const listed = new Set([...help.matchAll(/^\s+(?:-(\w), )?--([\w-]+)/gm)].flatMap((m) => [m[2]!, ...(m[1] ? [m[1]] : [])]));
      listed.delete('help');
      const table = optionTable(command);
      const known = new Set([...table.options.values()].flatMap((o) => [o.name, ...(o.alias ? [o.alias] : [])]));
      // The builder's options, plus the two every such command gets from cli/app.ts.
      expect(listed).toEqual(new Set([...known, 'debug', 'optimize']));
      expect(table.opaque).toBe(false);
    });
  }

  it('a builder using something the stand-in cannot follow makes the command yargs-only', () => {
    const t = optionTable({ command: 'x <a>', builder: (y) => y.positional('a', {}).conflicts('a', 'b') });
    expect(t.opaque).toBe(true);
    const u = optionTable({ command: 'x <a>', builder: (y) => y.option('n', { type: 'string', coerce: String }) });
    expect(u.opaque).toBe(true);
  });
});
