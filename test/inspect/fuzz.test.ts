// Fuzz: no trace is accepted that is not what was recorded. A seeded mutator damages a few small traces (format
// version 4, several frames each, one of them with repeat events) in every way a file can be damaged: truncations, bit flips, overwritten bytes,
// zeroed spans, frames spliced from another trace, swapped, duplicated or dropped, lengths set huge; and, inside
// valid CRCs (as a buggy writer would leave them), junk in the header, the footer and the events. Every command
// that reads a trace (replay, dump, dump --json, info, info --quick, stats, export in both formats, diff) runs
// in-process on every mutant, and must give
//   - a clean one-line UserError naming the trace, or
//   - a correct "cut short" report (only where the file is a cut of the trace: the calls of the frames before the
//     cut, exactly as the whole trace gives them, and where the file ends), or
//   - exactly the output of the unmutated trace
// — never a crash, a hang, "internal error", or silently different content. Damage inside valid CRCs cannot be
// told from a recording, so there any output is right, but errors must still be clean (and replay may diverge).
// `npm test` runs about FUZZ_DEFAULT mutations per trace (fewer of the longest trace, more of the shorter ones:
// about 130 in all, a few seconds); WASI_TRACE_FUZZ=N runs N per trace, with WASI_TRACE_FUZZ_SEED=S another seed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr, Unpackr } from 'msgpackr';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { EventDecoder } from '../../src/trace/events.js';
import { TraceReader } from '../../src/trace/reader.js';
import { decompress, initZstd } from '../../src/trace/zstd.js';
import { assemble, eventsBlock, prng, sameBytes, tempDir, traceParts, walkBlocks, type RawBlock, type TraceParts } from '../trace/helpers.js';
import { guestPath, recordLikeCli } from '../helpers.js';
import { COMMANDS, badError, bytesOf, reframe, runCommand, type Command, type Outcome } from './commands.js';

const FUZZ_DEFAULT = 40;
const LONG_RUN = Number(process.env.WASI_TRACE_FUZZ) || 0;
/** Mutations of each source trace: the default run spends less on the 1,022 calls of clock_random. */
const mutationsOf = (weight: number) => LONG_RUN || Math.round(FUZZ_DEFAULT * weight);
const SEED = Number(process.env.WASI_TRACE_FUZZ_SEED) || 0x10f2;

const dir = tempDir();
/** Where each mutant is written. */
const MUTANT = join(dir, 'mutant.bin');
const golden = (name: string) => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));

interface Source {
  name: string;
  path: string;
  file: Uint8Array;
  parts: TraceParts;
  blocks: RawBlock[];
  /** The same events written again: another trace id. */
  twin: TraceParts;
  /** Calls in each frame. */
  frameCalls: number[];
  /** End of the MODULE chunks. */
  dataStart: number;
  /** Every command's output on the unmutated trace. */
  outputs: Map<Command, Extract<Outcome, { ok: true }>>;
  mutations: number;
}

const sources: Source[] = [];

beforeAll(async () => {
  await initZstd();
  // storm: 1,200 clock reads recorded now, with repeat and delta events (format versions 4 and 5)
  const storm = join(dir, 'storm-recorded.bin');
  expect((await recordLikeCli({ module: guestPath('storm'), output: storm, args: ['1200'], env: [] })).end).toEqual({ kind: 'exit', code: 0 });
  const specs: [string, number, number][] = [
    [golden('hello-v1.bin'), 64, 1.25], [golden('inspect_fs-v1.bin'), 256, 1.25], [golden('clock_random-v1.bin'), 4096, 0.5], [storm, 400, 0.3],
  ];
  for (const [source, frameBytes, weight] of specs) {
    const name = basename(source);
    const path = join(dir, name.replace('-v1', '').replace('-recorded', ''));
    await reframe(source, path, frameBytes, true);
    const twinPath = `${path}.twin`;
    await reframe(source, twinPath, frameBytes, true);
    const file = bytesOf(path);
    const blocks = walkBlocks(file);
    const reader = await TraceReader.open(path);
    const decoder = new EventDecoder();
    const frameCalls = [...reader.frames()].map((f) => decoder.decodeFrame(f.payload, f.count).length);
    reader.close();
    // What every command says on the unmutated trace, read from where the mutants will be (messages name the path).
    const outputs = new Map<Command, Extract<Outcome, { ok: true }>>();
    writeFileSync(MUTANT, file);
    for (const command of COMMANDS) {
      const o = await runCommand(command, MUTANT, path);
      if (!o.ok) throw new Error(`${command} ${path} failed: ${String(o.error)}`);
      outputs.set(command, o);
    }
    sources.push({
      name, path, file, blocks, parts: traceParts(file), twin: traceParts(bytesOf(twinPath)), frameCalls, outputs, mutations: mutationsOf(weight),
      dataStart: blocks.filter((b) => b.type <= 2).at(-1)!.end,
    });
    expect(frameCalls.length, name).toBeGreaterThanOrEqual(4);
  }
}, 60_000);

