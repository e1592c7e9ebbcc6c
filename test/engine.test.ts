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

/** Makes the function hot for at most `rounds` rounds, until V8 tiers it up; prints which code it ends on, and after how many rounds. */
const script = (tier: 'baseline' | 'optimizing', rounds: number) => `
const { compileGuest } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/engine.js')).href)});
const f = new WebAssembly.Instance(await compileGuest(new Uint8Array(${JSON.stringify(LOOP_MODULE)}), '${tier}')).exports.f;
f(1); // compiled (lazily) at its first call: before it, %IsLiftoffFunction says false
let round = 0;
for (; round < ${rounds} && %IsLiftoffFunction(f); round++) {
  for (let i = 0; i < 2000; i++) f(1000);
  await new Promise((r) => setTimeout(r, 3));
}
console.log(%IsLiftoffFunction(f) ? 'baseline code' : 'tiered up', round);
`;

const codeAfterHotCalls = (tier: 'baseline' | 'optimizing', rounds: number) =>
  spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script(tier, rounds)], { encoding: 'utf8', timeout: 60_000 });

it('a baseline guest stays on baseline code however hot; an optimizing one is tiered up (so the check can tell)', () => {
  // V8 tiers an optimizing guest up in a few ms when it may; the baseline one is made 5 times as hot as that took
  const optimizing = codeAfterHotCalls('optimizing', 100);
  expect(optimizing).toMatchObject({ status: 0, stdout: expect.stringMatching(/^tiered up \d+\n$/), stderr: '' });
  const rounds = Math.max(20, 5 * Number(/\d+/.exec(optimizing.stdout)![0]));
  expect(codeAfterHotCalls('baseline', rounds)).toMatchObject({ status: 0, stdout: `baseline code ${rounds}\n`, stderr: '' });
});
