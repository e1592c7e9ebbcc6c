// `npm run build`'s second step (node dist/cli/bundle.js): joins tsc's modules into a few files per thread, so that
// a command starts by loading one to three files instead of up to ~140 (Node resolves, stats, reads and compiles each
// module file separately, 1–5 ms each): dist/cli/app-bundle.js for the command line (every command), and one bundle
// per worker script a bundled module starts through workerUrl() (the guest thread of a recording, the frame reader of
// a replay). cli/main.ts takes the bundles while they are fresh (freshBundle: no input changed after they were made,
// so a plain `tsc` build is never shadowed by older bundles) and the separate files otherwise.
//
// Each module becomes a function that runs once, on first need, after the modules it imports (ES modules' order), and
// fills a namespace object with getters (so exports stay live). A static import is "run that module now"; a dynamic
// `import('./x.js')` of a bundled module is "load x's part and the packages its modules import, then run x now" and
// gives x's one namespace object. A bundle file holds the loader and the modules its entry imports statically (and
// the command line's, those of `run`: IN_MAIN); each other dynamic import target has a part (<bundle>.<target>.js)
// with the modules it needs beyond those. So a bundle runs exactly the modules the separate files would (yargs and
// the inspect commands only for the command lines that need them), `run` reads one file, another command two, and
// no module is ever loaded twice: classes keep their identity
// (instanceof UserError). Packages, node: builtins and the few files main.ts loads before the bundle (UNBUNDLED) stay
// outside, loaded with import() before a module that imports them runs. `import.meta.url` becomes the original
// file's URL, computed from the bundle's own; workerUrl('./x.js', import.meta.url) becomes x's bundle.
//
// The command line's bundle and its parts are scripts, not ES modules: V8 compiles them from the code caches made here
// (fresh-bundle.ts runScriptBundle), which Node 20 has no way to do for an ES module. A worker's bundle is an ES module,
// or CommonJS (COMMONJS_WORKERS: the guest thread's, with its own code cache: cjsBundleRunner).
//
// It works on tsc's output of this repository, not on any JavaScript: it refuses (throws) what it does not follow
// rather than guess: static import cycles, `export default`, exported let/var bindings (an importer reads each
// binding once, after its module ran; TypeScript's enums are the one var allowed), import.meta other than
// import.meta.url, computed dynamic imports, workerUrl() with other than a string and import.meta.url, top-level
// await, and any module whose exports differ from what Node itself sees when it imports the file.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleOf, cjsBundleRunner, cjsBundleRunnerFile, ENTRY, MANIFEST, runnerOf, runScriptBundle, scriptValue, type Manifest } from './fresh-bundle.js';

export { BUNDLE, bundleOf, freshBundle, MANIFEST } from './fresh-bundle.js';

/** dist/, where tsc wrote the modules (this file is dist/cli/bundle.js, or cli/bundle.ts beside dist/ in tests). */
const ABOVE = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.basename(ABOVE) === 'dist' ? ABOVE : path.join(ABOVE, 'dist');
/**
 * Files cli/main.ts loads itself, before the bundle: a bundled copy of one would be a second one (prewarm's started
 * workers). A bundled module that imports one loads the file.
 */
const UNBUNDLED = new Set(['cli/prewarm.js', 'cli/fresh-bundle.js']);
/**
 * Dynamic import targets whose modules the command line's bundle holds itself rather than in a part: `run`, whose
 * start matters most (one file less to load: ~8% of what loading and running hello costs in the process); record and
 * replay use nearly all of its modules too. Only their bodies are there: they still run only when imported.
 */
const IN_MAIN = ['cli/run.js'];
/** The worker-url module, whose workerUrl() calls the bundler rewrites to point at worker bundles. */
const WORKER_URL = 'src/worker-url.js';

interface Import { readonly from: string; readonly bundled: boolean; readonly clause: string }

