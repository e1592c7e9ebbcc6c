// The replayer's go-to hooks (ReplayOptions.stopAt, pause, onBoundary) on the memwatch guest, whose calls are
// #0 fd_write "start", #1 random_get into `seed`, #2..#4 fd_write "tick" (counter 10, 20, 30 set just before
// each), #5 fd_write "done" (counter -1), #6 proc_exit(3).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { replay, type ReplayOptions } from '../../src/replay/replay.js';
import { guestPath, recordLikeCli } from '../helpers.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('stop-at');
const trace = join(dir, 'memwatch.bin');
let seed: number[];

/** The addresses of memwatch's exported data symbols (its global section: checked with wasm-objdump). */
const COUNTER = 1056;
const SEED = 1088;

beforeAll(async () => {
  const r = await recordLikeCli({ module: readFileSync(guestPath('memwatch')), moduleName: 'memwatch.wasm', args: [], output: trace });
  expect(r.stdout).toBe('start\ntick\ntick\ntick\ndone\n');
  expect(r.calls).toBe(7);
});

async function replayed(options: Partial<ReplayOptions>) {
  const out: Buffer[] = [];
  const r = await replay({ trace, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {}, ...options });
  return { ...r, stdout: Buffer.concat(out).toString() };
}

describe('replay stopAt', () => {
  it('replays the events before #N, prints what they printed, and stops with a result that says so', async () => {
    const r = await replayed({ stopAt: 3 });
    expect(r).toMatchObject({ stoppedAt: 3, calls: 3, stdout: 'start\ntick\n', end: { kind: 'exit', code: 3 } });
    expect(await replayed({ stopAt: 0 })).toMatchObject({ stoppedAt: 0, calls: 0, stdout: '' });
    expect(await replayed({ stopAt: 6 })).toMatchObject({ stoppedAt: 6, stdout: 'start\ntick\ntick\ntick\ndone\n' });
  });

  it('a plain replay has no stoppedAt', async () => {
    const r = await replayed({});
    expect(r.stoppedAt).toBeUndefined();
    expect(r.end).toEqual({ kind: 'exit', code: 3 });
  });

  it('an event past the end is a UserError naming the last one', async () => {
    const err = await replayed({ stopAt: 7 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe('event #7 is past the end of the trace: it has 7 events (#0 to #6)');
  });
});

describe('replay stopAt on a trace cut short (no footer to count its events)', () => {
  it('stops as on a complete one, and an event past its last one is the same UserError, after the replay', async () => {
    const bytes = readFileSync(trace);
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 40)); // inside the footer: every frame is still there
    expect(await replayed({ trace: cut, stopAt: 3 })).toMatchObject({ stoppedAt: 3, stdout: 'start\ntick\n' });
    const err = await replayed({ trace: cut, stopAt: 9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe('event #9 is past the end of the trace: it has 7 events (#0 to #6)');
  });
});

describe('replay onBoundary', () => {
  it('sees memory before each event, after its recorded writes, and at the end', async () => {
    const seen: string[] = [];
    const u32 = (m: Uint8Array, a: number) => new DataView(m.buffer, m.byteOffset).getInt32(a, true);
    await replayed({
      onBoundary: (i, m, when) => {
        seen.push(`${when} #${i} counter=${u32(m, COUNTER)}`);
        if (i === 1 && when === 'after') seed = [...m.subarray(SEED, SEED + 8)];
        if (i === 1 && when === 'before') expect([...m.subarray(SEED, SEED + 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      },
    });
    expect(seen).toEqual([
      'before #0 counter=7', 'after #0 counter=7', 'before #1 counter=7', 'after #1 counter=7',
      'before #2 counter=10', 'after #2 counter=10', 'before #3 counter=20', 'after #3 counter=20',
      'before #4 counter=30', 'after #4 counter=30', 'before #5 counter=-1', 'after #5 counter=-1',
      'before #6 counter=-1', 'after #6 counter=-1', 'end #7 counter=-1',
    ]);
    // random_get's recorded bytes landed in seed (8 random bytes are all zero once in 2^64 recordings)
    expect(seed.some((b) => b !== 0)).toBe(true);
  });

  it('what the hook throws is what replay() throws (not a trap of the guest)', async () => {
    const boom = new Error('boom');
    const err = await replayed({ onBoundary: (i) => { if (i === 2) throw boom; } }).catch((e: unknown) => e);
    expect(err).toBe(boom);
  });

  it('with stopAt, the last boundary is the one before #N and there is no end', async () => {
    const seen: string[] = [];
    await replayed({ stopAt: 2, onBoundary: (i, _m, when) => seen.push(`${when} #${i}`) });
    expect(seen).toEqual(['before #0', 'after #0', 'before #1', 'after #1', 'before #2']);
  });
});

describe('replay pause (replay --stop-at N --inspect)', () => {
  it("pauses an attached debugger before event #N with the guest's wasm frames on the stack", async () => {
    const session = new Session();
    session.connect(); // a debugger attached to this very isolate
    const post = (method: string, params?: object) => new Promise<void>((resolve, reject) =>
      session.post(method, params ?? {}, (err) => (err ? reject(err) : resolve())));
    const wasmScripts = new Set<string>(); // the scripts the debugger knows as WebAssembly
    // (V8 sends scriptLanguage; @types/node's protocol typings predate it)
    session.on('Debugger.scriptParsed', (m) => { if ((m.params as { scriptLanguage?: string }).scriptLanguage === 'WebAssembly') wasmScripts.add(m.params.scriptId); });
    const paused: { functionName: string; wasm: boolean }[][] = [];
    session.on('Debugger.paused', (m) => {
      paused.push(m.params.callFrames.map((f) => ({ functionName: f.functionName, wasm: wasmScripts.has(f.location.scriptId) })));
      session.post('Debugger.resume');
    });
    try {
      await post('Debugger.enable');
      const r = await replayed({ stopAt: 3, pause: true });
      expect(r.stoppedAt).toBe(3);
    } finally {
      session.disconnect();
    }
    expect(paused).toHaveLength(1);
    const frames = paused[0]!;
    expect(frames[0]!.functionName).toBe('pauseBeforeEvent');
    // below the replayer's import function: the guest's own frames (names from its name section)
    expect(frames.filter((f) => f.wasm).map((f) => f.functionName)).toEqual(['$__wasi_fd_write', '$write', '$__original_main', '$_start', '$_start.command_export']);
    expect(frames.slice(0, 5).some((f) => f.wasm)).toBe(false); // pauseBeforeEvent, the replayer's import function, ...
  });

  it('without a debugger attached, pause changes nothing', async () => {
    expect(await replayed({ stopAt: 3, pause: true })).toMatchObject({ stoppedAt: 3, stdout: 'start\ntick\n' });
  });
});
