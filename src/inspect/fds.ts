// The path each fd was opened with, followed through a trace (like strace -y): stdio, the header's preopens
// (fds 3, 4, ... in order), path_open (the directory fd's path joined with the path), fd_renumber and fd_close.
import { fdEffect, MODULE_NAME, type FdEffect } from '../abi/index.js';
import { stringArg, type CallView } from '../calls/format.js';
import type { PreopenRecord } from '../trace/header.js';

export class FdPaths {
  /** Replaced, never changed in place, so a snapshot stays as it was. */
  private map: ReadonlyMap<number, string>;

  constructor(preopens: readonly PreopenRecord[]) {
    const m = new Map<number, string>([[0, 'stdin'], [1, 'stdout'], [2, 'stderr']]);
    preopens.forEach((p, i) => m.set(3 + i, p.guest));
    this.map = m;
  }

  /** The name of an fd now. */
  readonly name = (fd: number): string | undefined => this.map.get(fd);

  /** A lookup that keeps answering as the map is now, whatever happens later. */
  snapshot(): (fd: number) => string | undefined {
    const m = this.map;
    return (fd) => m.get(fd);
  }

  private change(f: (m: Map<number, string>) => void): void {
    const m = new Map(this.map);
    f(m);
    this.map = m;
  }

  /** The fd effect of a call that succeeded (src/abi/fd-effects.ts), read from what the call wrote. */
  private effect(call: CallView): FdEffect | undefined {
    if (call.result !== 0 || call.module !== MODULE_NAME) return undefined;
    return fdEffect(call.name, call.args, (addr) => {
      const w = call.writes?.find((x) => x.addr === addr)?.bytes;
      return w && w.length >= 4 ? new DataView(w.buffer, w.byteOffset, 4).getUint32(0, true) : undefined;
    });
  }

  /** Before the call is shown: an fd the call opens gets its path (so `opened_fd=5<a.txt>` shows it). */
  before(call: CallView): void {
    const e = this.effect(call);
    if (e?.kind !== 'opened') return;
    const via = this.map.get(e.via);
    const name = e.path !== undefined ? joinPath(via, stringArg(call, e.path) ?? '') : `socket from ${via ?? e.via}`;
    this.change((m) => m.set(e.fd, name));
  }

  /** After the call is shown: closes and renumbers. */
  after(call: CallView): void {
    const e = this.effect(call);
    if (e?.kind === 'closed') {
      if (this.map.has(e.fd)) this.change((m) => m.delete(e.fd));
    } else if (e?.kind === 'moved' && e.from !== e.to) {
      this.change((m) => {
        const name = m.get(e.from);
        m.delete(e.from);
        if (name === undefined) m.delete(e.to); else m.set(e.to, name);
      });
    }
  }
}

/** `dir/path`, without doubling a slash; a path under "." or an unknown directory stands alone. */
export function joinPath(dir: string | undefined, path: string): string {
  if (dir === undefined || dir === '' || dir === '.' || path.startsWith('/')) return path;
  if (path === '' || path === '.') return dir;
  return dir.endsWith('/') ? `${dir}${path}` : `${dir}/${path}`;
}
