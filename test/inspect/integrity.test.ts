// What the commands say about a trace that is not what was recorded: info checks the whole file by default (and
// --quick says what it did not check); damage inside valid CRCs (a header, footer or event that no recording
// writes) is one line naming the block and its offset for every command, never a crash; damage that replay meets
// after the guest's output is one line too; the JSON listings end with a record when the trace was cut short.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr, Unpackr } from 'msgpackr';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { dump } from '../../src/inspect/dump.js';
import { exportTrace } from '../../src/inspect/export.js';
import { info, traceInfo } from '../../src/inspect/info.js';
import { replay } from '../../src/replay/replay.js';
import { initZstd, decompress } from '../../src/trace/zstd.js';
import { assemble, eventsBlock, tempDir, traceParts, walkBlocks, type TraceParts } from '../trace/helpers.js';
import { COMMANDS, badError, bytesOf, collect, reframe, runCommand, type Command } from './commands.js';

const dir = tempDir();
const golden = (name: string) => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));
let serial = 0;
const put = (bytes: Uint8Array): string => {
  const path = join(dir, `${++serial}.bin`);
  writeFileSync(path, bytes);
  return path;
};

/** inspect_fs (19 calls) in frames of 256 bytes, as version 2; its parts; its frame offsets. */
let fs: { path: string; file: Uint8Array; parts: TraceParts; frames: number[] };

beforeAll(async () => {
  await initZstd();
  const path = join(dir, 'inspect_fs.bin');
  await reframe(golden('inspect_fs-v1.bin'), path, 256);
  const file = bytesOf(path);
  fs = { path, file, parts: traceParts(file), frames: walkBlocks(file).filter((b) => b.type === 3).map((b) => b.offset) };
  expect(fs.frames.length).toBeGreaterThanOrEqual(4);
});

async function userError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e.message;
}

describe('info checks the whole trace', () => {
  it('a frame that fails its CRC check: info says so (it said "complete yes"), info --quick reads no frames and says so', async () => {
    const bad = fs.file.slice();
    bad[fs.frames[2]! + 30] ^= 0x40;
    const path = put(bad);
    expect(await userError(info(path, false, collect()))).toBe(`${path}: corrupt trace: frame at offset ${fs.frames[2]} fails its CRC check`);
    const out = collect();
    expect(await info(path, false, out, true)).toBe(0);
    expect(out.text()).toMatch(/^calls {7}19 \(as the footer says\)$/m);
    expect(out.text()).toMatch(/^complete {4}yes$/m);
    expect(out.text()).toMatch(/^checked {5}header and footer only \(--quick\): the frames, their CRCs and the module were not read$/m);
    expect(await traceInfo(path, true)).toMatchObject({ verified: false, complete: true, calls: 19 });
    expect(await traceInfo(fs.path)).toMatchObject({ verified: true, complete: true, calls: 19, frames: fs.frames.length });
    // A trailer that does not lead to the footer: --quick cannot say more, but it does not pretend not to know.
    const longFooter = fs.file.slice();
    const footerAt = walkBlocks(fs.file).at(-1)!.offset;
    longFooter[footerAt + 4]! += 1;
    const lf = put(longFooter);
    expect(await userError(traceInfo(lf, true))).toBe(
      `${lf}: corrupt trace: the file ends with a trailer, but it does not lead to its footer block (info without --quick says what is damaged)`,
    );
    expect(await userError(traceInfo(lf))).toMatch(new RegExp(`: corrupt trace: footer block at offset ${footerAt} `));
  });

  it('the footer\'s calls and per-function counts must agree with the frames', async () => {
    const calls = put(assemble(fs.parts, (m) => ({ ...m, calls: 20 })));
    const footerAt = walkBlocks(bytesOf(calls)).at(-1)!.offset;
    const said = `${calls}: corrupt trace: the footer block at offset ${footerAt} says calls is 20, but the frames hold 19 calls`;
    expect(await userError(traceInfo(calls))).toBe(said);
    // Every command that reads all the frames checks it (a last frame dropped with its footer fixed up).
    await everyCommandFails(calls, new RegExp(`^${said.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`), ['replay', 'dump', 'dump --json', 'info', 'stats --json', 'export --format json', 'export']);
    const closes = (fs.parts.footer.counts as Record<string, number>).fd_close!;
    expect(closes).toBeGreaterThan(0);
    const counts = put(assemble(fs.parts, (m) => ({ ...m, counts: { ...(m.counts as object), fd_close: closes + 1 } })));
    expect(await userError(traceInfo(counts))).toMatch(new RegExp(`says fd_close was called ${closes + 1} times, but the frames hold ${closes} calls of it$`));
  });

  it('the module chunks must hold the module the header describes', async () => {
    const header = { ...fs.parts.header, module: { ...(fs.parts.header.module as object), sha256: 'ab'.repeat(32) } };
    const path = put(assemble({ ...fs.parts, header }));
    expect(await userError(traceInfo(path))).toMatch(/the module chunks do not hold the module the header block describes/);
    const size = put(assemble({ ...fs.parts, header: { ...fs.parts.header, module: { ...(fs.parts.header.module as object), size: 7 } } }));
    expect(await userError(traceInfo(size))).toMatch(/the header block at offset 16 says the module has 7 bytes, but its module chunks hold \d+/);
  });

  it('a cut trace: the events counted are the events its frames hold', async () => {
    const path = put(fs.file.subarray(0, fs.frames[3]! + 30));
    const i = await traceInfo(path);
    const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
    let held = 0;
    for (const f of fs.parts.frames.slice(0, 3)) {
      const raw = decompress(f.subarray(20), new DataView(f.buffer, f.byteOffset).getUint32(8, true));
      held += unpackr.unpackMultiple(raw.subarray(20)).length;
    }
    expect(i).toMatchObject({ complete: false, frames: 3, events: held, calls: held, cut: { offset: fs.frames[3], reason: 'file ends inside a frame (recording was cut short)' } });
  });
});