interface Module {
  readonly file: string; // relative to dist/
  /** Static imports in source order: modules of dist/ by file when bundled, else the file or package specifier. */
  readonly imports: Import[];
  /** Every static dependency (imports and re-exports), in source order: what runs before this module. */
  readonly deps: string[];
  /** Local exports: exported name → local name. */
  readonly exports: Map<string, string>;
  /** `export { a as b } from` and `export * from`: [exported name or '*', source file, imported name]. */
  readonly reexports: [string, string, string][];
  /** Bundled modules this one imports dynamically. */
  readonly dynamic: Set<string>;
  /** Worker scripts this one starts through workerUrl() (each gets its own bundle). */
  readonly workers: Set<string>;
  /** The body, with placeholders for dynamic imports and worker URLs (see generate). */
  readonly body: string;
  readonly usesMetaUrl: boolean;
}

const isRelative = (s: string): boolean => s.startsWith('./') || s.startsWith('../');
const resolveFrom = (file: string, spec: string): string => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
/** `file` (relative to dist/) as a specifier from the bundles' folder (cli/). */
function relativeToBundle(file: string): string {
  const rel = path.posix.relative('cli', file);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Splits `a, b as c` into [imported, local] pairs. */
function specifiers(list: string): [string, string][] {
  return list.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(s);
    if (!m) throw new Error(`cannot read the specifier "${s}"`);
    return [m[1]!, m[2] ?? m[1]!];
  });
}

