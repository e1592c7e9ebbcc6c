// node dist/test/bench/calls.js: per-call cost of the builtin runtime's hottest functions, in process, called
// from a wasm loop (as a guest calls them): clock_time_get, and fd_write of one small iovec to an in-memory sink
// and to a host file. node:wasi's clock_time_get and fd_write (to a host file, to /dev/null) are printed for reference,
// and clock_time_get as a recording's guest thread makes it (the proxy's fast path, repeat events, into a chunk that
// goes nowhere) and as a replay serves it (flatImport on flat frames of a recording of the loop): the threads that
// write and read the trace are not in these figures.
// Figures are CPU ns per call (process CPU time, so a loaded machine's waiting does not count; the loop's own cost
// included), min / median / max of interleaved rounds. The "floor" row is the least a JavaScript host can do for an
// fd_write to a file (one fs.writeSync at a position, nothing else): what the builtin runtime cannot go below.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { FUNCTIONS_BY_NAME, MODULE_NAME } from '../../src/abi/index.js';
import { stringLists } from '../../src/calls/capture.js';
import { recordingImports } from '../../src/record/proxy.js';
import { Recorder } from '../../src/record/recorder.js';
import { EventCursor, flatImport, type CursorFrame } from '../../src/replay/cursor.js';
import { flatten } from '../../src/replay/flat.js';
import { GuestMemory } from '../../src/runtime/memory.js';
import { WasiRuntime } from '../../src/runtime/runtime.js';
import { splitTrampoline } from '../../src/runtime/trampoline.js';
import { EventEncoder } from '../../src/trace/events.js';
import { openHostDirectory } from '../../src/vfs/host/index.js';
import { CallbackOutput, HostStream } from '../../src/vfs/stream.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CLOCK_CALLS = 2_000_000;
const WRITE_CALLS = 200_000;

// A hand-assembled module: imports clock_time_get and fd_write, exports its memory and two loops,
// clock(n) calling clock_time_get(MONOTONIC, 1, 64) n times and write(fd, n) calling fd_write(fd, 16, 1, 32).
const uleb = (n: number): number[] => { const o: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s)];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const I32 = 0x7f, I64 = 0x7e;
const loop = (call: number[]): number[] => [
  // (local i32 i) block loop  local.get i; local.get n; i32.ge_u; br_if 1; <call>; drop; i+=1; br 0 end end
  0x02, 0x40, 0x03, 0x40, 0x20, 0x02, 0x20, 0x01, 0x4f, 0x0d, 0x01, ...call, 0x1a,
  0x20, 0x02, 0x41, 0x01, 0x6a, 0x21, 0x02, 0x0c, 0x00, 0x0b, 0x0b, 0x0b,
];
const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vec([[0x60, 3, I32, I64, I32, 1, I32], [0x60, 4, I32, I32, I32, I32, 1, I32], [0x60, 2, I32, I32, 0]])),
  ...section(2, vec([[...str(MODULE_NAME), ...str('clock_time_get'), 0, 0], [...str(MODULE_NAME), ...str('fd_write'), 0, 1]])),
  ...section(3, vec([[2], [2]])),
  ...section(5, vec([[0, 1]])),
  ...section(7, vec([[...str('memory'), 2, 0], [...str('clock'), 0, 2], [...str('write'), 0, 3]])),
  ...section(10, vec([
    // clock(_unused, n): params are (p0, n); local 2 is the counter
    ((b) => [...uleb(b.length), ...b])([1, 1, I32, ...loop([0x41, 0x01, 0x42, 0x01, 0x41, 0xc0, 0x00, 0x10, 0x00])]),
    ((b) => [...uleb(b.length), ...b])([1, 1, I32, ...loop([0x20, 0x00, 0x41, 0x10, 0x41, 0x01, 0x41, 0x20, 0x10, 0x01])]),
  ])),
]);
const module = new WebAssembly.Module(bytes);

