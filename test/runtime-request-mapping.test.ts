// Tools with an OpenAPI-style request mapping (`parameters`, `body`) end to end: a real runtime, the official MCP
// SDK client, a loopback upstream recording exactly what it received. The HMAC variant is verified by the Node.js
// verifier published in docs/outbound.md, and the member variant carries the identity headers and token.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { importDocNodeVerifier, type NodeVerifier } from './fixtures/doc-verifiers.js';
import { assertionKeyConfig, generateAssertionKey, generateRuntimeKeys, mintAssertion } from './fixtures/member-fixtures.js';
import { deploy, LOOPBACK_UPSTREAMS_IN_PRODUCTION } from './fixtures/runtime-harness.js';

type CallResult = Awaited<ReturnType<Client['callTool']>>;

const SECRET = 'whsec_request_mapping_0123456789abcdef';
const MEMBER = { sub: 'mem_7', email: 'zoë@example.com', roles: ['sales'] };

/** One request as the upstream received it, with its signature checked by the published verifier. */
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: Buffer;
  signatureValid: boolean;
}

let verify: NodeVerifier;
let upstream: Server;
let origin = '';
const received: Received[] = [];
let runtime: RunningRuntime;
let apiKeyClient: Client;
let memberClient: Client;

const PET_INPUT = {
  type: 'object',
  properties: {
    pathParams: { type: 'object', properties: { 'pet-id': { type: 'string' }, 'owner.id': { type: 'integer' } }, required: ['pet-id', 'owner.id'], additionalProperties: false },
    query: {
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string' } },
        ids: { type: 'array', items: { type: 'integer' } },
        filter: { type: 'object', additionalProperties: { type: 'string' } },
        q: { type: 'string' },
        path: { type: 'string' },
      },
      additionalProperties: false,
    },
    headers: { type: 'object', properties: { 'X-Request-Tag': { type: 'string' }, 'X-Dims': { type: 'array', items: { type: 'integer' } } }, additionalProperties: false },
    cookies: { type: 'object', properties: { session: { type: 'string' }, theme: { type: 'string' } }, additionalProperties: false },
    body: { type: 'object' },
  },
  required: ['pathParams'],
  additionalProperties: false,
};

const PET_PARAMETERS: Tool['parameters'] = [
  { name: 'pet-id', in: 'path', argument: ['pathParams', 'pet-id'] },
  { name: 'owner.id', in: 'path', argument: ['pathParams', 'owner.id'], style: 'matrix' },
  { name: 'tags', in: 'query', argument: ['query', 'tags'] },
  { name: 'ids', in: 'query', argument: ['query', 'ids'], style: 'pipeDelimited', explode: false },
  { name: 'filter', in: 'query', argument: ['query', 'filter'], style: 'deepObject' },
  { name: 'q', in: 'query', argument: ['query', 'q'] },
  { name: 'path', in: 'query', argument: ['query', 'path'], allow_reserved: true },
  { name: 'X-Request-Tag', in: 'header', argument: ['headers', 'X-Request-Tag'] },
  { name: 'X-Dims', in: 'header', argument: ['headers', 'X-Dims'] },
  { name: 'session', in: 'cookie', argument: ['cookies', 'session'] },
  { name: 'theme', in: 'cookie', argument: ['cookies', 'theme'] },
];

function tool(name: string, fields: Partial<Tool>): Tool {
  return {
    name,
    description: `Tool ${name}`,
    input_schema: PET_INPUT,
    base_url: origin,
    http_method: 'POST',
    endpoint_path: '/pets/{pet-id}/owners/{owner.id}',
    parameters: PET_PARAMETERS,
    body: { argument: ['body'] },
    idempotency: { enabled: false },
    ...fields,
  };
}

