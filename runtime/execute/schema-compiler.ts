import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { compileUserSchema, createDraft07UserSchemaAjv, createUserSchemaAjv } from '../../schemas/ajv.js';
import { canonicalJson } from '../../schemas/canonical-json.js';
import { withJsonValueKeys } from '../../schemas/json-value-keys.js';
import { warmUserFormats } from '../../schemas/user-formats.js';
import { ArgumentsTooComplexError, meterSchema, withFuel } from '../../schemas/validation-fuel.js';
import type { SchemaCompiler } from './types.js';

// Same dialect detection as the CLI's TNG209 check, so a schema the CLI accepted compiles here the same way.
const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

const CHECKED = { validateSchema: false } as const;

/** A compiled validator in the shape `SchemaCompiler` promises. */
export type SchemaValidator = ReturnType<SchemaCompiler['compile']>;

/**
 * Creates the per-bundle schema compiler: draft 2020-12 by default, draft-07 when `$schema` says so, one compiled
 * validator per distinct schema (keyed by canonical JSON, so key order does not matter). Never coerces types: a
 * model that sends `"5"` for an integer gets an error rather than a silently different request.
 * Patterns, formats and `uniqueItems` run in linear time (schemas/ajv.ts), and a validation runs on fuel in proportion
 * to the data's size (schemas/validation-fuel.ts), so no schema and data can stall the instance. `compile` throws on a schema Ajv cannot compile,
 * including a pattern the linear engine refuses (PatternNotLinearError); `tengine validate` refuses both (TNG209,
 * TNG229), so that only happens for a hand-built bundle, and the boot refuses it as BUNDLE_PAYLOAD_INVALID.
 */
export function createSchemaCompiler(): SchemaCompiler {
  const cache = new Map<string, SchemaValidator>();
  let ajv2020: Ajv2020 | undefined;
  let ajv07: Ajv | undefined;
  return {
    compile(schema) {
      const key = canonicalJson(schema);
      const hit = cache.get(key);
      if (hit) return hit;
      const draft07 = typeof schema.$schema === 'string' && DRAFT_07.test(schema.$schema);
      // The meta-schema check runs on code generated ahead of time for 2020-12 (compileUserSchema): Ajv compiling
      // the meta-schema was 30-45 ms of every boot.
      const ajv = draft07 ? (ajv07 ??= createDraft07UserSchemaAjv(CHECKED)) : (ajv2020 ??= createUserSchemaAjv(CHECKED));
      // Ajv registers a compiled schema under its `$id`; two different tools reusing one `$id` would collide.
      // The CLI compiles without the top-level `$id` too, so both sides resolve references identically.
      const copy = meterSchema(schema);
      delete copy.$id;
      const fn = wrap(compileUserSchema(ajv, copy));
      // The format patterns compile lazily; a bundle load, not the first tool call using a format, pays for those
      // its schemas name. Read from the canonical text: a `format` keyword with a string value always shows as
      // `"format":"name"` there (anything else matching only warms one pattern more).
      if (key.includes('"format":"')) warmUserFormats(formatsNamedIn(key));
      cache.set(key, fn);
      return fn;
    },
  };
}

const FORMAT_KEYWORD = /"format":"([^"\\]*)"/g;

function formatsNamedIn(canonical: string): Set<string> {
  return new Set(Array.from(canonical.matchAll(FORMAT_KEYWORD), (m) => m[1]!));
}

function wrap(validate: ValidateFunction): SchemaValidator {
  return (data) => {
    try {
      // One set of value keys per call: `uniqueItems` arrays nested in one another share them (linear time).
      if (withFuel(data, () => withJsonValueKeys(() => validate(data)))) return { ok: true };
    } catch (e) {
      if (!(e instanceof ArgumentsTooComplexError)) throw e;
      return { ok: false, tooComplex: true, errors: [{ path: '', message: e.message }] };
    }
    return { ok: false, errors: (validate.errors ?? []).map(describe) };
  };
}

function describe(e: ErrorObject): { path: string; message: string } {
  const message = e.message ?? 'is invalid';
  // Ajv's text for these leaves out which property is at fault; a model needs the name to fix its call.
  if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
    return { path: e.instancePath, message: `${message}: "${e.params.additionalProperty}"` };
  }
  if (e.keyword === 'unevaluatedProperties' && typeof e.params.unevaluatedProperty === 'string') {
    return { path: e.instancePath, message: `${message}: "${e.params.unevaluatedProperty}"` };
  }
  return { path: e.instancePath, message };
}
