import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { BUNDLE_SCHEMA_ID, CONFIG_SCHEMA_ID, FRAGMENT_SCHEMA_ID, TOOL_SCHEMA_REF, createTengineSchemasAjv } from './tengine-schemas.js';
import { linearRegExp } from './linear-regexp.js';
import { useLinearUniqueItems } from './unique-items.js';
import { addUserFormats } from './user-formats.js';
import { addFuelKeyword } from './validation-fuel.js';
import * as precompiled from './generated/tengine-validators.js';

export type { ErrorObject, ValidateFunction };
export { BUNDLE_SCHEMA_ID, CONFIG_SCHEMA_ID, FRAGMENT_SCHEMA_ID, TOOL_SCHEMA_REF, PRECOMPILED_SCHEMAS, TENGINE_SCHEMA_OPTIONS, createTengineSchemasAjv } from './tengine-schemas.js';

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

/** The Ajv instance holding Tengine's own schemas (config, fragment, bundle), compiled on demand once per process. */
export function tengineSchemas(): Ajv2020 {
  return (shared ??= createTengineSchemasAjv());
}

/**
 * The validator for one of Tengine's schemas (throws only when the id is not one of them). Config, fragment, tool
 * and bundle use the code generated ahead of time by `npm run gen:validators` (schemas/generated/tengine-validators.ts,
 * the same code Ajv would compile, kept identical by a drift test): compiling them took a quarter of a runtime boot.
 */
export function tengineValidator(id: string): ValidateFunction {
  const fn =
    id === CONFIG_SCHEMA_ID ? precompiled.config : id === FRAGMENT_SCHEMA_ID ? precompiled.fragment : id === TOOL_SCHEMA_REF ? precompiled.tool : id === BUNDLE_SCHEMA_ID ? precompiled.bundle : tengineSchemas().getSchema(id);
  if (!fn) throw new Error(`unknown schema ${id}`);
  return fn as ValidateFunction;
}
