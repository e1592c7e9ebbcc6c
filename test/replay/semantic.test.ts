// replay --module against another build (src/replay/semantic.ts): calls match by meaning, recorded writes land at
// the new call's pointers, fd_writes the rebuild adds to stdout/stderr are let through marked "[+] ", anything else
// diverges naming the argument; and replay --tag-output. Guests: test/guests/rebuild.inc built three ways.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, FUNCTIONS_BY_NAME, wasmParams } from '../../src/abi/index.js';
import { callPlan, stringLists } from '../../src/calls/capture.js';
import { EventCursor } from '../../src/replay/cursor.js';
import { DivergenceError, prefixLines, replay } from '../../src/replay/replay.js';
import { exactMatcher, semanticMatcher, type SemanticMatch } from '../../src/replay/semantic.js';
import { BLOB_THRESHOLD, type CallEvent } from '../../src/trace/events.js';
import { guestPath, recordLikeCli, wt } from '../helpers.js';
import { hostLayout } from '../vfs/backends.js';
import { encodeEvents, readTrace, type TraceParts } from './helpers.js';

const layout = hostLayout();
afterAll(() => rmSync(layout.root, { recursive: true, force: true }));

interface Recorded { trace: string; stdout: string; stderr: string; code: number; parts: TraceParts }
const recorded: Record<string, Recorded> = {};

/** Records a rebuild guest with two args, one env var, stdin and the sandbox, as `wasi-trace record` does. */
async function recordGuest(name: string): Promise<Recorded> {
  const trace = join(layout.root, `${name}.bin`);
  const rec = await recordLikeCli({
    module: guestPath(name), args: ['x', 'y'], env: ['WHO=me'], stdin: Buffer.from('some input'),
    preopens: [{ guestPath: '/sandbox', hostPath: layout.sandbox }], output: trace,
  });
  expect(rec.end.kind).toBe('exit');
  return { trace, stdout: rec.stdout, stderr: rec.stderr, code: rec.end.kind === 'exit' ? rec.end.code : -1, parts: await readTrace(trace) };
}

const nameOf = (parts: TraceParts, e: CallEvent): string => (parts.header.imports as { name: string }[])[e.imp]!.name;
const fdWriteTo = (parts: TraceParts, e: CallEvent, fd: number) => nameOf(parts, e) === 'fd_write' && e.args[0] === fd;

beforeAll(async () => {
  recorded.a = await recordGuest('rebuild_a');
  recorded.b = await recordGuest('rebuild_b');
}, 60_000);

