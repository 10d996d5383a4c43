import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import configSchema from './config.schema.json' with { type: 'json' };
import fragmentSchema from './config-fragment.schema.json' with { type: 'json' };
import bundleSchema from './bundle.schema.json' with { type: 'json' };
import { linearRegExp } from './linear-regexp.js';
import { useLinearUniqueItems } from './unique-items.js';
import { addUserFormats } from './user-formats.js';
import { addFuelKeyword } from './validation-fuel.js';

export type { ErrorObject, ValidateFunction };

// ajv-formats ships CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;

export const CONFIG_SCHEMA_ID = configSchema.$id;
export const FRAGMENT_SCHEMA_ID = fragmentSchema.$id;
export const BUNDLE_SCHEMA_ID = bundleSchema.$id;

/**
 * Options for user-supplied schemas: no coercion, no defaults, formats asserted, and every `pattern` and
 * `patternProperties` key run on the linear-time engine (a tool argument must never cost more than linear time;
 * `uniqueItems` is replaced for the same reason, see unique-items.ts). The replacement relies on `$data` staying
 * off, and on nothing changing the data during a validation (no useDefaults, coerceTypes or removeAdditional):
 * it keys each value once per validation.
 */
// `logger: false`: with `strict` off Ajv would print "unknown format ignored" to the console at every bundle load;
// `tengine validate` reports unknown formats as TNG234 instead.
const USER_SCHEMA_OPTIONS: Options = { allErrors: false, strict: false, logger: false, validateFormats: true, code: { optimize: 1, regExp: linearRegExp } };

/** Creates an Ajv (2020-12) for user-supplied JSON Schemas (tool input/output schemas). */
export function createUserSchemaAjv(): Ajv2020 {
  const ajv = new Ajv2020(USER_SCHEMA_OPTIONS);
  addUserFormats(ajv);
  useLinearUniqueItems(ajv);
  addFuelKeyword(ajv);
  return ajv;
}

/** The same for user schemas that declare draft-07 in `$schema`. */
export function createDraft07UserSchemaAjv(): Ajv {
  const ajv = new Ajv(USER_SCHEMA_OPTIONS);
  addUserFormats(ajv);
  useLinearUniqueItems(ajv);
  addFuelKeyword(ajv);
  return ajv;
}
let shared: Ajv2020 | undefined;

/**
 * The options Tengine's own schemas are compiled with. The config and fragment validators are also generated ahead
 * of time with exactly these (scripts/render-config-validators.mjs; config-validators.test.ts compares the two).
 */
export const TENGINE_SCHEMA_OPTIONS = {
  allErrors: true,
  strict: true,
  strictRequired: false,
  discriminator: true,
  useDefaults: true,
  verbose: true,
  allowUnionTypes: true,
} as const satisfies Options;

/** The Ajv instance holding Tengine's own schemas (config, fragment, bundle), compiled once per process. */
export function tengineSchemas(): Ajv2020 {
  if (shared) return shared;
  const ajv = new Ajv2020({ ...TENGINE_SCHEMA_OPTIONS });
  addFormats(ajv);
  ajv.addSchema(configSchema).addSchema(fragmentSchema).addSchema(bundleSchema);
  shared = ajv;
  return ajv;
}

/** The compiled validator for a schema id (throws only when the id is not one of Tengine's schemas). */
export function tengineValidator(id: string): ValidateFunction {
  const fn = tengineSchemas().getSchema(id);
  if (!fn) throw new Error(`unknown schema ${id}`);
  return fn;
}
