import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/bundle-fixtures.js';
import { allCodesKnown, loadDir, writeTree } from '../../../test/fixtures/config-files.js';

// One fixture per code lives in test/fixtures/invalid/TNG254..TNG261; these cover the cases around them.
describe('request mapping diagnostics (parameters, body)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('tengine-parameter-rules-'));
  });
  afterEach(async () => cleanup());

  const INPUT = {
    type: 'object',
    properties: {
      pathParams: { type: 'object', properties: { 'pet-id': { type: 'string' } }, required: ['pet-id'] },
      query: { type: 'object', properties: { limit: { type: 'integer' }, filter: { $ref: '#/$defs/filter' } } },
      cookies: { type: 'object', allOf: [{ properties: { session: { type: 'string' } } }] },
      body: { type: 'object' },
    },
    required: ['pathParams'],
    $defs: { filter: { type: 'object', properties: { name: { type: 'string' } } } },
  };

  /** Codes and messages of a one-tool config (JSON is YAML) with the tool's fields replaced. */
  async function diagnose(fields: Record<string, unknown>) {
    const tool = {
      name: 'get_pet',
      description: 'Fetch one pet.',
      input_schema: INPUT,
      base_url: 'https://api.example.com',
      http_method: 'GET',
      endpoint_path: '/pets/{pet-id}',
      parameters: [{ name: 'pet-id', in: 'path', argument: ['pathParams', 'pet-id'] }],
      ...fields,
    };
    await writeTree(dir, { 'tengine.config.yaml': JSON.stringify({ version: 1, projects: [{ id: 'demo', tools: [tool] }] }, null, 2) });
    const { diagnostics } = await loadDir(dir);
    expect(allCodesKnown(diagnostics)).toBe(true);
    return diagnostics.map((d) => [d.code, d.message]);
  }

  const PET = { name: 'pet-id', in: 'path', argument: ['pathParams', 'pet-id'] };

  it('a full mapping validates, and `{pet-id}` in the path is no template placeholder (no TNG217/TNG202)', async () => {
    expect(
      await diagnose({
        http_method: 'POST',
        parameters: [
          { ...PET, style: 'label', explode: true },
          { name: 'limit', in: 'query', argument: ['query', 'limit'], style: 'form', explode: false, allow_reserved: true, required: true },
          { name: 'filter', in: 'query', argument: ['query', 'filter'], style: 'deepObject' },
          { name: 'name', in: 'query', argument: ['query', 'filter', 'name'] },
          { name: 'X-Trace', in: 'header', argument: ['query', 'limit'] },
          { name: 'session', in: 'cookie', argument: ['cookies', 'session'] },
        ],
        query_template: { 'api-version': '2024-01-01' },
        headers_template: { 'X-Static': 'yes' },
        body: { argument: ['body'], content_type: 'application/x-www-form-urlencoded' },
      }),
    ).toEqual([]);
  });

  it('a template path without `parameters` is still checked as a template', async () => {
    expect((await diagnose({ parameters: undefined })).map(([c]) => c)).toEqual(['TNG217']);
  });

  it('TNG254: path syntax, placeholders without parameters, parameters without placeholders', async () => {
    expect(await diagnose({ endpoint_path: '/pets/{pet-id' })).toEqual([['TNG254', 'endpoint_path: unclosed "{" (a path parameter name cannot contain "{", "}" or "/") at character 7']]);
    expect((await diagnose({ endpoint_path: '/pets/{}' })).map(([c]) => c)).toEqual(['TNG254']);
    expect(await diagnose({ endpoint_path: '/pets/{pet-id}/{x}' })).toEqual([['TNG254', '"{x}" in endpoint_path has no `in: path` parameter']]);
    expect(await diagnose({ endpoint_path: '/pets' })).toEqual([['TNG254', 'path parameter "pet-id" does not appear in endpoint_path as "{pet-id}"']]);
  });

  it('TNG255: argument paths follow properties, local $refs and allOf; a body argument is checked too', async () => {
    expect(await diagnose({ parameters: [PET, { name: 'n', in: 'query', argument: ['query', 'filter', 'nick'] }] })).toEqual([['TNG255', 'query parameter "n" reads argument [query, filter, nick], which input_schema does not declare']]);
    expect(await diagnose({ parameters: [PET, { name: 'n', in: 'query', argument: ['query', 'limit', 'x'] }] })).toEqual([['TNG255', 'query parameter "n" reads argument [query, limit, x], which input_schema does not declare']]);
    expect(await diagnose({ http_method: 'POST', body: { argument: ['payload'] } })).toEqual([['TNG255', 'the body reads argument [payload], which input_schema does not declare']]);
  });

  it('TNG256: every level of a path parameter argument is required', async () => {
    const input = { ...INPUT, required: [] };
    expect(await diagnose({ input_schema: input })).toEqual([['TNG256', 'path parameter "pet-id" reads argument [pathParams], which input_schema does not require']]);
  });

  it('TNG257: same name in the same location (headers without case); the same name in two locations is fine', async () => {
    expect(await diagnose({ parameters: [PET, { name: 'limit', in: 'query', argument: ['query', 'limit'] }, { name: 'limit', in: 'header', argument: ['query', 'limit'] }] })).toEqual([]);
    expect(await diagnose({ parameters: [PET, { name: 'limit', in: 'query', argument: ['query', 'limit'] }, { name: 'limit', in: 'query', argument: ['query', 'limit'] }] })).toEqual([['TNG257', 'query parameter "limit" is declared twice (also parameters[1])']]);
  });

  it('TNG258: a header from both a parameter and headers_template; a templated Cookie beside cookie parameters', async () => {
    expect(await diagnose({ parameters: [PET, { name: 'X-Trace', in: 'header', argument: ['query', 'limit'] }], headers_template: { 'x-trace': 'static' } })).toEqual([['TNG258', 'header "x-trace" is sent by both a parameter and headers_template']]);
    const cookie = await diagnose({ parameters: [PET, { name: 'session', in: 'cookie', argument: ['cookies', 'session'] }], headers_template: { Cookie: 'a={pathParams}' } });
    expect(cookie.map(([c]) => c)).toContain('TNG258');
  });

  it.each([['Authorization'], ['X-Tengine-Member-Id'], ['host'], ['Content-Type'], ['Cookie'], ['User-Agent']])('TNG259: header parameter %s', async (name) => {
    expect((await diagnose({ parameters: [PET, { name, in: 'header', argument: ['query', 'limit'] }] })).map(([c]) => c)).toEqual(['TNG259']);
  });

  it('TNG260: cookie names are tokens too; query names may be anything', async () => {
    expect((await diagnose({ parameters: [PET, { name: 'a;b', in: 'cookie', argument: ['cookies', 'session'] }] })).map(([c]) => c)).toEqual(['TNG260']);
    expect(await diagnose({ parameters: [PET, { name: 'filter[name] x', in: 'query', argument: ['query', 'limit'] }] })).toEqual([]);
  });

  it('TNG261: a style of another location; allow_reserved outside the query', async () => {
    expect(await diagnose({ parameters: [PET, { name: 'X-Trace', in: 'header', argument: ['query', 'limit'], style: 'form' }] })).toEqual([['TNG261', 'style "form" is not defined for header parameters']]);
    expect(await diagnose({ parameters: [{ ...PET, allow_reserved: true }] })).toEqual([['TNG261', 'allow_reserved applies to query parameters only, not to path parameter "pet-id"']]);
  });

  it('schema errors in parameters are reported by the schema, and the rules do not crash on them', async () => {
    const d = await diagnose({ parameters: [PET, { name: 'x', in: 'body', argument: [] }, 'junk'] });
    expect(d.length).toBeGreaterThan(0);
    expect(d.every(([c]) => String(c).startsWith('TNG1'))).toBe(true);
  });
});
