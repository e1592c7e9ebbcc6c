// Golden trace of format version 2: every future version must keep reading traces/hello-v2.bin as it reads today.
// traces/hello-v2.dump is its listing; it is the same as that of hello-v1.bin (the same guest; the listing was
// checked by hand against test/guests/hello.c there).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dump } from '../../src/inspect/dump.js';
import { info } from '../../src/inspect/info.js';
import { replay } from '../../src/replay/replay.js';
import { TraceReader } from '../../src/trace/reader.js';
import { collect } from '../inspect/commands.js';

const golden = (name: string) => fileURLToPath(new URL(`../../traces/${name}`, import.meta.url));

describe('golden traces (format version 2)', () => {
  it('hello-v2.bin replays to the recorded output and memory', async () => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const r = await replay({ trace: golden('hello-v2.bin'), verify: true, stdout: (b) => out.push(Buffer.from(b)), stderr: (b) => err.push(Buffer.from(b)) });
    expect(r).toMatchObject({ end: { kind: 'exit', code: 0 }, complete: true, verified: true, calls: 5 });
    expect(Buffer.concat(out).toString()).toBe('hello, world\n');
    expect(Buffer.concat(err).toString()).toBe('hello, stderr\n');
  });

  it('hello-v2.bin dumps to traces/hello-v2.dump, and to the listing of hello-v1.bin', async () => {
    const out = collect();
    expect(await dump({ trace: golden('hello-v2.bin') }, out)).toBe(0);
    expect(out.text()).toBe(readFileSync(golden('hello-v2.dump'), 'utf8'));
    expect(out.text()).toBe(readFileSync(golden('hello-v1.dump'), 'utf8'));
  });

  it('is version 2 with a trace id, and info checks it through', async () => {
    const reader = await TraceReader.open(golden('hello-v2.bin'));
    expect(reader.version).toBe(2);
    expect(reader.traceId).toBe('291358dca241995e695c1582535208b9');
    expect(reader.footer).toMatchObject({ calls: 5, frames: 1, traceId: reader.traceId, end: { kind: 'exit', code: 0 } });
    reader.close();
    const out = collect();
    await info(golden('hello-v2.bin'), false, out);
    expect(out.text()).toMatch(/^format {6}version 2, written by wasi-trace 0\.1\.0$/m);
    expect(out.text()).toMatch(/^trace id {4}291358dca241995e695c1582535208b9$/m);
    expect(out.text()).toMatch(/^complete {4}yes$/m);
  });
});
