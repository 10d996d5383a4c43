// Tools generated from an OpenAPI document, end to end: the real loader expands the document, the bundle is
// built and served by a real runtime, and the official MCP SDK client lists and calls the tools against a
// loopback upstream described by that document, which records exactly what it received.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { loadDir, writeTree } from './fixtures/config-files.js';
import { generateRuntimeKeys } from './fixtures/member-fixtures.js';
import { deploy, LOOPBACK_UPSTREAMS_IN_PRODUCTION } from './fixtures/runtime-harness.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const received: Received[] = [];
let upstream: Server;
let runtime: RunningRuntime;
let client: Client;
let cleanup: () => Promise<void>;

const document = (origin: string) => `openapi: 3.0.3
info: {title: Pets, version: '1'}
servers: [{url: '${origin}/api'}]
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: string, readOnly: true}
        name: {type: string}
        tag: {type: string, nullable: true}
paths:
  /pets/{pet-id}:
    get:
      operationId: getPet
      summary: Get a pet
      parameters:
        - {name: pet-id, in: path, required: true, schema: {type: string}}
        - {name: fields, in: query, style: form, explode: false, schema: {type: array, items: {type: string}}}
        - {name: 'filter[kind]', in: query, schema: {type: string}}
        - {name: X-Trace-Id, in: header, schema: {type: string}}
        - {name: locale, in: cookie, schema: {type: string}}
      responses:
        '200':
          description: The pet
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets:
    post:
      operationId: createPet
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        '201':
          description: Created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
  /pets/{pet-id}/notes:
    post:
      operationId: addNote
      parameters:
        - {name: pet-id, in: path, required: true, schema: {type: string}}
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema: {type: object, properties: {text: {type: string}, pinned: {type: boolean}}}
      responses:
        '204': {description: Added}
`;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.method === 'POST' && req.url?.endsWith('/notes')) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'p1', name: 'Rex', tag: null }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  let dir: string;
  ({ dir, cleanup } = await tempDir('tengine-openapi-e2e-'));
  await writeTree(dir, {
    'tengine.config.yaml': 'version: 1\nprojects:\n  - id: pets\n    environment: development\n    integrations: [{id: backend, kind: api_key}]\n    openapi:\n      - document: openapi/pets.yaml\n        defaults: {timeout: 5s}\n',
    'openapi/pets.yaml': document(origin),
  });
  const loaded = await loadDir(dir);
  expect(loaded.diagnostics).toEqual([]);
  const config = loaded.config!;
  // Served as a production project (the loopback upstream is allowed by the harness policy, as in other suites).
  config.projects![0]!.environment = 'production';
  const d = await deploy(config);
  runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, runtimeKeys: (await generateRuntimeKeys()).text, upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION });
  client = new Client({ name: 'openapi-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${d.apiKeys['pets/backend']}` } } }));
});

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await runtime?.close();
  await new Promise<void>((r) => (upstream ? (upstream.closeAllConnections(), upstream.close(() => r())) : r()));
  await cleanup?.();
});

async function call(name: string, args: Record<string, unknown>) {
  const before = received.length;
  const result = await client.callTool({ name, arguments: args });
  expect(received.length - before).toBe(1);
  return { result, req: received[before]! };
}

describe('OpenAPI-generated tools through the runtime (MCP SDK client)', () => {
  it('tools/list shows the generated tools with grouped input schemas, output schemas and annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).filter((n) => !n.startsWith('mcp_')).sort()).toEqual(['addNote', 'createPet', 'getPet']);
    const get = tools.find((t) => t.name === 'getPet')!;
    expect(Object.keys(get.inputSchema.properties!).sort()).toEqual(['cookies', 'headers', 'pathParams', 'query']);
    expect(get.inputSchema.required).toEqual(['pathParams']);
    expect(get.annotations).toMatchObject({ readOnlyHint: true });
    expect(get.outputSchema).toMatchObject({ type: 'object', required: ['id', 'name'] });
    // readOnly `id` is not an input of createPet.
    const create = tools.find((t) => t.name === 'createPet')!;
    expect((create.inputSchema.properties!.body as { properties: Record<string, unknown> }).properties).not.toHaveProperty('id');
  });

  it('path, query, header and cookie parameters reach the upstream as the document describes them', async () => {
    const { result, req } = await call('getPet', {
      pathParams: { 'pet-id': 'a b/c' },
      query: { fields: ['name', 'tag'], 'filter[kind]': 'dog' },
      headers: { 'X-Trace-Id': 'trace-1' },
      cookies: { locale: 'de' },
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ id: 'p1', name: 'Rex', tag: null });
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/api/pets/a%20b%2Fc?fields=name,tag&filter%5Bkind%5D=dog');
    expect(req.headers['x-trace-id']).toBe('trace-1');
    expect(req.headers.cookie).toBe('locale=de');
  });

  it('optional parameters left out are not sent', async () => {
    const { req } = await call('getPet', { pathParams: { 'pet-id': 'p1' } });
    expect(req.url).toBe('/api/pets/p1');
    expect(req.headers).not.toHaveProperty('x-trace-id');
    expect(req.headers).not.toHaveProperty('cookie');
  });

  it('a JSON body is sent as the body argument, unwrapped', async () => {
    const { result, req } = await call('createPet', { body: { name: 'Rex', tag: null } });
    expect(result.isError).toBeFalsy();
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/pets');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req.body)).toEqual({ name: 'Rex', tag: null });
  });

  it('a form body is sent URL-encoded', async () => {
    const { req } = await call('addNote', { pathParams: { 'pet-id': 'p1' }, body: { text: 'likes walks & treats', pinned: true } });
    expect(req.url).toBe('/api/pets/p1/notes');
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(req.body).get('text')).toBe('likes walks & treats');
    expect(new URLSearchParams(req.body).get('pinned')).toBe('true');
  });

  it('arguments the generated input schema refuses never reach the upstream', async () => {
    const before = received.length;
    const r = await client.callTool({ name: 'createPet', arguments: { body: { name: 'Rex', id: 'forged' }, extra: 1 } });
    expect(r.isError).toBe(true);
    expect((r._meta as Record<string, Record<string, unknown>>)['tengine.dev/error']!.code).toBe('INVALID_ARGUMENTS');
    expect(received.length).toBe(before);
  });
});