beforeAll(async () => {
  verify = await importDocNodeVerifier();
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const signatureValid = req.headers['x-tengine-signature'] !== undefined && verify(req, body, SECRET);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body, signatureValid });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const key = generateAssertionKey('ES256', 'pets-backend');
  const config: TengineConfig = {
    version: 1,
    projects: [
      {
        id: 'pets',
        environment: 'production',
        assertion_keys: [assertionKeyConfig(key)],
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          tool('pet_update', {}),
          tool('pet_update_signed', { auth_strategy: 'hmac_signature', auth_secret_env: 'PETS_HMAC_SECRET' }),
          tool('pet_update_member', { require_member: true, inject_member_identity: { id: true, email: true, roles: true }, identity_token: true, auth_strategy: 'hmac_signature', auth_secret_env: 'PETS_HMAC_SECRET' }),
          tool('pet_form', { body: { argument: ['body'], content_type: 'application/x-www-form-urlencoded' }, auth_strategy: 'hmac_signature', auth_secret_env: 'PETS_HMAC_SECRET' }),
          tool('pet_bearer', { auth_strategy: 'static_bearer', auth_secret_env: 'PETS_HMAC_SECRET', headers_template: { 'X-Static': 'yes' }, query_template: { 'api-version': '2024-01-01' } }),
        ],
      },
    ],
  };
  const d = await deploy(config);
  runtime = await startRuntime({
    bundle: d.bundle,
    bundlePublicKeys: [d.publicPem],
    host: '127.0.0.1',
    port: 0,
    env: { PETS_HMAC_SECRET: SECRET },
    runtimeKeys: (await generateRuntimeKeys()).text,
    upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION,
  });
  const apiKey = d.apiKeys['pets/backend']!;
  const exchanged = await fetch(`${runtime.url}/api/v1/mcp/session-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ member_assertion: await mintAssertion(key, 'pets', { claims: MEMBER }) }),
  });
  expect(exchanged.status).toBe(200);
  memberClient = await connect(((await exchanged.json()) as { token: string }).token);
  apiKeyClient = await connect(apiKey);
});

afterAll(async () => {
  await memberClient?.close().catch(() => undefined);
  await apiKeyClient?.close().catch(() => undefined);
  await runtime?.close();
  await new Promise<void>((r) => (upstream ? (upstream.closeAllConnections(), upstream.close(() => r())) : r()));
});

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'request-mapping-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

function errorOf(result: CallResult): Record<string, unknown> | undefined {
  return (result._meta as Record<string, Record<string, unknown>> | undefined)?.['tengine.dev/error'];
}

/** Calls a tool; returns its result and the one request the upstream received for it (or undefined). */
async function call(client: Client, name: string, args: Record<string, unknown>) {
  const before = received.length;
  const result = await client.callTool({ name, arguments: args });
  expect(received.length - before).toBeLessThanOrEqual(1);
  return { result, req: received[before] };
}

const FULL_ARGS = {
  pathParams: { 'pet-id': 'rex/../ü 1', 'owner.id': 42 },
  query: { tags: ['a b', 'c&d'], ids: [1, 2, 3], filter: { name: 'x', kind: 'dog' }, q: '100% #1?', path: 'docs/a:b' },
  headers: { 'X-Request-Tag': 'tag 1', 'X-Dims': [3, 4] },
  cookies: { session: 's=1; x', theme: 'dark' },
  body: { name: 'Rex', age: 3, nested: { ok: true } },
};

const EXPECTED_URL =
  '/pets/rex%2F..%2F%C3%BC%201/owners/;owner.id=42' +
  '?tags=a%20b&tags=c%26d&ids=1%7C2%7C3&filter%5Bname%5D=x&filter%5Bkind%5D=dog&q=100%25%20%231%3F&path=docs/a:b';

describe('what the upstream receives', () => {
  it('refuses a path value with a dot segment before sending anything', async () => {
    const { result, req } = await call(apiKeyClient, 'pet_update', FULL_ARGS);
    expect(errorOf(result)).toMatchObject({ code: 'ARGUMENT_NOT_RENDERABLE', status: 400 });
    expect(String(errorOf(result)?.detail)).toContain('"/pathParams/pet-id"');
    expect(req).toBeUndefined();
  });

  it('path, query, headers, cookie and JSON body exactly as the mapping says', async () => {
    const args = { ...FULL_ARGS, pathParams: { 'pet-id': 'rex/ü 1', 'owner.id': 42 } };
    const { result, req } = await call(apiKeyClient, 'pet_update', args);
    expect(errorOf(result)).toBeUndefined();
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe(EXPECTED_URL.replace('rex%2F..%2F%C3%BC%201', 'rex%2F%C3%BC%201'));
    expect(req?.headers['x-request-tag']).toBe('tag 1');
    expect(req?.headers['x-dims']).toBe('3,4');
    expect(req?.headers.cookie).toBe('session=s%3D1%3B%20x; theme=dark');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body.toString('utf8'))).toEqual(args.body);
    // What a server makes of the query: the values the model sent.
    const q = new URL(req!.url, 'http://x').searchParams;
    expect(q.getAll('tags')).toEqual(['a b', 'c&d']);
    expect(q.get('filter[name]')).toBe('x');
    expect(q.get('q')).toBe('100% #1?');
    expect(decodeURIComponent(new URL(req!.url, 'http://x').pathname.split('/')[2]!)).toBe('rex/ü 1');
  });

  it('absent optional parameters and body are left out; no Content-Type without a body', async () => {
    const { result, req } = await call(apiKeyClient, 'pet_update', { pathParams: { 'pet-id': 'p1', 'owner.id': 1 } });
    expect(errorOf(result)).toBeUndefined();
    expect(req?.url).toBe('/pets/p1/owners/;owner.id=1');
    expect(req?.headers.cookie).toBeUndefined();
    expect(req?.headers['x-request-tag']).toBeUndefined();
    expect(req?.headers['content-type']).toBeUndefined();
    expect(req?.body.length).toBe(0);
  });

  it('a header parameter value with CR/LF is refused with ARGUMENT_NOT_RENDERABLE and nothing is sent', async () => {
    const { result, req } = await call(apiKeyClient, 'pet_update', { pathParams: { 'pet-id': 'p1', 'owner.id': 1 }, headers: { 'X-Request-Tag': 'a\r\nX-Evil: 1' } });
    expect(errorOf(result)).toMatchObject({ code: 'ARGUMENT_NOT_RENDERABLE', status: 400 });
    expect(req).toBeUndefined();
  });

  it('static bearer: the credential, template headers and query_template keys are added beside the parameters', async () => {
    const { result, req } = await call(apiKeyClient, 'pet_bearer', { pathParams: { 'pet-id': 'p1', 'owner.id': 1 }, query: { q: 'x' } });
    expect(errorOf(result)).toBeUndefined();
    expect(req?.url).toBe('/pets/p1/owners/;owner.id=1?api-version=2024-01-01&q=x');
    expect(req?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(req?.headers['x-static']).toBe('yes');
  });
});

describe('HMAC signing and identity over the final request', () => {
  it('the signature covers the rendered path, query and JSON body and verifies with the published verifier', async () => {
    const args = { ...FULL_ARGS, pathParams: { 'pet-id': 'p 1', 'owner.id': 7 } };
    const { result, req } = await call(apiKeyClient, 'pet_update_signed', args);
    expect(errorOf(result)).toBeUndefined();
    expect(req?.url).toBe(EXPECTED_URL.replace('rex%2F..%2F%C3%BC%201', 'p%201').replace('owner.id=42', 'owner.id=7'));
    expect(req?.signatureValid).toBe(true);
  });

  it('a form body is sent as application/x-www-form-urlencoded, signed', async () => {
    const { result, req } = await call(apiKeyClient, 'pet_form', { pathParams: { 'pet-id': 'p1', 'owner.id': 1 }, body: { name: 'Rex Jr', tags: ['a', 'b'], age: 3, skip: null } });
    expect(errorOf(result)).toBeUndefined();
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.body.toString('latin1')).toBe('name=Rex+Jr&tags=a&tags=b&age=3');
    expect(req?.signatureValid).toBe(true);
  });

  it('a member call carries the identity headers and token and verifies; parameters cannot forge them', async () => {
    const { result, req } = await call(memberClient, 'pet_update_member', { pathParams: { 'pet-id': 'p1', 'owner.id': 1 }, headers: { 'X-Request-Tag': 't' }, cookies: { session: 'abc' } });
    expect(errorOf(result)).toBeUndefined();
    expect(req?.headers['x-tengine-member-id']).toBe('mem_7');
    expect(Buffer.from(String(req?.headers['x-tengine-member-email']), 'latin1').toString('utf8')).toBe('zoë@example.com');
    expect(req?.headers['x-tengine-member-roles']).toBe('sales');
    expect(typeof req?.headers['x-tengine-identity']).toBe('string');
    expect(req?.headers.cookie).toBe('session=abc');
    expect(req?.signatureValid).toBe(true);
  });

  it('a member-only tool refuses an API-key caller before anything is sent', async () => {
    const { result, req } = await call(apiKeyClient, 'pet_update_member', { pathParams: { 'pet-id': 'p1', 'owner.id': 1 } });
    expect(errorOf(result)?.code).toBe('MEMBER_REQUIRED');
    expect(req).toBeUndefined();
  });
});
