import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { inProcessApp, startUpstream, twoProjectConfig, type TestUpstream } from '../../test/fixtures/runtime-harness.js';

let upstream: TestUpstream;
let app: Hono;
let keyA: string;
let keyB: string;
let close: () => Promise<void>;

beforeAll(async () => {
  upstream = await startUpstream();
  const cfg = twoProjectConfig(upstream.url);
  cfg.runtime = { ...cfg.runtime, allowed_origins: ['https://app.example.com'] };
  const built = await inProcessApp(cfg, {}, { allowDevelopment: true }); // development projects with a loopback upstream
  app = built.app;
  close = built.close;
  keyA = built.apiKeys['alpha/backend']!;
  keyB = built.apiKeys['beta/backend']!;
});
afterAll(async () => {
  await close();
  await upstream.close();
});

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function rpc(body: unknown, opts: { key?: string | null; headers?: Record<string, string>; path?: string; raw?: string } = {}) {
  const headers: Record<string, string> = { ...HEADERS, ...opts.headers };
  const key = opts.key === undefined ? keyA : opts.key;
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await app.request(opts.path ?? '/mcp', { method: 'POST', headers, body: opts.raw ?? JSON.stringify(body) });
  const text = await res.text();
  return { res, text, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
}

const call = (name: string, args: unknown, key?: string) => rpc({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }, { key });
const errorCode = (result: { _meta?: Record<string, { code: string }> }) => result._meta?.['tengine.dev/error']?.code;

describe('MCP lifecycle (spec 2025-06-18 / 2025-11-25)', () => {
  it('initialize echoes a supported requested protocol version', async () => {
    for (const v of ['2025-06-18', '2025-11-25']) {
      const { res, json } = await rpc({ jsonrpc: '2.0', id: 'i', method: 'initialize', params: { protocolVersion: v, capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      expect(res.status).toBe(200);
      expect(json.result.protocolVersion).toBe(v);
      expect(json.result.capabilities.tools).toBeDefined();
      expect(res.headers.get('mcp-session-id')).toBeNull();
    }
  });

  it('initialize offers the newest version when the requested one is unknown', async () => {
    const { json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    expect(json.result.protocolVersion).toBe('2025-11-25');
  });

  it('ping answers an empty result; notifications get 202 without a body', async () => {
    expect((await rpc({ jsonrpc: '2.0', id: 7, method: 'ping' })).json).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
    const n = await rpc({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(n.res.status).toBe(202);
    expect(n.text).toBe('');
  });

  it('serves /mcp/ as well as /mcp, without redirect', async () => {
    const { res, json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' }, { path: '/mcp/' });
    expect(res.status).toBe(200);
    expect(json.result).toEqual({});
  });

  it('answers GET and DELETE with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await app.request('/mcp', { method, headers: { authorization: `Bearer ${keyA}` } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('answers with SSE when the client accepts only text/event-stream', async () => {
    const { res, text } = await rpc({ jsonrpc: '2.0', id: 3, method: 'ping' }, { headers: { accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(text).toBe('event: message\ndata: {"jsonrpc":"2.0","id":3,"result":{}}\n\n');
  });
});

describe('authentication (RFC 6750, RFC 9728)', () => {
  it('401 without a token, with an absolute resource_metadata URL', async () => {
    const { res, json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' }, { key: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"');
    expect(json.error.data.code).toBe('MISSING_TOKEN');
  });

  it('401 invalid_token for an unknown key, with the compatible message', async () => {
    const { res, json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' }, { key: 'tengine_' + 'x'.repeat(43) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(json.error.message).toBe('Invalid or inactive API key');
    expect(json.error.data.code).toBe('INVALID_TOKEN');
  });

  it('serves the protected-resource metadata at both well-known paths', async () => {
    for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await app.request(p);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { resource: string }).resource).toBe('http://127.0.0.1:8080/mcp');
    }
  });
});

describe('transport checks', () => {
  it('403 for a browser Origin that is not allowed; allowed origins pass', async () => {
    const bad = await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { origin: 'https://evil.example' } });
    expect(bad.res.status).toBe(403);
    expect(bad.json.error.data.code).toBe('ORIGIN_NOT_ALLOWED');
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { origin: 'https://app.example.com' } })).res.status).toBe(200);
  });

  it('400 for an unsupported MCP-Protocol-Version header', async () => {
    const { res, json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { 'mcp-protocol-version': '2020-01-01' } });
    expect(res.status).toBe(400);
    expect(json.error.data.code).toBe('UNSUPPORTED_PROTOCOL_VERSION');
  });

  it('406 when Accept allows neither JSON nor SSE; 415 for a non-JSON content type', async () => {
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { accept: 'text/html' } })).res.status).toBe(406);
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'ping' }, { headers: { 'content-type': 'text/plain' } })).res.status).toBe(415);
  });

  it('413 for a body over max_request_bytes (1 MiB default)', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a_one', arguments: { id: 'x'.repeat(1_100_000) } } });
    const { res, json } = await rpc(undefined, { raw: big });
    expect(res.status).toBe(413);
    expect(json.error.data.code).toBe('REQUEST_TOO_LARGE');
  });
});