interface Loops { clock(fd: number, n: number): void; write(fd: number, n: number): void; memory: WebAssembly.Memory }
function instantiate(imports: WebAssembly.Imports): Loops {
  const inst = new WebAssembly.Instance(module, imports);
  const ex = inst.exports as unknown as Loops;
  const view = new DataView(ex.memory.buffer);
  view.setUint32(16, 128, true); // iovec { buf = 128, len = 8 }
  view.setUint32(20, 8, true);
  new Uint8Array(ex.memory.buffer).set(Buffer.from('payload\n'), 128);
  return ex;
}

const work = mkdtempSync(join(tmpdir(), 'wasi-trace-calls-'));
const hostDir = openHostDirectory(work);
const hostFile = hostDir.createFile('out.bin').open({ read: false, write: true, truncate: true });
const devNullFd = openSync(devNull, 'w');
const rt = new WasiRuntime({ args: ['bench'], env: [], stdout: new CallbackOutput(() => {}), fds: { 5: hostFile, 6: new HostStream(devNullFd, 'write') } });
const ours = instantiate(rt.imports({ direct: true })); // as `run` binds them: the guest calls them itself
rt.attach(ours.memory);
const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true, stdout: devNullFd });
const node = instantiate(wasi.getImportObject() as WebAssembly.Imports);
wasi.initialize({ exports: { memory: node.memory } } as unknown as WebAssembly.Instance);
// node:wasi writing a host file: its stdout is a regular file (written at the fd's position, as a path_open'ed one).
const nodeFileFd = openSync(join(work, 'node-out.bin'), 'w');
const wasiFile = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true, stdout: nodeFileFd });
const nodeFile = instantiate(wasiFile.getImportObject() as WebAssembly.Imports);
wasiFile.initialize({ exports: { memory: nodeFile.memory } } as unknown as WebAssembly.Instance);

// The floor: an import that does nothing but the host call a JavaScript runtime cannot avoid.
const floorFd = openSync(join(work, 'floor-out.bin'), 'w');
let floorView = new DataView(new ArrayBuffer(0));
let floorPos = 0;
let floorBytes = new Uint8Array(0);
const floor = instantiate({ [MODULE_NAME]: {
  clock_time_get: (): number => 0,
  fd_write: (_fd: number, _iovs: number, _n: number, at: number): number => {
    const n = writeSync(floorFd, floorBytes, 128, 8, floorPos);
    floorPos += n;
    floorView.setUint32(at, n, true);
    return 0;
  },
} });
floorView = new DataView(floor.memory.buffer);
floorBytes = new Uint8Array(floor.memory.buffer);

// Recording: the proxy over the builtin runtime's bindings, its events going into a chunk that is reused.
const CLOCK = { module: MODULE_NAME, name: 'clock_time_get', wasi: FUNCTIONS_BY_NAME.get('clock_time_get')!.index };
const recRuntime = new WasiRuntime({ args: ['bench'], env: [] });
const chunk = new Uint8Array(1 << 20);
const recorder = new Recorder(() => chunk, chunk, 1, performance.now(), new Int32Array(64), { checkpoints: 0 });
const recMemory = new GuestMemory();
const recorded = instantiate(recordingImports([CLOCK], recRuntime.imports(), recorder, recMemory, stringLists(['bench'], [])));
recMemory.attach(recorded.memory);
recRuntime.attach(recorded.memory);

