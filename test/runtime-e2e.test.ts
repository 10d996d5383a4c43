// The runtime end to end on a real socket: startRuntime on port 0, real loopback upstreams, and the official MCP SDK
// client (Client + StreamableHTTPClientTransport) connecting exactly as Claude Code, Cursor or VS Code would.
// In-process edge cases of the MCP surface live in runtime/mcp/mcp-route.test.ts; this file checks what only a real
// HTTP client on a real socket shows (negotiation, no session, SDK output validation, challenges, both URL forms).
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_REGISTRATION_MESSAGE } from '../runtime/app.js';
import type { RunningRuntime } from '../runtime/start.js';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { startTestRuntimeWith, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

type CallResult = Awaited<ReturnType<Client['callTool']>>;
interface ErrorMeta {
  code: string;
  status: number;
  message: string;
  detail?: string;
  upstream_status?: number;
  request_id?: string;
  errors?: { path: string; message: string }[];
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ITEM_OUTPUT = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, price: { type: 'number' } },
  required: ['id', 'name', 'price'],
  additionalProperties: false,
};

let upstream: TestUpstream;
let runtime: RunningRuntime;
let keyAlpha: string;
let keyBeta: string;
let deadPort: number;
const clients: Client[] = [];

/** A port that was free a moment ago and has nothing listening on it now (connection refused). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function config(upstreamUrl: string): TengineConfig {
  const tool = (name: string, extra: Partial<Tool> = {}): Tool => ({
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties: { id: { type: 'string', minLength: 1 } }, required: ['id'], additionalProperties: false },
    base_url: upstreamUrl,
    http_method: 'GET',
    endpoint_path: `/${name}/{id}`,
    ...extra,
  });
  return {
    version: 1,
    runtime: { page_size: 2 },
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          tool('get_item', { title: 'Get item', endpoint_path: '/items/{id}', output_schema: ITEM_OUTPUT, annotations: { readOnlyHint: true } }),
          tool('get_missing', { endpoint_path: '/missing/{id}' }),
          tool('a_disabled', { is_enabled: false }),
          tool('a_member', { require_member: true }),
          tool('get_dead', { base_url: `http://127.0.0.1:${deadPort}`, retry: { max_attempts: 2 } }),
          tool('echo'),
        ],
      },
      {
        id: 'beta',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [tool('b_secret')],
      },
    ],
  };
}

beforeAll(async () => {
  deadPort = await closedPort();
  upstream = await startUpstream((req, _body, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/items/')) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ id: decodeURIComponent(url.slice('/items/'.length)), name: 'Widget', price: 12.5 }));
    } else if (url.startsWith('/missing/')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('contact not found');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url }));
    }
  });
  const started = await startTestRuntimeWith(config(upstream.url), { allowDevelopment: true }); // loopback upstream
  runtime = started.runtime;
  keyAlpha = started.apiKeys['alpha/backend']!;
  keyBeta = started.apiKeys['beta/backend']!;
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await runtime?.close();
  await upstream?.close();
});

/** Every HTTP exchange the SDK transport made, so the wire can be checked. */
interface Exchange {
  method: string;
  status: number;
  requestHeaders: Headers;
  responseHeaders: Headers;
}

async function connect(key: string, url = runtime.mcpUrl): Promise<{ client: Client; transport: StreamableHTTPClientTransport; wire: Exchange[] }> {
  const wire: Exchange[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    wire.push({ method: init?.method ?? 'GET', status: res.status, requestHeaders: new Headers(init?.headers), responseHeaders: res.headers });
    return res;
  };
  const client = new Client({ name: 'tengine-e2e', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } }, fetch: recordingFetch });
  clients.push(client);
  await client.connect(transport);
  return { client, transport, wire };
}

function errorMeta(result: CallResult): ErrorMeta | undefined {
  return (result._meta as Record<string, ErrorMeta> | undefined)?.['tengine.dev/error'];
}

