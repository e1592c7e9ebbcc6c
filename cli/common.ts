// Flags shared by the commands that run a guest (run, record), and their conversion to GuestOptions.
import * as fs from 'node:fs';
import { posix } from 'node:path';
import type { Argv } from 'yargs';
import { UserError } from '../src/errors.js';
import { RUNTIME_KINDS, type PreopenSpec, type RuntimeKind } from '../src/providers.js';
import type { GuestOptions } from '../src/run.js';
import { copyHostTree, memoryDirectory, MemoryDirectory, placeFile } from '../src/vfs/memory/index.js';
import { list } from './flags.js';
import { readGuestModule, type CliIo } from './io.js';

export interface GuestFlags {
  env?: string | string[];
  'inherit-env'?: boolean;
  runtime: RuntimeKind;
  dir?: string | string[];
  'mem-dir'?: string | string[];
  'mem-file'?: string | string[];
  module: string;
  guestArgs: string[];
}

/** Adds the guest flags; everything after the module path is left for the guest. */
export function guestFlags<T>(y: Argv<T>) {
  return y
    .positional('module', { type: 'string', describe: 'the .wasm module, or - to read it from stdin', demandOption: true })
    .option('env', { type: 'string', requiresArg: true, describe: 'set a guest environment variable (KEY=VALUE, repeatable)' })
    .option('inherit-env', { type: 'boolean', describe: "pass wasi-trace's own environment to the guest (before --env)" })
    .option('runtime', { choices: RUNTIME_KINDS, default: 'builtin' as RuntimeKind, describe: 'builtin runtime or Node\'s node:wasi' })
    .option('dir', { type: 'string', requiresArg: true, describe: 'preopen host directory HOST as GUEST (HOST[::GUEST], repeatable)' })
    .option('mem-dir', { type: 'string', requiresArg: true, describe: 'preopen an empty in-memory directory as GUEST, or a copy of HOSTDIR (GUEST[=HOSTDIR], repeatable)' })
    .option('mem-file', { type: 'string', requiresArg: true, describe: 'place an in-memory copy of HOSTFILE at GUEST (GUEST=HOSTFILE, repeatable)' });
}

/** The guest's environment: the inherited one (if asked) then each --env, a later KEY replacing an earlier one. */
export function guestEnv(flags: Pick<GuestFlags, 'env' | 'inherit-env'>): string[] {
  const env = new Map<string, string>();
  if (flags['inherit-env']) for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
  for (const kv of list(flags.env)) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UserError(`--env ${kv}: expected KEY=VALUE`);
    env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/**
 * What to run, from the flags. Without `io` the module is left to run() to read and the guest gets the process's
 * stdio; with it, the module is read here (from io.stdin for "-", after which the guest's stdin is empty) and the
 * guest's stdio is io's.
 */
export function guestOptions(flags: GuestFlags, io?: CliIo): GuestOptions {
  const options: GuestOptions = {
    module: flags.module, args: flags.guestArgs, env: guestEnv(flags), runtime: flags.runtime,
    preopens: guestPreopens(flags),
  };
  if (!io) return options;
  const { name, bytes } = readGuestModule(flags.module, io);
  const stdinTaken = flags.module === '-' && io.stdin !== undefined;
  return { ...options, module: bytes, moduleName: name, stdin: stdinTaken ? new Uint8Array(0) : io.stdin, stdout: io.stdout, stderr: io.stderr };
}

/** Splits `s` at the first `sep`; undefined parts when it is absent. */
function split(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)];
}

/** A guest path without '.', '..' or repeated and trailing slashes. */
const normal = (p: string): string => posix.normalize(p).replace(/(.)\/+$/, '$1');

/** The components of guest path `p` below guest path `root`, or undefined when `p` is not inside it. */
function below(root: string, p: string): string[] | undefined {
  const rel = posix.relative(normal(root), normal(p));
  if (rel === '') return [];
  if (rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) return undefined;
  return rel.split('/');
}