// ---- mutations ---------------------------------------------------------------------------------------------

interface Mutant {
  what: string;
  bytes: Uint8Array;
  /** Damage inside valid CRCs: any output is right (errors must still be clean; replay may diverge). */
  withinCrc?: boolean;
  /**
   * Frames moved with the footer made to fit them (as a writer would): every command that reads the frames must
   * reject them, but info --quick reads the footer only (and says so), so it may tell what that footer says.
   */
  rebuilt?: boolean;
}

type Rnd = () => number;
const int = (rnd: Rnd, n: number) => Math.floor(rnd() * n);
const pick = <T>(rnd: Rnd, list: readonly T[]): T => list[int(rnd, list.length)]!;
const u32 = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const HUGE = [0xffffffff, 0x7fffffff, (64 << 20) + 1, (1 << 20) + 21, 1 << 26];
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
const packr = new Packr({ useRecords: false });

/** Junk of every msgpack shape, for maps and events. */
function junk(rnd: Rnd): unknown {
  return pick(rnd, [
    undefined, null, true, -1, 0, 7, 2 ** 40, 1.5, -0.25, 'x', '', 'wasi_snapshot_preview1', [], [1, 'a'], [null],
    {}, { a: 1 }, { exit: 'x' }, { blob: 3 }, Uint8Array.of(1, 2, 3), 2n ** 64n - 1n, -(2n ** 63n),
  ] as const);
}

/** `value` with one thing somewhere inside it replaced by junk (or removed). */
function damage(rnd: Rnd, value: unknown, depth = 0): unknown {
  if (depth < 3 && rnd() < 0.6) {
    if (Array.isArray(value) && value.length) {
      const copy = value.slice();
      const i = int(rnd, copy.length);
      copy[i] = damage(rnd, copy[i], depth + 1);
      return rnd() < 0.1 ? copy.slice(0, -1) : copy;
    }
    if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      if (keys.length) {
        const k = pick(rnd, keys);
        const v = damage(rnd, copy[k], depth + 1);
        if (v === undefined) delete copy[k]; else copy[k] = v;
        return copy;
      }
    }
    if (typeof value === 'number' && rnd() < 0.5) return value + pick(rnd, [1, -1, 2 ** 32, 0.5]);
  }
  return junk(rnd);
}

/** Frame k's events, decoded as any msgpack reader would. */
function frameEvents(f: Uint8Array): unknown[] {
  const raw = decompress(f.subarray(20), new DataView(f.buffer, f.byteOffset).getUint32(8, true));
  return unpackr.unpackMultiple(raw.subarray(20)) as unknown[];
}

