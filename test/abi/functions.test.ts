// The function schema against the spec's own witx (vendored in test/abi/spec).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, wasmParams } from '../../src/abi/index.js';
import { specPath } from './witx.js';

const witxPath = specPath('wasi_snapshot_preview1.witx');
const WIDE = new Set(['$filesize', '$timestamp', '$filedelta', '$dircookie', '$rights', '$userdata']);

interface WitxFn { name: string; params: { name: string; type: string }[]; outs: number }

function parseWitx(text: string): WitxFn[] {
  const body = text.replace(/;;.*$/gm, '');
  return body.split('(@interface func').slice(1).map((chunk) => {
    const name = /\(export "(\w+)"\)/.exec(chunk)![1]!;
    const params = [...chunk.matchAll(/\(param \$(\w+) (\$?\w+|\(@witx [^)]*\)\)?)/g)].map((m) => ({ name: m[1]!, type: m[2]! }));
    const result = /\(result \$error \(expected (.*)$/ms.exec(chunk)?.[1] ?? '';
    const ok = result.startsWith('(error') ? 0 : result.startsWith('(tuple') ? (/\(tuple ([^)]*)\)/.exec(result)![1]!.trim().split(/\s+/).length) : result ? 1 : 0;
    return { name, params, outs: ok };
  });
}

describe('function schema vs wasi_snapshot_preview1.witx', () => {
  const witx = parseWitx(readFileSync(witxPath, 'utf8'));

  it('has all 46 functions in spec order', () => {
    expect(witx).toHaveLength(46);
    expect(FUNCTIONS.map((f) => f.name)).toEqual(witx.map((f) => f.name));
  });

  it('lowers every function to the spec parameters, then one pointer per result', () => {
    for (const [i, w] of witx.entries()) {
      const ours = wasmParams(FUNCTIONS[i]!);
      const lowered = w.params.flatMap((p) =>
        p.type === 'string' || p.type.endsWith('_array') ? [p.name, `${p.name}_len`] : [p.name]);
      expect(ours.slice(0, lowered.length).map((p) => p.name), w.name).toEqual(lowered);
      expect(ours.length - lowered.length, `${w.name} result pointers`).toBe(w.outs);
      for (const p of ours.slice(lowered.length)) expect(p.part, `${w.name}.${p.name}`).toBe('ptr');
    }
  });

  it('passes exactly the 64-bit spec types as i64', () => {
    for (const [i, w] of witx.entries()) {
      const ours = wasmParams(FUNCTIONS[i]!);
      for (const p of w.params) {
        const mine = ours.find((o) => o.name === p.name)!;
        expect(mine.wasm, `${w.name}.${p.name}`).toBe(WIDE.has(p.type) ? 'i64' : 'i32');
      }
    }
  });

  it('gives proc_exit no result and every other function an errno', () => {
    expect(FUNCTIONS.filter((f) => f.result === 'none').map((f) => f.name)).toEqual(['proc_exit']);
  });
});
