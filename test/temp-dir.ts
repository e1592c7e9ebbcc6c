// Temporary directories for tests, each removed when what made it is over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/**
 * A fresh directory `wasi-trace-<prefix>-XXXXXX` in the system's temporary folder. Made inside a test, it is removed
 * when that test finishes; made outside one (at the top level of a test file, or in a describe), after the file.
 */
export function tempDir(prefix = 'test'): string {
  const dir = mkdtempSync(join(tmpdir(), `wasi-trace-${prefix}-`));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch { // (it throws outside a test)
    afterAll(remove);
  }
  return dir;
}
