// Chaos end to end: each knob provokes the latent bug of its guest that an ordinary run never shows; the hunt finds
// it, the failing trace replays failing the same way, and recording again with that seed fails again. A correct
// guest passes under 200 seeds of every knob.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { record } from '../../src/record/record.js';
import { guestSetup, type GuestSetup } from '../../src/record/setup.js';
import { DEFAULT_FAIL_ON, untilFail } from '../../src/record/until-fail.js';
import { info } from '../../src/inspect/info.js';
import { replay } from '../../src/replay/replay.js';
import { DEFAULT_KNOBS, type ChaosKnob } from '../../src/runtime/chaos.js';
import { memoryDirectory } from '../../src/vfs/memory/index.js';
import { guestPath, runGuest } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('chaos');
const guest = (name: string) => ({ name: `${name}.wasm`, bytes: new Uint8Array(readFileSync(guestPath(name))) });
const options = (args: string[]) => ({
  args, stdin: new Uint8Array(0), stdout: () => {}, stderr: () => {},
  preopens: [{ guestPath: '/tmp', dir: memoryDirectory() }],
});
const setup = (args: string[]): GuestSetup => guestSetup({ module: '', ...options(args) }) as GuestSetup;

/** chaos_bugs' bug name → the knob that provokes it. */
const BUGS: [bug: string, knob: ChaosKnob][] = [
  ['short-io', 'short-io'], ['write', 'short-io'], ['readdir', 'readdir'], ['fds', 'fds'], ['clock', 'clock'],
  ['poll', 'poll'], ['eagain', 'eagain'],
];

describe('chaos finds latent bugs', () => {
  it('ordinary runs never show them', async () => {
    for (const [bug] of BUGS) {
      const r = await runGuest('chaos_bugs', options([bug]));
      expect(r.end, bug).toEqual({ kind: 'exit', code: 0 });
    }
  });

  it.each(BUGS)('%s: found under --chaos=%s, replayed failing, and failing again with its seed', async (bug, knob) => {
    const base = setup([bug]);
    const hunt = await untilFail({
      setup: base, module: guest('chaos_bugs'), output: join(dir, `${bug}.bin`), level: 1, runs: 300, jobs: 2,
      failOn: DEFAULT_FAIL_ON, seed: 1000, shard: { index: 0, count: 1 },
      seedSetup: (seed) => ({ ...base, chaos: { seed, knobs: [knob] } }),
    });
    expect(hunt.failed, bug).toMatchObject({ condition: 'exit code 1' });
    const failed = hunt.failed!;

    const err: Buffer[] = [];
    const rep = await replay({ trace: failed.trace, stdout: () => {}, stderr: (b) => err.push(Buffer.from(b)) });
    expect(rep.end).toEqual({ kind: 'exit', code: 1 });
    expect(Buffer.concat(err).toString()).toMatch(/^bug: /);

    const again = await record({ ...options([bug]), module: guestPath('chaos_bugs'), output: join(dir, `${bug}-again.bin`), chaos: { seed: failed.seed, knobs: [knob] } });
    expect(again.end).toEqual({ kind: 'exit', code: 1 });
  }, 60_000);
});

describe('a correct guest under chaos', () => {
  it('passes under 200 seeds of every knob but error injection', async () => {
    const base = setup([]);
    const hunt = await untilFail({
      setup: base, module: guest('chaos_ok'), output: join(dir, 'ok.bin'), level: 1, runs: 200, jobs: 2,
      failOn: [...DEFAULT_FAIL_ON, { kind: 'stderr', pattern: /./ }], seed: 77, shard: { index: 0, count: 1 },
      seedSetup: (seed) => ({ ...base, chaos: { seed, knobs: DEFAULT_KNOBS } }),
    });
    expect(hunt).toEqual({ runs: 200 });
  }, 60_000);

  it('records its schedule in the trace header, and the chaos run replays exactly', async () => {
    const out: Buffer[] = [];
    const rec = await record({ ...options([]), stdout: (b) => out.push(Buffer.from(b)), module: guestPath('chaos_ok'), output: join(dir, 'ok-one.bin'), chaos: { seed: 5, knobs: DEFAULT_KNOBS } });
    expect(rec.end).toEqual({ kind: 'exit', code: 0 });
    const replayed: Buffer[] = [];
    const rep = await replay({ trace: rec.trace, verify: true, stdout: (b) => replayed.push(Buffer.from(b)), stderr: () => {} });
    expect(rep).toMatchObject({ complete: true, verified: true, end: { kind: 'exit', code: 0 } });
    expect(Buffer.concat(replayed).toString()).toBe(Buffer.concat(out).toString());
    expect(Buffer.concat(out).toString()).toBe('ok read 4000, dir abcd, stdin 0\n');
    const { TraceReader } = await import('../../src/trace/reader.js');
    expect((await TraceReader.open(rec.trace)).header.chaos).toEqual({ seed: 5, knobs: [...DEFAULT_KNOBS] });
    const lines: string[] = [];
    await info(rec.trace, false, { write: (t) => lines.push(t), line: (t) => lines.push(t) });
    expect(lines).toContain(`chaos       seed 5, knobs ${DEFAULT_KNOBS.join(',')} (record --chaos=${DEFAULT_KNOBS.join(',')} --seed 5 repeats it)`);
  });
});
