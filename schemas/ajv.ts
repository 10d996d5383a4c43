import type { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { BUNDLE_SCHEMA_ID, CONFIG_SCHEMA_ID, FRAGMENT_SCHEMA_ID, TOOL_SCHEMA_REF, createTengineSchemasAjv } from './tengine-schemas.js';
import { META_2020_ID, createDraft07UserSchemaAjv, createUserSchemaAjv, isUserSchemaAjv2020 } from './user-schema-ajv.js';
import * as precompiled from './generated/tengine-validators.js';
import * as userMeta from './generated/user-meta-validator.js';

export type { ErrorObject, ValidateFunction };
export { META_2020_ID, createDraft07UserSchemaAjv, createUserSchemaAjv };
const meta2020 = userMeta.meta2020 as unknown as ValidateFunction<boolean> & ((data: unknown) => boolean);
export { BUNDLE_SCHEMA_ID, CONFIG_SCHEMA_ID, FRAGMENT_SCHEMA_ID, TOOL_SCHEMA_REF, PRECOMPILED_SCHEMAS, TENGINE_SCHEMA_OPTIONS, createTengineSchemasAjv } from './tengine-schemas.js';

/**
 * Ajv's `validateSchema(schema)` (the schema checked against its meta-schema; errors in `ajv.errors`) for an Ajv from
 * createUserSchemaAjv. A 2020-12 schema (no `$schema`, or exactly the 2020-12 id) is checked by the standalone code
 * generated ahead of time from that same Ajv setup (schemas/generated/user-meta-validator.ts): compiling the
 * meta-schema was 30-45 ms of every boot and of every `tengine validate`. Anything else goes to Ajv itself.
 */
export function validateUserSchema(ajv: Ajv | Ajv2020, schema: Record<string, unknown> | boolean): boolean {
  if (typeof schema === 'object' && isUserSchemaAjv2020(ajv)) {
    const $schema = schema.$schema;
    if ($schema === undefined || $schema === '' || $schema === META_2020_ID) {
      const valid = meta2020(schema);
      ajv.errors = meta2020.errors;
      return valid;
    }
  }
  return ajv.validateSchema(schema) as boolean;
}

/**
 * Ajv's `compile(schema)`, meta-schema check included, for an Ajv from createUserSchemaAjv or
 * createDraft07UserSchemaAjv made with `validateSchema: false` (so that the check runs on validateUserSchema's
 * generated code). A schema the check refuses is compiled again by an Ajv that checks it itself, so that what is
 * thrown is exactly Ajv's error (an invalid `$id` or `$anchor` is reported before the meta-schema's verdict).
 */
export function compileUserSchema(ajv: Ajv | Ajv2020, schema: Record<string, unknown>): ValidateFunction {
  let valid = false;
  try {
    valid = validateUserSchema(ajv, schema);
  } catch {
    // An unknown or non-string `$schema`: Ajv's own compile below throws its error.
  }
  if (valid) return ajv.compile(schema);
  const message = `schema is invalid: ${ajv.errorsText(ajv.errors)}`;
  (isUserSchemaAjv2020(ajv) ? createUserSchemaAjv() : createDraft07UserSchemaAjv()).compile(schema);
  throw new Error(message);
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
