// `npm run build`'s second step (node dist/cli/bundle.js): joins the modules `wasi-trace run` loads into one file,
// dist/cli/run-bundle.js. Node loads each ES module file separately (resolve, stat, read, compile): for the ~50 files
// of the run path that is ~40 ms of every `run`, more than a small guest's whole run. cli/main.ts takes the bundle
// for `run` command lines while it is fresh (freshBundle: no input changed after it was made, so a plain `tsc` build
// is never shadowed by an older bundle) and the separate files otherwise.
//
// It works on tsc's output of this repository, not on any JavaScript: each module becomes a function run once, in
// dependency order, that fills a namespace object with getters (so exports stay live). It refuses (throws) what it
// does not follow rather than guess: import cycles, `export default`, exported let/var bindings (an importer reads
// each binding once, after its module ran; TypeScript's enums are the one var allowed), import.meta, computed dynamic
// imports, and any module whose exports differ from what Node itself sees when it imports the file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** dist/, where tsc wrote the modules (this file is dist/cli/bundle.js, or cli/bundle.ts beside dist/ in tests). */
const ABOVE = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.basename(ABOVE) === 'dist' ? ABOVE : path.join(ABOVE, 'dist');
/** The modules `run` starts from: the command line (cli/app.js, which main.js imports) and the run command. */
const ENTRIES = ['cli/app.js', 'cli/run.js'];
export const BUNDLE = 'cli/run-bundle.js';
/** The inputs of the bundle with their sizes. */
export const MANIFEST = 'cli/run-bundle.json';

interface Manifest { readonly inputs: [file: string, size: number][] }

interface Module {
  readonly file: string; // relative to dist/
  readonly index: number;
  /** Static imports: modules of dist/ by file (local), or external specifiers (node:..., packages). */
  readonly imports: { from: string; local: boolean; clause: string }[];
  /** Local exports: exported name → local name. */
  readonly exports: Map<string, string>;
  /** `export { a as b } from` and `export * from`: [exported name or '*', source file, imported name]. */
  readonly reexports: [string, string, string][];
  body: string;
}

const isRelative = (s: string): boolean => s.startsWith('./') || s.startsWith('../');
const resolveFrom = (file: string, spec: string): string => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));

/** Splits `a, b as c` into [imported, local] pairs. */
function specifiers(list: string): [string, string][] {
  return list.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(s);
    if (!m) throw new Error(`cannot read the specifier "${s}"`);
    return [m[1]!, m[2] ?? m[1]!];
  });
}

