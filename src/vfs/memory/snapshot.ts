// Snapshots of in-memory trees as plain data (structured-cloneable), so a tree built on one thread can be given to
// a guest on another, and every run of a guest can start from a fresh copy of the same inputs.
import { MemoryFile, MemoryFs } from './file.js';
import { MemoryDirectory, MemorySymlink } from './directory.js';

interface Times { atim: bigint; mtim: bigint; ctim: bigint }

export type TreeSnapshot =
  | { kind: 'dir'; times: Times; entries: [name: string, node: TreeSnapshot][] }
  | { kind: 'file'; times: Times; bytes: Uint8Array }
  | { kind: 'symlink'; times: Times; target: string };

const timesOf = (t: Times): Times => ({ atim: t.atim, mtim: t.mtim, ctim: t.ctim });

/** The tree below `dir` as data: names in directory order, contents, symlink targets, times (hard links become copies). */
export function snapshotTree(dir: MemoryDirectory): TreeSnapshot {
  const entries: [string, TreeSnapshot][] = [];
  for (const { name } of dir.list()) {
    const n = dir.lookup(name);
    if (n instanceof MemoryDirectory) entries.push([name, snapshotTree(n)]);
    else if (n instanceof MemoryFile) entries.push([name, { kind: 'file', times: timesOf(n.times), bytes: n.bytes() }]);
    else if (n instanceof MemorySymlink) entries.push([name, { kind: 'symlink', times: timesOf(n.times), target: n.target() }]);
  }
  return { kind: 'dir', times: timesOf(dir.times), entries };
}

/** A new in-memory filesystem holding the tree of `snap` (a 'dir' snapshot), times as recorded. */
export function restoreTree(snap: TreeSnapshot): MemoryDirectory {
  if (snap.kind !== 'dir') throw new TypeError('the root of a tree snapshot must be a directory');
  const root = new MemoryDirectory(new MemoryFs());
  fill(root, snap);
  return root;
}

function setTimes(target: { times: Times }, t: Times): void {
  target.times.atim = t.atim;
  target.times.mtim = t.mtim;
  target.times.ctim = t.ctim;
}

function fill(dir: MemoryDirectory, snap: Extract<TreeSnapshot, { kind: 'dir' }>): void {
  for (const [name, node] of snap.entries) {
    if (node.kind === 'dir') {
      dir.mkdir(name);
      fill(dir.lookup(name) as MemoryDirectory, node);
    } else if (node.kind === 'file') {
      const f = dir.createFile(name) as MemoryFile;
      f.write(node.bytes, 0n);
      setTimes(f, node.times);
    } else {
      dir.symlink(name, node.target);
      setTimes(dir.lookup(name) as MemorySymlink, node.times);
    }
  }
  // Adding entries touched the directory's own times: set them last.
  setTimes(dir, snap.times);
}
