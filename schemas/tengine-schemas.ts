import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import configSchema from './config.schema.json' with { type: 'json' };
import fragmentSchema from './config-fragment.schema.json' with { type: 'json' };
import bundleSchema from './bundle.schema.json' with { type: 'json' };

// Tengine's own schemas and how Ajv compiles them, apart from schemas/ajv.ts so that generating their standalone
// code (schemas/standalone-validators.ts) never depends on the generated module it replaces.

// ajv-formats ships CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;

/** The `$id` of config.schema.json. */
export const CONFIG_SCHEMA_ID = configSchema.$id;
/** The `$id` of config-fragment.schema.json. */
export const FRAGMENT_SCHEMA_ID = fragmentSchema.$id;
/** The `$id` of bundle.schema.json. */
export const BUNDLE_SCHEMA_ID = bundleSchema.$id;

/** One tool (`$defs/tool` of the config schema): the check of each tool generated from an OpenAPI source. */
export const TOOL_SCHEMA_REF = `${CONFIG_SCHEMA_ID}#/$defs/tool`;

/** The schema ids whose validators are generated ahead of time, by their export name in the generated module. */
export const PRECOMPILED_SCHEMAS = { config: CONFIG_SCHEMA_ID, fragment: FRAGMENT_SCHEMA_ID, tool: TOOL_SCHEMA_REF, bundle: BUNDLE_SCHEMA_ID } as const;

/**
 * Options of the Ajv holding Tengine's own schemas: every error (the CLI reports them all), defaults filled in,
 * verbose errors for the diagnostics. schemas/standalone-validators.ts generates code with exactly these.
 */
export const TENGINE_SCHEMA_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  strictRequired: false,
  discriminator: true,
  useDefaults: true,
  verbose: true,
  allowUnionTypes: true,
};

/** A new Ajv with Tengine's own schemas (config, fragment, bundle) added, not yet compiled; `code` for standalone output. */
export function createTengineSchemasAjv(code?: Options['code']): Ajv2020 {
  const ajv = new Ajv2020({ ...TENGINE_SCHEMA_OPTIONS, ...(code ? { code } : {}) });
  addFormats(ajv);
  ajv.addSchema(configSchema).addSchema(fragmentSchema).addSchema(bundleSchema);
  return ajv;
}

