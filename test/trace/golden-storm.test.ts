// Golden traces of format versions 3, 4 and 5 (untimed calls, a checkpoint, the module compressed; version 4's also
// repeat events, version 5's also delta events): every future version must keep reading traces/storm-v3.bin,
// storm-v4.bin and storm-v5.bin as it reads today, and --verify them with their own memory hashes (the sha256 and
// sha1 of versions 1-5). traces/storm-vN.dump is the listing as wasi-trace wrote it when it wrote version N, checked
// by hand against test/guests/storm.c: its two argv calls, 1030 clock reads, then fd_fdstat_get and the fd_write of
// "calls 1030\n", and exit code 0.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dump } from '../../src/inspect/dump.js';
import { replay } from '../../src/replay/replay.js';
import { TraceReader } from '../../src/trace/reader.js';
import { collect } from '../inspect/commands.js';

const golden = (name: string) => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));

for (const version of [3, 4, 5]) {
  const name = `storm-v${version}`;
  describe(`golden traces (format version ${version})`, () => {
    it(`${name}.bin replays to the recorded output, memory and checkpoint`, async () => {
      const out: Buffer[] = [];
      const r = await replay({ trace: golden(`${name}.bin`), verify: true, stdout: (b) => out.push(Buffer.from(b)) });
      expect(r).toMatchObject({ end: { kind: 'exit', code: 0 }, complete: true, verified: true, calls: 1034 });
      expect(Buffer.concat(out).toString()).toBe('calls 1030\n');
    });

    it(`${name}.bin dumps to traces/${name}.dump`, async () => {
      const out = collect();
      expect(await dump({ trace: golden(`${name}.bin`) }, out)).toBe(0);
      expect(out.text()).toBe(readFileSync(golden(`${name}.dump`), 'utf8'));
    });

    it(`is version ${version}, with one checkpoint among its events`, async () => {
      const reader = await TraceReader.open(golden(`${name}.bin`));
      expect(reader.version).toBe(version);
      expect(reader.footer).toMatchObject({ calls: 1034, events: 1035, frames: 1, end: { kind: 'exit', code: 0 } });
      expect(reader.footer?.memoryHash).toMatch(/^[0-9a-f]{64}$/); // a sha256, as versions 1-5 kept it
      reader.close();
    });
  });
}
