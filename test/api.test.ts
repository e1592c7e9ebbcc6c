// The package's public entry point exports the documented API.
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('public API', () => {
  it('exports run, record, replay and the trace reader', () => {
    for (const name of ['run', 'record', 'replay', 'DivergenceError', 'TraceReader', 'memoryDirectory', 'anonymousFile', 'openHostDirectory']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