function parse(dist: string, file: string, index: number): Module {
  let text = fs.readFileSync(path.join(dist, file), 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
  const fail = (what: string): never => { throw new Error(`${file}: ${what}: cannot bundle it`); };
  if (/\bimport\.meta\b/.test(text)) fail('uses import.meta');
  const imports: Module['imports'] = [];
  const exports = new Map<string, string>();
  const reexports: Module['reexports'] = [];
  text = text.replace(/^import\s+([^'";]*?)\s+from\s+'([^']+)';[ \t]*$/gm, (_all, clause: string, from: string) => {
    imports.push(isRelative(from) ? { from: resolveFrom(file, from), local: true, clause } : { from, local: false, clause });
    return '';
  });
  if (/^import\s/m.test(text)) fail('has an import statement of a form the bundler does not read');
  text = text.replace(/^export\s+\*\s+from\s+'([^']+)';[ \t]*$/gm, (_all, from: string) => {
    if (!isRelative(from)) fail(`re-exports the package ${from}`);
    reexports.push(['*', resolveFrom(file, from), '*']);
    return '';
  });
  text = text.replace(/^export\s+\{([^}]*)\}\s+from\s+'([^']+)';[ \t]*$/gm, (_all, list: string, from: string) => {
    if (!isRelative(from)) fail(`re-exports the package ${from}`);
    for (const [imported, exported] of specifiers(list)) reexports.push([exported, resolveFrom(file, from), imported]);
    return '';
  });
  text = text.replace(/^export\s+\{([^}]*)\};[ \t]*$/gm, (_all, list: string) => {
    for (const [local, exported] of specifiers(list)) exports.set(exported, local);
    return '';
  });
  text = text.replace(/^export\s+((?:async\s+)?function\*?|class|const|var)\s+([\w$]+)/gm, (_all, kind: string, name: string) => {
    exports.set(name, name);
    return `${kind} ${name}`;
  });
  if (/^export\s/m.test(text)) fail('has an export of a form the bundler does not read (export default, export let, destructuring)');
  // An importer reads each binding once, after its module ran: an exported binding must not change after that.
  for (const [exported, local] of exports) {
    const escaped = local.replace(/\$/g, '\\$');
    if (new RegExp(`\\blet\\s+${escaped}\\b`).test(text)) fail(`exports ${exported}, a let binding (it may change after the module ran)`);
    if (new RegExp(`\\bvar\\s+${escaped}\\b`).test(text) && !text.includes(`(${local} || (${local} = {}))`)) {
      fail(`exports ${exported}, a var binding that is not an enum (it may change after the module ran)`);
    }
  }
  // Dynamic imports: string literals only. A bundled module's becomes its namespace; others are made relative to the bundle.
  text = text.replace(/\bimport\(\s*(['"])([^'"]+)\1\s*\)/g, (_all, _q: string, spec: string) => {
    if (!isRelative(spec)) return `import(${JSON.stringify(spec)})`;
    return `import(${JSON.stringify(relativeToBundle(resolveFrom(file, spec)))})`;
  });
  if (/\bimport\(\s*[^'"\s]/.test(text)) fail('has a dynamic import of a computed specifier');
  return { file, index, imports, exports, reexports, body: text };
}

/** `file` (relative to dist/) as a specifier from the bundle's folder. */
function relativeToBundle(file: string): string {
  const rel = path.posix.relative(path.posix.dirname(BUNDLE), file);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** The modules reachable from the entries by static imports, dependencies first; throws on a cycle. */
function collect(dist: string): Module[] {
  const order: Module[] = [];
  const state = new Map<string, 'visiting' | Module>();
  const visit = (file: string, from: string): Module => {
    const seen = state.get(file);
    if (seen === 'visiting') throw new Error(`import cycle through ${file} (from ${from}): cannot bundle it`);
    if (seen) return seen;
    state.set(file, 'visiting');
    const m = parse(dist, file, -1);
    for (const dep of [...m.imports.filter((i) => i.local).map((i) => i.from), ...m.reexports.map((r) => r[1])]) visit(dep, file);
    const done = { ...m, index: order.length };
    order.push(done);
    state.set(file, done);
    return done;
  };
  for (const e of ENTRIES) visit(e, 'the entries');
  return order;
}

/** The bundle's source: external imports, then one namespace and one init per module, in dependency order. */
function generate(modules: Module[]): string {
  const byFile = new Map(modules.map((m) => [m.file, m]));
  const ns = (file: string): string => `__ns${byFile.get(file)!.index}`;
  const externals = new Map<string, string>(); // "kind spec" → local name
  const external = (kind: 'ns' | 'default', spec: string): string => {
    const key = `${kind} ${spec}`;
    if (!externals.has(key)) externals.set(key, `__ext${externals.size}`);
    return externals.get(key)!;
  };
  const inits = modules.map((m) => {
    const lines: string[] = [`// ---- ${m.file}`, `(() => {`];
    for (const { from, local: bundled, clause } of m.imports) {
      const c = /^(?:([\w$]+)\s*,?\s*)?(?:\*\s+as\s+([\w$]+)|\{([^}]*)\})?$/.exec(clause.trim());
      if (!c || (c[1] === undefined && c[2] === undefined && c[3] === undefined)) throw new Error(`${m.file}: cannot read the import clause "${clause}"`);
      const [, def, star, named] = c;
      const source = bundled ? ns(from) : external('ns', from);
      if (def !== undefined) lines.push(`const ${def} = ${bundled ? `${source}.default` : external('default', from)};`);
      if (star !== undefined) lines.push(`const ${star} = ${source};`);
      if (named !== undefined) {
        const pairs = specifiers(named);
        if (bundled) for (const [imported] of pairs) if (!exportsOf(byFile.get(from)!, byFile).has(imported)) throw new Error(`${m.file} imports ${imported}, which ${from} does not export`);
        if (pairs.length) lines.push(`const { ${pairs.map(([i, l]) => (i === l ? i : `${i}: ${l}`)).join(', ')} } = ${source};`);
      }
    }
    const getters = [...m.exports].map(([exported, local]) => `${JSON.stringify(exported)}: { get: () => ${local}, enumerable: true }`);
    for (const [exported, from, imported] of m.reexports) {
      if (exported === '*') continue;
      getters.push(`${JSON.stringify(exported)}: { get: () => ${ns(from)}.${imported}, enumerable: true }`);
    }
    if (getters.length) lines.push(`Object.defineProperties(${ns(m.file)}, { ${getters.join(', ')} });`);
    for (const [exported, from] of m.reexports) {
      if (exported !== '*') continue;
      lines.push(`for (const k of Object.keys(${ns(from)})) if (k !== 'default' && !Object.hasOwn(${ns(m.file)}, k)) Object.defineProperty(${ns(m.file)}, k, { get: () => ${ns(from)}[k], enumerable: true });`);
    }
    lines.push(m.body.trim().replace(/\bimport\("(\.[^"]+)"\)/g, (all, spec: string) => {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(BUNDLE), spec));
      return byFile.has(target) ? `Promise.resolve(${ns(target)})` : all;
    }), `})();`);
    return lines.join('\n');
  });
  const header = [
    `// Generated by cli/bundle.ts (npm run build) from ${modules.length} modules of dist/: do not edit.`,
    ...[...externals].map(([key, local]) => {
      const [kind, spec] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
      return kind === 'ns' ? `import * as ${local} from ${JSON.stringify(spec)};` : `import ${local} from ${JSON.stringify(spec)};`;
    }),
    `const ${modules.map((m) => `__ns${m.index} = {}`).join(', ')};`,
  ];
  const entry = ns(ENTRIES[0]!);
  return [...header, ...inits, `export const { main } = ${entry};`, ''].join('\n');
}

/** Every name `m` exports, its star re-exports included. */
function exportsOf(m: Module, byFile: Map<string, Module>): Set<string> {
  const names = new Set(m.exports.keys());
  for (const [exported, from] of m.reexports) {
    if (exported !== '*') names.add(exported);
    else for (const n of exportsOf(byFile.get(from)!, byFile)) if (n !== 'default') names.add(n);
  }
  return names;
}

/** Builds dist/cli/run-bundle.js and its manifest (each written to a temporary name, then renamed into place). */
export async function buildBundle(dist: string = DIST): Promise<{ modules: number; bytes: number }> {
  const modules = collect(dist);
  const byFile = new Map(modules.map((m) => [m.file, m]));
  // What Node sees must be what the bundle gives: the same export names for every module.
  for (const m of modules) {
    const real = Object.keys(await import(pathToFileURL(path.join(dist, m.file)).href)).sort();
    const ours = [...exportsOf(m, byFile)].sort();
    if (real.join() !== ours.join()) throw new Error(`${m.file}: exports ${real.join(', ')}, the bundler read ${ours.join(', ')}`);
  }
  const source = generate(modules);
  const manifest: Manifest = { inputs: modules.map((m) => [m.file, fs.statSync(path.join(dist, m.file)).size]) };
  // Written beside its final name (its dynamic imports are relative to it), loaded once to prove that it evaluates
  // and exports main, then renamed into place; the manifest last.
  const tmp = path.join(dist, BUNDLE.replace(/\.js$/, `.${process.pid}.tmp.js`));
  fs.writeFileSync(tmp, source);
  try {
    const loaded = await import(pathToFileURL(tmp).href) as { main?: unknown };
    if (typeof loaded.main !== 'function') throw new Error('the bundle does not export main');
    fs.renameSync(tmp, path.join(dist, BUNDLE));
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const manifestTmp = path.join(dist, `${MANIFEST}.${process.pid}.tmp`);
  fs.writeFileSync(manifestTmp, `${JSON.stringify(manifest)}\n`);
  fs.renameSync(manifestTmp, path.join(dist, MANIFEST));
  return { modules: modules.length, bytes: Buffer.byteLength(source) };
}

/**
 * True when the bundle in `dist` and its manifest exist and every input is as it was when the bundle was made from
 * it: the same size and not modified after the bundle (a later tsc run rewrites them all; an npm install gives every
 * file the same mtime). What cli/main.ts checks before it takes the bundle: one stat per input.
 */
export function freshBundle(dist: string = DIST): boolean {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dist, MANIFEST), 'utf8')) as Manifest;
    const built = fs.statSync(path.join(dist, BUNDLE)).mtimeMs;
    return manifest.inputs.every(([file, size]) => {
      const s = fs.statSync(path.join(dist, file), { throwIfNoEntry: false });
      return s !== undefined && s.size === size && s.mtimeMs <= built;
    });
  } catch {
    return false;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { modules, bytes } = await buildBundle();
    process.stdout.write(`${BUNDLE}: ${modules} modules, ${(bytes / 1024).toFixed(0)} KiB\n`);
  } catch (e) {
    process.stderr.write(`bundle: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
