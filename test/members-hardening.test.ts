// Member flows under hostile or sloppy input, in-process: what the session-token exchange refuses so that the
// identity an upstream sees is the one the customer signed, and what /mcp refuses so that one valid session token
// is exactly one accepted string.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { assertionKeyConfig, generateAssertionKey, mintAssertion, type TestAssertionKey } from './fixtures/member-fixtures.js';
import { inProcessApp, LOOPBACK_UPSTREAMS_IN_PRODUCTION, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

const ENDPOINT = '/api/v1/mcp/session-token';
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

let upstream: TestUpstream;
let app: Hono;
let apiKey: string;
let devKey: string;
let key: TestAssertionKey;
const closers: (() => Promise<void>)[] = [];

function config(upstreamUrl: string): TengineConfig {
  return {
    version: 1,
    projects: [
      {
        id: 'crm',
        environment: 'production',
        assertion_keys: [assertionKeyConfig(key)],
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          {
            name: 'member_notes',
            description: 'Notes of the calling member',
            input_schema: { type: 'object', properties: {}, additionalProperties: false },
            base_url: upstreamUrl,
            http_method: 'GET',
            endpoint_path: '/notes',
            require_member: true,
            inject_member_identity: { id: true, email: true, roles: true },
          },
        ],
      },
      { id: 'dev', environment: 'development', integrations: [{ id: 'backend', kind: 'api_key' }] },
    ],
  };
}

beforeAll(async () => {
  key = generateAssertionKey('ES256', 'crm-v1');
  upstream = await startUpstream();
  // The `dev` project exercises member_external_id, which only development deployments serve; the production
  // project's upstream is on loopback: see LOOPBACK_UPSTREAMS_IN_PRODUCTION.
  const built = await inProcessApp(config(upstream.url), {}, { allowDevelopment: true, upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION });
  closers.push(built.close);
  app = built.app;
  apiKey = built.apiKeys['crm/backend']!;
  devKey = built.apiKeys['dev/backend']!;
});

afterAll(async () => {
  for (const close of closers) await close();
  await upstream?.close();
});

async function exchange(body: unknown, bearer = apiKey): Promise<{ status: number; json: Record<string, any> }> {
  const res = await app.request(ENDPOINT, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

async function callMcp(token: string): Promise<Response> {
  return app.request('/mcp', {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'member_notes', arguments: {} } }),
  });
}

describe('member assertion time claims (docs/members.md §2)', () => {
  it('iat in the future (beyond the 5 s skew) → 401 NOT_YET_VALID, as the catalogue says', async () => {
    const now = Math.floor(Date.now() / 1000);
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm', { iat: now + 30, claims: { exp: now + 40 } }) });
    expect(a).toEqual({ status: 401, json: { detail: 'Invalid member assertion: NOT_YET_VALID', code: 'NOT_YET_VALID' } });
  });

  it('iat within the 5 s skew is accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm', { iat: now + 3, claims: { exp: now + 40 } }) });
    expect(a.status).toBe(200);
  });
});