async function mutate(rnd: Rnd, s: Source): Promise<Mutant> {
  const file = s.file;
  const frames = s.parts.frames;
  const k = int(rnd, frames.length);
  const copy = () => file.slice();
  switch (int(rnd, 13)) {
    case 0: {
      const at = rnd() < 0.5 ? int(rnd, file.length) : pick(rnd, s.blocks).offset + int(rnd, 24) - 2;
      return { what: `truncated at ${at}`, bytes: file.subarray(0, Math.max(0, Math.min(at, file.length - 1))) };
    }
    case 1: {
      const b = copy();
      const n = 1 + int(rnd, 3);
      const at: number[] = [];
      for (let i = 0; i < n; i++) { const x = int(rnd, b.length); at.push(x); b[x] ^= 1 << int(rnd, 8); }
      return { what: `bits flipped at ${at.join(', ')}`, bytes: b };
    }
    case 2: {
      const b = copy();
      const at = int(rnd, b.length);
      const n = 1 + int(rnd, 8);
      for (let i = at; i < Math.min(b.length, at + n); i++) b[i] = int(rnd, 256);
      return { what: `${n} bytes overwritten at ${at}`, bytes: b };
    }
    case 3: {
      // A zeroed span: inside the file, to its end, or from a block boundary to its end (as a crash leaves it).
      const b = copy();
      const from = rnd() < 0.4 ? pick(rnd, [...s.blocks.map((x) => x.offset), s.blocks.at(-1)!.end]) : int(rnd, b.length);
      const to = rnd() < 0.5 ? b.length : Math.min(b.length, from + 1 + int(rnd, 64));
      b.fill(0, from, to);
      return { what: `zeroed ${from}..${to}`, bytes: b };
    }
    case 4: {
      // A length or count set huge (or zero) in a block header, or the trailer's footer offset.
      const b = copy();
      const block = pick(rnd, s.blocks);
      const field = pick(rnd, [4, 8, 16]);
      const value = rnd() < 0.8 ? pick(rnd, HUGE) : 0;
      if (rnd() < 0.15) {
        b.set([...u32(value), ...u32(value >>> 1)], b.length - 16);
        return { what: `trailer offset set to ${value}`, bytes: b };
      }
      b.set(u32(value), block.offset + field);
      return { what: `block at ${block.offset}: field ${field} set to ${value}`, bytes: b };
    }
    case 5:
      return { what: `frame ${k} from the twin trace (valid CRC, the same events)`, rebuilt: true, bytes: assemble({ ...s.parts, frames: frames.map((f, i) => (i === k ? s.twin.frames[i]! : f)) }) };
    case 6: {
      const other = pick(rnd, sources.filter((o) => o !== s));
      const f = pick(rnd, other.parts.frames);
      const list = frames.slice();
      list.splice(k, rnd() < 0.5 ? 1 : 0, f);
      return { what: `a frame of ${other.name} spliced in at ${k}`, rebuilt: true, bytes: assemble({ ...s.parts, frames: list }) };
    }
    case 7: {
      const list = frames.slice();
      const j = (k + 1 + int(rnd, frames.length - 1)) % frames.length;
      const how = int(rnd, 3);
      if (how === 0) [list[k], list[j]] = [list[j]!, list[k]!];
      else if (how === 1) list.splice(k, 0, frames[j]!);
      else list.splice(k, 1);
      return { what: `frames ${['swapped', 'duplicated', 'dropped'][how]} (${k}, ${j})`, rebuilt: true, bytes: assemble({ ...s.parts, frames: list }) };
    }
    case 8: {
      // Raw bytes of the twin's frame over this one (no container fixed up).
      const b = copy();
      const at = s.blocks.filter((x) => x.type === 3)[k]!.offset;
      b.set(s.twin.frames[k]!.subarray(0, b.length - at), at);
      return { what: `frame ${k} overwritten by the twin's bytes`, bytes: b };
    }
    case 9:
      return { what: 'header damaged inside a valid CRC', withinCrc: true, bytes: assemble({ ...s.parts, header: damage(rnd, s.parts.header, 1) as Record<string, unknown> }) };
    case 10:
      return { what: 'footer damaged inside a valid CRC', withinCrc: true, bytes: assemble(s.parts, (m) => damage(rnd, m, 1) as Record<string, unknown>) };
    case 11: {
      const events = frameEvents(frames[k]!);
      const e = int(rnd, events.length);
      events[e] = damage(rnd, events[e], 1);
      const count = rnd() < 0.2 ? events.length + pick(rnd, [1, -1]) : events.length;
      const block = await eventsBlock(s.parts.header.traceId as string, k, Buffer.concat(events.map((v) => packr.pack(v))), Math.max(1, count));
      return { what: `event ${e} of frame ${k} damaged inside a valid CRC (count ${count})`, withinCrc: true, bytes: assemble({ ...s.parts, frames: frames.map((f, i) => (i === k ? block : f)) }) };
    }
    default: {
      // Appended bytes: garbage, a second trailer, or another block.
      const tail = pick(rnd, [Uint8Array.of(0), file.subarray(file.length - 16), frames[k]!, Uint8Array.of(1, 2, 3)]);
      return { what: `${tail.length} bytes appended`, bytes: Buffer.concat([file, tail]) };
    }
  }
}

// ---- what a command may say ----------------------------------------------------------------------------------

