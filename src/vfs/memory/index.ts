// The in-memory backend: files, directories, symlinks, hard links; anonymous files with no path.
export { MemoryFs, MemoryFile, MemoryFileHandle, MAX_FILE_SIZE, anonymousFile } from './file.js';
export { MemoryDirectory, MemorySymlink, memoryDirectory } from './directory.js';
export { copyHostTree, placeFile } from './copy.js';
export { snapshotTree, restoreTree, type TreeSnapshot } from './snapshot.js';
