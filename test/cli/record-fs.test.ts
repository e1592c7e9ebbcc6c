// Recording filesystem guests and esbuild, then replaying with the directories and the module gone.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, guestPath, repoRoot } from '../helpers.js';
import { hostLayout } from '../vfs/backends.js';

const FS_GUESTS = ['fs_basic', 'fs_fdflags', 'fs_errors', 'fs_symlink', 'fs_unlinked', 'fs_escape'];

describe('record and replay of filesystem guests', () => {
  for (const guest of FS_GUESTS) {
    for (const [label, how] of [['builtin --dir', 'dir'], ['builtin --mem-dir copy', 'mem'], ['node --dir', 'node']] as const) {
      it(`${guest} on ${label}: replay without the directory gives the same output and exit`, () => {
        const { root, sandbox } = hostLayout();
        const trace = join(root, 'trace.bin');
        const flags = how === 'mem' ? ['--mem-dir', `/sandbox=${sandbox}`] : ['--dir', `${sandbox}::/sandbox`];
        const rec = cli(['record', '-o', trace, '--runtime', how === 'node' ? 'node' : 'builtin', ...flags, guestPath(guest)]);
        expect(rec.stdout).toMatch(/PASS|FAIL/);
        rmSync(sandbox, { recursive: true, force: true });
        const rep = cli(['replay', trace]);
        expect(rep.stdout).toBe(rec.stdout);
        expect(rep.stderr).toBe(rec.stderr);
        expect(rep.status).toBe(rec.status);
        rmSync(root, { recursive: true, force: true });
      });
    }
  }
});

describe('esbuild as a new user would record it', () => {
  it('bundles a project, then replays with the module and the project deleted: identical bytes and exit', () => {
    const work = mkdtempSync(join(tmpdir(), 'wasi-trace-esbuild-'));
    const project = join(work, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(project, 'src', `m${i}.js`), `export const v${i} = ${i} * 7;\n`);
    writeFileSync(join(project, 'src', 'index.js'),
      `${Array.from({ length: 20 }, (_, i) => `import { v${i} } from './m${i}.js';`).join('\n')}\nconsole.log(${Array.from({ length: 20 }, (_, i) => `v${i}`).join(' + ')});\n`);
    const module = join(work, 'esbuild.wasm');
    cpSync(join(repoRoot, 'node_modules/@esbuild/wasi-preview1/esbuild.wasm'), module);
    const trace = join(work, 'esbuild.bin');
    const rec = cli(['record', '-o', trace, '--dir', `${project}::/`, module, '--bundle', '/src/index.js', '--format=esm']);
    expect(rec.status).toBe(0);
    expect(rec.stdout).toMatch(/console\.log\(v0 \+ v1/);
    rmSync(project, { recursive: true });
    rmSync(module);
    const rep = cli(['replay', '--verify', trace]);
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.status).toBe(0);
    expect(rep.stderr).toMatch(/verified/);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);
});
