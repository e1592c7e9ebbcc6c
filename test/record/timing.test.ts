// record --timing (issue 13): by default only calls that do I/O or may block get host times; clock, random and
// args calls are recorded without them (smaller events, no clock reads). --timing all times every call. The
// recorder's fast path for calls whose writes are fixed-size out-params records what the general path does.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, FUNCTIONS_BY_NAME, wasmParams } from '../../src/abi/index.js';
import { callPlan, fixedOutParams, fixedWrites, stringLists } from '../../src/calls/capture.js';
import { recordingImports } from '../../src/record/proxy.js';
import { Recorder } from '../../src/record/recorder.js';
import { GuestMemory } from '../../src/runtime/memory.js';
import { EventDecoder, EventEncoder, type CallEvent } from '../../src/trace/events.js';
import { TraceReader } from '../../src/trace/reader.js';
import { guestPath, wt } from '../helpers.js';
import { tempDir } from '../trace/helpers.js';

const dir = tempDir();

/** The events of a trace by function name. */
async function eventsOf(trace: string): Promise<{ name: string; ev: CallEvent }[]> {
  const reader = await TraceReader.open(trace);
  const decoder = new EventDecoder();
  const out: { name: string; ev: CallEvent }[] = [];
  for (const f of reader.frames()) for (const ev of decoder.decodeFrame(f.payload, f.count)) out.push({ name: reader.header.imports[ev.imp]!.name, ev });
  reader.close();
  return out;
}

/** `wasi-trace record args...`, in-process. */
const recordCli = (args: string[]) => wt(['record', ...args]);

