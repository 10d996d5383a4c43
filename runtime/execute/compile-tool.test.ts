import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { compileTool, parseDuration } from './compile-tool.js';
import { API_KEY_CALLER, closedPort, errorOf, MEMBER_CALLER, sendJson, startUpstream, testContext, testTool, useUpstream } from './test-support.js';
import { ERROR_META_KEY } from './tool-errors.js';
import type { CallerIdentity } from './types.js';

const shared = useUpstream((req, res) => {
    if (req.url === '/hang') return;
    sendJson(res, 200, { id: 'ct_1' });
  });

const CONTACT_SCHEMA = {
  type: 'object',
  properties: { contact_id: { type: 'string', pattern: '^ct_' }, limit: { type: 'integer' } },
  required: ['contact_id'],
  additionalProperties: false,
};

const CRM_TOOL: Partial<Tool> = {
  name: 'crm-contacts-update',
  title: 'Update a contact',
  description: 'Updates a contact.',
  input_schema: CONTACT_SCHEMA,
  output_schema: { type: 'object', properties: { id: { type: 'string' } } },
  annotations: { readOnlyHint: false, idempotentHint: true },
  http_method: 'PUT',
  endpoint_path: '/v1/contacts/{contact_id}',
  query_template: { limit: '{limit}' },
  headers_template: { 'X-Owner': '{member_id}' },
  body_template: { owner: '{member_id}', limit: '{limit}' },
  require_member: true,
  inject_member_identity: { id: true },
  scopes: ['crm.write'],
  is_enabled: false,
};

describe('compileTool: the compiled tool', () => {
  it('exposes the MCP definition (name, title, description, schemas, annotations) and the gate flags', () => {
    const tool = compileTool(testTool(shared.up.origin, CRM_TOOL), 'acme', testContext(shared.client));
    expect(tool.definition).toEqual({
      name: 'crm-contacts-update',
      title: 'Update a contact',
      description: 'Updates a contact.',
      inputSchema: CONTACT_SCHEMA,
      outputSchema: { type: 'object', properties: { id: { type: 'string' } } },
      annotations: { readOnlyHint: false, idempotentHint: true },
    });
    expect(tool).toMatchObject({ name: 'crm-contacts-update', projectId: 'acme', enabled: false, requireMember: true, scopes: ['crm.write'] });
    const plain = compileTool(testTool(shared.up.origin), 'acme', testContext(shared.client));
    expect(plain.definition).toEqual({ name: 'test-tool', description: 'A tool under test.', inputSchema: { type: 'object', properties: {} } });
    expect(plain).toMatchObject({ enabled: true, requireMember: false, scopes: [] });
  });

  it('executes end to end: method, rendered URL, headers and body reach the upstream (is_enabled is the MCP layer’s to check)', async () => {
    const tool = compileTool(testTool(shared.up.origin, CRM_TOOL), 'acme', testContext(shared.client));
    const result = await tool.execute({ contact_id: 'ct_9', limit: 5 }, MEMBER_CALLER);
    expect(errorOf(result)).toBeUndefined();
    expect(result.structuredContent).toEqual({ id: 'ct_1' });
    const req = shared.up.received[0]!;
    expect(req.method).toBe('PUT');
    expect(req.url).toBe('/v1/contacts/ct_9?limit=5');
    expect(req.headers['x-owner']).toBe('mem_42');
    expect(req.headers['x-tengine-member-id']).toBe('mem_42');
    expect(JSON.parse(req.body.toString())).toEqual({ owner: 'mem_42', limit: 5 });
  });

  it('tools with the same schema (any key order) share one compiled validator', () => {
    const ctx = testContext(shared.client);
    const returned = new Set<unknown>();
    const spy = { compile: (s: Record<string, unknown>) => { const fn = ctx.schemas.compile(s); returned.add(fn); return fn; } };
    const reordered = { additionalProperties: false, required: ['contact_id'], properties: CONTACT_SCHEMA.properties, type: 'object' };
    compileTool(testTool(shared.up.origin, { input_schema: CONTACT_SCHEMA }), 'acme', { ...ctx, schemas: spy });
    compileTool(testTool(shared.up.origin, { input_schema: reordered }), 'acme', { ...ctx, schemas: spy });
    expect(returned.size).toBe(1);
  });

  it('throws at compile time (not per call) for a config tengine validate would refuse', () => {
    expect(() => compileTool(testTool(shared.up.origin, { endpoint_path: '/v1/{bad-name}' }), 'acme', testContext(shared.client))).toThrow(/invalid placeholder/);
    expect(() => compileTool(testTool(shared.up.origin, { timeout: '10 seconds' }), 'acme', testContext(shared.client))).toThrow(RangeError);
  });
});