function textOf(result: CallResult): string {
  return (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('');
}

/** Follows tools/list cursors to the end (bounded), returning every page. */
async function listAllPages(client: Client): Promise<{ name: string; outputSchema?: unknown; title?: string; annotations?: unknown }[][]> {
  const pages: { name: string; outputSchema?: unknown }[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await client.listTools(cursor ? { cursor } : {});
    pages.push(page.tools);
    cursor = page.nextCursor;
    if (!cursor) return pages;
  }
  throw new Error('tools/list did not end within 20 pages');
}

describe('MCP SDK client against the running runtime (Streamable HTTP, stateless)', () => {
  it('initialize negotiates a supported protocol version and no Mcp-Session-Id is issued', async () => {
    const { client, transport, wire } = await connect(keyAlpha);
    expect(['2025-11-25', '2025-06-18', '2025-03-26']).toContain(transport.protocolVersion);
    // The SDK asks for its newest version (2025-11-25), which the runtime speaks and so echoes.
    expect(transport.protocolVersion).toBe('2025-11-25');
    expect(transport.sessionId).toBeUndefined();
    expect(client.getServerVersion()).toMatchObject({ name: 'tengine' });
    expect(client.getServerCapabilities()?.tools).toBeDefined();
    await client.ping();
    const posts = wire.filter((w) => w.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(3); // initialize, notifications/initialized, ping
    for (const w of posts) {
      expect([200, 202]).toContain(w.status);
      expect(w.responseHeaders.get('mcp-session-id')).toBeNull();
    }
    // After initialize the SDK sends the negotiated version on every request; the runtime accepts it.
    expect(posts.at(-1)!.requestHeaders.get('mcp-protocol-version')).toBe('2025-11-25');
    // The optional GET stream, if the SDK opened one, is refused with 405 (no server-initiated streams).
    for (const w of wire.filter((x) => x.method === 'GET')) expect(w.status).toBe(405);
  });

  it('tools/list: mcp_whoami first, then the enabled tools of the key\'s project only, two per page (runtime.page_size 2), followed by cursor', async () => {
    const { client } = await connect(keyAlpha);
    const pages = await listAllPages(client);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
    const tools = pages.flat();
    // Declaration order; a require_member tool is listed (calling it is what needs a member), a disabled one is not.
    expect(tools.map((t) => t.name)).toEqual(['mcp_whoami', 'get_item', 'get_missing', 'a_member', 'get_dead', 'echo']);
    const item = tools.find((t) => t.name === 'get_item')!;
    expect(item.outputSchema).toEqual(ITEM_OUTPUT);
    expect(item.title).toBe('Get item');
    expect(item.annotations).toEqual({ readOnlyHint: true });
    expect(tools.find((t) => t.name === 'echo')!.outputSchema).toBeUndefined();

    const beta = await connect(keyBeta);
    const betaTools = (await listAllPages(beta.client)).flat().map((t) => t.name);
    expect(betaTools).toEqual(['mcp_whoami', 'b_secret']);
  });

  it('callTool returns structuredContent that the SDK validates against the listed outputSchema', async () => {
    const { client } = await connect(keyAlpha);
    // The SDK caches output validators from the last tools/list page; get_item is on the first page.
    const first = await client.listTools();
    expect(first.tools.map((t) => t.name)).toContain('get_item');
    const before = upstream.requests.length;
    const result = await client.callTool({ name: 'get_item', arguments: { id: 'w 1/é' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent).toEqual({ id: 'w 1/é', name: 'Widget', price: 12.5 });
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
    const sent = upstream.requests.slice(before);
    expect(sent).toHaveLength(1);
    // One path segment, percent-encoded as UTF-8: the slash cannot add a segment.
    expect(sent[0]!.url).toBe('/items/w%201%2F%C3%A9');
  });

  it('bad arguments: isError with INVALID_ARGUMENTS (400) pointing at the argument, and nothing is sent upstream', async () => {
    const { client } = await connect(keyAlpha);
    const before = upstream.requests.length;
    const wrongType = await client.callTool({ name: 'echo', arguments: { id: 42 } });
    expect(wrongType.isError).toBe(true);
    expect(errorMeta(wrongType)).toMatchObject({ code: 'INVALID_ARGUMENTS', status: 400, message: 'Invalid tool arguments' });
    expect(errorMeta(wrongType)!.errors?.some((e) => e.path === '/id')).toBe(true);
    expect(textOf(wrongType)).toMatch(/^Invalid tool arguments.*\[INVALID_ARGUMENTS, status 400\]$/);
    expect(wrongType.structuredContent).toBeUndefined();

    const missing = await client.callTool({ name: 'echo', arguments: {} });
    expect(errorMeta(missing)?.code).toBe('INVALID_ARGUMENTS');
    const extra = await client.callTool({ name: 'echo', arguments: { id: 'x', admin: true } });
    expect(errorMeta(extra)?.code).toBe('INVALID_ARGUMENTS');
    const reserved = await client.callTool({ name: 'echo', arguments: { id: 'x', project_id: 'beta' } });
    expect(errorMeta(reserved)).toMatchObject({ code: 'RESERVED_ARGUMENT', status: 400 });
    expect(upstream.requests.length).toBe(before);
  });

  it('a disabled tool, another project\'s tool and an unknown tool all answer TOOL_NOT_ENABLED (403)', async () => {
    const { client } = await connect(keyAlpha);
    const before = upstream.requests.length;
    for (const name of ['a_disabled', 'b_secret', 'no_such_tool']) {
      const r = await client.callTool({ name, arguments: { id: '1' } });
      expect(r.isError, name).toBe(true);
      expect(errorMeta(r), name).toMatchObject({ code: 'TOOL_NOT_ENABLED', status: 403, message: 'Tool not enabled for this project' });
      expect(textOf(r)).toContain('Tool not enabled for this project');
    }
    // And the other way round: beta cannot reach alpha's tools.
    const beta = await connect(keyBeta);
    expect(errorMeta(await beta.client.callTool({ name: 'echo', arguments: { id: '1' } }))?.code).toBe('TOOL_NOT_ENABLED');
    expect(upstream.requests.length).toBe(before);
  });

  it('a require_member tool called with an API key answers MEMBER_REQUIRED (403)', async () => {
    const { client } = await connect(keyAlpha);
    const before = upstream.requests.length;
    const r = await client.callTool({ name: 'a_member', arguments: { id: '1' } });
    expect(r.isError).toBe(true);
    expect(errorMeta(r)).toMatchObject({ code: 'MEMBER_REQUIRED', status: 403, message: 'Member context required' });
    expect(textOf(r)).toContain('Member context required');
    expect(upstream.requests.length).toBe(before);
  });

  it('upstream 404: UPSTREAM_HTTP_ERROR (502) with upstream_status 404, the body as detail and the request id', async () => {
    const { client } = await connect(keyAlpha);
    const before = upstream.requests.length;
    const r = await client.callTool({ name: 'get_missing', arguments: { id: 'c42' } });
    expect(r.isError).toBe(true);
    const meta = errorMeta(r)!;
    expect(meta).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', status: 502, upstream_status: 404, message: 'Upstream tool call failed', detail: 'contact not found' });
    expect(textOf(r)).toBe('Upstream tool call failed: contact not found [UPSTREAM_HTTP_ERROR, status 502, upstream HTTP 404]');
    // A 404 is not retried; the request id in the result is the one the upstream received.
    const sent = upstream.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(meta.request_id).toMatch(UUID_V4);
    expect(sent[0]!.headers['x-tengine-request-id']).toBe(meta.request_id);
  });

  it('unreachable upstream (closed port): UPSTREAM_UNREACHABLE (500) "Tool execution failed"', async () => {
    const { client } = await connect(keyAlpha);
    const r = await client.callTool({ name: 'get_dead', arguments: { id: '1' } });
    expect(r.isError).toBe(true);
    expect(errorMeta(r)).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', status: 500, message: 'Tool execution failed' });
    expect(textOf(r)).toMatch(/^Tool execution failed: .*ECONNREFUSED.*\[UPSTREAM_UNREACHABLE, status 500\]$/);
  });

  it('mcp_whoami reports the caller and the digest /readyz reports', async () => {
    const { client } = await connect(keyAlpha);
    const r = await client.callTool({ name: 'mcp_whoami', arguments: {} });
    expect(r.isError).toBeFalsy();
    const ready = await fetch(`${runtime.url}/readyz`);
    expect(ready.status).toBe(200);
    const { bundle_digest } = (await ready.json()) as { bundle_digest: string };
    expect(bundle_digest).toBe(runtime.bundleDigest);
    expect(r.structuredContent).toMatchObject({ project_id: 'alpha', integration_id: 'backend', auth: 'api_key', scopes: null, bundle_digest });

    const beta = await connect(keyBeta);
    const rb = await beta.client.callTool({ name: 'mcp_whoami', arguments: {} });
    expect(rb.structuredContent).toMatchObject({ project_id: 'beta', integration_id: 'backend', auth: 'api_key' });
  });

  it('both /mcp and /mcp/ work with the SDK (no redirect)', async () => {
    for (const url of [`${runtime.url}/mcp`, `${runtime.url}/mcp/`]) {
      const { client, wire } = await connect(keyAlpha, url);
      const r = await client.callTool({ name: 'echo', arguments: { id: 'slash' } });
      expect(r.isError, url).toBeFalsy();
      expect(r.structuredContent).toEqual({ method: 'GET', url: '/echo/slash' });
      for (const w of wire.filter((x) => x.method === 'POST')) expect([200, 202]).toContain(w.status);
    }
  });
});

describe('authentication failures on the real socket (RFC 6750 §3, RFC 9728 §5.1)', () => {
  it('a wrong API key: the SDK connect rejects with 401', async () => {
    const client = new Client({ name: 'tengine-e2e', version: '0.0.0' });
    clients.push(client);
    const transport = new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer tengine_${'A'.repeat(43)}` } },
    });
    const err = await client.connect(transport).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(401);
  });

  it('raw POST with a wrong key: 401, INVALID_TOKEN and the absolute resource_metadata challenge', async () => {
    const res = await fetch(runtime.mcpUrl, {
      method: 'POST',
      headers: { Authorization: 'Bearer tengine_wrongwrongwrongwrongwrongwrongwrongwrongwro', 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    const metadataUrl = `${runtime.url}/.well-known/oauth-protected-resource/mcp`;
    const detail = 'no API key of the bundle this runtime serves matches: it was revoked, mistyped, or belongs to another deployment';
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}", error="invalid_token", error_description="${detail}"`);
    const body = (await res.json()) as { id: unknown; error: { message: string; data: { code: string } } };
    expect(body.id).toBeNull();
    expect(body.error).toEqual({ code: -32600, message: 'Invalid or inactive API key', data: { code: 'INVALID_TOKEN', detail } });
  });

  // Issue 8, defect 11: clients such as mcp-remote and the Inspector show a generic error after a 401, so the 401
  // itself (body and error_description) must say what is wrong with the credential a newcomer sent.
  it.each([
    ['a truncated key', 'Bearer tengine_abc', 401, 'INVALID_TOKEN', 'invalid_token', /keys minted by tengine keys are 51 characters; this one has 11/],
    ['a token that is not a Tengine credential', 'Bearer sk-ant-api03-xyz', 401, 'INVALID_TOKEN', 'invalid_token', /not a Tengine credential: API keys start with tengine_/],
    ['an empty key file (Bearer and nothing)', 'Bearer ', 401, 'MISSING_TOKEN', 'invalid_request', /the bearer token is empty/],
    ['the key without the Bearer scheme', 'tengine_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', 401, 'MISSING_TOKEN', 'invalid_request', /without the Bearer scheme/],
    ['another scheme', 'Basic dXNlcjpwYXNz', 401, 'MISSING_TOKEN', 'invalid_request', /scheme must be Bearer, not Basic/],
    ['a quoted key', 'Bearer "tengine_abc"', 401, 'INVALID_TOKEN', 'invalid_token', /wrapped in quotes/],
    ['an expired-looking member token from elsewhere', 'Bearer tng_mst_eyJhbGciOiJFUzI1NiJ9.e30.sig', 401, 'INVALID_TOKEN', 'invalid_token', /not issued by this deployment/],
  ])('%s: 401 %s, and the challenge and body say what is wrong', async (_label, authorization, status, code, error, detail) => {
    const res = await fetch(runtime.mcpUrl, {
      method: 'POST',
      headers: { Authorization: authorization, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(status);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toMatch(new RegExp(`^Bearer resource_metadata="[^"]+", error="${error}", error_description="[\\x20-\\x7e]+"$`));
    expect(/error_description="((?:[^"\\]|\\.)*)"/.exec(challenge)![1]).toMatch(detail);
    const body = (await res.json()) as { error: { data: { code: string; detail: string } } };
    expect(body.error.data.code).toBe(code);
    expect(body.error.data.detail).toMatch(detail);
    // The token itself is never echoed.
    const token = authorization.replace(/^\S+\s*/, '');
    if (token.length > 8) expect(JSON.stringify(body) + challenge).not.toContain(token);
  });

  it('raw POST without a token: 401 MISSING_TOKEN with exactly Bearer resource_metadata="<runtime url>/.well-known/oauth-protected-resource/mcp"', async () => {
    const res = await fetch(runtime.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toBe(`Bearer resource_metadata="${runtime.url}/.well-known/oauth-protected-resource/mcp"`);
    expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe('MISSING_TOKEN');
    // The challenge URL resolves on this runtime and names its MCP endpoint as the resource.
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)![1]!;
    const meta = await fetch(metadataUrl);
    expect(meta.status).toBe(200);
    expect(((await meta.json()) as { resource: string }).resource).toBe(runtime.mcpUrl);
  });

  it('the challenge URL is the runtime\'s public URL, never taken from the Host header (another loopback spelling)', async () => {
    const port = new URL(runtime.url).port;
    const res = await request(runtime.mcpUrl, {
      method: 'POST',
      headers: { host: `localhost:${port}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(new RegExp(`^Bearer resource_metadata="${runtime.url}/\\.well-known/oauth-protected-resource/mcp"`));
  });
});

describe('what clients that fall back or try OAuth see after a refused key (issue 8, defect 11)', () => {
  it('GET /mcp is authenticated before its 405: no or a wrong key gets the same 401 as POST, with the reason', async () => {
    for (const authorization of [undefined, `Bearer tengine_${'x'.repeat(43)}`]) {
      const res = await fetch(runtime.mcpUrl, { headers: { accept: 'text/event-stream', ...(authorization ? { authorization } : {}) } });
      expect(res.status, String(authorization)).toBe(401);
      const body = (await res.json()) as { error: { data: { code: string; detail: string } } };
      expect(body.error.data.code).toBe(authorization ? 'INVALID_TOKEN' : 'MISSING_TOKEN');
      const challenge = res.headers.get('www-authenticate')!;
      expect(challenge).toMatch(/^Bearer resource_metadata="/);
      if (authorization) expect(challenge).toContain('error_description="no API key of the bundle this runtime serves matches');
    }
  });

  it('GET and DELETE with a valid key still get 405 Allow: POST (no server stream, no session)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(runtime.mcpUrl, { method, headers: { authorization: `Bearer ${keyAlpha}`, accept: 'text/event-stream' } });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe('METHOD_NOT_ALLOWED');
    }
  });

  it('the SDK\'s SSE transport (the fallback mcp-remote takes) reports the 401, not a 405', async () => {
    const transport = new SSEClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer tengine_${'y'.repeat(43)}` } } });
    const client = new Client({ name: 'sse-fallback', version: '1.0.0' });
    const err = await client.connect(transport).then(() => undefined, (e: unknown) => e);
    await client.close().catch(() => undefined);
    expect(err).toBeInstanceOf(SseError);
    expect((err as SseError).code).toBe(401);
  });

  it('POST /register (where OAuth clients turn next) says this server takes an API key header, not OAuth', async () => {
    const res = await fetch(`${runtime.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'mcp-remote', redirect_uris: ['http://127.0.0.1:3334/cb'] }) });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found', message: NO_REGISTRATION_MESSAGE });
    // mcp-remote switches to interactive sign-in when the text says "Unauthorized"; it must not.
    expect(NO_REGISTRATION_MESSAGE).not.toMatch(/unauthorized/i);
    expect(NO_REGISTRATION_MESSAGE).toContain('Authorization: Bearer tengine_');
  });
});

describe('Host check on the real socket (DNS-rebinding defence, issue 8 defect 10, docs/http-api.md)', () => {
  const post = (path: string, host: string, body: unknown, auth = keyAlpha) =>
    request(`${runtime.url}${path}`, {
      method: 'POST',
      headers: { host, authorization: `Bearer ${auth}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });

  it('Host: evil.example (a rebound name) gets 421 HOST_NOT_ALLOWED on /mcp, /mcp?x=1 and /mcp/, and the tool is not called', async () => {
    const before = upstream.requests.length;
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { id: 'rebound' } } };
    for (const path of ['/mcp', '/mcp?x=1', '/mcp/']) {
      for (const host of ['evil.example', `evil.example:${new URL(runtime.url).port}`, '127.0.0.1.evil.example']) {
        const res = await post(path, host, call);
        const body = (await res.body.json()) as { error: { code: number; message: string; data: { code: string } } };
        expect(res.statusCode, `${path} ${host}`).toBe(421);
        expect(body.error.data.code).toBe('HOST_NOT_ALLOWED');
        expect(body.error.code).toBe(-32600);
      }
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('the session-token exchange refuses a foreign Host before reading the request (421 HOST_NOT_ALLOWED)', async () => {
    const res = await post('/api/v1/mcp/session-token', 'evil.example', { member_external_id: 'alice' });
    expect(res.statusCode).toBe(421);
    expect(await res.body.json()).toEqual({ detail: expect.stringMatching(/^Host not allowed/), code: 'HOST_NOT_ALLOWED' });
  });

  it('every loopback spelling of the runtime\'s own address is served (localhost, 127.0.0.1, [::1]), port or not', async () => {
    const port = new URL(runtime.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST', 'localhost.']) {
      const res = await post('/mcp', host, { jsonrpc: '2.0', id: 1, method: 'ping' });
      await res.body.dump();
      expect(res.statusCode, host).toBe(200);
    }
  });

  it('health and discovery answer any Host (probes and balancers use addresses)', async () => {
    for (const path of ['/readyz', '/livez', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await request(`${runtime.url}${path}`, { headers: { host: 'evil.example' } });
      await res.body.dump();
      expect(res.statusCode, path).toBe(200);
    }
  });
});

describe('Origin check on the real socket (DNS-rebinding defence, docs/http-api.md)', () => {
  const ping = (origin: string) =>
    fetch(runtime.mcpUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${keyAlpha}`, Origin: origin, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });

  it('the runtime\'s own public origin, in any loopback spelling, is allowed; any other origin gets 403 ORIGIN_NOT_ALLOWED', async () => {
    const port = new URL(runtime.url).port;
    for (const origin of [runtime.url, `http://localhost:${port}`, `http://[::1]:${port}`]) expect((await ping(origin)).status, origin).toBe(200);
    for (const origin of [`http://localhost:${Number(port) + 1}`, `https://localhost:${port}`, 'http://evil.example', 'null']) {
      const res = await ping(origin);
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe('ORIGIN_NOT_ALLOWED');
    }
  });
});
