// src/engine.ts: a guest compiled for the baseline tier stays on V8's baseline code however hot it gets, also after
// compileGuest has cleared the V8 flag again (a guest that tiered up mid-run would reach another stack depth than its
// recording). Checked with V8's %IsLiftoffFunction, in a process of its own started with --allow-natives-syntax (on
// the built dist/).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

// (func (export "f") (param $n i32) (result i32) (local $sum i32)
//   loop  sum += n; n -= 1; br_if (n != 0)  end  sum)
const LOOP_MODULE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10,
  27, 1, 25, 1, 1, 127, 3, 64, 32, 1, 32, 0, 106, 33, 1, 32, 0, 65, 1, 107, 34, 0, 13, 0, 11, 32, 1, 11];

const script = (tier: 'baseline' | 'optimizing') => `
const { compileGuest } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/engine.js')).href)});
const f = new WebAssembly.Instance(await compileGuest(new Uint8Array(${JSON.stringify(LOOP_MODULE)}), '${tier}')).exports.f;
f(1); // compiled (lazily) at its first call: before it, %IsLiftoffFunction says false
// Hot until V8 tiers it up (it does in a few ms when it may), for at most 100 rounds.
for (let round = 0; round < 100 && %IsLiftoffFunction(f); round++) {
  for (let i = 0; i < 2000; i++) f(1000);
  await new Promise((r) => setTimeout(r, 3));
}
console.log(%IsLiftoffFunction(f) ? 'baseline code' : 'tiered up');
`;

const codeAfterHotCalls = (tier: 'baseline' | 'optimizing') =>
  spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script(tier)], { encoding: 'utf8', timeout: 60_000 });

it('a baseline guest stays on baseline code however hot; an optimizing one is tiered up (so the check can tell)', () => {
  expect(codeAfterHotCalls('baseline')).toMatchObject({ status: 0, stdout: 'baseline code\n', stderr: '' });
  expect(codeAfterHotCalls('optimizing')).toMatchObject({ status: 0, stdout: 'tiered up\n', stderr: '' });
});