describe('replay --module against a rebuild', () => {
  it('the original and the rebuild differ: the rebuild writes three extra stderr lines and every pointer it passes moved', () => {
    const { a, b } = recorded as { a: Recorded; b: Recorded };
    const masked = (out: string) => out.replace(/^time .*$/m, 'time ...');
    expect(masked(a.stdout)).toBe(masked(b.stdout)); // two recordings: other clock and random values
    expect(a.stdout).toMatch(/^argc=3 last=y\nWHO=me\ntime \d+\.\d{9} res \d+ random [0-9a-f]{16}\nread 8: helello\nsize 6\nstat inner: 0 size 6\nentry inner\.txt\nstdin 10: some input\nbye\n$/);
    expect(a.code).toBe(3);
    expect(a.stderr).toBe('');
    expect(b.stderr).toBe('rebuild: 3 args\nrebuild: read 8 bytes\nrebuild: done\n');
    // The same calls once the rebuild's stderr writes are left out; every pointer argument of them differs.
    const evA = a.parts.events;
    const evB = b.parts.events.filter((e) => !fdWriteTo(b.parts, e, 2));
    expect(evB.map((e) => nameOf(b.parts, e))).toEqual(evA.map((e) => nameOf(a.parts, e)));
    let pointers = 0;
    evA.forEach((e, i) => {
      const def = FUNCTIONS_BY_NAME.get(nameOf(a.parts, e))!;
      wasmParams(def).forEach((w, j) => {
        if (w.part !== 'ptr') return;
        pointers++;
        expect({ call: `#${i} ${def.name}`, param: w.name, moved: e.args[j] !== evB[i]!.args[j] }).toMatchObject({ moved: true });
      });
    });
    expect(pointers).toBeGreaterThan(40);
    // Every kind of write mapping is in this trace.
    const names = new Set(evA.map((e) => nameOf(a.parts, e)));
    for (const f of ['args_get', 'environ_get', 'clock_time_get', 'clock_res_get', 'random_get', 'fd_prestat_get', 'fd_prestat_dir_name',
      'path_open', 'fd_read', 'fd_seek', 'fd_filestat_get', 'path_filestat_get', 'fd_readdir', 'poll_oneoff', 'fd_fdstat_get']) {
      expect(names).toContain(f);
    }
    // One read filled two iovecs (stdio's: the caller's buffer and the FILE buffer).
    expect(evA.some((e) => nameOf(a.parts, e) === 'fd_read' && e.writes.length >= 3)).toBe(true);
  });

  it("replays the original's trace against the rebuild to the end: the recorded stdout and exit, plus its own lines marked [+]", async () => {
    const { a } = recorded as { a: Recorded };
    const r = await wt(['replay', '--module', guestPath('rebuild_b'), a.trace]);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe(a.stdout);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^wasi-trace: warning: .*rebuild_b\.wasm differs from the recorded module/);
    expect(lines.slice(1)).toEqual([
      '[+] rebuild: 3 args', '[+] rebuild: read 8 bytes', '[+] rebuild: done',
      'wasi-trace: 3 writes to stdout/stderr that the recording lacks let through (marked "[+] ")', '',
    ]);
  });

  it('the API tells how many writes it let through; the recorded module itself replays exactly (no count)', async () => {
    const { a } = recorded as { a: Recorded };
    const out: Buffer[] = [];
    const r = await replay({ trace: a.trace, module: guestPath('rebuild_b'), stdout: (x) => out.push(Buffer.from(x)), stderr: () => {}, onWarning: () => {} });
    expect(r).toMatchObject({ complete: true, end: { kind: 'exit', code: 3 }, calls: a.parts.events.length, extraWrites: 3 });
    expect(Buffer.concat(out).toString()).toBe(a.stdout);
    const same = await replay({ trace: a.trace, module: guestPath('rebuild_a'), quiet: true });
    expect(same.extraWrites).toBeUndefined();
  });

  it('--stop-at and the boundary hook count recorded events, not the calls a rebuild adds', async () => {
    const { a } = recorded as { a: Recorded };
    const before: number[] = [];
    const r = await replay({
      trace: a.trace, module: guestPath('rebuild_b'), quiet: true, onWarning: () => {}, stopAt: 7,
      onBoundary: (i, _m, when) => { if (when === 'before') before.push(i); },
    });
    expect(r.stoppedAt).toBe(7);
    expect(r.calls).toBe(7);
    expect(before).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('--verify with another build compares its memory as it is, with a warning: a rebuild whose data moved differs', async () => {
    const r = await wt(['replay', '-q', '--verify', '--module', guestPath('rebuild_b'), recorded.a!.trace]);
    expect(r.stderr).toMatch(/^wasi-trace: warning: --verify compares this build's memory byte for byte/m);
    expect(r.stderr).toMatch(/^wasi-trace: replay diverged at event #\d+: (memory differs at the checkpoint|guest memory at the end differs)/m);
    expect(r.status).toBe(125);
  });

  it('a rebuild that opens another path diverges at that path_open, naming the argument', async () => {
    const { a } = recorded as { a: Recorded };
    const at = a.parts.events.findIndex((e) => nameOf(a.parts, e) === 'path_open');
    const r = await wt(['replay', '--module', guestPath('rebuild_path'), a.trace]);
    expect(r.status).toBe(125);
    expect(r.stderr).toContain(`replay diverged at event #${at}: path_open was called with other data\n` +
      '  expected: path_open(fd=3, dirflags=SYMLINK_FOLLOW, path="hello.txt"');
    expect(r.stderr).toMatch(/\n {2}actual: {3}path_open\(fd=3, dirflags=SYMLINK_FOLLOW, path="sub\/inner\.txt", [^\n]*fdflags=0\)\n {2}argument: path is "sub\/inner\.txt", recorded "hello\.txt"\n/);
  });

  it("a trace with calls the build does not make (the rebuild's trace against the original) diverges naming both calls", async () => {
    const { b } = recorded as { b: Recorded };
    const at = b.parts.events.findIndex((e) => fdWriteTo(b.parts, e, 2));
    const err = await replay({ trace: b.trace, module: guestPath('rebuild_a'), quiet: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    const report = (err as DivergenceError).report;
    expect(report.index).toBe(at);
    expect(report.reason).toMatch(/^the guest called \w+, the recording has fd_write$/);
    expect(report.expected).toMatch(/^fd_write\(fd=2, iovs="rebuild: 3 args\\n"\)/);
  });

  it('an extra fd_write to an fd that is not stdout/stderr is not let through: a divergence naming both calls', async () => {
    const { a } = recorded as { a: Recorded };
    const at = a.parts.events.findIndex((e) => nameOf(a.parts, e) === 'fd_fdstat_get');
    const out: Buffer[] = [];
    const err = await replay({ trace: a.trace, module: guestPath('rebuild_fdwrite'), stdout: (x) => out.push(Buffer.from(x)), stderr: (x) => out.push(Buffer.from(x)) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).report).toMatchObject({
      index: at, reason: 'the guest called fd_write, the recording has fd_fdstat_get', actual: 'fd_write(fd=3, iovs="x")',
    });
    expect(Buffer.concat(out).toString()).toBe(''); // nothing was let through
  });

  it('output that changed is let through marked, then reported at the recorded write it replaced', async () => {
    const trace = join(layout.root, 'variant.bin');
    await recordLikeCli({ module: guestPath('variant_a'), output: trace });
    const out: Buffer[] = [];
    const err = await replay({ trace, module: guestPath('variant_b'), stdout: (x) => out.push(Buffer.from(x)), stderr: () => {} }).catch((e: unknown) => e);
    expect(Buffer.concat(out).toString()).toMatch(/^start\n\[\+\] variant B [0-9a-f]{8}\n$/);
    const report = (err as DivergenceError).report;
    expect(report.reason).toBe('fd_write was called with other data');
    expect(report.argument).toMatch(/^iovs is "variant B ([0-9a-f]{8})\\n", recorded "variant A \1\\n"$/);
    expect(report.actual).toMatch(/^fd_write\(fd=1, iovs="variant B /);
  });
});

describe('replay --tag-output', () => {
  it('prefixes each line with the number of the event that wrote it; with --module the extra lines carry [+]', async () => {
    const { a } = recorded as { a: Recorded };
    const writes = a.parts.events.flatMap((e, i) => (fdWriteTo(a.parts, e, 1) ? [i] : []));
    const tagged = a.stdout.split('\n').slice(0, -1).map((line, k) => `[#${writes[k]}] ${line}\n`).join('');
    expect(writes.length).toBe(a.stdout.split('\n').length - 1); // each line is one write here
    const plain = await wt(['replay', '--tag-output', a.trace]);
    expect(plain).toMatchObject({ status: 3, stdout: tagged, stderr: '' });
    const rebuilt = await wt(['replay', '--tag-output', '--module', guestPath('rebuild_b'), a.trace]);
    expect(rebuilt.stdout).toBe(tagged);
    expect(rebuilt.stderr).toContain('\n[+] rebuild: 3 args\n[+] rebuild: read 8 bytes\n[+] rebuild: done\n');
  });

  it('prefixLines marks every line a chunk starts, a line cut at the end of the chunk too, and nothing in an empty chunk', () => {
    const text = (s: string) => Buffer.from(prefixLines('[#7] ', Buffer.from(s))).toString();
    expect(text('a\nb\n')).toBe('[#7] a\n[#7] b\n');
    expect(text('a\n\nb')).toBe('[#7] a\n[#7] \n[#7] b');
    expect(text('\n')).toBe('[#7] \n');
    expect(text('')).toBe('');
  });
});

// ---- the mapping of one call, on made-up events --------------------------------------------------------------

const LISTS = stringLists(['prog', 'ab'], ['K=v']);
const matcherOf = (name: string) => {
  const def = FUNCTIONS_BY_NAME.get(name)!;
  return semanticMatcher(def, callPlan(def, LISTS), LISTS);
};
const ev = (name: string, args: (number | bigint)[], result: CallEvent['result'], writes: CallEvent['writes'] = [], inputs: Uint8Array | null = null): CallEvent =>
  ({ imp: FUNCTIONS_BY_NAME.get(name)!.index, args, result, writes, inputs, gap: 0, dur: 0 });
const w = (addr: number, bytes: number[]) => ({ addr, bytes: new Uint8Array(bytes) });
const u32le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
/** A 2 KiB memory with iovecs {buf, len} at `at`. */
function memWithIovecs(at: number, iovs: [number, number][]): Uint8Array {
  const mem = new Uint8Array(2048);
  iovs.forEach(([buf, len], i) => { mem.set(u32le(buf), at + 8 * i); mem.set(u32le(len), at + 8 * i + 4); });
  return mem;
}
const ok = (m: SemanticMatch) => { if (!m.ok) throw new Error(`${m.reason}: ${m.argument}`); return m.writes.map((x) => [x.addr, [...x.bytes]]); };

describe('semanticMatcher', () => {
  it('fd_read: the data read is spread over the new iovecs in order, nread goes to the new pointer', () => {
    // recorded: fd_read(fd=4, iovs=0x100 (2 iovecs), nread=0x10) wrote "hello" at 0x200 and "!" at 0x300, nread=6
    const rec = ev('fd_read', [4, 0x100, 2, 0x10], 0, [w(0x200, [104, 101, 108, 108, 111]), w(0x300, [33]), w(0x10, u32le(6))]);
    const mem = memWithIovecs(0x80, [[0x400, 2], [0x500, 1], [0x600, 100]]);
    expect(ok(matcherOf('fd_read')(rec, [4, 0x80, 3, 0x40], mem))).toEqual([
      [0x40, u32le(6)], [0x400, [104, 101]], [0x500, [108]], [0x600, [108, 111, 33]],
    ]);
    const small = memWithIovecs(0x80, [[0x400, 2], [0x500, 1]]);
    expect(matcherOf('fd_read')(rec, [4, 0x80, 2, 0x40], small)).toMatchObject({
      ok: false, kind: 'unmapped', argument: 'iovs hold 3 bytes, the recording read 6',
    });
    expect(matcherOf('fd_read')(rec, [5, 0x80, 3, 0x40], mem)).toMatchObject({ ok: false, kind: 'call', argument: 'fd is 5, recorded 4' });
    expect(matcherOf('fd_read')(rec, [4, 0x80, 3, 2046], mem)).toMatchObject({ ok: false, kind: 'memory', argument: 'nread is 0x7fe' });
    const past = memWithIovecs(0x80, [[0x400, 2], [2047, 4]]);
    expect(matcherOf('fd_read')(rec, [4, 0x80, 2, 0x40], past)).toMatchObject({ ok: false, kind: 'memory', argument: 'iovs[1].buf is 0x7ff' });
  });

  it('args_get: the strings go to the new buffer and each pointer is rebased into it', () => {
    const strings = [...Buffer.from('prog\0ab\0')];
    const rec = ev('args_get', [0x100, 0x200], 0, [w(0x100, [...u32le(0x200), ...u32le(0x205)]), w(0x200, strings)]);
    expect(ok(matcherOf('args_get')(rec, [0x40, 0x80], new Uint8Array(1024)))).toEqual([
      [0x40, [...u32le(0x80), ...u32le(0x85)]], [0x80, strings],
    ]);
    const wild = ev('args_get', [0x100, 0x200], 0, [w(0x100, [...u32le(0x200), ...u32le(0x900)]), w(0x200, strings)]);
    expect(matcherOf('args_get')(wild, [0x40, 0x80], new Uint8Array(1024))).toMatchObject({
      ok: false, kind: 'unmapped', argument: 'argv[1] is 0x900, argv_buf was 0x200 (8 bytes)',
    });
  });

  it('values are compared exactly and named (a 64-bit one too); pointers not at all', () => {
    const rec = ev('fd_seek', [4, 1, 0, 0x10], 0, [w(0x10, [1, 0, 0, 0, 0, 0, 0, 0])]);
    const seek = matcherOf('fd_seek');
    expect(ok(seek(rec, [4, 1n, 0, 0x20], new Uint8Array(64)))).toEqual([[0x20, [1, 0, 0, 0, 0, 0, 0, 0]]]);
    expect(seek(rec, [4, 1n, 1, 0x20], new Uint8Array(64))).toMatchObject({ ok: false, kind: 'call', argument: 'whence is CUR, recorded SET' });
    expect(seek(rec, [4, 2n, 0, 0x20], new Uint8Array(64))).toMatchObject({ ok: false, kind: 'call', argument: 'offset is 2, recorded 1' });
    // random_get fills all of buf_len: the length is a value
    const rnd = ev('random_get', [0x10, 2], 0, [w(0x10, [7, 9])]);
    expect(ok(matcherOf('random_get')(rnd, [0x30, 2], new Uint8Array(64)))).toEqual([[0x30, [7, 9]]]);
    expect(matcherOf('random_get')(rnd, [0x30, 3], new Uint8Array(64))).toMatchObject({ ok: false, kind: 'call', argument: 'buf_len is 3, recorded 2' });
  });

  it('strings are compared one by one, not as the concatenated inputs', () => {
    // path_rename(fd=3, old_path="ab", new_fd=3, new_path="c") recorded; the guest renames "a" to "bc"
    const rec = ev('path_rename', [3, 0x10, 2, 3, 0x20, 1], 0, [], Buffer.from('abc'));
    const mem = new Uint8Array(64);
    mem.set(Buffer.from('a'), 0x30);
    mem.set(Buffer.from('bc'), 0x38);
    expect(matcherOf('path_rename')(rec, [3, 0x30, 1, 3, 0x38, 2], mem)).toMatchObject({
      ok: false, kind: 'inputs', reason: 'path_rename was called with other data', argument: 'old_path is "a", recorded "ab"',
    });
    mem.set(Buffer.from('abc'), 0x30);
    expect(ok(matcherOf('path_rename')(rec, [3, 0x30, 2, 3, 0x32, 1], mem))).toEqual([]);
  });

  it('a failed call maps only its fixed-size out-params; a recorded write no parameter explains is a divergence', () => {
    const failed = ev('path_open', [3, 1, 0x10, 1, 0, 0n, 0n, 0, 0x40], 44, [w(0x40, u32le(0))], Buffer.from('a'));
    const mem = new Uint8Array(256);
    mem[0x90] = 97;
    expect(ok(matcherOf('path_open')(failed, [3, 1, 0x90, 1, 0, 0n, 0n, 0, 0x80], mem))).toEqual([[0x80, u32le(0)]]);
    const odd = ev('clock_time_get', [1, 1n, 0x10], 0, [w(0x10, [1, 2, 3, 4, 5, 6, 7, 8]), w(0x30, [1])]);
    expect(matcherOf('clock_time_get')(odd, [1, 1n, 0x20], new Uint8Array(64))).toMatchObject({
      ok: false, kind: 'unmapped', argument: '1 bytes at 0x30',
    });
  });

  it('imports the schema does not know match exactly, pointers included, and write where they were recorded', () => {
    const rec: CallEvent = { imp: 50, args: [0x10, 4], result: 0, writes: [w(0x10, [1, 2, 3, 4])], inputs: null, gap: 0, dur: 0 };
    expect(ok(exactMatcher('env.fill')(rec, [0x10, 4], new Uint8Array(64)))).toEqual([[0x10, [1, 2, 3, 4]]]);
    expect(exactMatcher('env.fill')(rec, [0x20, 4], new Uint8Array(64))).toMatchObject({ ok: false, kind: 'call' });
  });

  it('every preview1 function gets a matcher that accepts its own recorded call unchanged', () => {
    for (const def of FUNCTIONS) {
      const n = wasmParams(def).length;
      const args = wasmParams(def).map((p) => (p.wasm === 'i64' ? 0n : 0));
      const m = semanticMatcher(def, callPlan(def, LISTS), LISTS)({ imp: def.index, args: args.map(Number), result: 0, writes: [], inputs: callPlan(def, LISTS).inputs(new Uint8Array(64), args), gap: 0, dur: 0 }, args, new Uint8Array(64));
      expect({ fn: def.name, n, ok: m.ok }).toEqual({ fn: def.name, n, ok: true });
    }
  });
});

describe('EventCursor.peek/take', () => {
  it('peek returns the same event until take; a blob-carried byte string is whole; the end is undefined', () => {
    const big = new Uint8Array(BLOB_THRESHOLD + 10).fill(7);
    const events: CallEvent[] = [
      { imp: 0, args: [1], result: 0, writes: [{ addr: 0, bytes: big }], inputs: null, gap: 0, dur: 0 },
      { imp: 1, args: [2], result: 5, writes: [], inputs: Buffer.from('x'), gap: 0, dur: 0 },
    ];
    const frames = encodeEvents(events).map((c, i) => ({ offset: 100 * (i + 1), count: c.count, payload: c.bytes }));
    const cursor = new EventCursor(frames[Symbol.iterator]());
    const first = cursor.peek()!;
    expect(cursor.peek()).toBe(first);
    expect(cursor.index).toBe(1);
    expect(first.writes[0]!.bytes.length).toBe(big.length);
    expect(first.writes[0]!.bytes.every((b) => b === 7)).toBe(true);
    expect(cursor.skipToNext()).toBe(true); // the peeked event is the one left over
    expect(cursor.index).toBe(1);
    cursor.take();
    expect(cursor.peek()).toMatchObject({ imp: 1, args: [2], result: 5 });
    expect(cursor.recentEvents().map((r) => r.index)).toEqual([0, 1]);
    cursor.take();
    expect(cursor.peek()).toBeUndefined();
    expect(cursor.index).toBe(2);
  });
});
