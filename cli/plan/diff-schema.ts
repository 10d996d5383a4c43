import type { FieldChange } from './types.js';
import { isObject, listDelta, pointerSegment, same } from './values.js';

/** Keywords that only document a schema: changes are shown (the model reads them) but never break a caller. */
const TEXT_KEYWORDS = new Set(['description', 'title', 'examples', 'default', '$comment', 'deprecated', 'readOnly', 'writeOnly']);

/** Keywords whose change tightens or loosens the accepted values in a way `constraintEffect` can tell. */
const CONSTRAINT_KEYWORDS = new Set([
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'pattern',
  'format',
  'uniqueItems',
]);

/** Keywords the walk below handles structurally. */
const STRUCTURAL = new Set(['type', 'enum', 'const', 'properties', 'required', 'items', 'additionalProperties', 'anyOf', 'oneOf']);

/**
 * A readable diff of two JSON Schemas: properties added and removed (by JSON pointer), `required` entries added
 * and removed, type changes, enum values added and removed, `anyOf`/`oneOf` variants added and removed,
 * constraint keywords, documentation keywords, and any other keyword as an unanalysed change. Nested object
 * properties (`properties`, `items`, `additionalProperties`) are walked recursively.
 */
export function diffSchema(field: string, before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk(field, before, after, '', out);
  return out;
}

function walk(field: string, b: unknown, a: unknown, ptr: string, out: FieldChange[]): void {
  if (same(b, a)) return;
  if (!isObject(b) || !isObject(a)) {
    out.push({ field, pointer: ptr, kind: 'keyword_changed', keyword: '$schema-node', before: b, after: a });
    return;
  }
  if (!same(typeSet(b.type), typeSet(a.type))) out.push({ field, pointer: ptr, kind: 'type_changed', keyword: 'type', before: b.type, after: a.type });
  diffEnum(field, b, a, ptr, out);

  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  for (const k of keys) {
    if (STRUCTURAL.has(k) || same(b[k], a[k])) continue;
    const kind = TEXT_KEYWORDS.has(k) ? 'text_changed' : CONSTRAINT_KEYWORDS.has(k) ? 'constraint_changed' : 'keyword_changed';
    out.push({ field, pointer: ptr, kind, keyword: k, before: b[k], after: a[k] });
  }

  diffProperties(field, b, a, ptr, out);

  // `items`: a schema on both sides is walked; a tuple (array form) or a schema appearing/disappearing is a
  // constraint change (no `items` accepts any item).
  if (isObject(b.items) && isObject(a.items)) walk(field, b.items, a.items, `${ptr}/items`, out);
  else if (!same(b.items, a.items)) out.push({ field, pointer: ptr, kind: 'constraint_changed', keyword: 'items', before: b.items, after: a.items });

  if (isObject(b.additionalProperties) && isObject(a.additionalProperties)) {
    walk(field, b.additionalProperties, a.additionalProperties, `${ptr}/additionalProperties`, out);
  } else if (!same(b.additionalProperties ?? true, a.additionalProperties ?? true)) {
    out.push({ field, pointer: ptr, kind: 'constraint_changed', keyword: 'additionalProperties', before: b.additionalProperties, after: a.additionalProperties });
  }

  for (const k of ['anyOf', 'oneOf'] as const) {
    const vb = b[k];
    const va = a[k];
    if (same(vb, va)) continue;
    if (Array.isArray(vb) && Array.isArray(va)) {
      const d = listDelta(vb, va);
      for (const v of d.removed) out.push({ field, pointer: ptr, kind: 'variant_removed', keyword: k, before: v });
      for (const v of d.added) out.push({ field, pointer: ptr, kind: 'variant_added', keyword: k, after: v });
    } else {
      out.push({ field, pointer: ptr, kind: 'keyword_changed', keyword: k, before: vb, after: va });
    }
  }
}

