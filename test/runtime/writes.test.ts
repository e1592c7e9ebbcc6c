// The writes guest (the bench's small-writes figure): one fd_write of an 8-byte iovec per call into a file of a
// host --dir, each at the fd's position, so the file holds every write in order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runGuest } from '../helpers.js';

it('2,000 small writes to a host file: every byte there, in order, and the count the guest reports', async () => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'wasi-trace-writes-'));
  try {
    fs.writeFileSync(join(dir, 'out.bin'), 'x'.repeat(20_000)); // truncated by the guest's O_TRUNC
    const r = await runGuest('writes', { args: ['2000'], preopens: [{ guestPath: '/', hostPath: dir }] });
    expect(r).toMatchObject({ end: { kind: 'exit', code: 0 }, stdout: 'writes 2000 bytes 16000\n', stderr: '' });
    expect(fs.readFileSync(join(dir, 'out.bin'), 'latin1')).toBe('payload\n'.repeat(2000));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
