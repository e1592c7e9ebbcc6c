// A small reader of the vendored witx files (test/abi/spec/): S-expressions, and the typenames of typenames.witx
// with their wasm32 layout, computed as the witx tooling does (C layout: each field at its alignment).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const specPath = (name: string): string => fileURLToPath(new URL(`./spec/${name}`, import.meta.url));

export type Sexp = string | Sexp[];

/** Parses witx text (comments dropped) into a list of S-expressions. */
export function parseSexps(text: string): Sexp[] {
  const tokens = text.replace(/;;.*$/gm, '').match(/\(|\)|"[^"]*"|[^\s()]+/g) ?? [];
  const stack: Sexp[][] = [[]];
  for (const t of tokens) {
    if (t === '(') stack.push([]);
    else if (t === ')') { const done = stack.pop()!; stack.at(-1)!.push(done); }
    else stack.at(-1)!.push(t);
  }
  return stack[0]!;
}

/** typename name (without $) → its definition, from typenames.witx. */
export function typenames(): Map<string, Sexp> {
  const defs = new Map<string, Sexp>();
  for (const s of parseSexps(readFileSync(specPath('typenames.witx'), 'utf8'))) {
    if (Array.isArray(s) && s[0] === 'typename') defs.set(String(s[1]).slice(1), s[2]!);
  }
  return defs;
}

const PRIM: Record<string, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, u64: 8, s64: 8 };
const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

export interface Layout {
  size: number;
  align: number;
  /** Scalar fields by flattened name (a nested record's or union arm's fields as "outer.field"), with offsets. */
  fields: Map<string, number>;
}

/**
 * The wasm32 layout of typename `name`. Records lay out fields in order at their alignment; a union puts its
 * tag first and every arm at one offset after it. A union's fields are "tag" and "<arm>.<field>", the arm named
 * by its type name without the union's owner prefix (subscription_clock in subscription → "clock").
 */
export function layout(defs: Map<string, Sexp>, name: string, owner = name): Layout {
  const def = defs.get(name);
  if (def === undefined) throw new Error(`no typename ${name}`);
  return layoutOf(defs, def, owner);
}

function layoutOf(defs: Map<string, Sexp>, t: Sexp, owner: string): Layout {
  const scalar = (size: number): Layout => ({ size, align: size, fields: new Map([['', 0]]) });
  if (typeof t === 'string') return t.startsWith('$') ? layout(defs, t.slice(1), owner) : scalar(PRIM[t]!);
  const [head, ...rest] = t;
  const repr = () => ((rest[0] as Sexp[])[2] as string);
  switch (head) {
    case 'handle': return scalar(4);
    case '@witx': return scalar(4); // pointer, const_pointer
    case 'enum': case 'flags': return scalar(PRIM[repr()]!);
    case 'record': {
      const fields = new Map<string, number>();
      let at = 0;
      let align = 1;
      for (const f of rest as Sexp[][]) {
        const fieldName = String(f[1]).slice(1);
        const inner = f[2] as Sexp;
        const l = layoutOf(defs, inner, owner);
        at = alignUp(at, l.align);
        align = Math.max(align, l.align);
        const isUnion = typeof inner === 'string' && Array.isArray(defs.get(inner.slice(1))) && (defs.get(inner.slice(1)) as Sexp[])[0] === 'union';
        for (const [sub, off] of l.fields) fields.set(isUnion || sub === '' ? (sub || fieldName) : `${fieldName}.${sub}`, at + off);
        at += l.size;
      }
      return { size: alignUp(at, align), align, fields };
    }
    case 'union': {
      const tagType = ((rest[0] as Sexp[])[2] as string);
      const tag = layoutOf(defs, tagType, owner);
      const arms = (rest.slice(1) as string[]).map((a) => ({ name: a.slice(1).replace(`${owner}_`, ''), l: layoutOf(defs, a, owner) }));
      const armAlign = Math.max(...arms.map((a) => a.l.align));
      const payload = alignUp(tag.size, armAlign);
      const align = Math.max(tag.align, armAlign);
      const fields = new Map<string, number>([['tag', 0]]);
      for (const a of arms) for (const [sub, off] of a.l.fields) fields.set(`${a.name}.${sub}`, payload + off);
      return { size: alignUp(payload + Math.max(...arms.map((a) => a.l.size)), align), align, fields };
    }
    default: throw new Error(`layout of ${JSON.stringify(t)} unknown`);
  }
}
