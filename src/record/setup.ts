// A guest's run described as plain data, so that the thread that records a run (or each of many runs) can build
// it afresh: arguments, environment, runtime, directories (host paths, or snapshots of in-memory trees) and stdio.
import type { GuestOptions } from '../run.js';
import type { RuntimeKind } from '../providers.js';
import type { ChaosSettings } from '../runtime/chaos.js';
import { FileHandle } from '../vfs/types.js';
import { MemoryDirectory, restoreTree, snapshotTree, type TreeSnapshot } from '../vfs/memory/index.js';

/** Where a guest's output goes from the recording thread: the process's own fd, the caller's callback, or nowhere. */
export type OutputRoute = 'inherit' | 'forward' | 'discard';

export interface GuestSetup {
  args: string[];
  env: string[];
  runtime: RuntimeKind;
  preopens: ({ guestPath: string; hostPath: string } | { guestPath: string; tree: TreeSnapshot; hostPath?: string })[];
  /** The process's stdin, or these bytes. */
  stdin: 'inherit' | Uint8Array;
  stdout: OutputRoute;
  stderr: OutputRoute;
  chaos?: ChaosSettings;
}

/**
 * The setup of `options`, or a reason why they need the caller's own thread: JavaScript imports, files placed at
 * fds, stdio handles, or a directory that is neither a host path nor an in-memory tree cannot be handed over.
 * An in-memory directory is handed over as a copy: the guest's changes to it are not seen by the caller.
 */
export function guestSetup(options: GuestOptions): GuestSetup | string {
  if (options.imports && Object.keys(options.imports).length) return 'imports from JavaScript';
  if (options.fds && Object.keys(options.fds).length) return 'files placed at fds';
  if (options.stdin instanceof FileHandle || options.stdout instanceof FileHandle || options.stderr instanceof FileHandle) {
    return 'stdio handles';
  }
  const preopens: GuestSetup['preopens'] = [];
  for (const p of options.preopens ?? []) {
    if (p.dir === undefined) preopens.push({ guestPath: p.guestPath, hostPath: p.hostPath });
    else if (p.dir instanceof MemoryDirectory) preopens.push({ guestPath: p.guestPath, tree: snapshotTree(p.dir), ...(p.hostPath ? { hostPath: p.hostPath } : {}) });
    else return `the directory ${p.guestPath} (not a host path or an in-memory tree)`;
  }
  const route = (o: GuestOptions['stdout']): OutputRoute => (o === undefined ? 'inherit' : 'forward');
  return {
    args: options.args ?? [],
    env: options.env ?? [],
    runtime: options.runtime ?? 'builtin',
    preopens,
    stdin: options.stdin === undefined ? 'inherit' : (options.stdin as Uint8Array),
    stdout: route(options.stdout),
    stderr: route(options.stderr),
    ...(options.chaos && { chaos: options.chaos }),
  };
}

/** The GuestOptions of a setup, on the recording thread: in-memory trees restored fresh; forwarded output to `forward`. */
export function setupOptions(setup: GuestSetup, module: Uint8Array, moduleName: string,
  forward: (stream: 'stdout' | 'stderr', bytes: Uint8Array) => void): GuestOptions {
  const output = (route: OutputRoute, stream: 'stdout' | 'stderr'): GuestOptions['stdout'] =>
    route === 'inherit' ? undefined : route === 'discard' ? () => {} : (b) => forward(stream, b.slice());
  return {
    module,
    moduleName,
    args: setup.args,
    env: setup.env,
    runtime: setup.runtime,
    preopens: setup.preopens.map((p) => ('tree' in p
      ? { guestPath: p.guestPath, dir: restoreTree(p.tree), ...(p.hostPath ? { hostPath: p.hostPath } : {}) }
      : { guestPath: p.guestPath, hostPath: p.hostPath })),
    ...(setup.stdin !== 'inherit' && { stdin: setup.stdin }),
    stdout: output(setup.stdout, 'stdout'),
    stderr: output(setup.stderr, 'stderr'),
    ...(setup.chaos && { chaos: setup.chaos }),
  };
}
