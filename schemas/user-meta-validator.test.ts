import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileUserSchema, createDraft07UserSchemaAjv, createUserSchemaAjv, META_2020_ID, validateUserSchema } from './ajv.js';
import { USER_META_VALIDATOR_PATH, userMetaValidatorSource } from './standalone-validators.js';
import { meterSchema } from './validation-fuel.js';

const committed = () => readFileSync(fileURLToPath(new URL(`../${USER_META_VALIDATOR_PATH}`, import.meta.url)), 'utf8');

/** Schemas the JSON Schema 2020-12 meta-schema accepts or refuses, touching each part of it (and uniqueItems). */
const SCHEMAS: [name: string, schema: Record<string, unknown>][] = [
  ['an empty schema', {}],
  ['a tool input schema', { type: 'object', properties: { id: { type: 'string', pattern: '^ct_', minLength: 1 }, n: { type: 'integer', minimum: 0 } }, required: ['id'], additionalProperties: false }],
  ['the 2020-12 $schema', { $schema: META_2020_ID, type: 'object' }],
  ['an empty $schema', { $schema: '', type: 'object' }],
  ['$defs, $ref, $anchor and $dynamicAnchor', { $defs: { a: { $anchor: 'A', $dynamicAnchor: 'B', type: 'string' } }, properties: { x: { $ref: '#/$defs/a' } } }],
  ['every applicator', { allOf: [{}], anyOf: [{}], oneOf: [{}], not: {}, if: {}, then: {}, else: {}, prefixItems: [{}], items: {}, contains: {}, dependentSchemas: { a: {} }, patternProperties: { '^a': {} }, propertyNames: { pattern: '^x' }, unevaluatedItems: false, unevaluatedProperties: false }],
  ['a metered schema', meterSchema({ type: 'object', properties: { a: { type: 'array', items: { type: 'string' } } } })],
  ['a type list with a repeat (uniqueItems of scalars)', { type: ['string', 'string'] }],
  ['a required list with a repeat (uniqueItems, string array)', { type: 'object', required: ['a', 'b', 'a'] }],
  ['dependentRequired with a repeat', { dependentRequired: { a: ['b', 'b'] } }],
  ['an unknown type', { type: 'obj' }],
  ['a negative minLength', { type: 'string', minLength: -1 }],
  ['a fractional maxItems', { type: 'array', maxItems: 1.5 }],
  ['properties that are not an object', { type: 'object', properties: 3 }],
  ['a nested bad subschema (via $dynamicRef)', { type: 'object', properties: { a: { properties: { b: { type: 7 } } } } }],
  ['draft-04 style items array', { items: [{ type: 'string' }] }],
  ['a bad $id (two fragments)', { $id: 'a#b#c' }],
  ['a bad $anchor', { $defs: { a: { $anchor: '1bad' } } }],
  ['required that is not an array', { required: 'a' }],
  ['enum that is not an array', { enum: 3 }],
  ['an unknown keyword', { 'x-anything': { type: 7 } }],
  ['a boolean subschema', { properties: { a: true, b: false } }],
  ['a schema for a format the meta-schema does not check', { propertyNames: { format: 'regex' }, $comment: 'x', contentEncoding: 'base64' }],
];

describe('ahead-of-time meta-schema check of user schemas (schemas/generated/user-meta-validator.ts)', () => {
  it('is what `npm run gen:validators` generates from the 2020-12 meta-schema, the user-schema options and Ajv of this checkout', () => {
    // A failure here means the user-schema Ajv setup, its keywords or Ajv changed: run `npm run gen:validators`.
    expect(committed() === userMetaValidatorSource(), `${USER_META_VALIDATOR_PATH} is stale: run \`npm run gen:validators\``).toBe(true);
  });

  it.each(SCHEMAS)('agrees with the meta-schema Ajv compiles on %s: result and every error', (_name, schema) => {
    const compiled = createUserSchemaAjv();
    const generated = createUserSchemaAjv({ validateSchema: false });
    const expected = compiled.validateSchema(structuredClone(schema));
    expect(validateUserSchema(generated, structuredClone(schema))).toBe(expected);
    expect(generated.errors ?? null).toEqual(compiled.errors ?? null);
    // The generated check did the work: this Ajv never compiled its meta-schema.
    expect(generated.schemas[META_2020_ID]?.validate).toBeUndefined();
  });

  it.each([...SCHEMAS, ['a bad $anchor and an unknown $schema', { $schema: 'x:y', $defs: { a: { $anchor: '1bad' } } }], ['draft-07 with a repeat in required', { $schema: 'http://json-schema.org/draft-07/schema#', required: ['a', 'a'] }]] as const)(
    "makes compileUserSchema compile or refuse %s as Ajv's compile does, with the same error",
    (_name, schema) => {
      const draft07 = schema.$schema === 'http://json-schema.org/draft-07/schema#';
      const make = draft07 ? createDraft07UserSchemaAjv : createUserSchemaAjv;
      let expected: string | undefined;
      let data: unknown;
      try {
        make().compile(structuredClone(schema));
      } catch (e) {
        expected = (e as Error).message;
      }
      if (expected === undefined) {
        const fn = compileUserSchema(make({ validateSchema: false }), structuredClone(schema));
        data = fn('x');
        expect(data).toBe(make().compile(structuredClone(schema))('x'));
      } else {
        expect(() => compileUserSchema(make({ validateSchema: false }), structuredClone(schema))).toThrow(expected);
      }
    },
  );

  it("leaves any other $schema to Ajv's own check", () => {
    const ajv = createUserSchemaAjv({ validateSchema: false });
    expect(() => validateUserSchema(ajv, { $schema: 'http://json-schema.org/draft-07/schema#' })).toThrow('no schema with key or ref');
    expect(() => validateUserSchema(ajv, { $schema: 7 })).toThrow('$schema must be a string');
    expect(validateUserSchema(ajv, { $schema: `${META_2020_ID}#`, type: 'nope' })).toBe(false);
    expect(ajv.errors?.[0]?.message).toBe('must be equal to one of the allowed values');
  });
});
