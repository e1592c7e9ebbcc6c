// The layers of README.md ("Layout"), checked on every import of src/ and cli/: a file imports only from its own
// layer's folder or from a lower layer, never upward or sideways (record and replay share a rank and must not
// import each other: what both need lives in src/calls).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

/** Lowest first. A layer is a folder, or a list of top-level files. */
const LAYERS: { name: string; members: string[] }[] = [
  { name: 'base', members: ['src/errors.ts', 'src/engine.ts', 'src/version.ts', 'src/worker-url.ts', 'src/files.ts'] },
  { name: 'abi', members: ['src/abi/'] },
  { name: 'vfs', members: ['src/vfs/'] },
  { name: 'runtime', members: ['src/runtime/'] },
  { name: 'run', members: ['src/module.ts', 'src/providers.ts', 'src/run.ts'] },
  { name: 'trace', members: ['src/trace/'] },
  { name: 'calls', members: ['src/calls/'] },
  { name: 'record', members: ['src/record/'] },
  { name: 'replay', members: ['src/replay/'] },
  { name: 'inspect', members: ['src/inspect/'] },
  { name: 'api', members: ['src/index.ts'] },
  { name: 'cli', members: ['cli/'] },
];
/** Layers of the same rank: neither may import the other. */
const RANK: Record<string, number> = {
  base: 0, abi: 1, vfs: 2, runtime: 3, run: 4, trace: 5, calls: 6, record: 7, replay: 7, inspect: 8, api: 9, cli: 10,
};

const layerOf = (file: string): string | undefined =>
  LAYERS.find((l) => l.members.some((m) => (m.endsWith('/') ? file.startsWith(m) : file === m)))?.name;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(repoRoot, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(join(repoRoot, rel)).isDirectory()) out.push(...sources(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The repository files a source imports (relative imports only; `.js` names map to their `.ts` source). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(repoRoot, resolve(dirname(join(repoRoot, file)), s)).replace(/\.js$/, '.ts'));
}

describe('architecture', () => {
  const files = [...sources('src'), ...sources('cli')];

  it('every source file belongs to a layer', () => {
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });

  it('imports point only to the same layer or below (nothing upward, nothing sideways)', () => {
    const wrong: string[] = [];
    for (const f of files) {
      const from = layerOf(f)!;
      for (const target of importsOf(f)) {
        const to = layerOf(target);
        if (to === undefined) { wrong.push(`${f} imports ${target}, which is outside every layer`); continue; }
        if (to !== from && RANK[to]! >= RANK[from]!) wrong.push(`${f} (${from}) imports ${target} (${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the check sees imports (it is not vacuous)', () => {
    expect(importsOf('src/replay/replay.ts')).toContain('src/calls/capture.ts');
  });
});