describe('malformed JSON-RPC', () => {
  it('400 parse error (-32700) for invalid JSON', async () => {
    const { res, json } = await rpc(undefined, { raw: '{"jsonrpc": "2.0", "id": 1, "method": ' });
    expect(res.status).toBe(400);
    expect(json.error.code).toBe(-32700);
    expect(json.id).toBeNull();
  });

  it('400 invalid request for batch arrays, missing jsonrpc, and bad ids', async () => {
    const batch = await rpc([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
    expect(batch.res.status).toBe(400);
    expect(batch.json.error.data.code).toBe('BATCH_NOT_SUPPORTED');
    expect((await rpc({ id: 1, method: 'ping' })).json.error.code).toBe(-32600);
    expect((await rpc({ jsonrpc: '2.0', id: { x: 1 }, method: 'ping' })).json.error.code).toBe(-32600);
    expect((await rpc('hello')).json.error.code).toBe(-32600);
  });

  it('-32601 for unknown methods, -32602 for non-object params', async () => {
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'resources/list' })).json.error.code).toBe(-32601);
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: [1] })).json.error.code).toBe(-32602);
  });
});

describe('tools/list', () => {
  it('lists only enabled tools of the caller project, with cursor pagination', async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const { json } = await rpc({ jsonrpc: '2.0', id: i, method: 'tools/list', params: cursor ? { cursor } : {} });
      names.push(...json.result.tools.map((t: { name: string }) => t.name));
      cursor = json.result.nextCursor;
      if (!cursor) break;
    }
    expect(names).toEqual(['mcp_whoami', 'a_one', 'a_two', 'a_three', 'a_member']);
  });

  it('-32602 for a cursor this server did not issue', async () => {
    const { json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 'bm9wZQ' } });
    expect(json.error.code).toBe(-32602);
    expect(json.error.data.code).toBe('INVALID_CURSOR');
  });

  it('a key of another project sees that project only', async () => {
    const { json } = await rpc({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { key: keyB });
    expect(json.result.tools.map((t: { name: string }) => t.name)).toEqual(['mcp_whoami', 'b_secret']);
  });
});

describe('tools/call gates', () => {
  it('refuses a disabled tool with "Tool not enabled for this project" (403)', async () => {
    const { json } = await call('a_disabled', { id: '1' });
    expect(json.result.isError).toBe(true);
    expect(errorCode(json.result)).toBe('TOOL_NOT_ENABLED');
    expect(json.result._meta['tengine.dev/error'].status).toBe(403);
    expect(json.result.content[0].text).toContain('Tool not enabled for this project');
  });

  it('refuses another project\'s tool and an unknown tool the same way', async () => {
    expect(errorCode((await call('b_secret', { id: '1' })).json.result)).toBe('TOOL_NOT_ENABLED');
    expect(errorCode((await call('no_such_tool', {})).json.result)).toBe('TOOL_NOT_ENABLED');
    expect(upstream.requests.some((r) => r.url.startsWith('/b_secret'))).toBe(false);
  });

  it('refuses a require_member tool for an API-key caller with "Member context required"', async () => {
    const { json } = await call('a_member', { id: '1' });
    expect(errorCode(json.result)).toBe('MEMBER_REQUIRED');
    expect(json.result.content[0].text).toContain('Member context required');
  });

  it('refuses arguments nested deeper than 64 levels before touching them', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const { json } = await call('a_one', { id: '1', deep });
    expect(errorCode(json.result)).toBe('INVALID_ARGUMENTS');
  });

  it('validates arguments against input_schema (wrong type → isError INVALID_ARGUMENTS)', async () => {
    const { json } = await call('a_one', { id: 42 });
    expect(json.result.isError).toBe(true);
    expect(errorCode(json.result)).toBe('INVALID_ARGUMENTS');
  });

  it('__proto__ keys in arguments pollute nothing', async () => {
    const raw = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a_one","arguments":{"id":"p","__proto__":{"polluted":true}}}}';
    const { json } = await rpc(undefined, { raw });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(json.result).toBeDefined();
  });

  it('calls the upstream and returns structured JSON', async () => {
    const { json } = await call('a_one', { id: 'abc' });
    expect(json.result.isError).toBeFalsy();
    expect(json.result.structuredContent).toMatchObject({ method: 'GET', url: '/a_one/abc' });
  });

  it('mcp_whoami reports project, integration, auth kind and bundle digest', async () => {
    const { json } = await call('mcp_whoami', {});
    expect(json.result.structuredContent).toMatchObject({ project_id: 'alpha', integration_id: 'backend', auth: 'api_key', scopes: null });
    expect(json.result.structuredContent.bundle_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('health', () => {
  it('livez and readyz answer 200', async () => {
    expect((await app.request('/livez')).status).toBe(200);
    const r = await app.request('/readyz');
    expect(r.status).toBe(200);
    expect(((await r.json()) as { bundle_digest: string }).bundle_digest).toMatch(/^sha256:/);
  });
});