/** Where a cut of the trace at `c` ends for a reader (the start of the block it cuts into, or c), and its calls. */
function cutAt(s: Source, c: number): { offset: number; calls: number } {
  const inside = s.blocks.find((b) => b.offset < c && c < b.end);
  const footer = s.blocks.at(-1)!;
  const offset = inside ? inside.offset : c > footer.end ? footer.end : c;
  const frames = s.blocks.filter((b) => b.type === 3);
  const calls = frames.reduce((n, f, i) => (f.end <= c ? n + s.frameCalls[i]! : n), 0);
  return { offset, calls };
}

/**
 * Where the mutant is a cut of the trace (truncated, or zeros from a block boundary on, as a crash leaves it) for
 * a reader that reads on from its MODULE chunks; undefined when it is not one.
 */
function legitCut(s: Source, m: Uint8Array): number | undefined {
  if (m.length < s.file.length && sameBytes(m, s.file.subarray(0, m.length))) return m.length;
  if (m.length !== s.file.length) return undefined;
  const boundaries = [...s.blocks.map((b) => b.offset), s.blocks.at(-1)!.end].filter((b) => b >= s.dataStart).sort((x, y) => x - y);
  for (const b of boundaries) {
    if (m.subarray(b).every((x) => x === 0) && sameBytes(m.subarray(0, b), s.file.subarray(0, b))) return b;
  }
  return undefined;
}

const lines = (t: string) => t.split('\n').slice(0, -1);
const ENDS = (offset: number) => `the trace ends early, at offset ${offset}: `;

/** Why output `o` of `command` on a cut of the trace (calls and offset as cutAt says) is not the right report. */
function wrongCut(s: Source, command: Command, o: Extract<Outcome, { ok: true }>, cut: { offset: number; calls: number }): string | undefined {
  const orig = s.outputs.get(command)!.out;
  const { offset, calls } = cut;
  const why = (cond: boolean, what: string) => (cond ? undefined : what);
  switch (command) {
    case 'dump': {
      const l = lines(o.out);
      return why(l.length === calls + 1 && sameList(l.slice(0, calls), lines(orig).slice(0, calls)) && l.at(-1)!.startsWith(`+++ ${ENDS(offset)}`),
        'dump: not the calls before the cut and where it ends');
    }
    case 'dump --json': {
      const l = lines(o.out);
      const last = JSON.parse(l.at(-1) ?? 'null');
      return why(l.length === calls + 1 && sameList(l.slice(0, calls), lines(orig).slice(0, calls)) && last?.cut_short === true &&
        last.offset === offset && last.calls === calls && o.warnings.length === 1 && o.warnings[0]!.includes(ENDS(offset)), 'dump --json: bad cut record');
    }
    case 'info':
      return why(o.out.includes(`\ncalls       ${calls} (read before the cut)\n`) && o.out.includes(`\ncomplete    no: ${ENDS(offset)}`), 'info: bad cut report');
    case 'info --quick':
      return why(o.out.includes('\ncomplete    unknown: no footer at the end of the file'), 'info --quick: claims to know');
    case 'stats --json': {
      const j = JSON.parse(o.out);
      return why(j.total.calls === calls && String(j.ended).startsWith(ENDS(offset)), 'stats: bad cut report');
    }
    case 'export --format json': {
      const items = JSON.parse(o.out) as unknown[];
      const all = JSON.parse(orig) as unknown[];
      const last = items.at(-1) as Record<string, unknown>;
      return why(items.length === calls + 1 && JSON.stringify(items.slice(0, calls)) === JSON.stringify(all.slice(0, calls)) &&
        last.cut_short === true && last.offset === offset && last.calls === calls, 'export json: bad cut record');
    }
    case 'export': {
      const j = JSON.parse(o.out) as { traceEvents: { ph: string; name: string }[]; metadata: { ended: string } };
      const all = JSON.parse(orig) as { traceEvents: unknown[] };
      const slices = j.traceEvents.filter((e) => e.ph === 'X');
      return why(slices.length === calls && JSON.stringify(j.traceEvents.slice(0, calls + 2)) === JSON.stringify(all.traceEvents.slice(0, calls + 2)) &&
        j.metadata.ended.startsWith(ENDS(offset)) && o.warnings.length === 1, 'export chrome: bad cut report');
    }
    case 'diff':
      return why(o.code === 1 && o.out.includes(`\nb ended: ${ENDS(offset)}`) && o.out.includes(`(${calls} calls)\n`), 'diff: bad cut report');
    case 'replay': {
      const r = JSON.parse(o.out);
      const full = JSON.parse(orig);
      return why(r.complete === false && r.calls === calls && full.stdout.startsWith(r.stdout) && String(r.incompleteReason).includes(`(at offset ${offset})`),
        'replay: bad cut report');
    }
  }
}

