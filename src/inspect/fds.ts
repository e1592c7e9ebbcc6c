// The path each fd was opened with, followed through a trace (like strace -y): stdio, the header's preopens
// (fds 3, 4, ... in order), path_open (the directory fd's path joined with the path), fd_renumber and fd_close.
import { outScalar, stringArg, scalarArg, type CallView } from './format.js';

export class FdPaths {
  /** Replaced, never changed in place, so a snapshot stays as it was. */
  private map: ReadonlyMap<number, string>;

  constructor(preopens: unknown) {
    const m = new Map<number, string>([[0, 'stdin'], [1, 'stdout'], [2, 'stderr']]);
    if (Array.isArray(preopens)) {
      preopens.forEach((p, i) => m.set(3 + i, typeof p?.guest === 'string' ? p.guest : `preopen ${i}`));
    }
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

  /** Before the call is shown: an fd the call opens gets its path (so `opened_fd=5<a.txt>` shows it). */
  before(call: CallView): void {
    if (call.result !== 0 || call.module !== 'wasi_snapshot_preview1') return;
    if (call.name === 'path_open') {
      const opened = outScalar(call, 'opened_fd');
      if (opened === undefined) return;
      const dir = this.map.get(scalarArg(call, 'fd')!);
      const path = stringArg(call, 'path') ?? '';
      this.change((m) => m.set(Number(opened), joinPath(dir, path)));
    } else if (call.name === 'sock_accept') {
      const fd = outScalar(call, 'ro_fd');
      if (fd !== undefined) this.change((m) => m.set(Number(fd), `socket from ${this.map.get(scalarArg(call, 'fd')!) ?? scalarArg(call, 'fd')}`));
    }
  }

  /** After the call is shown: closes and renumbers. */
  after(call: CallView): void {
    if (call.result !== 0 || call.module !== 'wasi_snapshot_preview1') return;
    if (call.name === 'fd_close') {
      const fd = scalarArg(call, 'fd')!;
      if (this.map.has(fd)) this.change((m) => m.delete(fd));
    } else if (call.name === 'fd_renumber') {
      const from = scalarArg(call, 'fd')!;
      const to = scalarArg(call, 'to')!;
      if (from === to) return;
      this.change((m) => {
        const name = m.get(from);
        m.delete(from);
        if (name === undefined) m.delete(to); else m.set(to, name);
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
