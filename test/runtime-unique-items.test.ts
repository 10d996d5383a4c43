// Issue 8, defect 3, through another keyword: Ajv's `uniqueItems` compares every pair of items, so one tool argument
// of 20,000 distinct objects (229 KB) blocked the whole instance for 9.6 s, and the ~900 KB arrays below for minutes.
// These tests run the real runtime on a socket, a real loopback upstream and the official MCP SDK client: the large
// argument is checked and forwarded, the same with one duplicate is answered INVALID_ARGUMENTS with Ajv's message
// and never reaches the upstream, and another project is served meanwhile. The proof of linear time is the suite
// finishing within vitest's timeout; no clock is read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { devProject, errorMeta, startSdkStage, type SdkStage } from './fixtures/sdk-stage.js';

/** About 900 KB of distinct objects (`{"n":12345}`): under the 1 MiB default request limit. */
const ROWS = 75_000;
const distinctRows = () => Array.from({ length: ROWS }, (_, n) => ({ n }));

let stage: SdkStage;

function config(upstreamUrl: string): TengineConfig {
  const rows = { type: 'array', items: { type: 'object' }, uniqueItems: true };
  const tool = (name: string, inputSchema: Record<string, unknown>, extra: Partial<Tool> = {}): Tool => ({
    name,
    description: `Tool ${name}`,
    input_schema: inputSchema,
    base_url: upstreamUrl,
    http_method: 'POST',
    endpoint_path: `/${name}`,
    body_template: { rows: '{rows}' },
    // Every call must reach the upstream: the tests send the same rows more than once.
    idempotency: { enabled: false },
    ...extra,
  });
  return {
    version: 1,
    projects: [
      devProject('alpha', [
        tool('import', { type: 'object', properties: { rows }, required: ['rows'], additionalProperties: false }),
        tool('legacy', { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { rows }, required: ['rows'] }),
      ]),
      devProject('beta', [tool('ping', { type: 'object', properties: { id: { type: 'string' } } }, { http_method: 'GET', body_template: undefined, query_template: { id: '{id}' } })]),
    ],
  };
}

beforeAll(async () => {
  // The upstream answers with the number of rows it received, not an echo of 900 KB.
  stage = await startSdkStage(config, (_req, body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received: body ? (JSON.parse(body) as { rows: unknown[] }).rows.length : 0 }));
  });
});

afterAll(async () => stage?.close());

const connect = (project: string) => stage.connect(project);
const hits = (path: string) => stage.hits(path);

describe('uniqueItems runs in linear time at the runtime', () => {
  it('~900 KB of distinct objects under uniqueItems is accepted and reaches the upstream whole', async () => {
    const rows = distinctRows();
    expect(JSON.stringify(rows).length).toBeGreaterThan(850_000);
    const client = await connect('alpha');
    const result = await client.callTool({ name: 'import', arguments: { rows } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ received: ROWS });
    expect(hits('/import')).toHaveLength(1);
    expect(JSON.parse(hits('/import')[0]!.body)).toEqual({ rows });
  });

  it.each(['import', 'legacy'])('%s: the same with one duplicate at the end is INVALID_ARGUMENTS with Ajv\'s message; nothing is sent', async (name) => {
    const rows = [...distinctRows(), { n: 4242 }];
    const client = await connect('alpha');
    const before = hits(`/${name}`).length;
    const result = await client.callTool({ name, arguments: { rows } });
    expect(result.isError).toBe(true);
    expect(errorMeta(result)).toMatchObject({
      code: 'INVALID_ARGUMENTS',
      status: 400,
      errors: [{ path: '/rows', message: `must NOT have duplicate items (items ## 4242 and ${ROWS} are identical)` }],
    });
    expect(hits(`/${name}`)).toHaveLength(before);
  });

  it('three concurrent large calls on alpha and a call on beta are all answered; beta reaches its upstream', async () => {
    const [alpha, beta] = await Promise.all([connect('alpha'), connect('beta')]);
    const pings = hits('/ping').length;
    const imports = hits('/import').length;
    const results = await Promise.all([
      alpha.callTool({ name: 'import', arguments: { rows: [...distinctRows(), { n: 1 }] } }),
      alpha.callTool({ name: 'import', arguments: { rows: [...distinctRows(), { n: 2 }] } }),
      alpha.callTool({ name: 'import', arguments: { rows: distinctRows() } }),
      beta.callTool({ name: 'ping', arguments: { id: '1' } }),
    ]);
    expect(results.slice(0, 2).map((r) => errorMeta(r)?.code)).toEqual(['INVALID_ARGUMENTS', 'INVALID_ARGUMENTS']);
    expect(results[2]!.isError).toBeFalsy();
    expect(results[3]!.isError).toBeFalsy();
    expect(hits('/ping')).toHaveLength(pings + 1);
    expect(hits('/import')).toHaveLength(imports + 1);
  });
});
