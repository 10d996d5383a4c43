import { describe, expect, it } from 'vitest';
import { constraintEffect, diffSchema, typesCovered } from './diff-schema.js';

describe('diffSchema', () => {
  it('reports nested properties by JSON pointer, with required added and removed', () => {
    const before = { type: 'object', properties: { filter: { type: 'object', properties: { a: { type: 'string' }, 'x/y': { type: 'string' } }, required: ['a'] } } };
    const after = { type: 'object', properties: { filter: { type: 'object', properties: { b: { type: 'string' }, 'x/y': { type: 'string' } }, required: ['b', 'x/y'] } } };
    expect(diffSchema('input_schema', before, after).map((c) => [c.kind, c.pointer])).toEqual([
      ['property_removed', '/properties/filter/properties/a'],
      ['property_added', '/properties/filter/properties/b'],
      ['required_added', '/properties/filter/properties/b'],
      ['required_added', '/properties/filter/properties/x~1y'],
    ]);
  });

  it('walks array items and reports enum values, variants, constraints, text and unanalysed keywords', () => {
    const before = { type: 'object', properties: { tags: { type: 'array', items: { enum: ['a', 'b'] }, maxItems: 5 }, v: { anyOf: [{ type: 'string' }, { type: 'null' }] } }, description: 'x' };
    const after = { type: 'object', properties: { tags: { type: 'array', items: { enum: ['a', 'c'] }, maxItems: 3 }, v: { anyOf: [{ type: 'string' }] } }, description: 'y', not: { required: ['z'] } };
    expect(diffSchema('input_schema', before, after).map((c) => [c.kind, c.pointer, c.keyword ?? ''])).toEqual([
      ['text_changed', '', 'description'],
      ['keyword_changed', '', 'not'],
      ['constraint_changed', '/properties/tags', 'maxItems'],
      ['enum_values_removed', '/properties/tags/items', 'enum'],
      ['enum_values_added', '/properties/tags/items', 'enum'],
      ['variant_removed', '/properties/v', 'anyOf'],
    ]);
  });

  it('treats an omitted additionalProperties like true, and a type list like the same set in another order', () => {
    expect(diffSchema('s', { type: ['string', 'null'], additionalProperties: true }, { type: ['null', 'string'] })).toEqual([]);
  });
});

describe('constraintEffect and typesCovered', () => {
  it.each([
    ['maximum', 50, 20, 'tightened'],
    ['maximum', 50, 100, 'loosened'],
    ['minLength', 1, 2, 'tightened'],
    ['minLength', 2, undefined, 'loosened'],
    ['pattern', undefined, '^a', 'tightened'],
    ['pattern', '^a', '^b', 'changed'],
    ['multipleOf', 2, 4, 'tightened'],
    ['multipleOf', 4, 2, 'loosened'],
    ['additionalProperties', undefined, false, 'tightened'],
    ['additionalProperties', false, undefined, 'loosened'],
    ['enum', undefined, ['a'], 'tightened'],
  ] as const)('%s %j → %j is %s', (k, b, a, effect) => {
    expect(constraintEffect(k, b, a)).toBe(effect);
  });

  it('integer fits in number, not the other way round; no type means any type', () => {
    expect(typesCovered(['integer'], ['number'])).toBe(true);
    expect(typesCovered(['number'], ['integer'])).toBe(false);
    expect(typesCovered(['string'], undefined)).toBe(true);
    expect(typesCovered(undefined, ['string'])).toBe(false);
  });
});
