import * as fs from 'node:fs';

/**
 * How a trace is opened for reading: non-blocking, so that opening a FIFO or a device does not wait for a writer
 * (anything but a regular file is refused after fstat).
 */
export const TRACE_OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/**
 * Up to `length` bytes of the file `fd` at `position`; fewer only at the end of the file. `shared`: in a
 * SharedArrayBuffer (for another thread to read too).
 */
export function readAt(fd: number, length: number, position: number, shared = false): Uint8Array {
  const buf = shared ? new Uint8Array(new SharedArrayBuffer(length)) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}