/** Every command on `path`: each must fail with one line naming the trace that matches `message`. */
async function everyCommandFails(path: string, message: RegExp, commands: readonly Command[] = COMMANDS): Promise<void> {
  for (const command of commands) {
    const o = await runCommand(command, path, fs.path);
    expect(o.ok, `${command} succeeded`).toBe(false);
    if (o.ok) continue;
    expect(badError(o.error, path), command).toBeUndefined();
    expect((o.error as Error).message, command).toMatch(message);
  }
}

describe('header and footer damage inside valid CRCs', () => {
  const imports = () => (fs.parts.header.imports as Record<string, unknown>[]).map((e) => ({ ...e }));
  const headerCases: [string, (h: Record<string, unknown>) => void, RegExp][] = [
    ['imports is not a list', (h) => { h.imports = 'fd_write'; }, /has no import table/],
    ['an import names a preview1 function that does not exist', (h) => { const t = imports(); t[0]!.wasi = 99; h.imports = t; }, /has a malformed import #0/],
    ['an import\'s index names another function', (h) => { const t = imports(); t[0]!.wasi = (t[0]!.wasi as number) + 1; h.imports = t; }, /has a malformed import #0/],
    ['the module description is gone', (h) => { delete h.module; }, /has no valid module description/],
    ['the module size is a string', (h) => { h.module = { ...(h.module as object), size: 'big' }; }, /has no valid module description/],
    ['argv is a number', (h) => { h.argv = 5; }, /has no valid argv/],
    ['a preopen is malformed', (h) => { h.preopens = [{ guest: 3 }]; }, /has a malformed preopen #0/],
  ];
  for (const [what, change, message] of headerCases) {
    it(`the header: ${what}`, async () => {
      const header = { ...fs.parts.header };
      change(header);
      const path = put(assemble({ ...fs.parts, header }));
      // info --quick reads the header too; diff compares it with a good trace.
      await everyCommandFails(path, new RegExp(`corrupt trace: the header block at offset 16 ${message.source}`));
    });
  }

  const footerCases: [string, (f: Record<string, unknown>) => void, RegExp][] = [
    ['the index holds a string', (f) => { f.index = [...(f.index as number[]).slice(1), 'x']; }, /has a malformed index entry #\d+/],
    ['the index is not a list', (f) => { f.index = 7; }, /has no frame index/],
    ['how the run ended is missing', (f) => { delete f.end; }, /does not say how the run ended/],
    ['the end is of an unknown kind', (f) => { f.end = { kind: 'crash' }; }, /does not say how the run ended/],
    ['calls is negative', (f) => { f.calls = -1; }, /has no valid calls/],
    ['the frame count is a string', (f) => { f.frames = 'many'; }, /has no valid frames/],
    ['the counts are not numbers', (f) => { f.counts = { fd_write: 'two' }; }, /has malformed per-function counts/],
    ['the trace id is another trace\'s', (f) => { f.traceId = '0'.repeat(32); }, /belongs to another trace/],
  ];
  for (const [what, change, message] of footerCases) {
    it(`the footer: ${what}`, async () => {
      const file = assemble(fs.parts, (m) => { const f = { ...m }; change(f); return f; });
      const at = walkBlocks(file).at(-1)!.offset;
      const path = put(file);
      await everyCommandFails(path, new RegExp(`corrupt trace: the footer block at offset ${at} ${message.source}`));
    });
  }
});

describe('event damage inside valid CRCs', () => {
  const packr = new Packr({ useRecords: false });
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
  /** fs with the events of its frame 0 changed by `change` (then re-framed with a valid prefix and CRC). */
  async function withEvents(change: (events: unknown[][]) => void): Promise<string> {
    const f = fs.parts.frames[0]!;
    const raw = decompress(f.subarray(20), new DataView(f.buffer, f.byteOffset).getUint32(8, true));
    const events = unpackr.unpackMultiple(raw.subarray(20)) as unknown[][];
    change(events);
    const block = await eventsBlock(fs.parts.header.traceId as string, 0, Buffer.concat(events.map((e) => packr.pack(e))), events.length);
    return put(assemble({ ...fs.parts, frames: [block, ...fs.parts.frames.slice(1)] }));
  }
  const listing: Command[] = ['dump', 'dump --json', 'stats --json', 'export --format json', 'export', 'diff'];

  it('a preview1 call with the wrong number of arguments, or an argument of the wrong type', async () => {
    // #0 is path_open (9 wasm arguments).
    const short = await withEvents((e) => { e[0]![1] = (e[0]![1] as unknown[]).slice(1); });
    await everyCommandFails(short, /corrupt trace: event #0 in the frame at offset \d+ passes path_open 8 arguments, but it takes 9/, listing);
    const float = await withEvents((e) => { (e[0]![1] as unknown[])[0] = 1.5; });
    await everyCommandFails(float, /passes path_open 1\.5 as argument 0, which is not a 32-bit integer/, listing);
  });

  it('an import the header does not have, a malformed result or write, a negative time', async () => {
    const cases: [(e: unknown[][]) => void, RegExp][] = [
      [(e) => { e[0]![0] = 40; }, /event #0 in the frame at offset \d+ names import 40, but the header has \d+/],
      [(e) => { e[0]![2] = { exit: 'now' }; }, /frame at offset \d+: malformed event at byte \d+ of its frame: bad result/],
      [(e) => { e[0]![2] = { other: 1 }; }, /bad result/],
      [(e) => { e[0]![3] = [-4, new Uint8Array(4)]; }, /bad write address/],
      [(e) => { e[0]![5] = -16; }, /bad times/],
    ];
    for (const [change, message] of cases) await everyCommandFails(await withEvents(change), message, listing);
  });

  it('an out-value shorter than its type is shown as the bytes it is, not a crash', async () => {
    // #0 path_open wrote opened_fd (4 bytes): keep 2 of them.
    const path = await withEvents((e) => { const w = e[0]![3] as unknown[]; w[1] = (w[1] as Uint8Array).subarray(0, 2); });
    const out = collect();
    expect(await dump({ trace: path, to: 0 }, out)).toBe(0);
    expect(out.text()).toMatch(/^#0 path_open\(.*\) = ESUCCESS \(opened_fd="\\x04\\x00"\)$/m);
  });
});

describe('damage replay meets after the guest\'s output', () => {
  /** Replays `path`: the guest's stdout, and the one-line error it ended with. */
  async function replayed(path: string, prefetch = false): Promise<{ stdout: string; message: string }> {
    const out: Buffer[] = [];
    const message = await userError(replay({ trace: path, prefetch, stdout: (b) => out.push(Buffer.from(b)), stderr: () => {} }));
    return { stdout: Buffer.concat(out).toString(), message };
  }
  const footerAt = () => walkBlocks(fs.file).at(-1)!.offset;

  it('bytes after the trailer, a damaged trailer, a footer that fails its CRC (found by scanning)', async () => {
    const extra = put(Buffer.concat([fs.file, Uint8Array.of(1, 2, 3)]));
    const trailerAt = fs.file.length - 16;
    const magic = fs.file.slice();
    magic[magic.length - 1] ^= 1;
    const footer = magic.slice();
    footer[footerAt() + 25] ^= 1;
    const cases: [string, RegExp][] = [
      [extra, new RegExp(`: corrupt trace: 3 unexpected bytes after the trailer at offset ${trailerAt}$`)],
      [put(magic), new RegExp(`: corrupt trace: bad trailer at offset ${trailerAt} after the footer block at offset ${footerAt()}$`)],
      [put(footer), new RegExp(`: corrupt trace: footer block at offset ${footerAt()} fails its CRC check$`)],
    ];
    const good: Buffer[] = [];
    await replay({ trace: fs.path, stdout: (b) => good.push(Buffer.from(b)), stderr: () => {} });
    const stdout = Buffer.concat(good).toString();
    expect(stdout.length).toBeGreaterThan(0);
    for (const [path, message] of cases) {
      for (const prefetch of [false, true]) {
        const r = await replayed(path, prefetch);
        expect(r.stdout, path).toBe(stdout); // all of the guest's output came first
        expect(r.message, path).toMatch(message);
        expect(r.message.startsWith(`${path}: `)).toBe(true);
      }
    }
  });
});

describe('damage replay meets while the guest runs', () => {
  it('a frame that fails its CRC check is a one-line error naming it, not a trap of the guest', async () => {
    const bad = fs.file.slice();
    bad[fs.frames[2]! + 30] ^= 0x40;
    const path = put(bad);
    for (const prefetch of [false, true]) {
      const message = await userError(replay({ trace: path, prefetch, stdout: () => {}, stderr: () => {} }));
      expect(message).toBe(`${path}: corrupt trace: frame at offset ${fs.frames[2]} fails its CRC check`);
    }
  });

  it('a header that lists other imports than the module in the trace has', async () => {
    const t = (fs.parts.header.imports as Record<string, unknown>[]).slice(0, -1);
    const path = put(assemble({ ...fs.parts, header: { ...fs.parts.header, imports: t } }));
    expect(await userError(replay({ trace: path, stdout: () => {}, stderr: () => {} }))).toBe(
      `${path}: corrupt trace: the header block at offset 16 lists other imports than the module in the trace has`,
    );
  });
});

describe('the JSON listings of a trace cut short', () => {
  it('dump --json and export --format json end with a record saying where and why, and say it on stderr', async () => {
    const path = put(fs.file.subarray(0, fs.frames[2]! + 30));
    const reason = 'file ends inside a frame (recording was cut short)';
    const warnings: string[] = [];
    const out = collect();
    await dump({ trace: path, json: true, onWarning: (m) => warnings.push(m) }, out);
    const lines = out.text().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const calls = lines.length - 1;
    expect(calls).toBeGreaterThan(0);
    expect(lines.slice(0, -1).map((l) => l.index)).toEqual([...Array(calls).keys()]);
    expect(lines.at(-1)).toEqual({ cut_short: true, offset: fs.frames[2], reason, calls, end: null });
    expect(warnings).toEqual([`${path}: the trace ends early, at offset ${fs.frames[2]}: ${reason} (after ${calls} calls)`]);

    const json = collect();
    const exported: string[] = [];
    await exportTrace({ trace: path, format: 'json', onWarning: (m) => exported.push(m) }, json);
    const array = JSON.parse(json.text()) as Record<string, unknown>[];
    expect(array).toEqual(lines);
    expect(exported).toEqual(warnings);
  });

  it('cut after the footer (before the trailer): the record has the recorded end; a complete trace has no record', async () => {
    const path = put(fs.file.subarray(0, fs.file.length - 4));
    const out = collect();
    const warnings: string[] = [];
    await dump({ trace: path, json: true, onWarning: (m) => warnings.push(m) }, out);
    const last = JSON.parse(out.text().trimEnd().split('\n').at(-1)!);
    expect(last).toEqual({
      cut_short: true, offset: fs.file.length - 16, reason: 'file ends before its trailer (recording was cut short while finishing)',
      calls: 19, end: { kind: 'exit', code: 3 },
    });
    expect(warnings).toHaveLength(1);
    const whole = collect();
    const none: string[] = [];
    await dump({ trace: fs.path, json: true, onWarning: (m) => none.push(m) }, whole);
    expect(whole.text().trimEnd().split('\n').map((l) => JSON.parse(l).index)).toEqual([...Array(19).keys()]);
    expect(none).toEqual([]);
  });
});
