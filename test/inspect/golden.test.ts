// Golden listings: the inspectors' output on the committed traces (traces/*.bin) must stay exactly the committed
// text. Each expected file was written by the command below and then checked value by value against the raw
// events and the guest's source (test/guests/*.c). The command lines run in-process (cli/app.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, wt } from '../helpers.js';

const GOLDEN: [expected: string, args: string[]][] = [
  ['hello-v1.dump', ['dump', 'traces/hello-v1.bin']],
  ['hello-v1.info.txt', ['info', 'traces/hello-v1.bin']],
  ['clock_random-v1.filtered.dump', ['dump', 'traces/clock_random-v1.bin', '-e', '%random,%args,fd_write,clock_res_get']],
  ['clock_random-v1.range.dump', ['dump', 'traces/clock_random-v1.bin', '--from', '1000', '--to', '1012', '-t', '-T']],
  ['clock_random-v1.stats.txt', ['stats', 'traces/clock_random-v1.bin']],
  ['inspect_fs-v1.dump', ['dump', 'traces/inspect_fs-v1.bin']],
  ['inspect_fs-v1.json.txt', ['dump', 'traces/inspect_fs-v1.bin', '--json']],
];

describe('golden listings of the committed traces', () => {
  for (const [expected, args] of GOLDEN) {
    it(`wasi-trace ${args.join(' ')} prints traces/${expected}`, async () => {
      const r = await wt(args);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(repoRoot, 'traces', expected), 'utf8'));
    });
  }
});