describe('execute: arguments', () => {
  const tool = () => compileTool(testTool(shared.up.origin, { input_schema: CONTACT_SCHEMA, endpoint_path: '/v1/contacts/{contact_id}' }), 'acme', testContext(shared.client));

  it.each([[null], [[1]], ['ct_1'], [42], [new Date()], [new Map()]])('refuses non-object arguments %j with INVALID_ARGUMENTS (400)', async (args) => {
    const result = await tool().execute(args, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'INVALID_ARGUMENTS', status: 400, message: 'Invalid tool arguments' });
    expect(shared.up.received).toHaveLength(0);
  });

  it('validates against input_schema without coercion and lists the errors', async () => {
    const result = await tool().execute({ contact_id: 'ct_1', limit: '5' }, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'INVALID_ARGUMENTS', status: 400, errors: [{ path: '/limit', message: 'must be integer' }], request_id: '00000000-0000-4000-8000-000000000001' });
    // The model reads only the text, so it names the offending argument.
    expect(result.content[0]!.text).toBe('Invalid tool arguments: /limit must be integer [INVALID_ARGUMENTS, status 400]');
    const missing = await tool().execute({}, API_KEY_CALLER);
    expect(errorOf(missing)).toMatchObject({ code: 'INVALID_ARGUMENTS', errors: [{ path: '', message: "must have required property 'contact_id'" }] });
    expect(shared.up.received).toHaveLength(0);
  });

  it('absent arguments (MCP `arguments` is optional) count as {}', async () => {
    const result = await compileTool(testTool(shared.up.origin), 'acme', testContext(shared.client)).execute(undefined, API_KEY_CALLER);
    expect(errorOf(result)).toBeUndefined();
    expect(shared.up.received).toHaveLength(1);
  });

  it('arguments no template uses are not forwarded anywhere', async () => {
    const t = compileTool(testTool(shared.up.origin, { input_schema: { type: 'object' } }), 'acme', testContext(shared.client));
    await t.execute({ secret_note: 'zzz-unique' }, API_KEY_CALLER);
    const req = shared.up.received[0]!;
    expect(JSON.stringify(req.headers) + req.url + req.body.toString()).not.toContain('zzz-unique');
  });
});

describe('execute: upstream outcomes', () => {
  it('a redirect to another host → UPSTREAM_REDIRECT; the other host never receives a request', async () => {
    const other = await startUpstream((_req, res) => sendJson(res, 200, { reached: true }));
    const redirecting = await startUpstream((_req, res) => {
      res.writeHead(307, { location: `${other.origin}/v1/thing` });
      res.end();
    });
    try {
      const result = await compileTool(testTool(redirecting.origin), 'acme', testContext(shared.client)).execute({}, API_KEY_CALLER);
      expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_REDIRECT', status: 502, upstream_status: 307 });
      expect(redirecting.received).toHaveLength(1);
      expect(other.received).toHaveLength(0);
    } finally {
      await other.close();
      await redirecting.close();
    }
  });

  it('connection refused → UPSTREAM_UNREACHABLE ("Tool execution failed", 500)', async () => {
    const result = await compileTool(testTool(`http://127.0.0.1:${await closedPort()}`, { retry: { max_attempts: 1 } }), 'acme', testContext(shared.client)).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', status: 500, message: 'Tool execution failed', detail: 'connection refused (ECONNREFUSED)' });
  });

  it('the timeout is the tool’s `timeout`, else the runtime default', async () => {
    let t0 = performance.now();
    let result = await compileTool(testTool(shared.up.origin, { endpoint_path: '/hang', timeout: '150ms' }), 'acme', testContext(shared.client)).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: 500, detail: 'no complete response within the tool timeout of 150 ms' });
    expect(performance.now() - t0).toBeLessThan(1000);
    t0 = performance.now();
    const ctx = testContext(shared.client, { settings: { defaultTimeoutMs: 200, defaultMaxResponseBytes: 1 << 20 } });
    result = await compileTool(testTool(shared.up.origin, { endpoint_path: '/hang' }), 'acme', ctx).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', detail: 'no complete response within the tool timeout of 200 ms' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('max_response_bytes defaults to the runtime setting', async () => {
    const ctx = testContext(shared.client, { settings: { defaultTimeoutMs: 2000, defaultMaxResponseBytes: 4 } });
    const result = await compileTool(testTool(shared.up.origin), 'acme', ctx).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_RESPONSE_TOO_LARGE', status: 502 });
  });
});

describe('execute never throws', () => {
  it('an unexpected failure becomes INTERNAL_ERROR (500) with the request id and no internal message', async () => {
    const broken = { kind: 'member', projectId: 'acme', integrationId: 'backend', member: { id: 'm', roles: 'not-a-list' } } as unknown as CallerIdentity;
    const result = await compileTool(testTool(shared.up.origin, { inject_member_identity: { roles: true } }), 'acme', testContext(shared.client)).execute({}, broken);
    expect(result._meta?.[ERROR_META_KEY]).toEqual({ code: 'INTERNAL_ERROR', status: 500, message: 'Tool execution failed', request_id: '00000000-0000-4000-8000-000000000001' });
    expect(result.content[0]!.text).toBe('Tool execution failed [INTERNAL_ERROR, status 500]');
  });

  it('even when the request id source fails', async () => {
    const ctx = testContext(shared.client, {
      newRequestId: () => {
        throw new Error('secret-ish internals');
      },
    });
    const result = await compileTool(testTool(shared.up.origin), 'acme', ctx).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toEqual({ code: 'INTERNAL_ERROR', status: 500, message: 'Tool execution failed' });
    expect(JSON.stringify(result)).not.toContain('secret-ish');
  });
});

describe('parseDuration', () => {
  it('reads ms, s, m, h and d', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('30d')).toBe(2_592_000_000);
  });

  it.each([['0s'], ['10'], ['1.5s'], ['-1s'], ['10 s'], ['1w'], [''], ['01s']])('throws RangeError for %j', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
  });
});

describe('X-Tengine-Identity lifetime', () => {
  it('outlives the tool deadline, since retries reuse the token signed once per call (60 s minimum)', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers['x-tengine-identity']));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const claimsOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    const sign = (c: Record<string, unknown>) => `h.${Buffer.from(JSON.stringify(c)).toString('base64url')}.s`;
    try {
      for (const [timeout, ttl] of [['10s', 60], ['120s', 125]] as const) {
        const t = compileTool(testTool(origin, { identity_token: true, timeout }), 'acme', { ...testContext(shared.client), signIdentity: sign });
        expect(errorOf(await t.execute({}, API_KEY_CALLER))).toBeUndefined();
        const c = claimsOf(seen.at(-1)!);
        expect(c.exp - c.iat).toBe(ttl);
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
