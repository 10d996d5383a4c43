import { describe, expect, it } from 'vitest';
import { createDraft07UserSchemaAjv, createUserSchemaAjv } from './ajv.js';
import { ArgumentsTooComplexError, BASE_FUEL, burn, dataSize, FUEL_KEYWORD, meterSchema, withFuel } from './validation-fuel.js';

/** Two anyOf branches that both descend into `children`: each level of nesting doubles the work. */
const twoPaths = {
  $defs: {
    node: {
      type: 'object',
      properties: { name: { type: 'string' } },
      anyOf: [
        { properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } } },
        { properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['name'] },
      ],
    },
  },
  type: 'object',
  properties: { tree: { $ref: '#/$defs/node' } },
};

/**
 * `{children: [{children: [...]}]}`, `depth` levels deep. With a bad name at the bottom every level fails, and tries
 * its second branch after the first: 2^depth steps.
 */
function chain(depth: number, name: unknown = 'leaf'): Record<string, unknown> {
  let node: Record<string, unknown> = { name, children: [] };
  for (let i = 0; i < depth; i++) node = { name: `level ${i}`, children: [node] };
  return { tree: node };
}

function metered(schema: Record<string, unknown>, draft07 = false) {
  const ajv = draft07 ? createDraft07UserSchemaAjv() : createUserSchemaAjv();
  const validate = ajv.compile(meterSchema(schema));
  return (data: unknown) => withFuel(data, () => validate(data));
}

describe('dataSize', () => {
  it('counts every value once and every character of strings and keys', () => {
    expect(dataSize(1)).toBe(1);
    expect(dataSize('abc')).toBe(4);
    expect(dataSize({ ab: [1, 'x'] })).toBe(1 + 2 + 1 + 1 + 2);
    expect(dataSize([])).toBe(1);
  });

  it('measures 64 levels of nesting without recursion', () => {
    let v: unknown = 0;
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(dataSize(v)).toBe(100_001);
  });
});

describe('meterSchema', () => {
  it('marks every schema object and nothing else: not enum or const values, not a property named like a keyword', () => {
    const schema = {
      type: 'object',
      properties: { $ref: { type: 'string' }, enum: { enum: [{ $ref: '#' }] }, c: { const: { type: 'object' } } },
      $defs: { a: { items: [{ type: 'string' }, true] } },
    };
    const copy = meterSchema(schema);
    expect(copy).toEqual({
      [FUEL_KEYWORD]: true,
      type: 'object',
      properties: {
        [FUEL_KEYWORD]: undefined,
        $ref: { [FUEL_KEYWORD]: true, type: 'string' },
        enum: { [FUEL_KEYWORD]: true, enum: [{ $ref: '#' }] },
        c: { [FUEL_KEYWORD]: true, const: { type: 'object' } },
      },
      $defs: { a: { [FUEL_KEYWORD]: true, items: [{ [FUEL_KEYWORD]: true, type: 'string' }, true] } },
    });
    expect(Object.keys(copy.properties as object)).toEqual(['$ref', 'enum', 'c']);
    // The original is left as it was.
    expect(JSON.stringify(schema)).not.toContain(FUEL_KEYWORD);
  });
});

describe('validation on fuel', () => {
  it('a recursive schema with two paths to each level runs dry at depth 40 instead of running 2^40 steps', () => {
    const validate = metered(twoPaths);
    expect(validate(chain(8))).toBe(true);
    expect(validate(chain(8, 5))).toBe(false);
    // In 2020-12 Ajv tries every anyOf branch even after one passed (to know which properties were evaluated), so
    // valid data costs 2^depth as well.
    expect(() => validate(chain(40))).toThrow(ArgumentsTooComplexError);
    expect(() => validate(chain(40, 5))).toThrow(ArgumentsTooComplexError);
  });

  it('the same in draft-07 (definitions, $ref siblings), where anyOf stops at the first branch that passes', () => {
    const legacy = JSON.parse(JSON.stringify(twoPaths).replaceAll('$defs', 'definitions')) as Record<string, unknown>;
    const validate = metered({ $schema: 'http://json-schema.org/draft-07/schema#', ...legacy }, true);
    expect(validate(chain(8))).toBe(true);
    expect(validate(chain(8, 5))).toBe(false);
    expect(validate(chain(40))).toBe(true);
    expect(() => validate(chain(40, 5))).toThrow(ArgumentsTooComplexError);
  });

  it('a schema that applies a fixed number of subschemas per value passes large data: 200,000 objects', () => {
    const validate = metered({
      type: 'object',
      properties: { rows: { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string', pattern: '^[a-z]+$' } } } } },
    });
    const rows = Array.from({ length: 200_000 }, (_, n) => ({ n, s: 'abc' }));
    expect(validate({ rows })).toBe(true);
  });

  it('patterns burn fuel by the characters they read: a long string meets many patterns only within its budget', () => {
    const patterns = (n: number) => ({ type: 'object', properties: { s: { allOf: Array.from({ length: n }, (_, i) => ({ pattern: `[a-z]{${i + 1}}` })) } } });
    const s = 'a'.repeat(500_000);
    expect(metered(patterns(4))({ s })).toBe(true);
    expect(() => metered(patterns(64))({ s })).toThrow(ArgumentsTooComplexError);
  });

  it('outside withFuel nothing is metered (the CLI compiles schemas without data)', () => {
    const validate = createUserSchemaAjv().compile(meterSchema(twoPaths));
    expect(validate(chain(8))).toBe(true);
    expect(() => burn(BASE_FUEL * 10)).not.toThrow();
  });

  it('a nested withFuel restores the outer tank', () => {
    const outcome = withFuel({}, () => {
      burn(BASE_FUEL - 10);
      withFuel({}, () => burn(BASE_FUEL - 10));
      burn(5);
      return 'ok';
    });
    expect(outcome).toBe('ok');
    expect(() => withFuel({}, () => burn(BASE_FUEL + 100))).toThrow(ArgumentsTooComplexError);
  });
});