/** Reads one module of dist/: its imports, exports and body. Throws on what the bundler does not follow. */
function parse(dist: string, file: string, clean: (text: string) => string): Module {
  let text = clean(fs.readFileSync(path.join(dist, file), 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, ''));
  const fail = (what: string): never => { throw new Error(`${file}: ${what}: cannot bundle it`); };
  const deps: string[] = [];
  for (const m of text.matchAll(/^(?:import\s+[^'";]*?|export\s+(?:\*|\{[^}]*\}))\s+from\s+'([^']+)';[ \t]*$/gm)) {
    if (isRelative(m[1]!) && !UNBUNDLED.has(resolveFrom(file, m[1]!))) deps.push(resolveFrom(file, m[1]!));
  }
  const imports: Import[] = [];
  const exports = new Map<string, string>();
  const reexports: Module['reexports'] = [];
  text = text.replace(/^import\s+([^'";]*?)\s+from\s+'([^']+)';[ \t]*$/gm, (_all, clause: string, from: string) => {
    const local = isRelative(from) ? resolveFrom(file, from) : undefined;
    if (local !== undefined && !UNBUNDLED.has(local)) imports.push({ from: local, bundled: true, clause });
    else imports.push({ from: local === undefined ? from : relativeToBundle(local), bundled: false, clause });
    return '';
  });
  if (/^import\s/m.test(text)) fail('has an import statement of a form the bundler does not read');
  const reexportFrom = (from: string): string => {
    if (!isRelative(from)) fail(`re-exports the package ${from}`);
    if (UNBUNDLED.has(resolveFrom(file, from))) fail(`re-exports ${from}, which is not bundled`);
    return resolveFrom(file, from);
  };
  text = text.replace(/^export\s+\*\s+from\s+'([^']+)';[ \t]*$/gm, (_all, from: string) => {
    reexports.push(['*', reexportFrom(from), '*']);
    return '';
  });
  text = text.replace(/^export\s+\{([^}]*)\}\s+from\s+'([^']+)';[ \t]*$/gm, (_all, list: string, from: string) => {
    for (const [imported, exported] of specifiers(list)) reexports.push([exported, reexportFrom(from), imported]);
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
  // The body runs inside a function: top-level await cannot (tsc's output has top-level statements at column 0).
  if (/^(?:(?:const|let|var)\s[^\n]*?=\s*)?await\s/m.test(text) || /^for\s+await\b/m.test(text)) fail('uses top-level await');
  // Worker scripts started from workerUrl('./x.js', import.meta.url): that worker's bundle in the bundle.
  const workers = new Set<string>();
  text = text.replace(/\bworkerUrl\(\s*'([^']+)'\s*,\s*import\.meta\.url\s*\)/g, (_all, spec: string) => {
    if (!isRelative(spec)) fail(`starts the worker ${spec}, which is not a file of dist/`);
    const worker = resolveFrom(file, spec);
    workers.add(worker);
    return `__WORKER_URL(${JSON.stringify(worker)})`;
  });
  if (file !== WORKER_URL && /(?<!function\s+)\bworkerUrl\s*\(/.test(text)) fail("calls workerUrl() with other than a string and import.meta.url");
  const usesMetaUrl = /\bimport\.meta\.url\b/.test(text);
  text = text.replace(/\bimport\.meta\.url\b/g, '__meta_url');
  if (/\bimport\.meta\b/.test(text)) fail('uses import.meta other than import.meta.url');
  // Dynamic imports: string literals only. A bundled module's becomes "run it now"; others load their file or package.
  const dynamic = new Set<string>();
  text = text.replace(/\bimport\(\s*(['"])([^'"]+)\1\s*\)/g, (_all, _q: string, spec: string) => {
    if (!isRelative(spec)) return `__IMPORT_EXTERNAL(${JSON.stringify(spec)})`;
    const target = resolveFrom(file, spec);
    if (UNBUNDLED.has(target)) return `__IMPORT_EXTERNAL(${JSON.stringify(relativeToBundle(target))})`;
    dynamic.add(target);
    return `__IMPORT(${JSON.stringify(target)})`;
  });
  if (/\bimport\(\s*[^'"\s]/.test(text)) fail('has a dynamic import of a computed specifier');
  return { file, imports, deps, exports, reexports, dynamic, workers, body: text, usesMetaUrl };
}

/**
 * What the bundles hold of a module's text: its code without comments (a quarter of tsc's output here) and in ASCII,
 * which Node and V8 read and compile measurably faster (~6% of a part's load time). The comments are found by
 * TypeScript's parser (a devDependency, there when `npm run build` runs; without it the text is kept as it is);
 * each becomes a space, or a newline when it spans lines (so automatic semicolons stay as they were), and a line
 * that held only a comment goes. Every other character above ASCII, which can then only be in a string, template or
 * regular expression literal or an identifier, becomes its \uXXXX escape, which means the same there.
 */
async function cleaner(): Promise<(text: string) => string> {
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    return (text) => text;
  }
  return (text) => {
    const source = ts.createSourceFile('module.js', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
    // A node's pos and end are where trivia (whitespace, comments) between two tokens begins: every comment found
    // from there is one. (The few in trivia no node starts or ends at, such as in an empty block, stay.)
    const comments = new Map<number, number>(); // start → end
    const from = (pos: number): void => {
      for (const r of ts.getLeadingCommentRanges(text, pos) ?? []) comments.set(r.pos, r.end);
      for (const r of ts.getTrailingCommentRanges(text, pos) ?? []) comments.set(r.pos, r.end);
    };
    const visit = (node: import('typescript').Node): void => {
      from(node.pos);
      from(node.end);
      ts.forEachChild(node, visit);
    };
    visit(source);
    let out = '';
    let at = 0;
    for (const [start, end] of [...comments].sort((a, b) => a[0] - b[0])) {
      if (start < at) continue;
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      const wholeLine = /^[ \t]*$/.test(text.slice(lineStart, start)) && (end === text.length || text[end] === '\n');
      if (wholeLine && lineStart >= at) {
        out += text.slice(at, lineStart);
        at = Math.min(end + 1, text.length);
      } else {
        out += text.slice(at, start) + (text.slice(start, end).includes('\n') ? '\n' : ' ');
        at = end;
      }
    }
    out += text.slice(at);
    return out.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  };
}

/**
 * The modules of the bundle of `entry`: everything reachable by static and dynamic imports, dependencies first
 * (each module's index is its place in this order). Throws on a static import cycle.
 */
function collect(dist: string, entry: string, cache: Map<string, Module>, clean: (text: string) => string): Module[] {
  const order: Module[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const pending = [entry];
  const visit = (file: string, from: string): void => {
    const seen = state.get(file);
    if (seen === 'visiting') throw new Error(`import cycle through ${file} (from ${from}): cannot bundle it`);
    if (seen) return;
    state.set(file, 'visiting');
    let m = cache.get(file);
    if (m === undefined) cache.set(file, m = parse(dist, file, clean));
    for (const dep of m.deps) visit(dep, file);
    order.push(m);
    state.set(file, 'done');
    pending.push(...m.dynamic);
  };
  while (pending.length) {
    const file = pending.shift()!;
    if (!state.has(file)) visit(file, file === entry ? 'the entry' : 'a dynamic import');
  }
  return order;
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

/** One file of a bundle: its name (relative to dist/), its source, and how many modules it defines. */
interface Piece { readonly file: string; readonly source: string; readonly modules: number }

/**
 * The files of the bundle of `entry` (`modules`: collect's order): the bundle itself, `file`, which holds the loader,
 * the modules the entry imports statically (for the main bundle, IN_MAIN's too) and runs the entry; and one part per
 * other dynamic import target with the modules that target needs beyond those (a module several targets need is in
 * each of their parts; it still runs once), which gives them as [module index, body][] (a script's value, an ES
 * module's `bodies`). A dynamic import loads its target's part, unless a part loaded before gave the target. The main
 * bundle gives main (the entry's) and bundleState; a worker bundle only runs its entry.
 */
function generate(modules: Module[], entry: string, file: string, isMain: boolean): Piece[] {
  const commonjs = file.endsWith('.cjs');
  if (commonjs && isMain) throw new Error(`${file}: the command line's bundle is a script`);
  // The command line's bundle and its parts are scripts (fresh-bundle.ts runScriptBundle); a worker's, ES modules or
  // CommonJS. A script imports through its parameters.
  const script = isMain;
  const index = new Map(modules.map((m, i) => [m.file, i]));
  const byFile = new Map(modules.map((m) => [m.file, m]));
  const at = (f: string): number => index.get(f)!;
  const externals: string[] = []; // specifiers (packages, node: builtins, unbundled files relative to cli/)
  const external = (spec: string): number => {
    if (!externals.includes(spec)) externals.push(spec);
    return externals.indexOf(spec);
  };
  // Per module, the modules it needs run first (itself included) and the externals they import.
  const closure = new Map<string, Set<string>>();
  const needs = new Map<string, Set<number>>();
  for (const m of modules) {
    const mods = new Set([m.file]);
    const ext = new Set(m.imports.filter((i) => !i.bundled).map((i) => external(i.from)));
    for (const dep of m.deps) {
      for (const d of closure.get(dep)!) mods.add(d);
      for (const e of needs.get(dep)!) ext.add(e);
    }
    closure.set(m.file, mods);
    needs.set(m.file, ext);
  }
  const body = (m: Module): string => {
    const i = at(m.file);
    const lines: string[] = []; // the body of its function (see below)
    const deps = m.deps.filter((d, k) => m.deps.indexOf(d) === k);
    if (deps.length) lines.push(deps.map((d) => `__run(${at(d)});`).join(' '));
    if (m.usesMetaUrl) lines.push(`const __meta_url = new URL(${JSON.stringify(path.posix.relative('cli', m.file))}, import.meta.url).href;`);
    for (const { from, bundled, clause } of m.imports) {
      const c = /^(?:([\w$]+)\s*,?\s*)?(?:\*\s+as\s+([\w$]+)|\{([^}]*)\})?$/.exec(clause.trim());
      if (!c || (c[1] === undefined && c[2] === undefined && c[3] === undefined)) throw new Error(`${m.file}: cannot read the import clause "${clause}"`);
      const [, def, star, named] = c;
      const source = bundled ? `__ns[${at(from)}]` : `__ext[${external(from)}]`;
      if (def !== undefined) lines.push(`const ${def} = ${source}.default;`);
      if (star !== undefined) lines.push(`const ${star} = ${source};`);
      if (named !== undefined) {
        const pairs = specifiers(named);
        if (bundled) for (const [imported] of pairs) if (!exportsOf(byFile.get(from)!, byFile).has(imported)) throw new Error(`${m.file} imports ${imported}, which ${from} does not export`);
        if (pairs.length) lines.push(`const { ${pairs.map(([a, b]) => (a === b ? a : `${a}: ${b}`)).join(', ')} } = ${source};`);
      }
    }
    const getters = [...m.exports].map(([exported, local]) => `${JSON.stringify(exported)}: { get: () => ${local}, enumerable: true }`);
    for (const [exported, from, imported] of m.reexports) {
      if (exported !== '*') getters.push(`${JSON.stringify(exported)}: { get: () => __ns[${at(from)}].${imported}, enumerable: true }`);
    }
    if (getters.length) lines.push(`Object.defineProperties(__ns[${i}], { ${getters.join(', ')} });`);
    for (const [exported, from] of m.reexports) {
      if (exported !== '*') continue;
      lines.push(`for (const k of Object.keys(__ns[${at(from)}])) if (k !== 'default' && !Object.hasOwn(__ns[${i}], k)) Object.defineProperty(__ns[${i}], k, { get: () => __ns[${at(from)}][k], enumerable: true });`);
    }
    lines.push(m.body.trim()
      .replace(/__IMPORT\(("[^"]+")\)/g, (_all, target: string) => `__import(${at(JSON.parse(target) as string)})`)
      .replace(/__IMPORT_EXTERNAL\(("[^"]+")\)/g, (_all, spec: string) => `__importExternal(${external(JSON.parse(spec) as string)})`)
      .replace(/__WORKER_URL\(("[^"]+")\)/g, (_all, worker: string) => `new URL(${JSON.stringify(`./${path.posix.basename(bundleOf(JSON.parse(worker) as string))}`)}, import.meta.url)`));
    return lines.join('\n');
  };
  const bodies = new Map(modules.map((m) => [m.file, body(m)])); // before the loader: they name externals too
  const inMain = new Set([entry, ...(isMain ? IN_MAIN.filter((f) => closure.has(f)) : [])].flatMap((f) => [...closure.get(f)!]));
  const targets = modules.filter((m) => modules.some((n) => n.dynamic.has(m.file))).map((m) => m.file);
  const parts = targets.filter((t) => [...closure.get(t)!].some((f) => !inMain.has(f))).map((t) => ({
    target: t,
    file: file.replace(/\.c?js$/, `.${t.replace(/\.js$/, '').replace(/\//g, '-')}.js`),
    modules: modules.filter((m) => closure.get(t)!.has(m.file) && !inMain.has(m.file)),
  }));
  const loader = [
    `// Generated by cli/bundle.ts (npm run build) from the modules of dist/, entry ${entry}: do not edit.`,
    `const __files = ${JSON.stringify(modules.map((m) => m.file))};`,
    '/** Each module\'s namespace: a plain object its body fills with getters. */',
    `const __ns = __files.map(() => ({}));`,
    '/** Each module\'s body (defined by this file or by a part), its state (0 not run, 1 running, 2 ran, 3 threw), what it threw. */',
    `const __body = [], __state = new Uint8Array(__files.length), __thrown = [];`,
    '/** Runs module i\'s body once (it runs the modules it imports first); throws what it threw, each time. */',
    `function __run(i) {`,
    `  if (__state[i] === 2 || __state[i] === 1) return;`,
    `  if (__state[i] === 3) throw __thrown[i];`,
    `  __state[i] = 1;`,
    `  try { (0, __body[i])(__ns, __ext, __run, __import, __importExternal, __bundle_url); __state[i] = 2; } catch (e) { __state[i] = 3; __thrown[i] = e; throw e; }`,
    `}`,
    '/** What the bundle loads with import(): packages, node: builtins and unbundled files; their namespaces once loaded. */',
    `const __extSpec = ${JSON.stringify(externals)}, __ext = [], __extLoad = [];`,
    `const __url = (spec) => (spec.startsWith('.') ? new URL(spec, import.meta.url).href : spec); // relative to this file, however it is loaded`,
    // A builtin is required (at once, and with no ES module facade: ~0.5 ms each), as a namespace: its exports, and
    // itself as default; by a script through process.getBuiltinModule (Node >= 20.16; else import()).
    ...(commonjs
      ? [`const __loadExt = (e) => (__extLoad[e] ??= __extSpec[e].startsWith('node:') ? (__ext[e] = ((m) => Object.create(m, { default: { value: m } }))(require(__extSpec[e])), Promise.resolve()) : import(__url(__extSpec[e])).then((ns) => { __ext[e] = ns; }));`]
      : script
        ? [`const __loadExt = (e) => (__extLoad[e] ??= __extSpec[e].startsWith('node:') && typeof process.getBuiltinModule === 'function' ? (__ext[e] = ((m) => Object.create(m, { default: { value: m } }))(process.getBuiltinModule(__extSpec[e])), Promise.resolve()) : __dynamicImport(__url(__extSpec[e])).then((ns) => { __ext[e] = ns; }));`]
        : [`const __loadExt = (e) => (__extLoad[e] ??= import(__url(__extSpec[e])).then((ns) => { __ext[e] = ns; }));`]),
    `const __importExternal = (e) => __loadExt(e).then(() => __ext[e]);`,
    '/** Per module, the externals that must be loaded before it runs (its own and those of the modules it imports). */',
    `const __needs = ${JSON.stringify(modules.map((m) => [...needs.get(m.file)!].sort((a, b) => a - b)))};`,
    '/** Per dynamic import target, the part that defines the modules it needs beyond this file\'s. */',
    `const __parts = { ${parts.map((p) => `${at(p.target)}: ${JSON.stringify(`./${path.posix.basename(p.file)}`)}`).join(', ')} };`,
    `const __define = (i) => (__body[i] !== undefined || __parts[i] === undefined ? undefined : ${script ? '__loadPart' : 'import'}(__url(__parts[i])).then((p) => { for (const [j, body] of ${script ? 'p' : 'p.bodies'}) __body[j] ??= body; }));`,
    '/** A dynamic import of module i: its part and externals loaded, then it runs; its one namespace object. */',
    `const __import = (i) => Promise.all([__define(i), ...__needs[i].map(__loadExt)]).then(() => { __run(i); return __ns[i]; });`,
  ];
  // Each module's body is a function in parentheses: V8 compiles it with its file instead of pre-parsing it, then
  // parsing it again when it runs (a file is loaded when its modules are about to run). A part's take the loader's
  // names as parameters.
  const main = [...loader, ...modules.filter((m) => inMain.has(m.file)).map((m) => `// ---- ${m.file}\n__body[${at(m.file)}] = (function () {\n${bodies.get(m.file)!}\n});`),
    // A CommonJS file has no top-level await: a failure to load becomes the thread's uncaught exception, as it is.
    commonjs ? `__import(${at(entry)}).catch((e) => { process.nextTick(() => { throw e; }); });` : `const __entry = await __import(${at(entry)});`];
  if (isMain) {
    main.push(
      '/** For tests: the modules that ran and the externals that were loaded, so far. */',
      `const bundleState = () => ({ ran: __files.filter((_, i) => __state[i] === 2), loaded: __extSpec.filter((_, e) => __ext[e] !== undefined) });`,
      `return { main: __entry.main, bundleState };`,
    );
  }
  // A CommonJS bundle (a worker's, COMMONJS_WORKERS): strict, like the modules it holds, and with this file's URL
  // where an ES module has import.meta.url (its modules' own uses were replaced by __meta_url when parsed). The main
  // bundle and its parts are scripts (runScriptBundle in fresh-bundle.ts), strict too: the main one's value is a
  // function of its URL, import() and a part's loader, which resolves to its exports; a part's, its bodies.
  const source = commonjs
    ? ["'use strict';", `const __bundle_url = require('node:url').pathToFileURL(__filename).href;`, ...main, ''].join('\n').replace(/\bimport\.meta\.url\b/g, '__bundle_url')
    : script
      ? ["'use strict';", `(async function (__bundle_url, __dynamicImport, __loadPart) {`, ...main, '})', ''].join('\n').replace(/\bimport\.meta\.url\b/g, '__bundle_url')
      : [`const __bundle_url = import.meta.url;`, ...main, ''].join('\n');
  return [
    { file, source, modules: inMain.size },
    ...parts.map((p) => {
      const text = [
        `// Generated by cli/bundle.ts (npm run build): the part of ${path.posix.basename(file)} that ${p.target} needs beyond it; do not edit.`,
        ...(script ? [`'use strict';`, `[`] : [`export const bodies = [`]),
        ...p.modules.map((m) => `// ---- ${m.file}\n[${at(m.file)}, (function (__ns, __ext, __run, __import, __importExternal, __bundle_url) {\n${bodies.get(m.file)!}\n})],`),
        `];`,
        '',
      ].join('\n');
      return { file: p.file, modules: p.modules.length, source: script ? text.replace(/\bimport\.meta\.url\b/g, '__bundle_url') : text };
    }),
  ];
}

/**
 * Builds the bundles of dist/ and their manifest: the command line's bundle (entry cli/app.js) and one per worker
 * script any bundle starts, each with its parts. Each file is written to a temporary name and checked (the main
 * bundle and the parts are loaded, a worker bundle's syntax checked), then all are renamed into place, the
 * manifest last.
 */
export async function buildBundle(dist: string = DIST): Promise<{ bundles: { file: string; modules: number; bytes: number }[] }> {
  const clean = await cleaner();
  const cache = new Map<string, Module>();
  const made: { entry: string; modules: Module[] }[] = [];
  const entries = [ENTRY];
  while (made.length < entries.length) {
    const entry = entries[made.length]!;
    const modules = collect(dist, entry, cache, clean);
    made.push({ entry, modules });
    for (const m of modules) for (const w of m.workers) if (!entries.includes(w)) entries.push(w);
  }
  // What Node sees must be what the bundle gives: the same export names for every module. (A worker script runs
  // its thread's work as it loads, so it is not imported here; nothing imports its exports.)
  const workerEntries = new Set(entries.slice(1));
  for (const m of cache.values()) {
    if (workerEntries.has(m.file)) continue;
    const real = Object.keys(await import(pathToFileURL(path.join(dist, m.file)).href)).sort();
    const ours = [...exportsOf(m, cache)].sort();
    if (real.join() !== ours.join()) throw new Error(`${m.file}: exports ${real.join(', ')}, the bundler read ${ours.join(', ')}`);
  }
  const pieces = made.flatMap((b, k) => generate(b.modules, b.entry, bundleOf(b.entry), k === 0).map((p, n) => ({ ...p, kind: n > 0 ? 'part' : k === 0 ? 'main' : 'worker', script: k === 0 })));
  const names = pieces.map((p) => p.file);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash !== undefined) throw new Error(`two entries would share the bundle file ${clash}: cannot bundle them`);
  // Each written beside its final name (import.meta.url and the dynamic imports are taken relative to it) under a
  // temporary name, the main bundle last (it may load its parts as it runs), then renamed into place.
  const tmpOf = (file: string): string => path.join(dist, file.replace(/\.(c?js)$/, `.${process.pid}.tmp.$1`));
  try {
    for (const p of [...pieces.filter((q) => q.kind !== 'main'), ...pieces.filter((q) => q.kind === 'main')]) {
      const tmp = tmpOf(p.file);
      fs.writeFileSync(tmp, p.kind === 'main' ? p.source.replace(/(__parts = \{[^\n]*)/, (line) => line.replace(/\.js"/g, `.${process.pid}.tmp.js"`)) : p.source);
      if (p.kind === 'worker') {
        const check = spawnSync(process.execPath, ['--check', tmp], { encoding: 'utf8' });
        if (check.status !== 0) throw new Error(`${p.file} does not compile: ${check.stderr.trim()}`);
        continue;
      }
      const sound = p.kind === 'main' ? typeof (await runScriptBundle(tmp)).main === 'function'
        : Array.isArray(p.script ? scriptValue(tmp) : (await import(pathToFileURL(tmp).href) as { bodies?: unknown }).bodies);
      if (!sound) throw new Error(`${p.file} does not give ${p.kind === 'main' ? 'main' : 'its bodies'}`);
      fs.writeFileSync(tmp, p.source); // the main bundle names its parts by their final names
    }
    for (const p of pieces) fs.renameSync(tmpOf(p.file), path.join(dist, p.file));
  } finally {
    for (const p of pieces) fs.rmSync(tmpOf(p.file), { force: true });
  }
  // The code caches of the scripts (the command line's bundle and parts) and of the CommonJS worker bundles (for
  // cli/prewarm.ts's guest thread), made by processes of their own: this one's V8 flags may not be Node's defaults (a
  // test's), and V8 takes a code cache only under the flags it was made with. A cache that cannot be made is only
  // slower starts (the bundle is compiled from its text): said on stderr, not a failed build.
  const scripts = pieces.filter((p) => p.script).map((p) => path.join(dist, p.file));
  const caches = [
    [`import { makeScriptCaches } from ${JSON.stringify(pathToFileURL(path.join(DIST, 'cli/fresh-bundle.js')).href)}; makeScriptCaches(${JSON.stringify(scripts)});`, '--input-type=module'],
    ...pieces.filter((p) => p.kind === 'worker' && p.file.endsWith('.cjs')).map((p) => [cjsBundleRunner(path.join(dist, p.file), true)]),
  ];
  for (const [code, ...flags] of caches) {
    const r = spawnSync(process.execPath, [...flags, '-e', code!], { encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`wasi-trace build: a code cache was not made (bundles start slower): ${r.stderr.trim().split('\n')[0]}\n`);
  }
  // Each CommonJS worker bundle's runner file, which cli/main.ts starts record's guest thread on.
  for (const p of pieces.filter((q) => q.kind === 'worker' && q.file.endsWith('.cjs'))) {
    const runner = path.join(dist, runnerOf(p.file));
    fs.writeFileSync(`${runner}.${process.pid}.tmp`, cjsBundleRunnerFile(path.basename(p.file)));
    fs.renameSync(`${runner}.${process.pid}.tmp`, runner);
  }
  const inputs = [...new Set(made.flatMap((b) => b.modules.map((m) => m.file)))].sort();
  const manifest: Manifest = { bundles: names, inputs: inputs.map((f) => [f, fs.statSync(path.join(dist, f)).size]) };
  const manifestTmp = path.join(dist, `${MANIFEST}.${process.pid}.tmp`);
  fs.writeFileSync(manifestTmp, `${JSON.stringify(manifest)}\n`);
  fs.renameSync(manifestTmp, path.join(dist, MANIFEST));
  return { bundles: pieces.map((p) => ({ file: p.file, modules: p.modules, bytes: Buffer.byteLength(p.source) })) };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    for (const b of (await buildBundle()).bundles) process.stdout.write(`${b.file}: ${b.modules} modules, ${(b.bytes / 1024).toFixed(0)} KiB\n`);
    // The package's bin: tsc writes it without the execute bit, and `npx wasi-trace` in a clone runs it as it is
    // when npx has linked it before (a clone made again in the same place).
    fs.chmodSync(path.join(DIST, 'cli/main.js'), 0o755);
  } catch (e) {
    process.stderr.write(`bundle: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
