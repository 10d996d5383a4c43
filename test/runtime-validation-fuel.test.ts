// Issue 8, defect 3 (re-run F1): a recursive input_schema that reaches one value by two paths made validation
// exponential in the nesting depth; 30 levels of trees (60 of JSON nesting, under the 64 allowed) would have blocked
// the instance for minutes. Validation now runs on fuel proportional to the size of the data (schemas/validation-fuel.ts).
// Real runtime on a socket, real loopback upstream, official MCP SDK client. No clock is read: the proof of the bound
// is the suite finishing within vitest's timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { devProject, errorMeta, startSdkStage, type SdkStage } from './fixtures/sdk-stage.js';

/** Two anyOf branches that both descend into `children`. */
const node = {
  type: 'object',
  properties: { name: { type: 'string' } },
  anyOf: [
    { properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } } },
    { properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['name'] },
  ],
};
const treeSchema = { type: 'object', $defs: { node }, properties: { tree: { $ref: '#/$defs/node' } }, required: ['tree'] };

function chain(depth: number): Record<string, unknown> {
  let n: Record<string, unknown> = { name: 'leaf', children: [] };
  for (let i = 0; i < depth; i++) n = { name: `level ${i}`, children: [n] };
  return n;
}

let stage: SdkStage;

function config(upstreamUrl: string): TengineConfig {
  const tool = (name: string, extra: Partial<Tool>): Tool => ({
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties: { depth: { type: 'integer' } } },
    base_url: upstreamUrl,
    http_method: 'POST',
    endpoint_path: `/${name}`,
    ...extra,
  });
  return {
    version: 1,
    projects: [
      devProject('alpha', [
        tool('save_tree', { input_schema: treeSchema, body_template: { tree: '{tree}' } }),
        tool('get_tree', { body_template: { depth: '{depth}' }, output_schema: treeSchema }),
      ]),
      devProject('beta', [tool('ping', { http_method: 'GET' })]),
    ],
  };
}

beforeAll(async () => {
  // /get_tree answers a tree as deep as asked; the others answer {"ok": true}.
  stage = await startSdkStage(config, (req, body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url === '/get_tree') res.end(JSON.stringify({ tree: chain((JSON.parse(body) as { depth: number }).depth) }));
    else res.end('{"ok":true}');
  });
});

afterAll(async () => stage?.close());

const connect = (project: string) => stage.connect(project);
const hits = (path: string) => stage.hits(path);

describe('validation runs on a budget proportional to the data', () => {
  it('a shallow tree passes the recursive schema and reaches the upstream', async () => {
    const client = await connect('alpha');
    const result = await client.callTool({ name: 'save_tree', arguments: { tree: chain(6) } });
    expect(result.isError).toBeFalsy();
    expect(hits('/save_tree')).toHaveLength(1);
  });

  it('25 levels (2^25 steps without a budget) are ARGUMENTS_TOO_COMPLEX, status 400, and nothing is sent', async () => {
    const client = await connect('alpha');
    const before = hits('/save_tree').length;
    const result = await client.callTool({ name: 'save_tree', arguments: { tree: chain(25) } });
    expect(result.isError).toBe(true);
    expect(errorMeta(result)).toMatchObject({ code: 'ARGUMENTS_TOO_COMPLEX', status: 400 });
    expect(errorMeta(result)?.detail).toMatch(/smaller or flatter/);
    expect(hits('/save_tree')).toHaveLength(before);
  });

  it('meanwhile another project is served: four such calls and a ping are all answered', async () => {
    const [alpha, beta] = await Promise.all([connect('alpha'), connect('beta')]);
    const pings = hits('/ping').length;
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => alpha.callTool({ name: 'save_tree', arguments: { tree: chain(30) } })),
      beta.callTool({ name: 'ping', arguments: {} }),
    ]);
    expect(results.slice(0, 4).map((r) => errorMeta(r)?.code)).toEqual(Array(4).fill('ARGUMENTS_TOO_COMPLEX'));
    expect(results[4]!.isError).toBeFalsy();
    expect(hits('/ping')).toHaveLength(pings + 1);
  });

  it('an upstream result too costly to check against output_schema is UPSTREAM_OUTPUT_INVALID', async () => {
    const client = await connect('alpha');
    const shallow = await client.callTool({ name: 'get_tree', arguments: { depth: 5 } });
    expect(shallow.isError).toBeFalsy();
    const deep = await client.callTool({ name: 'get_tree', arguments: { depth: 40 } });
    expect(errorMeta(deep)).toMatchObject({ code: 'UPSTREAM_OUTPUT_INVALID', status: 502 });
    expect(errorMeta(deep)?.errors?.[0]?.message).toMatch(/more than its size allows/);
  });
});