describe('record --timing', () => {
  const io = join(dir, 'io.bin');
  const all = join(dir, 'all.bin');

  it('io (the default): clock and args calls untimed, fd calls timed; all: every call timed', async () => {
    expect((await recordCli(['-o', io, guestPath('storm'), '50'])).status).toBe(0);
    expect((await recordCli(['--timing', 'all', '-o', all, guestPath('storm'), '50'])).status).toBe(0);
    const ioEvents = await eventsOf(io);
    const clock = ioEvents.filter((e) => e.name === 'clock_time_get');
    expect(clock.length).toBe(50);
    expect(clock.every((e) => e.ev.untimed === true && e.ev.gap === 0 && e.ev.dur === 0)).toBe(true);
    expect(ioEvents.filter((e) => e.name.startsWith('args_')).every((e) => e.ev.untimed)).toBe(true);
    const write = ioEvents.find((e) => e.name === 'fd_write')!;
    expect(write.ev.untimed).toBeUndefined();
    expect(write.ev.dur).toBeGreaterThan(0);
    expect((await eventsOf(all)).every((e) => e.ev.untimed === undefined)).toBe(true);
  });

  it('stats and export say which calls were not timed', async () => {
    const s = await wt(['stats', io]);
    expect(s.stdout).toMatch(/^not timed \(recorded with --timing io; their host time is not counted\): args_sizes_get \(1 calls\), args_get \(1 calls\), clock_time_get \(50 calls\)$/m);
    expect((await wt(['stats', all])).stdout).not.toContain('not timed');
    const json = JSON.parse((await wt(['stats', '--json', io])).stdout);
    expect(json.untimed).toEqual({ args_sizes_get: 1, args_get: 1, clock_time_get: 50 });
    const chrome = JSON.parse((await wt(['export', io])).stdout);
    expect(chrome.metadata.untimed).toEqual(expect.arrayContaining(['clock_time_get', 'args_get', 'args_sizes_get']));
    expect(chrome.traceEvents.filter((e: { args?: { untimed?: boolean } }) => e.args?.untimed).length).toBe(52);
    // dump -T says <untimed> where a time would be, and a time for the timed calls.
    const dumped = (await wt(['dump', '-T', io])).stdout.split('\n').filter(Boolean);
    expect(dumped.filter((l) => l.endsWith(' <untimed>')).length).toBe(52);
    expect(dumped.filter((l) => /^#\d+ fd_write\(.* <\d+\.\d{9}>$/.test(l)).length).toBeGreaterThan(0);
  });

  it('bad --timing or --checkpoints: one line, exit 2', async () => {
    const t = await wt(['record', '--timing', 'some', '-o', join(dir, 'x.bin'), guestPath('hello')]);
    expect(t).toMatchObject({ status: 2, stderr: 'wasi-trace: --timing some: not one of io, all\n' });
    const c = await wt(['record', '--checkpoints', '-3', '-o', join(dir, 'x.bin'), guestPath('hello')]);
    expect(c).toMatchObject({ status: 2, stderr: 'wasi-trace: --checkpoints -3: expected auto or a whole number of calls (0 for none)\n' });
  });
});

describe('the fast path of calls whose writes are fixed-size out-params', () => {
  it('encodes the very bytes of the general encoder (timed and untimed, i64 args, a 64-byte filestat)', () => {
    const mem = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);
    const cases: [number, unknown[], number, number[], number, number][] = [
      [5, [1, 1n, 70000], 0, [100, 8], -1, -1],
      [3, [-1, 2n ** 60n, 3], 8, [200, 8, 300, 4], 4096, 32],
      [13, [3, 1000], 0, [1000, 64], 0, 123456],
    ];
    for (const [imp, args, result, writes, gap, dur] of cases) {
      const a = new EventEncoder(new Uint8Array(256));
      const b = new EventEncoder(new Uint8Array(256));
      a.call(imp, args, result, writes, mem, null, gap, dur);
      b.fixedCall(imp, args, result, writes, mem, gap, dur);
      expect([...b.buf.subarray(0, b.pos)]).toEqual([...a.buf.subarray(0, a.pos)]);
      expect(b.count).toBe(1);
    }
  });

  it('a recorder made ahead of its run times its first call from startClock, not from when it was made', () => {
    let got = new Uint8Array(0);
    const rec = new Recorder((b) => { got = b.slice(); return b; }, new Uint8Array(1 << 16), 1, 1000, undefined, { checkpoints: 0 });
    rec.startClock(5000);
    rec.fixedCall(0, [0, 64], 0, [64, 8], new Uint8Array(128), 5002, 5003, 64);
    rec.flush();
    const [ev] = new EventDecoder().decodeFrame(got, 1);
    // (performance.now() milliseconds; the trace's nanoseconds)
    expect([ev!.gap, ev!.dur]).toEqual([2_000_000, 1_000_000]);
    expect(() => rec.startClock(6000)).toThrow('after the first call');
  });

  it('through the proxy: a call repeating the one right before it is a repeat event, one repeating an earlier one a copy of its event with the out-params read anew, byte for byte', () => {
    // clock_time_get(id, precision, time_ptr) and args_sizes_get(argc_ptr, size_ptr), both on the fast path.
    const clock = FUNCTIONS_BY_NAME.get('clock_time_get')!;
    const sizes = FUNCTIONS_BY_NAME.get('args_sizes_get')!;
    const table = [clock, sizes].map((f) => ({ module: 'wasi_snapshot_preview1', name: f.name, wasi: f.index }));
    const lists = stringLists(['a'], []);
    // What each call returns, writes (a u64 at each out-param) and whether it throws, in order: [import, args, result,
    // value written], and true for a call that repeats the call right before it (a repeat event: format version 4; a
    // delta event, version 5, for a clock read whose value differs from the one before by −2^31 to 2^32 − 1).
    const K = 0x0101010101n;
    const script: [number, unknown[], number | 'throw', bigint, boolean?][] = [
      [0, [1, 1n, 100], 0, K],
      [0, [1, 1n, 100], 0, K + 5n, true], // repeats: delta 5
      [0, [1, 1n, 100], 0, K - 95n, true], // delta −100
      [0, [1, 1n, 100], 0, 3n * K, true], // more than 2^32 on: a repeat event
      [0, [1, 1n, 108], 0, 4n * K], // another address
      [0, [1, 1n, 108], 28, 5n * K], // another result (the out-param is still recorded)
      [0, [1, 1n, 108], 28, 5n * K + 2n ** 32n - 1n, true], // delta 2^32 − 1: a carry into the high half
      [0, [1, 1n, 108], 28, 5n * K - 1n, true], // delta −2^32: a repeat event
      [0, [1, 1n, 108], 28, 5n * K - 1n - 2n ** 31n, true], // delta −2^31
      [0, [1, 1n, 108], 28, 2n ** 64n - 1n, true], // a repeat event
      [0, [1, 1n, 108], 28, 2n ** 31n - 2n, true], // delta 2^31 − 1 modulo 2^64
      [0, [1, 2n, 108], 28, 7n * K], // another i64
      [1, [200, 300], 0, 8n * K], // another import in between
      [0, [1, 2n, 108], 28, 9n * K], // still copied, in full (another call came between)
      [0, [1, 1n, 65532], 21, 10n * K], // the out-param is not inside memory: the general path
      [0, [1, 2n, 108], 28, 11n * K],
      [0, [1, 2n, 108], 'throw', 12n * K],
      [0, [1, 2n, 108], 28, 13n * K],
      [1, [200, 300], 0, 14n * K],
      [1, [200, 300], 0, 14n * K + 1n, true], // two writes of 4 bytes: a repeat event
      [1, [300, 200], 0, 16n * K],
    ];
    const record = (timing: 'io' | 'all') => {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const view = new DataView(memory.buffer);
      let step = 0;
      const fake = (...args: unknown[]) => {
        const [, , result, value] = script[step++]!;
        if (result === 'throw') throw new Error('boom');
        const outs = args.filter((a) => typeof a === 'number' && a >= 100) as number[];
        for (const at of outs) if (at + 8 <= memory.buffer.byteLength) view.setBigUint64(at, value, true);
        return result;
      };
      const imports = { wasi_snapshot_preview1: { clock_time_get: fake, args_sizes_get: fake } };
      let got = new Uint8Array(0);
      const rec = new Recorder((b) => { got = b.slice(); return b; }, new Uint8Array(1 << 16), 2, performance.now(), undefined, { checkpoints: 0 });
      const mem = new GuestMemory(memory);
      const wrapped = recordingImports(table, imports, rec, mem, lists, timing).wasi_snapshot_preview1 as Record<string, (...a: unknown[]) => unknown>;
      // The general encoder, given the same calls and memory: every call in full (`general`), and with the marked
      // ones as repeat events, a bin of the bytes their writes wrote, or delta events (`expected`).
      const general = new EventEncoder(new Uint8Array(1 << 16));
      const expected = new EventEncoder(new Uint8Array(1 << 16));
      let last = 0n; // the value the call before wrote
      for (const [imp, args, result, value, repeats] of script) {
        const name = table[imp]!.name;
        const m = new Uint8Array(memory.buffer);
        if (result === 'throw') {
          expect(() => wrapped[name]!(...args)).toThrow('boom');
          for (const e of [general, expected]) e.call(imp, args, { throw: 'boom' }, [], m, null, -1, -1);
        } else {
          expect(wrapped[name]!(...args)).toBe(result);
          const writes = callPlan(FUNCTIONS[table[imp]!.wasi]!, lists).writes(m, args, result);
          general.call(imp, args, result, writes, m, null, -1, -1);
          const delta = BigInt.asIntN(64, value - last);
          if (repeats && timing === 'io' && imp === 0 && delta >= -(2n ** 31n) && delta < 2n ** 32n) {
            expected.number(Number(delta));
          } else if (repeats && timing === 'io') {
            const bytes: number[] = [];
            for (let i = 0; i < writes.length; i += 2) bytes.push(...m.subarray(writes[i]!, writes[i]! + writes[i + 1]!));
            expected.bin(Uint8Array.from(bytes));
          } else {
            expected.call(imp, args, result, writes, m, null, -1, -1);
          }
        }
        last = value;
      }
      rec.flush();
      return { got, expected: expected.buf.slice(0, expected.pos), general: general.buf.slice(0, general.pos) };
    };
    const untimed = record('io');
    expect(untimed.got.length).toBeGreaterThan(script.length * 10);
    expect([...untimed.got]).toEqual([...untimed.expected]);
    // A reader sees every call of the script, as the general encoder wrote them all in full.
    expect(new EventDecoder().decodeFrame(untimed.got, script.length)).toEqual(new EventDecoder().decodeFrame(untimed.general, script.length));
    // --timing all: the same calls, each with a gap and a duration.
    const timed = new EventDecoder().decodeFrame(record('all').got, script.length);
    const plain = new EventDecoder().decodeFrame(untimed.got, script.length);
    expect(timed.map((e) => ({ ...e, gap: 0, dur: 0 }))).toEqual(plain.map(({ untimed: _, ...e }) => e));
    expect(timed.every((e) => e.untimed === undefined && e.gap >= 0 && e.dur >= 0)).toBe(true);
  });

  it('every function on the fast path records through its generated import, timed and untimed', () => {
    const fixed = FUNCTIONS.filter((f) => fixedOutParams(f) !== undefined && f.result !== 'none');
    expect(fixed.map((f) => wasmParams(f).length)).toEqual(expect.arrayContaining([0, 1, 2, 3, 4]));
    const table = fixed.map((f) => ({ module: 'wasi_snapshot_preview1', name: f.name, wasi: f.index }));
    const argsOf = (f: (typeof fixed)[number]) => wasmParams(f).map((w, i) => (w.wasm === 'i64' ? BigInt(i) : 100 + 16 * i));
    for (const timing of ['io', 'all'] as const) {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const targets = Object.fromEntries(fixed.map((f) => [f.name, (...a: unknown[]) => (a.length === wasmParams(f).length ? 0 : 28)]));
      let got = new Uint8Array(0);
      const rec = new Recorder((b) => { got = b.slice(); return b; }, new Uint8Array(1 << 16), table.length, performance.now(), undefined, { checkpoints: 0 });
      const wrapped = recordingImports(table, { wasi_snapshot_preview1: targets }, rec, new GuestMemory(memory), stringLists([], []), timing)
        .wasi_snapshot_preview1 as Record<string, (...a: unknown[]) => unknown>;
      // Each twice: encoded afresh, then copied.
      for (const f of [...fixed, ...fixed]) expect(wrapped[f.name]!(...argsOf(f)), f.name).toBe(0);
      rec.flush();
      const events = new EventDecoder().decodeFrame(got, 2 * fixed.length);
      // (Small i64 values decode as numbers.)
      expect(events.map((e) => [table[e.imp]!.name, e.args, e.result])).toEqual([...fixed, ...fixed].map((f) => [f.name, argsOf(f).map(Number), 0]));
      expect(events.every((e) => (e.untimed === true) === (timing === 'io' && !['fd', 'path', 'poll', 'sock'].includes(FUNCTIONS[table[e.imp]!.wasi]!.family)))).toBe(true);
    }
  });

  it('writes what CallPlan.writes gives, for every such function, on success and failure and at the end of memory', () => {
    const lists = stringLists(['a'], []);
    const fixed = FUNCTIONS.filter((f) => fixedOutParams(f) !== undefined);
    expect(fixed.map((f) => f.name)).toEqual(expect.arrayContaining(['clock_time_get', 'fd_seek', 'fd_filestat_get', 'args_sizes_get', 'sched_yield']));
    expect(fixed.map((f) => f.name)).not.toContain('fd_read');
    const mem = new Uint8Array(65536);
    for (const f of fixed) {
      const outs = fixedOutParams(f)!;
      const n = wasmParams(f).length;
      for (const at of [100, 65536 - 8, 70000]) {
        const args = Array.from({ length: n }, (_, i) => (wasmParams(f)[i]!.wasm === 'i64' ? 5n : at + 16 * i));
        const into = outs.slice();
        const ok = fixedWrites(mem, args, outs, into);
        for (const result of [0, 8]) {
          const expected = callPlan(f, lists).writes(mem, args, result);
          if (ok) expect(into, f.name).toEqual(expected);
          else expect(expected.length, f.name).toBeLessThan(outs.length); // the general path leaves one out
        }
      }
    }
  });
});
