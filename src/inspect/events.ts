// Chosen events of a trace as `dump` shows them (`#N call(...) = result (out-params)`, fds with their paths), for
// commands that name an event they did not list: `replay --stop-at` (the event it stopped before) and
// `mem --watch` (the call that wrote a watched range).
import { callText, decodeCall } from '../calls/format.js';
import { FdPaths } from './fds.js';
import { traceCalls, withTrace } from './trace.js';

/**
 * The dump lines of events `indexes` of the trace at `path`, by index (an index past the end has none). Reads the
 * trace up to the last of them, one frame at a time.
 */
export async function eventLines(path: string, indexes: Iterable<number>, stringLimit?: number): Promise<Map<number, string>> {
  const wanted = new Set(indexes);
  const lines = new Map<number, string>();
  if (!wanted.size) return lines;
  const last = Math.max(...wanted);
  return withTrace(path, { module: 'skip' }, (reader) => {
    const fds = new FdPaths(reader.header.preopens);
    for (const c of traceCalls(reader)) {
      if (c.index > last) break;
      fds.before(c);
      if (wanted.has(c.index)) lines.set(c.index, `#${c.index} ${callText(decodeCall(c, { stringLimit, fdName: fds.name }))}`);
      fds.after(c);
    }
    return lines;
  });
}
