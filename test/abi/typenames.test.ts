// The schema's enums, flag sets and struct layouts against the spec's typenames.witx (vendored in test/abi/spec):
// every name in spec order, and every struct's size, alignment and field offsets as the witx layout gives them.
import { describe, expect, it } from 'vitest';
import { ALL_NAMED_TYPES, STRUCTS } from '../../src/abi/index.js';
import { layout, typenames, type Sexp } from './witx.js';

const defs = typenames();
/** The case names of a witx enum or flags definition, in order. */
const cases = (t: Sexp): string[] => (t as Sexp[]).slice(2).map((c) => String(c).slice(1));

describe('names against typenames.witx', () => {
  it('every enum and flag set of the spec is in the schema, and nothing else', () => {
    const inSpec = [...defs].filter(([, t]) => Array.isArray(t) && (t[0] === 'enum' || t[0] === 'flags')).map(([n]) => n);
    const ours = ALL_NAMED_TYPES.filter((d) => d.names.length > 0).map((d) => d.name);
    expect(ours.sort()).toEqual(inSpec.sort());
  });

  for (const def of ALL_NAMED_TYPES) {
    it(`${def.kind} ${def.name} has the spec's names in the spec's order`, () => {
      const t = defs.get(def.name);
      expect(t, def.name).toBeDefined();
      if (def.names.length === 0) {
        expect(t).toMatch(/^u\d+$/); // siflags: a plain integer in this snapshot, with no flags defined
        return;
      }
      expect((t as Sexp[])[0]).toBe(def.kind);
      expect(def.names).toEqual(cases(t!));
    });
  }
});

describe('struct layouts against typenames.witx', () => {
  for (const s of Object.values(STRUCTS)) {
    it(`${s.name}: size, alignment and field offsets`, () => {
      const l = layout(defs, s.name);
      expect({ size: s.size, align: s.align }).toEqual({ size: l.size, align: l.align });
      expect(Object.fromEntries(s.fields.map((f) => [f.name, f.offset]))).toEqual(Object.fromEntries(l.fields));
    });
  }
});