function diffEnum(field: string, b: Record<string, unknown>, a: Record<string, unknown>, ptr: string, out: FieldChange[]): void {
  const eb = enumValues(b);
  const ea = enumValues(a);
  if (same(eb, ea)) return;
  const keyword = 'enum' in a || 'enum' in b ? 'enum' : 'const';
  if (eb && ea) {
    const d = listDelta(eb, ea);
    if (d.removed.length) out.push({ field, pointer: ptr, kind: 'enum_values_removed', keyword, before: d.removed });
    if (d.added.length) out.push({ field, pointer: ptr, kind: 'enum_values_added', keyword, after: d.added });
  } else {
    // An enum appearing restricts values that were free; one disappearing frees them.
    out.push({ field, pointer: ptr, kind: 'constraint_changed', keyword, before: eb, after: ea });
  }
}

function diffProperties(field: string, b: Record<string, unknown>, a: Record<string, unknown>, ptr: string, out: FieldChange[]): void {
  const pb = isObject(b.properties) ? b.properties : {};
  const pa = isObject(a.properties) ? a.properties : {};
  const rb = stringList(b.required);
  const ra = stringList(a.required);
  const names = [...new Set([...Object.keys(pb), ...Object.keys(pa), ...rb, ...ra])].sort();
  for (const n of names) {
    const p = `${ptr}/properties/${pointerSegment(n)}`;
    const inB = Object.hasOwn(pb, n);
    const inA = Object.hasOwn(pa, n);
    if (inB && !inA) out.push({ field, pointer: p, kind: 'property_removed', before: pb[n] });
    else if (!inB && inA) out.push({ field, pointer: p, kind: 'property_added', after: pa[n], note: ra.includes(n) ? 'required' : 'optional' });
    else if (inB && inA) walk(field, pb[n], pa[n], p, out);
    const reqB = rb.includes(n);
    const reqA = ra.includes(n);
    if (!reqB && reqA) out.push({ field, pointer: p, kind: 'required_added', keyword: 'required' });
    // A removed property stops being required with it; the removal is the change worth showing.
    if (reqB && !reqA && !(inB && !inA)) out.push({ field, pointer: p, kind: 'required_removed', keyword: 'required' });
  }
}

/** The JSON types a `type` keyword allows, sorted; `undefined` when there is no `type` (any type). */
export function typeSet(t: unknown): string[] | undefined {
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return [...new Set(t.filter((x): x is string => typeof x === 'string'))].sort();
  return undefined;
}

/** True when every value of a type in `inner` is also allowed by `outer` (`integer` fits in `number`). */
export function typesCovered(inner: string[] | undefined, outer: string[] | undefined): boolean {
  if (outer === undefined) return true;
  if (inner === undefined) return false;
  return inner.every((t) => outer.includes(t) || (t === 'integer' && outer.includes('number')));
}

function enumValues(s: Record<string, unknown>): unknown[] | undefined {
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  return undefined;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

const LOWER_BOUNDS = new Set(['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties']);
const UPPER_BOUNDS = new Set(['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties']);

/**
 * Whether a constraint change accepts fewer values (`tightened`), more (`loosened`), or cannot be told apart
 * without evaluating the schema (`changed`, e.g. a different `pattern`). Numeric bounds are compared exactly.
 */
export function constraintEffect(keyword: string, before: unknown, after: unknown): 'tightened' | 'loosened' | 'changed' {
  if (keyword === 'additionalProperties' || keyword === 'items') {
    const b = before ?? true;
    const a = after ?? true;
    if (a === true) return 'loosened';
    if (b === true || a === false) return 'tightened';
    return 'changed';
  }
  if (before === undefined) return 'tightened';
  if (after === undefined) return 'loosened';
  if (typeof before === 'number' && typeof after === 'number') {
    if (LOWER_BOUNDS.has(keyword)) return after > before ? 'tightened' : 'loosened';
    if (UPPER_BOUNDS.has(keyword)) return after < before ? 'tightened' : 'loosened';
    if (keyword === 'multipleOf') {
      if (Number.isInteger(after / before)) return 'tightened';
      if (Number.isInteger(before / after)) return 'loosened';
    }
    return 'changed';
  }
  if (keyword === 'uniqueItems') return after === true ? 'tightened' : 'loosened';
  if (keyword === 'enum' || keyword === 'const') return 'changed';
  return 'changed';
}
