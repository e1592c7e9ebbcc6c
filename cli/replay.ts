// wasi-trace replay: reproduces a recorded run from the trace alone.
import type { Argv } from 'yargs';
import { UserError } from '../src/errors.js';
import { replay, DivergenceError } from '../src/replay/replay.js';
import { describeEnd, type RecordedEnd } from '../src/trace/header.js';
import { signalExitCode } from '../src/errors.js';
import { exitFor } from './exit.js';
import { eventNumber } from './flags.js';
import { note, type CliIo } from './io.js';
import { prewarmed, smallTrace, takeWorker } from './prewarm.js';

/** Exit code of a replay that departed from its recording. */
export const EXIT_DIVERGENCE = 125;
/** Exit code of a replay whose trace was cut short and ran out of events (the guest was stopped there). */
export const EXIT_INCOMPLETE = 124;
/** Exit code of a replay of a recording that failed (a host error ended it): replayed up to where it failed. */
export const EXIT_RECORDING_FAILED = 123;
/** Exit code of `replay --stop-at N`: the replay stopped before event #N, as asked. */
export const EXIT_STOPPED = 120;

interface ReplayFlags { trace: string; module?: string; quiet?: boolean; verify?: boolean; optimize?: boolean; 'tag-output'?: boolean; 'stop-at'?: unknown; inspect?: string }

/** --inspect[=HOST:PORT] (a bare --inspect arrives as ''): where the inspector listens, as node --inspect does. */
export function inspectAddress(v: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]*\]|[^:]*):)?(\d+)$/.exec(v);
  if (v === '') return { host: '127.0.0.1', port: 9229 };
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UserError(`--inspect=${v}: expected HOST:PORT or PORT (default 127.0.0.1:9229)`);
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port };
}

/**
 * Opens Node's inspector at `address` and blocks until a debugger attaches, after saying on stderr what to open.
 * UserError when it cannot listen there. Returns what closes it.
 */
async function waitForDebugger(address: { host: string; port: number }, io: CliIo): Promise<() => void> {
  const inspector = await import('node:inspector'); // loaded only for --inspect
  try {
    inspector.open(address.port, address.host, false);
  } catch (e) {
    throw new UserError(`--inspect: cannot listen on ${address.host}:${address.port} (${(e as Error).message})`);
  }
  const url = inspector.url();
  if (!url) throw new UserError(`--inspect: cannot listen on ${address.host}:${address.port}`);
  const hostPort = new URL(url).host;
  note(io, `waiting for a debugger on ${hostPort}: open chrome://inspect in Chrome (Configure... add ${hostPort}), ` +
    `or devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${url.slice('ws://'.length)}, or run: node inspect ${hostPort}`);
  inspector.waitForDebugger();
  return () => inspector.close();
}

const exitForRecorded = (end: RecordedEnd, io: CliIo): number =>
  end.kind === 'signal' ? signalExitCode(end.signal) ?? EXIT_INCOMPLETE : end.kind === 'error' ? EXIT_INCOMPLETE : exitFor(end, io);