/** Whether `m` ends with the trailer `file` ends with, at the same offset. */
const endsLike = (m: Uint8Array, file: Uint8Array) => m.length === file.length && sameBytes(m.subarray(m.length - 16), file.subarray(file.length - 16));
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** How often each command ended how (printed with WASI_TRACE_FUZZ). */
const outcomes = new Map<string, number>();
const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);

/** Checks every command on one mutant; returns the problems found. */
async function check(s: Source, m: Mutant, path: string): Promise<string[]> {
  const problems: string[] = [];
  const unchanged = sameBytes(m.bytes, s.file);
  const c = unchanged || m.withinCrc ? undefined : legitCut(s, m.bytes);
  for (const command of COMMANDS) {
    const o = await runCommand(command, path, s.path);
    const orig = s.outputs.get(command)!;
    if (!o.ok) {
      const bad = unchanged ? `failed on an unchanged trace: ${String(o.error)}` : badError(o.error, path, m.withinCrc && command === 'replay');
      if (bad) problems.push(`${command}: ${bad}`);
      count(o.error instanceof UserError ? 'one-line error' : 'divergence (inside valid CRCs)');
      continue;
    }
    if (m.withinCrc) { count('output (inside valid CRCs)'); continue; }
    if (o.out === orig.out && o.code === orig.code) { count('the unmutated output'); continue; }
    count(command === 'info --quick' ? 'info --quick: the footer only' : 'a cut-short report');
    if (command === 'info --quick' && m.rebuilt && o.out.endsWith('\nchecked     header and footer only (--quick): the frames, their CRCs and the module were not read\n')) continue;
    // --quick reads the footer through the trailer: without the trailer where it was, it can only say it does not know.
    if (command === 'info --quick' && !endsLike(m.bytes, s.file) && o.out.includes('\ncomplete    unknown: no footer at the end of the file')) continue;
    if (c === undefined) {
      problems.push(`${command}: silently different output:\n${o.out.slice(0, 2000)}`);
      continue;
    }
    const cut = cutAt(s, c);
    if (c < s.dataStart && cut.calls !== 0) problems.push(`${command}: calls from a cut inside the module`);
    const wrong = wrongCut(s, command, o, cut);
    if (wrong) problems.push(`${wrong} (expected ${JSON.stringify(cut)}):\n${o.out.slice(0, 2000)}`);
  }
  return problems;
}

describe(`fuzz: mutations of 3 traces, every command (seed ${SEED}${LONG_RUN ? `, ${LONG_RUN} per trace` : ''})`, () => {
  it('gives a clean error, a correct cut-short report, or the unmutated output', async () => {
    const rnd = prng(SEED);
    const tally = { mutants: 0, withinCrc: 0 };
    const failures: string[] = [];
    for (const s of sources) {
      for (let i = 0; i < s.mutations; i++) {
        const m = await mutate(rnd, s);
        writeFileSync(MUTANT, m.bytes);
        const problems = await check(s, m, MUTANT);
        tally.mutants++;
        if (m.withinCrc) tally.withinCrc++;
        if (problems.length) {
          const keep = join(mkdtempSync(join(tmpdir(), 'wasi-trace-fuzz-')), `${s.name}-${i}.bin`);
          writeFileSync(keep, m.bytes);
          failures.push(`${s.name} #${i}: ${m.what} (kept as ${keep}):\n  ${problems.join('\n  ')}`);
          if (failures.length >= 5) break;
        }
      }
    }
    if (process.env.WASI_TRACE_FUZZ) console.log(`fuzz: ${tally.mutants} mutants (${tally.withinCrc} inside valid CRCs) × ${COMMANDS.length} commands:`, Object.fromEntries(outcomes));
    expect(failures.join('\n\n')).toBe('');
    expect(tally.mutants).toBe(sources.reduce((n, s) => n + s.mutations, 0));
  }, 600_000);
});