describe('identity values an upstream would read differently (RFC 9110 §5.5: field values lose surrounding whitespace)', () => {
  it.each([' alice', 'alice ', '  alice  '])('sub %j → 400 SUB_INVALID (X-Tengine-Member-Id would arrive as "alice")', async (sub) => {
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { sub } }) });
    expect(a).toEqual({ status: 400, json: { detail: 'Could not resolve member_external_id', code: 'SUB_INVALID' } });
  });

  it('an email with surrounding whitespace → 401 INVALID_CLAIMS', async () => {
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { email: ' ana@example.com' } }) });
    expect(a).toEqual({ status: 401, json: { detail: 'Invalid member assertion: INVALID_CLAIMS', code: 'INVALID_CLAIMS' } });
  });

  it('a role with surrounding whitespace → 401 INVALID_CLAIMS (" admin" would arrive as "admin" in the comma-joined list)', async () => {
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { roles: ['sales', ' admin'] } }) });
    expect(a).toEqual({ status: 401, json: { detail: 'Invalid member assertion: INVALID_CLAIMS', code: 'INVALID_CLAIMS' } });
  });

  it('member_external_id with surrounding whitespace (development projects) → 400 SUB_INVALID', async () => {
    expect(await exchange({ member_external_id: 'alice ' }, devKey)).toEqual({ status: 400, json: { detail: 'Could not resolve member_external_id', code: 'SUB_INVALID' } });
  });

  // An id that displays as another one: "Trojan Source" bidi controls, C1 controls, invisible characters.
  it.each([
    ['U+202E right-to-left override', 'alice\u202Enimda'],
    ['U+2066 left-to-right isolate', '\u2066admin\u2069'],
    ['U+200F right-to-left mark', 'alice\u200F'],
    ['U+0085 next line (C1)', 'alice\u0085bob'],
    ['U+200B zero-width space', 'ali\u200Bce'],
    ['U+FEFF byte order mark', '\uFEFFalice'],
  ])('sub with %s → 400 SUB_INVALID; in email or a role → 401 INVALID_CLAIMS', async (_label, value) => {
    expect(await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { sub: value } }) })).toEqual({ status: 400, json: { detail: 'Could not resolve member_external_id', code: 'SUB_INVALID' } });
    const email = await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { email: `${value}@example.com` } }) });
    expect(email).toEqual({ status: 401, json: { detail: 'Invalid member assertion: INVALID_CLAIMS', code: 'INVALID_CLAIMS' } });
    const role = await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { roles: [value] } }) });
    expect(role).toEqual({ status: 401, json: { detail: 'Invalid member assertion: INVALID_CLAIMS', code: 'INVALID_CLAIMS' } });
    expect(await exchange({ member_external_id: value }, devKey)).toEqual({ status: 400, json: { detail: 'Could not resolve member_external_id', code: 'SUB_INVALID' } });
  });

  it('zero-width (non-)joiners, which Persian and Indic names need, are accepted', async () => {
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { sub: 'می\u200Cخواهم', email: undefined } }) });
    expect(a.status).toBe(200);
  });

  it('inner spaces are fine and reach the upstream unchanged', async () => {
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { sub: 'Ana Lopez', roles: ['team lead'] } }) });
    expect(a.status).toBe(200);
    const res = await callMcp(a.json.token as string);
    expect(res.status).toBe(200);
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers['x-tengine-member-id']).toBe('Ana Lopez');
    expect(seen.headers['x-tengine-member-roles']).toBe('team lead');
  });
});

describe('X-Tengine-Identity sub namespaces (docs/members.md §5: sub = member id or integration:<id>)', () => {
  it.each(['integration:backend', 'integration:'])('a member id %j, which would read as the integration itself, → 400 SUB_INVALID', async (sub) => {
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { sub } }) });
    expect(a).toEqual({ status: 400, json: { detail: 'Could not resolve member_external_id', code: 'SUB_INVALID' } });
    expect(await exchange({ member_external_id: sub }, devKey)).toEqual({ status: 400, json: { detail: 'Could not resolve member_external_id', code: 'SUB_INVALID' } });
  });

  it('ids that merely contain the word are fine', async () => {
    expect((await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { sub: 'user:integration:1' } }) })).status).toBe(200);
    expect((await exchange({ member_assertion: await mintAssertion(key, 'crm', { claims: { sub: 'Integration:1' } }) })).status).toBe(200);
  });
});

describe('one session token, one accepted string (RFC 7515 §7.1 compact serialization)', () => {
  it.each([
    ['"~"', '~'],
    ['"=="', '=='],
    ['4000 × "~"', '~'.repeat(4000)],
  ])('a valid tng_mst_ token with %s appended to its signature → 401 INVALID_TOKEN', async (_label, junk) => {
    const a = await exchange({ member_assertion: await mintAssertion(key, 'crm') });
    expect(a.status).toBe(200);
    const token = a.json.token as string;
    expect((await callMcp(token)).status).toBe(200);
    const res = await callMcp(token + junk);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe('INVALID_TOKEN');
  });
});
