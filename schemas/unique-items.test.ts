// Issue 8, defect 3 (the same attack as the ReDoS, another keyword): Ajv's `uniqueItems` compares every pair of
// items, so 20,000 distinct objects (229 KB) took 9.6 s and a 1 MiB argument minutes. The replacement
// (unique-items.ts, json-value-keys.ts) must mean exactly what Ajv's does and report the same errors; these tests
// compare it with Ajv's own implementation on a table and on generated arrays, and run inputs that would take
// minutes before (the proof is the test finishing within vitest's timeout; no clock is read).
import { Ajv, type ErrorObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { createDraft07UserSchemaAjv, createUserSchemaAjv } from './ajv.js';
import { JsonValueKeys, withJsonValueKeys } from './json-value-keys.js';
import { duplicateFromEnd, duplicateFromStart } from './unique-items.js';

const DRAFT_07 = { $schema: 'http://json-schema.org/draft-07/schema#' };

/** Ajv as shipped (its quadratic uniqueItems), with the user-schema options that matter to validation. */
const stock = { '2020-12': new Ajv2020({ allErrors: false, strict: false }), 'draft-07': new Ajv({ allErrors: false, strict: false }) };
const ours = { '2020-12': createUserSchemaAjv(), 'draft-07': createDraft07UserSchemaAjv() };
type Dialect = keyof typeof stock;

function outcome(ajv: Ajv | Ajv2020, schema: Record<string, unknown>, data: unknown): { valid: boolean; errors: ErrorObject[] | null | undefined } {
  const v = ajv.compile(schema);
  const valid = v(data);
  return { valid, errors: v.errors };
}

/** Data written as JSON text, so that `1.0` and `-0` are what a client sends, not what a JS literal makes. */
const json = (text: string): unknown => JSON.parse(text);

const DATA: [string, unknown][] = [
  ['distinct scalars', json('[1, 2, "a", true, null]')],
  ['equal numbers', json('[1, 2, 1]')],
  ['1 and 1.0', json('[1, 1.0]')],
  ['1 and 1.5', json('[1, 1.5]')],
  ['-0 and 0 (equal in Ajv: -0 === 0)', json('[-0, 0]')],
  ['1e2 and 100', json('[1e2, 100]')],
  ['"1" and 1', json('["1", 1]')],
  ['"true" and true', json('["true", true]')],
  ['"null" and null', json('["null", null]')],
  ['two nulls', json('[null, null]')],
  ['two equal strings', json('["a", "b", "a"]')],
  ['objects with keys in another order', json('[{"a": 1, "b": [1, {"c": 2, "d": 3}]}, {"b": [1, {"d": 3, "c": 2}], "a": 1}]')],
  ['objects differing in one nested value', json('[{"a": {"b": {"c": 1}}}, {"a": {"b": {"c": 2}}}]')],
  ['an object and the same with one more member', json('[{"a": 1}, {"a": 1, "b": null}]')],
  ['arrays in another order', json('[[1, 2], [2, 1]]')],
  ['equal arrays', json('[[1, [2, 3]], [1, [2, 3]]]')],
  ['[] and {}', json('[[], {}]')],
  ['two empty arrays', json('[[], []]')],
  ['two empty objects', json('[{}, {}]')],
  ['[1] and 1', json('[[1], 1]')],
  ['{"1": 2} and [2]', json('[{"1": 2}, [2]]')],
  ['a string holding the text of an object', json('["{\\"a\\":1}", {"a": 1}]')],
  ['keys with commas and colons', json('[{"a,b": 1}, {"a": 1, "b": 1}, {"a,b": 1}]')],
  ['__proto__ members', json('[{"__proto__": 1}, {"__proto__": 2}, {"__proto__": 1}]')],
  ['several pairs (which one is reported)', json('[1, 2, 3, 2, 1, 3, 9]')],
  ['several object pairs', json('[{"a": 1}, {"b": 2}, {"a": 1}, {"b": 2}, {"c": 3}]')],
  ['one item', json('[{"a": 1}]')],
  ['no items', json('[]')],
  ['not an array', json('{"a": 1}')],
];

const SCHEMAS: [string, Record<string, unknown>][] = [
  ['uniqueItems alone', { uniqueItems: true }],
  ['uniqueItems: false', { uniqueItems: false }],
  ['array of anything', { type: 'array', uniqueItems: true }],
  ['items with a scalar type (Ajv searches from the end)', { type: 'array', items: { type: ['number', 'string', 'boolean', 'null'] }, uniqueItems: true }],
  ['items: number', { type: 'array', items: { type: 'number' }, uniqueItems: true }],
  ['items with object and array types', { type: 'array', items: { type: ['object', 'array', 'number', 'string', 'boolean', 'null'] }, uniqueItems: true }],
  ['maxItems fails first', { type: 'array', maxItems: 2, uniqueItems: true }],
  ['under not', { not: { type: 'array', uniqueItems: true } }],
  ['under anyOf', { anyOf: [{ type: 'array', uniqueItems: true }, { type: 'array', maxItems: 1 }] }],
  ['nested', { type: 'array', items: { type: 'array', uniqueItems: true }, uniqueItems: true }],
];

describe('uniqueItems: same result and same errors as Ajv\'s own implementation', () => {
  const cases = (['2020-12', 'draft-07'] as Dialect[]).flatMap((dialect) => SCHEMAS.flatMap(([s, schema]) => DATA.map(([d, data]) => [dialect, s, d, schema, data] as const)));

  it.each(cases)('%s, %s: %s', (dialect, _s, _d, schema, data) => {
    const full = dialect === 'draft-07' ? { ...DRAFT_07, ...schema } : schema;
    expect(outcome(ours[dialect], full, data)).toEqual(outcome(stock[dialect], full, data));
  });

  it.each([
    ['2020-12 unevaluatedItems', '2020-12', { type: 'array', prefixItems: [{}], unevaluatedItems: false, uniqueItems: true }, [[1], [1, 1], [{ a: 1 }, { a: 1 }], [1, 2]]],
    ['2020-12 contains, minContains, maxContains', '2020-12', { type: 'array', contains: { type: 'object' }, minContains: 2, maxContains: 3, uniqueItems: true }, [[{}, {}], [{ a: 1 }, { a: 2 }], [{}, 1, 1], [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]]],
    ['draft-07 items array and additionalItems', 'draft-07', { ...DRAFT_07, type: 'array', items: [{ type: 'number' }], additionalItems: { type: 'object' }, uniqueItems: true }, [[1, {}], [1, {}, {}], [1, 1], ['x', {}]]],
    ['draft-07 contains', 'draft-07', { ...DRAFT_07, type: 'array', contains: { const: 5 }, uniqueItems: true }, [[5, 5], [1, 1], [5, 1]]],
    ['draft-07 $ref', 'draft-07', { ...DRAFT_07, definitions: { u: { type: 'array', uniqueItems: true } }, type: 'object', properties: { a: { $ref: '#/definitions/u' } } }, [{ a: [1, 1] }, { a: [{ b: 1 }, { b: 1 }] }, { a: [1, 2] }]],
  ] as const)('%s', (_name, dialect, schema, datas) => {
    for (const data of datas) expect(outcome(ours[dialect], schema, data)).toEqual(outcome(stock[dialect], schema, data));
  });

  it('the keyword keeps its place in Ajv\'s order (with allErrors off only the first failing keyword is reported)', () => {
    for (const dialect of ['2020-12', 'draft-07'] as Dialect[]) {
      const order = (ajv: Ajv | Ajv2020) => ajv.RULES.rules.find((g) => g.type === 'array')?.rules.map((r) => r.keyword);
      expect(order(ours[dialect])).toEqual(order(stock[dialect]));
    }
  });

  it('generated arrays of look-alike values (shuffled keys, 1 and 1.0, nested) give the same result and the same pair', () => {
    const random = mulberry32(8);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const atoms = ['1', '1.0', '-0', '0', '2', '"1"', '"a"', 'true', 'false', 'null', '[]', '{}', '"__proto__"'];
    const value = (depth: number): string => {
      const r = random();
      if (depth === 0 || r < 0.4) return pick(atoms);
      const n = Math.floor(random() * 3);
      const members = Array.from({ length: n }, () => value(depth - 1));
      if (r < 0.7) return `[${members.join(',')}]`;
      const keys = ['a', 'b', 'c'].slice(0, n).sort(() => random() - 0.5);
      return `{${keys.map((k, i) => `"${k}":${members[i]}`).join(',')}}`;
    };
    const schemas = [{ type: 'array', uniqueItems: true }, { type: 'array', items: { type: ['number', 'string', 'boolean', 'null'] }, uniqueItems: true }];
    let invalid = 0;
    for (let round = 0; round < 400; round++) {
      const data = json(`[${Array.from({ length: 1 + Math.floor(random() * 6) }, () => value(3)).join(',')}]`);
      for (const dialect of ['2020-12', 'draft-07'] as Dialect[]) {
        for (const schema of schemas) {
          const full = dialect === 'draft-07' ? { ...DRAFT_07, ...schema } : schema;
          const expected = outcome(stock[dialect], full, data);
          expect(outcome(ours[dialect], full, data), JSON.stringify(data)).toEqual(expected);
          if (!expected.valid) invalid++;
        }
      }
    }
    // The generator makes both kinds often enough for the comparison to mean something.
    expect(invalid).toBeGreaterThan(400);
    expect(invalid).toBeLessThan(1200);
  });
});

describe('uniqueItems: the error the model sees', () => {
  it.each(['2020-12', 'draft-07'] as Dialect[])('%s: keyword uniqueItems, params {i, j}, Ajv\'s message, the array\'s path', (dialect) => {
    const schema = { ...(dialect === 'draft-07' ? DRAFT_07 : {}), type: 'object', properties: { rows: { type: 'array', uniqueItems: true } } };
    const v = ours[dialect].compile(schema);
    expect(v({ rows: [{ a: 1 }, { b: 2 }, { a: 1 }] })).toBe(false);
    expect(v.errors).toEqual([
      {
        instancePath: '/rows',
        schemaPath: '#/properties/rows/uniqueItems',
        keyword: 'uniqueItems',
        params: { i: 2, j: 0 },
        message: 'must NOT have duplicate items (items ## 0 and 2 are identical)',
      },
    ]);
  });

  it('uniqueItems takes a boolean only ($data is not enabled for user schemas), as in Ajv', () => {
    for (const ajv of [ours['2020-12'], stock['2020-12']]) {
      expect(() => ajv.compile({ type: 'array', uniqueItems: { $data: '1/x' } })).toThrow('schema is invalid: data/uniqueItems must be boolean');
    }
  });
});

describe('uniqueItems: where Tengine differs from Ajv (Ajv is wrong there)', () => {
  it('"__proto__" twice with items: {type: string} is a duplicate (Ajv\'s hash of strings is a plain object and misses it)', () => {
    const schema = { type: 'array', items: { type: 'string' }, uniqueItems: true };
    expect(outcome(stock['2020-12'], schema, ['__proto__', '__proto__']).valid).toBe(true);
    expect(outcome(ours['2020-12'], schema, ['__proto__', '__proto__'])).toMatchObject({ valid: false, errors: [{ keyword: 'uniqueItems', params: { i: 0, j: 1 } }] });
  });

  it('items that prefixItems admits are compared too (Ajv skips those not of the type `items` declares)', () => {
    const schema = { type: 'array', prefixItems: [{ type: 'string' }, { type: 'string' }], items: { type: 'number' }, uniqueItems: true };
    expect(outcome(stock['2020-12'], schema, ['a', 'a', 1]).valid).toBe(true);
    expect(outcome(ours['2020-12'], schema, ['a', 'a', 1])).toMatchObject({ valid: false, errors: [{ keyword: 'uniqueItems', params: { i: 0, j: 1 } }] });
  });
});

describe('uniqueItems in linear time (each of these takes minutes with Ajv\'s pairwise comparison)', () => {
  const v = ours['2020-12'].compile({ type: 'array', uniqueItems: true });

  it('200,000 distinct objects (2.5 MB, about 20 billion comparisons before) pass; the same with one duplicate at the end fails', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ id: i, tags: ['x', i % 7], meta: { n: i } }));
    expect(v(rows)).toBe(true);
    rows.push({ meta: { n: 5 }, tags: ['x', 5], id: 5 });
    expect(v(rows)).toBe(false);
    expect(v.errors?.[0]).toMatchObject({ keyword: 'uniqueItems', params: { i: 200_000, j: 5 } });
  });

  it('distinct long items of one length (V8 hashes strings over 16,383 characters by length alone) are told apart; a repeat is found', () => {
    const base = 'x'.repeat(20_000);
    const strings = Array.from({ length: 400 }, (_, i) => base + String(i).padStart(4, '0'));
    expect(v(strings)).toBe(true);
    expect(v(strings.map((s) => [s]))).toBe(true);
    expect(v(strings.map((s) => ({ s })))).toBe(true);
    expect(v([...strings, strings[7]])).toBe(false);
    expect(v.errors?.[0]?.params).toEqual({ i: 400, j: 7 });
    expect(v([...strings.map((s) => [s]), [strings[9]]])).toBe(false);
    expect(v.errors?.[0]?.params).toEqual({ i: 400, j: 9 });
  });

  it('items nested 100,000 deep do not exhaust the stack', () => {
    const deep = (leaf: number): unknown => {
      let x: unknown = leaf;
      for (let i = 0; i < 100_000; i++) x = i % 2 ? [x] : { a: x };
      return x;
    };
    expect(v([deep(1), deep(2)])).toBe(true);
    expect(v([deep(1), deep(2), deep(1)])).toBe(false);
    expect(v.errors?.[0]?.params).toEqual({ i: 2, j: 0 });
  });
});

