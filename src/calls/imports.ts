// The import table: a module's function imports in declaration order, as the trace header lists them and
// events refer to them by index. Recording builds it from the module; replay checks a module against it.
import { FUNCTIONS_BY_NAME, MODULE_NAME } from '../abi/index.js';
import type { ImportEntry } from '../trace/header.js';

/** The module's function imports in declaration order, preview1 ones with their schema index. */
export function importTable(module: WebAssembly.Module): ImportEntry[] {
  return WebAssembly.Module.imports(module)
    .filter((i) => i.kind === 'function')
    .map((i) => {
      const def = i.module === MODULE_NAME ? FUNCTIONS_BY_NAME.get(i.name) : undefined;
      return def ? { module: i.module, name: i.name, wasi: def.index } : { module: i.module, name: i.name };
    });
}

/** How counts, filters and messages name an import: a preview1 function's name, `module.name` for any other. */
export const importName = (e: Pick<ImportEntry, 'module' | 'name' | 'wasi'>): string =>
  (e.wasi !== undefined ? e.name : `${e.module}.${e.name}`);
