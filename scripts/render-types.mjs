// Renders TypeScript types for the config and bundle schemas (shared by gen-types and its drift test).
import { readFileSync } from 'node:fs';
import { compile } from 'json-schema-to-typescript';

const schemaDir = new URL('../schemas/', import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8'));

/** Returns the text of schemas/config-types.ts. */
export async function renderTypes() {
  // A `default` beside `$ref` (there so Ajv fills omitted sections) would make the generator emit a duplicate
  // interface; defaults do not change types, so drop them there.
  const config = stripRefDefaults(load('config.schema.json'));
  const bundle = load('bundle.schema.json');
  const options = {
    bannerComment: '',
    additionalProperties: false,
    strictIndexSignatures: true,
    format: false,
    cwd: new URL('.', schemaDir).pathname,
    declareExternallyReferenced: true,
    unreachableDefinitions: true,
    // Bounded arrays as `[T, ...T[]]`, not a union of every tuple length: code building them (the OpenAPI mapper)
    // should not need casts; the schema still enforces the bound.
    maxItems: -1,
  };
  // The bundle schema references the config schema by relative $id; resolve it to the loaded document.
  const bundleResolved = structuredClone(bundle);
  bundleResolved.properties.config = { $ref: '#/$defs/config' };
  bundleResolved.$defs = { config: { tsType: 'TengineConfig' } };
  const configTs = await compile(config, 'TengineConfig', options);
  const bundleTs = await compile(bundleResolved, 'BundlePayload', { ...options, declareExternallyReferenced: true, unreachableDefinitions: false });
  return [
    '// Generated from schemas/config.schema.json and schemas/bundle.schema.json by `npm run gen:types`. Do not edit.',
    '/* eslint-disable */',
    configTs.trim(),
    bundleTs.trim(),
    '',
  ].join('\n\n');
}

function stripRefDefaults(node) {
  if (Array.isArray(node)) return node.map(stripRefDefaults);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'default' && '$ref' in node) continue;
      out[k] = stripRefDefaults(v);
    }
    return out;
  }
  return node;
}