/**
 * The preopens of --dir, --mem-dir and --mem-file, in that order (each flag's in command-line order):
 * - `--dir HOST[::GUEST]`: the host directory HOST seen as GUEST (default: HOST itself), confined to it.
 * - `--mem-dir GUEST[=HOSTDIR]`: an empty in-memory directory, or an in-memory copy of the host tree HOSTDIR
 *   (files, directories, symlinks); the guest's changes stay in memory, the host is never written.
 * - `--mem-file GUEST=HOSTFILE`: an in-memory copy of HOSTFILE at GUEST. Inside a --mem-dir it is placed there
 *   (missing directories are made); otherwise its directory becomes an in-memory preopen of its own (shared by the
 *   --mem-files in it). A --mem-file inside a --dir is refused: the host directory is never written.
 * UserError for a malformed value, a missing host path, or a guest path given twice.
 */
export function guestPreopens(flags: Pick<GuestFlags, 'dir' | 'mem-dir' | 'mem-file'>): PreopenSpec[] {
  const host: PreopenSpec[] = list(flags.dir).map((d) => {
    const [hostPath, guest] = split(d, '::');
    if (hostPath === '' || guest === '') throw new UserError(`--dir ${d}: expected HOST[::GUEST]`);
    return { guestPath: guest ?? hostPath, hostPath };
  });
  const mem: { guestPath: string; dir: MemoryDirectory; hostPath?: undefined }[] = list(flags['mem-dir']).map((m) => {
    const [guestPath, hostDir] = split(m, '=');
    if (guestPath === '' || hostDir === '') throw new UserError(`--mem-dir ${m}: expected GUEST[=HOSTDIR]`);
    return { guestPath, dir: hostDir === undefined ? memoryDirectory() : copyTree(hostDir) };
  });
  for (const f of list(flags['mem-file'])) {
    const [guest, hostFile] = split(f, '=');
    const name = posix.basename(guest);
    if (!hostFile || !name || name === '.' || name === '..') throw new UserError(`--mem-file ${f}: expected GUEST=HOSTFILE`);
    const parent = posix.dirname(normal(guest));
    const inHost = host.find((p) => below(p.guestPath, parent));
    if (inHost) {
      throw new UserError(`--mem-file ${f}: ${parent} is inside the host directory ${inHost.guestPath} (--dir); use a --mem-dir`);
    }
    let at = mem.map((p) => ({ p, rest: below(p.guestPath, parent) })).find((x) => x.rest !== undefined);
    if (!at) {
      const p = { guestPath: parent, dir: memoryDirectory() };
      mem.push(p);
      at = { p, rest: [] };
    }
    placeCopy(mkdirs(at.p.dir, at.rest!, f), name, hostFile, f);
  }
  const all = [...host, ...mem];
  for (let i = 0; i < all.length; i++) {
    if (all.findIndex((p) => normal(p.guestPath) === normal(all[i]!.guestPath)) !== i) {
      throw new UserError(`the guest directory ${all[i]!.guestPath} is given twice`);
    }
  }
  return all;
}

function copyTree(hostDir: string): MemoryDirectory {
  if (!fs.statSync(hostDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UserError(`--mem-dir: host directory ${hostDir} does not exist`);
  }
  try { return copyHostTree(hostDir); } catch (e) { throw new UserError(`--mem-dir: cannot copy ${hostDir}: ${(e as Error).message}`); }
}

/** The directory `path` below `dir`, made where missing; UserError when a component is not a directory. */
function mkdirs(dir: MemoryDirectory, path: string[], flag: string): MemoryDirectory {
  for (const name of path) {
    if (dir.lookup(name) === undefined) dir.mkdir(name);
    const next = dir.lookup(name);
    if (!(next instanceof MemoryDirectory)) throw new UserError(`--mem-file ${flag}: ${name} is not a directory`);
    dir = next;
  }
  return dir;
}

function placeCopy(dir: MemoryDirectory, name: string, hostFile: string, flag: string): void {
  if (!fs.statSync(hostFile, { throwIfNoEntry: false })?.isFile()) throw new UserError(`--mem-file ${flag}: host file ${hostFile} does not exist`);
  if (dir.lookup(name) !== undefined) throw new UserError(`--mem-file ${flag}: ${name} is already there`);
  try { placeFile(dir, name, hostFile); } catch (e) { throw new UserError(`--mem-file ${flag}: ${(e as Error).message}`); }
}
