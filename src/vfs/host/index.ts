// The host directory backend: a host directory tree exposed through the src/vfs/types.ts interfaces.
export { openHostDirectory, HostDirectory, HostFile, HostSymlink, type HostDirectoryOptions } from './nodes.js';
export { HostFileHandle, statFromHost } from './handle.js';
export { hostTime, libuvStoredNs } from './times.js';
export { heldDirFds, MAX_DIR_FDS, probeFdPaths } from './dirfds.js';
