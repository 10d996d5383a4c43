import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { tengineValidator } from './ajv.js';
import { computeConfigDigest } from './bundle-format.js';
import { GENERATED_VALIDATORS_PATH, standaloneValidatorsSource } from './standalone-validators.js';
import { BUNDLE_SCHEMA_ID, CONFIG_SCHEMA_ID, createTengineSchemasAjv, FRAGMENT_SCHEMA_ID, TOOL_SCHEMA_REF } from './tengine-schemas.js';
import { bundleValidator, configValidator, fragmentValidator, toolValidator } from './config-validators.js';
import { sampleConfig } from '../test/fixtures/bundle-fixtures.js';

const committed = () => readFileSync(fileURLToPath(new URL(`../${GENERATED_VALIDATORS_PATH}`, import.meta.url)), 'utf8');

/** Inputs whose outcome both validators must agree on: valid ones (defaults filled in) and broken ones (every error). */
function cases(): { id: string; name: string; data: unknown }[] {
  const config = sampleConfig();
  const { include: _include, ...bundled } = sampleConfig();
  const broken = structuredClone(config) as unknown as Record<string, any>;
  broken.version = 2;
  broken.projects[0].tools = [{ name: 'Bad Name', http_method: 'FETCH', base_url: 42, input_schema: 'x', timeout: 5 }];
  broken.projects[0].integrations = [{ id: 'k', kind: 'api_key', api_keys: [{ sha256: 'nothex' }] }, { id: 'o', kind: 'oauth' }];
  broken.unknown_member = true;
  const multi = jsyaml.load(readFileSync(fileURLToPath(new URL('../test/fixtures/multi-error/tengine.config.yaml', import.meta.url)), 'utf8'));
  const payload = { format_version: 1, created_at: '2024-05-01T12:00:00Z', config_digest: computeConfigDigest(bundled), config: bundled };
  return [
    { id: CONFIG_SCHEMA_ID, name: 'the sample config', data: config },
    { id: CONFIG_SCHEMA_ID, name: 'a config with many errors', data: broken },
    { id: CONFIG_SCHEMA_ID, name: 'the multi-error fixture', data: multi },
    { id: CONFIG_SCHEMA_ID, name: 'not an object', data: [1, 'two'] },
    { id: FRAGMENT_SCHEMA_ID, name: 'a fragment', data: { project: 'p', tools: config.projects![0]!.tools } },
    { id: FRAGMENT_SCHEMA_ID, name: 'a broken fragment', data: { project: 3, tools: [{ name: '' }], extra: 1 } },
    { id: TOOL_SCHEMA_REF, name: 'a tool', data: config.projects![0]!.tools![0] },
    { id: TOOL_SCHEMA_REF, name: 'a broken tool', data: broken.projects[0].tools[0] },
    { id: BUNDLE_SCHEMA_ID, name: 'a bundle payload', data: payload },
    { id: BUNDLE_SCHEMA_ID, name: 'a bundle payload with a broken config', data: { ...payload, config: broken, created_at: 'yesterday' } },
    { id: BUNDLE_SCHEMA_ID, name: 'an empty payload', data: {} },
  ];
}

describe('ahead-of-time validators of Tengine schemas (schemas/generated/tengine-validators.ts)', () => {
  it('are what `npm run gen:validators` generates from the schemas, options and Ajv version of this checkout', () => {
    // A failure here means a schema JSON, TENGINE_SCHEMA_OPTIONS or Ajv changed: run `npm run gen:validators`.
    expect(committed() === standaloneValidatorsSource(), 'schemas/generated/tengine-validators.ts is stale: run `npm run gen:validators`').toBe(true);
  });

  it.each(cases())('agree with the validator Ajv compiles at run time on $name: result, every error and the defaults filled in', ({ id, data }) => {
    const compiled = createTengineSchemasAjv().getSchema(id)!;
    const generated = tengineValidator(id);
    expect(generated).not.toBe(compiled);
    const a = structuredClone(data);
    const b = structuredClone(data);
    const okCompiled = compiled(a);
    const okGenerated = generated(b);
    expect(okGenerated).toBe(okCompiled);
    expect(generated.errors ?? null).toEqual(compiled.errors ?? null);
    expect(b).toEqual(a);
  });

  it("are the CLI's validators too (schemas/config-validators.ts)", () => {
    expect(configValidator).toBe(tengineValidator(CONFIG_SCHEMA_ID));
    expect(fragmentValidator).toBe(tengineValidator(FRAGMENT_SCHEMA_ID));
    expect(toolValidator).toBe(tengineValidator(TOOL_SCHEMA_REF));
    expect(bundleValidator).toBe(tengineValidator(BUNDLE_SCHEMA_ID));
  });

  it('cover the config, fragment, tool and bundle schemas', () => {
    const ok = cases().filter((c) => c.name === 'a bundle payload' || c.name === 'the sample config');
    for (const c of ok) expect(tengineValidator(c.id)(structuredClone(c.data))).toBe(true);
    expect(tengineValidator(BUNDLE_SCHEMA_ID)({})).toBe(false);
    expect(tengineValidator(BUNDLE_SCHEMA_ID).errors!.length).toBeGreaterThan(1);
  });
});