// Replay: the frames of CLOCK_CALLS clock reads (as a recording writes them: one call, then repeat events), flat.
const replayFrames: CursorFrame[] = [];
{
  const enc = new EventEncoder(new Uint8Array(1 << 20));
  const mem = new Uint8Array(128);
  for (let i = 0; i < CLOCK_CALLS; i++) {
    if (enc.free < 64) {
      const payload = enc.buf.slice(0, enc.pos);
      replayFrames.push({ offset: 0, count: enc.count, payload, flat: flatten(payload, enc.count) } as CursorFrame);
      enc.reset();
    }
    new DataView(mem.buffer).setBigUint64(64, BigInt(i) * 997n, true);
    if (enc.count === 0) enc.call(0, [1, 1n, 64], 0, [64, 8], mem, null, -1, -1);
    else { enc.bin(mem.subarray(64, 72)); enc.count++; }
  }
  const payload = enc.buf.slice(0, enc.pos);
  replayFrames.push({ offset: 0, count: enc.count, payload, flat: flatten(payload, enc.count) } as CursorFrame);
}
const repMemory = new GuestMemory();
let cursor = new EventCursor([][Symbol.iterator]());
let replayImport: (...a: unknown[]) => unknown = () => 0;
const replayed = instantiate({ [MODULE_NAME]: {
  clock_time_get: splitTrampoline(FUNCTIONS_BY_NAME.get('clock_time_get')!, (...a: unknown[]) => replayImport(...a)),
  fd_write: () => 0, // the loop module imports it; the replay bench does not call it
} });
repMemory.attach(replayed.memory);
/** A replay of the loop from its first call: a fresh cursor over the frames. */
const replayLoop = (): void => {
  cursor = new EventCursor(replayFrames[Symbol.iterator](), 6, () => {});
  const slow = (args: unknown[]) => {
    const r = cursor.step(0, args, null, repMemory.bytes);
    if (typeof r !== 'number') throw new Error(`the replay of the clock loop diverged: ${String(r)}`);
    return r;
  };
  replayImport = flatImport(cursor, 0, 'clock_time_get', ['i32', 'i64', 'i32'], repMemory, slow, true);
  replayed.clock(0, CLOCK_CALLS);
};

const nsPer = (fn: () => void, n: number): number => {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return ((d.user + d.system) * 1000) / n;
};
const cases: [string, () => number][] = [
  ['builtin clock_time_get', () => nsPer(() => ours.clock(0, CLOCK_CALLS), CLOCK_CALLS)],
  ['node:wasi clock_time_get', () => nsPer(() => node.clock(0, CLOCK_CALLS), CLOCK_CALLS)],
  ['recording clock_time_get (guest thread)', () => nsPer(() => recorded.clock(0, CLOCK_CALLS), CLOCK_CALLS)],
  ['replay clock_time_get (replaying thread)', () => nsPer(replayLoop, CLOCK_CALLS)],
  ['builtin fd_write 8 B to a callback', () => nsPer(() => ours.write(1, WRITE_CALLS), WRITE_CALLS)],
  ['builtin fd_write 8 B to a host file', () => nsPer(() => ours.write(5, WRITE_CALLS), WRITE_CALLS)],
  ['node:wasi fd_write 8 B to a host file', () => nsPer(() => nodeFile.write(1, WRITE_CALLS), WRITE_CALLS)],
  ['floor fd_write 8 B (fs.writeSync) to a host file', () => nsPer(() => floor.write(1, WRITE_CALLS), WRITE_CALLS)],
  ['builtin fd_write 8 B to /dev/null', () => nsPer(() => ours.write(6, WRITE_CALLS), WRITE_CALLS)],
  ['node:wasi fd_write 8 B to /dev/null', () => nsPer(() => node.write(1, WRITE_CALLS), WRITE_CALLS)],
];
try {
  const results = cases.map(() => [] as number[]);
  cases.forEach(([, run]) => run()); // warm up
  for (let r = 0; r < ROUNDS; r++) cases.forEach(([, run], i) => results[i]!.push(run()));
  console.log(`CPU ns per call, min / median / max of ${ROUNDS} interleaved rounds (node ${process.versions.node})`);
  cases.forEach(([name], i) => {
    const xs = results[i]!.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(48)} ${xs[0]!.toFixed(1)} / ${xs[xs.length >> 1]!.toFixed(1)} / ${xs[xs.length - 1]!.toFixed(1)}`);
  });
} finally {
  hostFile.close();
  closeSync(devNullFd);
  closeSync(nodeFileFd);
  closeSync(floorFd);
  rmSync(work, { recursive: true, force: true });
}
