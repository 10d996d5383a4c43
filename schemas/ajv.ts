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

/**
 * Variations for `tengine validate`, which compiles user schemas only to find what Ajv refuses and never runs the
 * functions: `optimize: false` skips Ajv's code-simplifying passes (they change how the generated code reads, not
 * what it accepts or which errors compile throws; a third of the compile time), and `validateSchema: false` skips
 * the meta-schema check inside compile for schemas already checked against it (which would compile the ~50 ms
 * meta-schema once more in that instance).
 */
export interface UserSchemaAjvOptions {
  optimize?: boolean;
  validateSchema?: boolean;
}

function userSchemaOptions(o: UserSchemaAjvOptions): Options {
  if (o.optimize !== false && o.validateSchema !== false) return USER_SCHEMA_OPTIONS;
  return { ...USER_SCHEMA_OPTIONS, validateSchema: o.validateSchema ?? true, code: { ...USER_SCHEMA_OPTIONS.code, optimize: o.optimize === false ? false : 1 } };
}

/** Creates an Ajv (2020-12) for user-supplied JSON Schemas (tool input/output schemas). */
export function createUserSchemaAjv(o: UserSchemaAjvOptions = {}): Ajv2020 {
  const ajv = new Ajv2020(userSchemaOptions(o));
  addUserFormats(ajv);
  useLinearUniqueItems(ajv);
  addFuelKeyword(ajv);
  return ajv;
}

/** The same for user schemas that declare draft-07 in `$schema`. */
export function createDraft07UserSchemaAjv(o: UserSchemaAjvOptions = {}): Ajv {
  const ajv = new Ajv(userSchemaOptions(o));
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