describe('JsonValueKeys', () => {
  it('gives equal keys exactly to equal values', () => {
    const keys = new JsonValueKeys();
    const groups = [
      [json('1'), json('1.0'), json('1e0')],
      [json('-0'), json('0')],
      [json('"1"')],
      [json('{"a": 1, "b": [true, null]}'), json('{"b": [true, null], "a": 1.0}')],
      [json('{"a": [{"x": 1, "y": 2}]}'), json('{"a": [{"y": 2, "x": 1}]}')],
      [json('[{"a": 1}]')],
      [json('[[1]]')],
      [json('{"a": [1]}')],
      [json('{"a": "[1]"}')],
      [json('[]')],
      [json('{}')],
      [json('[null]')],
      ['y'.repeat(5000), `${'y'.repeat(4999)}y`],
      ['y'.repeat(5001)],
    ];
    const keyed = groups.map((g) => g.map((x) => keys.keyOf(x)));
    for (const g of keyed) expect(new Set(g).size).toBe(1);
    expect(new Set(keyed.map((g) => g[0])).size).toBe(groups.length);
  });

  it('within withJsonValueKeys, a value keyed once is not read again: nested uniqueItems cost linear time, not size × depth', () => {
    const reads = { n: 0 };
    const counted = <T extends object>(x: T): T =>
      new Proxy(x, {
        get(target, p, r) {
          if (typeof p === 'string' && p !== 'length') reads.n++;
          return Reflect.get(target, p, r) as unknown;
        },
      });
    // Every level is a uniqueItems array holding the next level and 100 numbers; each level is counted.
    let level: unknown[] = counted(Array.from({ length: 100 }, (_, i) => i));
    for (let d = 0; d < 60; d++) level = counted([level, ...Array.from({ length: 100 }, (_, i) => i + 1000)]);
    const schema = { $defs: { t: { type: 'array', uniqueItems: true, items: { anyOf: [{ type: 'integer' }, { $ref: '#/$defs/t' }] } } }, $ref: '#/$defs/t' };
    const v = ours['2020-12'].compile(schema);
    reads.n = 0;
    expect(withJsonValueKeys(() => v(level))).toBe(true);
    const shared = reads.n;
    reads.n = 0;
    expect(v(level)).toBe(true);
    const unshared = reads.n;
    // Ajv reads each item a few times itself; without shared keys every level re-reads everything below it.
    expect(shared).toBeLessThan(61 * 101 * 6);
    expect(unshared).toBeGreaterThan(61 * 101 * 20);
  });

  it('duplicateFromStart and duplicateFromEnd report Ajv\'s pairs', () => {
    const items = json('[1, 2, 3, 2, 1, 3, 9]') as unknown[];
    expect(duplicateFromStart(items)).toEqual([5, 2]);
    expect(duplicateFromEnd(items)).toEqual([2, 5]);
    expect(duplicateFromStart([1, 2])).toBeUndefined();
    expect(duplicateFromEnd([])).toBeUndefined();
  });
});

/** A small seeded PRNG, so the generated arrays are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
