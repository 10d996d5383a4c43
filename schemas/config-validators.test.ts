import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_ID, CONFIG_SCHEMA_ID, FRAGMENT_SCHEMA_ID, TENGINE_SCHEMA_OPTIONS, tengineSchemas, tengineValidator } from './ajv.js';
import { bundleValidator, configValidator, fragmentValidator, toolValidator } from './config-validators.js';

describe('schemas/generated/config-validators.ts', () => {
  it('equals what scripts/render-config-validators.mjs generates from the JSON Schemas (run `npm run gen:validators` after a schema change)', async () => {
    const { renderConfigValidators } = await import('../scripts/render-config-validators.mjs');
    const committed = await readFile(new URL('./generated/config-validators.ts', import.meta.url), 'utf8');
    expect(committed === (await renderConfigValidators()), 'schemas/generated/config-validators.ts is stale: run npm run gen:validators').toBe(true);
  });

  it('is generated with the options schemas/ajv.ts compiles the same schemas with at run time', async () => {
    const { CONFIG_VALIDATOR_OPTIONS } = await import('../scripts/render-config-validators.mjs');
    expect(CONFIG_VALIDATOR_OPTIONS).toEqual({ ...TENGINE_SCHEMA_OPTIONS });
  });

  it('reports the same errors and fills the same defaults as the run-time compiled validators', () => {
    const config = () => ({
      version: 1,
      bogus: true,
      projects: [
        {
          id: 'demo',
          integrations: [{ id: 'k', kind: 'api_key', api_keys: [{ sha256: 'nope' }] }, { id: 'x', kind: 'unknown_kind' }],
          tools: [{ name: 'bad name', base_url: 5, http_method: 'FETCH', endpoint_path: '/x', input_schema: { type: 'object' } }, { name: 'ok_tool', base_url: 'https://api.example.com', http_method: 'GET', endpoint_path: '/y' }],
        },
      ],
    });
    const fragment = () => ({ project: 'demo', tools: [{ name: 'ok_tool', base_url: 'https://api.example.com', http_method: 'GET', endpoint_path: '/y' }, { name: 7 }], extra: 1 });
    const tool = () => ({ name: 'ok_tool', base_url: 'https://api.example.com', http_method: 'GET', endpoint_path: '/y', timeout: 'soon' });
    const cases = [
      [configValidator, tengineValidator(CONFIG_SCHEMA_ID), config],
      [fragmentValidator, tengineValidator(FRAGMENT_SCHEMA_ID), fragment],
      [toolValidator, tengineSchemas().compile({ $ref: `${CONFIG_SCHEMA_ID}#/$defs/tool` }), tool],
      [bundleValidator, tengineValidator(BUNDLE_SCHEMA_ID), () => ({ format_version: 1, created_at: 'today', config_digest: 'sha256:x', config: { ...config(), include: ['a.yaml'] } })],
    ] as const;
    for (const [generated, compiled, data] of cases) {
      const [a, b] = [data(), data()];
      expect(generated(a)).toBe(false);
      expect(compiled(b)).toBe(false);
      const shape = (errors: typeof generated.errors) => (errors ?? []).map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, params: e.params, message: e.message, data: e.data }));
      expect(shape(generated.errors).length).toBeGreaterThan(0);
      expect(shape(generated.errors)).toEqual(shape(compiled.errors));
      expect(a).toEqual(b); // the defaults filled in
    }
  });
});