export const replayCommand = {
  command: 'replay <trace>',
  describe: 'replay a recorded run from its trace (no module, files, clock or randomness needed)',
  builder: (y: Argv) => y
    .positional('trace', { type: 'string', describe: 'the trace file', demandOption: true })
    .option('module', {
      type: 'string', requiresArg: true,
      describe: 'replay against another build of the module (warns if it differs): calls match by meaning, not by ' +
        "address (values exactly, data by content, pointers not at all); fd_writes to the guest's stdout/stderr that " +
        'the recording lacks are let through, each line marked "[+] "; any other extra or changed call diverges',
    })
    .option('tag-output', { type: 'boolean', describe: "prefix each line of the guest's stdout/stderr with the number of the event that wrote it, \"[#12] \" (as dump numbers calls)" })
    .option('quiet', { alias: 'q', type: 'boolean', describe: "don't re-emit the guest's stdout and stderr" })
    .option('verify', { type: 'boolean', describe: 'also check guest memory against the hashes the recording kept (at its checkpoints and at the end)' })
    .option('stop-at', { type: 'string', requiresArg: true, describe: 'replay up to, not including, event #N (numbered as dump numbers them), then stop and show event #N; exit 120' })
    .option('inspect', { type: 'string', describe: "with --stop-at: pause in Node's inspector (default 127.0.0.1:9229) inside the call that is event #N, with the guest's wasm frames on the stack; waits for a debugger to attach" })
    .epilog("Exit codes: the guest's own (134 for a trap); 120 stopped before event #N (--stop-at N); 125 the replay diverged; 124 the trace was cut short; " +
      '123 the recording itself failed; 130/143 the recording was stopped by SIGINT/SIGTERM; 2 bad input. ' +
      "Output the replay cannot write (a closed pipe, as in `replay t.bin | head`, or a full disk) is not a " +
      'divergence: the rest of that stream is dropped and the replay goes on to the recorded end and exit.')
    .example('$0 replay trace.bin', 'reproduce the recorded run')
    .example('$0 replay --verify trace.bin', 'also check guest memory against the recording')
    .example('$0 replay --module app-debug.wasm trace.bin', 'replay against a rebuild with extra logging')
    .example('$0 replay --tag-output trace.bin', 'show which event printed each line')
    .example('$0 replay --stop-at 42 trace.bin', 'replay events #0 to #41, then show #42 and stop')
    .example('$0 replay --stop-at 42 --inspect trace.bin', 'the same, paused in a debugger (chrome://inspect, node inspect 127.0.0.1:9229) with the guest on the stack'),
  handler: async (flags: ReplayFlags, io: CliIo): Promise<number> => {
    const stopAt = eventNumber('--stop-at', flags['stop-at']);
    const inspect = flags.inspect === undefined ? undefined : inspectAddress(flags.inspect);
    if (inspect && stopAt === undefined) throw new UserError('--inspect needs --stop-at N: the event to pause before');
    if (stopAt !== undefined && flags.verify) throw new UserError('--verify checks the memory at the end of the run, which --stop-at does not reach');
    let closeInspector: (() => void) | undefined;
    try {
      if (inspect) closeInspector = await waitForDebugger(inspect, io);
      await prewarmed();
      const small = await smallTrace(flags.trace);
      const r = await replay({
        trace: flags.trace, module: flags.module, quiet: flags.quiet, verify: flags.verify, tagOutput: flags['tag-output'],
        // A small trace is read on this thread; a longer one on a reader thread (the one prewarm started, if any).
        stdout: io.stdout, stderr: io.stderr, prefetch: !small && (takeWorker('replay') ?? false),
        onWarning: (m) => note(io, `warning: ${m}`),
        stopAt, pause: inspect !== undefined,
        // The recorded tier unless --optimize asks for V8's optimising one.
        tiering: flags.optimize ? 'optimizing' : undefined,
      });
      if (r.stoppedAt !== undefined) {
        const { eventLines } = await import('../src/inspect/events.js'); // only for --stop-at
        const line = (await eventLines(flags.trace, [r.stoppedAt])).get(r.stoppedAt) ?? `#${r.stoppedAt}`;
        note(io, `stopped before ${line}`);
        return EXIT_STOPPED;
      }
      if (!r.complete) {
        note(io, `the trace ends after ${r.calls} calls: ${r.incompleteReason}; replay stopped there (recorded end: ${describeEnd(r.end)})`);
        return r.end.kind === 'signal' ? exitForRecorded(r.end, io) : EXIT_INCOMPLETE;
      }
      if (r.end.kind === 'error') {
        note(io, `the recording failed here: ${r.end.message} (the replay reproduced the ${r.calls} calls before it)`);
        return EXIT_RECORDING_FAILED;
      }
      if (r.verified) note(io, `verified: guest memory matches the recording after ${r.calls} calls`);
      if (r.extraWrites) note(io, `${r.extraWrites === 1 ? '1 write' : `${r.extraWrites} writes`} to stdout/stderr that the recording lacks let through (marked "[+] ")`);
      return exitForRecorded(r.end, io);
    } catch (e) {
      if (e instanceof DivergenceError) {
        note(io, e.message);
        return EXIT_DIVERGENCE;
      }
      throw e;
    } finally {
      closeInspector?.();
    }
  },
};
