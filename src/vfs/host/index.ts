// The host directory backend: a host directory tree exposed through the src/vfs/types.ts interfaces.
export { openHostDirectory, HostDirectory, HostFile, HostSymlink } from './nodes.js';
export { HostFileHandle, statFromHost } from './handle.js';
export { hostTime, libuvStoredNs } from './times.js';
