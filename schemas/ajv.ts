import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import configSchema from './config.schema.json' with { type: 'json' };
import fragmentSchema from './config-fragment.schema.json' with { type: 'json' };
import bundleSchema from './bundle.schema.json' with { type: 'json' };

export type { ErrorObject, ValidateFunction };

// ajv-formats ships CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;

export const CONFIG_SCHEMA_ID = configSchema.$id;
export const FRAGMENT_SCHEMA_ID = fragmentSchema.$id;
export const BUNDLE_SCHEMA_ID = bundleSchema.$id;

/** Creates an Ajv (2020-12) for user-supplied JSON Schemas (tool input/output schemas). */
export function createUserSchemaAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: false, strict: false, validateFormats: true, code: { optimize: 1 } });
  addFormats(ajv);
  return ajv;
}

let shared: Ajv2020 | undefined;

/** The Ajv instance holding Tengine's own schemas (config, fragment, bundle), compiled once per process. */
export function tengineSchemas(): Ajv2020 {
  if (shared) return shared;
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictRequired: false,
    discriminator: true,
    useDefaults: true,
    verbose: true,
    allowUnionTypes: true,
  });
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
