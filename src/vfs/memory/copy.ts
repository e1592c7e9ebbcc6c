// Copies of host files and trees into memory. Reads only: the host is never written. Times are kept to the nanosecond.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Times } from './file.js';
import { MemoryFile, MemoryFs } from './file.js';
import { MemoryDirectory, MemorySymlink } from './directory.js';

const copyTimes = (times: Times, st: fs.BigIntStats): void => {
  times.atim = st.atimeNs;
  times.mtim = st.mtimeNs;
  times.ctim = st.ctimeNs;
};

/**
 * A new in-memory filesystem holding a copy of the host directory tree at `hostPath`: regular files, directories and
 * symlinks (targets verbatim, not followed); other kinds (devices, FIFOs, sockets) are skipped. Node errors
 * (ENOENT, ENOTDIR, EACCES) propagate.
 */
export function copyHostTree(hostPath: string): MemoryDirectory {
  const root = new MemoryDirectory(new MemoryFs());
  copyInto(root, hostPath);
  copyTimes(root.times, fs.statSync(hostPath, { bigint: true }));
  return root;
}

/** Copies the entries of host directory `hostDir` into `dir`. */
function copyInto(dir: MemoryDirectory, hostDir: string): void {
  for (const ent of fs.readdirSync(hostDir, { withFileTypes: true })) {
    const from = path.join(hostDir, ent.name);
    if (ent.isDirectory()) {
      dir.mkdir(ent.name);
      const sub = dir.lookup(ent.name) as MemoryDirectory;
      copyInto(sub, from);
      copyTimes(sub.times, fs.lstatSync(from, { bigint: true }));
    } else if (ent.isFile()) {
      placeFile(dir, ent.name, from);
    } else if (ent.isSymbolicLink()) {
      dir.symlink(ent.name, fs.readlinkSync(from));
      copyTimes((dir.lookup(ent.name) as MemorySymlink).times, fs.lstatSync(from, { bigint: true }));
    }
  }
  // Adding entries touched the directory's own times; the caller sets them last.
}

/** Places a copy of the host file `hostFile` in `dir` as `name` (EEXIST when taken); returns it. */
export function placeFile(dir: MemoryDirectory, name: string, hostFile: string): MemoryFile {
  const file = dir.createFile(name) as MemoryFile;
  file.write(fs.readFileSync(hostFile), 0n);
  copyTimes(file.times, fs.statSync(hostFile, { bigint: true }));
  return file;
}
