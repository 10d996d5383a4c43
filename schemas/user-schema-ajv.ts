import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { CodeOptions, Options } from 'ajv';
import { linearRegExp } from './linear-regexp.js';
import { useLinearUniqueItems } from './unique-items.js';
import { addUserFormats } from './user-formats.js';
import { addFuelKeyword } from './validation-fuel.js';

// The Ajv setup for user-supplied schemas, apart from schemas/ajv.ts so that generating the standalone code of its
// meta-schema check (schemas/standalone-validators.ts) never depends on the generated module it replaces.

/** The `$id` of the JSON Schema 2020-12 meta-schema, the default `$schema` of a user schema. */
export const META_2020_ID = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Options for user-supplied schemas: no coercion, no defaults, formats asserted, and every `pattern` and
 * `patternProperties` key run on the linear-time engine (a tool argument must never cost more than linear time;
 * `uniqueItems` is replaced for the same reason, see unique-items.ts). The replacement relies on `$data` staying
 * off, and on nothing changing the data during a validation (no useDefaults, coerceTypes or removeAdditional):
 * it keys each value once per validation.
 */
// `logger: false`: with `strict` off Ajv would print "unknown format ignored" to the console at every bundle load;
// `tengine validate` reports unknown formats as TNG234 instead. `optimize: false`: Ajv's optimization pass only
// tidies the generated source (drops empty branches, inlines names), which V8 does anyway; skipping it halves the
// time to compile a tool schema (50 bench schemas: 180 -> 85 ms) and a validation costs the same (110 ns either way).
const USER_SCHEMA_OPTIONS: Options = { allErrors: false, strict: false, logger: false, validateFormats: true, code: { optimize: false, regExp: linearRegExp } };

/**
 * How a user-schema Ajv is made: `validateSchema: false` when the caller checks each schema against its
 * meta-schema itself first (validateUserSchema in schemas/ajv.ts, with the check generated ahead of time); `code`
 * only to generate that check's source.
 */
export interface UserSchemaAjvOptions {
  validateSchema?: boolean;
  code?: CodeOptions;
}

function userOptions(o: UserSchemaAjvOptions): Options {
  return {
    ...USER_SCHEMA_OPTIONS,
    ...(o.validateSchema === false ? { validateSchema: false } : {}),
    code: { ...USER_SCHEMA_OPTIONS.code, ...o.code },
  };
}

const made2020 = new WeakSet<object>();

/** Creates an Ajv (2020-12) for user-supplied JSON Schemas (tool input/output schemas). */
export function createUserSchemaAjv(o: UserSchemaAjvOptions = {}): Ajv2020 {
  const ajv = new Ajv2020(userOptions(o));
  addUserFormats(ajv);
  useLinearUniqueItems(ajv);
  addFuelKeyword(ajv);
  made2020.add(ajv);
  return ajv;
}

/** Whether `ajv` came from createUserSchemaAjv: only then does the generated meta-schema check stand in for its own. */
export function isUserSchemaAjv2020(ajv: object): ajv is Ajv2020 {
  return made2020.has(ajv);
}

/** The same for user schemas that declare draft-07 in `$schema`. */
export function createDraft07UserSchemaAjv(o: UserSchemaAjvOptions = {}): Ajv {
  const ajv = new Ajv(userOptions(o));
  addUserFormats(ajv);
  useLinearUniqueItems(ajv);
  addFuelKeyword(ajv);
  return ajv;
}
