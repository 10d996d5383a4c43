// Member sessions in-process (app.request()): the POST /api/v1/mcp/session-token exchange against the compatible
// error catalogue (hosted-products.md §A6.2, errors page "Session Token Endpoint Errors"), then what a tng_mst_ token
// does at /mcp: member-only tools, identity headers and the X-Tengine-Identity token, expiry, the JWKS, revocation by
// removing the integration, and signing-key rotation with `exp` on the old key.
import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import type { Hono } from 'hono';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import {
  ASSERTION_ALGS,
  assertionClaims,
  assertionKeyConfig,
  generateAssertionKey,
  generateRuntimeKeys,
  mintAssertion,
  runtimeKeySetText,
  unsignedToken,
  type AssertionAlg,
  type RuntimeJwk,
  type TestAssertionKey,
} from './fixtures/member-fixtures.js';
import { inProcessApp, LOOPBACK_UPSTREAMS_IN_PRODUCTION, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

/** The issuer of tokens minted by inProcessApp (its fixed public URL). */
const ISSUER = 'http://127.0.0.1:8080';
const ENDPOINT = '/api/v1/mcp/session-token';
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

let upstream: TestUpstream;
let app: Hono;
let crmKey: string;
let otherApiKey: string;
let devKey: string;
/** Offset added to the app's clock (ms); tests that move time put it back. */
let clockOffsetMs = 0;
const closers: (() => Promise<void>)[] = [];

const keys = {} as Record<AssertionAlg, TestAssertionKey>;
let otherKey: TestAssertionKey;

function memberTool(upstreamUrl: string): Tool {
  return {
    name: 'member_notes',
    description: 'Notes of the calling member',
    input_schema: { type: 'object', properties: {}, additionalProperties: false },
    base_url: upstreamUrl,
    http_method: 'GET',
    endpoint_path: '/members/{member_id}/notes',
    require_member: true,
    inject_member_identity: { id: true, email: true, roles: true },
    identity_token: true,
  };
}

/** crm (production, a key of every algorithm), other (production, its own key), dev (development). */
function config(upstreamUrl: string, crmIntegrations: { id: string; kind: 'api_key' }[] = [{ id: 'backend', kind: 'api_key' }]): TengineConfig {
  return {
    version: 1,
    projects: [
      {
        id: 'crm',
        environment: 'production',
        assertion_keys: ASSERTION_ALGS.map((alg) => assertionKeyConfig(keys[alg])),
        integrations: crmIntegrations,
        tools: [memberTool(upstreamUrl)],
      },
      {
        id: 'other',
        environment: 'production',
        assertion_keys: [assertionKeyConfig(otherKey)],
        integrations: [{ id: 'backend', kind: 'api_key' }],
      },
      {
        id: 'dev',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
      },
    ],
  };
}

beforeAll(async () => {
  for (const alg of ASSERTION_ALGS) keys[alg] = generateAssertionKey(alg, `crm-${alg.toLowerCase()}-v1`);
  otherKey = generateAssertionKey('ES256', 'other-backend-v1');
  upstream = await startUpstream();
  // The `dev` project exercises member_external_id, which only development deployments serve; the production
  // project's upstream is on loopback: see LOOPBACK_UPSTREAMS_IN_PRODUCTION.
  const built = await inProcessApp(config(upstream.url), {}, { now: () => Date.now() + clockOffsetMs, allowDevelopment: true, upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION });
  closers.push(built.close);
  app = built.app;
  crmKey = built.apiKeys['crm/backend']!;
  otherApiKey = built.apiKeys['other/backend']!;
  devKey = built.apiKeys['dev/backend']!;
});

afterAll(async () => {
  for (const close of closers) await close();
  await upstream?.close();
});

interface Answer {
  res: Response;
  text: string;
  json: Record<string, any> | undefined;
}

async function exchange(body: unknown, opts: { key?: string | null; raw?: string; on?: Hono } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = opts.key === undefined ? crmKey : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await (opts.on ?? app).request(ENDPOINT, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(body) });
  const text = await res.text();
  let json: Record<string, any> | undefined;
  try {
    json = JSON.parse(text) as Record<string, any>;
  } catch {
    json = undefined;
  }
  return { res, text, json };
}

/** A refusal: exact status, exactly `{detail, code}` (so no token), and never cacheable. */
function expectRefusal(a: Answer, status: number, code: string, detail: string): void {
  expect({ status: a.res.status, body: a.json }).toEqual({ status, body: { detail, code } });
  expect(a.json).not.toHaveProperty('token');
  expect(a.text).not.toContain('tng_mst_');
}

/** The catalogue's 401 "Invalid member assertion: <CODE>". */
function expectInvalidAssertion(a: Answer, code: string): void {
  expectRefusal(a, 401, code, `Invalid member assertion: ${code}`);
}

/** Exchanges a fresh ES256 assertion for a token and returns it. */
async function memberToken(opts: { on?: Hono; key?: string; claims?: Record<string, unknown> } = {}): Promise<string> {
  const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { claims: opts.claims ?? {} }) }, { on: opts.on, key: opts.key });
  expect(a.res.status, a.text).toBe(200);
  return a.json!.token as string;
}

async function rpc(body: unknown, key: string | null, on: Hono = app) {
  const headers: Record<string, string> = { ...MCP_HEADERS };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await on.request('/mcp', { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { res, text, json: JSON.parse(text) as Record<string, any> };
}

const callTool = (name: string, key: string | null, on: Hono = app) => rpc({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }, key, on);
const errorMeta = (result: Record<string, any>) => result._meta?.['tengine.dev/error'] as { code: string; status: number; message: string } | undefined;

async function jwksOf(on: Hono): Promise<JSONWebKeySet> {
  const res = await on.request('/.well-known/jwks.json');
  expect(res.status).toBe(200);
  return (await res.json()) as JSONWebKeySet;
}

describe('POST /api/v1/mcp/session-token: successful exchange', () => {
  it.each(ASSERTION_ALGS)('a %s assertion is exchanged for a 15-minute tng_mst_ token', async (alg) => {
    const sub = `member-${alg.toLowerCase()}`;
    const before = Date.now();
    const a = await exchange({ member_assertion: await mintAssertion(keys[alg], 'crm', { claims: { sub } }) });
    expect(a.res.status, a.text).toBe(200);
    expect(a.res.headers.get('cache-control')).toBe('no-store');
    const body = a.json!;
    expect(body.token).toMatch(/^tng_mst_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in_minutes).toBe(15);
    expect(body.expires_in).toBe(900);
    expect(body.expires_at).toMatch(ISO_8601);
    const expiresAt = Date.parse(body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 900_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(body).toMatchObject({ project_id: 'crm', integration_id: 'backend', member_id: sub });
  });

  it('an assertion whose exp passed less than the 5 s clock tolerance ago is still accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { iat: now - 62 }) });
    expect(a.res.status, a.text).toBe(200);
    expect(a.json!.token).toMatch(/^tng_mst_/);
  });

  it('member_external_id is accepted on a development project', async () => {
    const a = await exchange({ member_external_id: 'dev-user-1' }, { key: devKey });
    expect(a.res.status, a.text).toBe(200);
    expect(a.res.headers.get('cache-control')).toBe('no-store');
    expect(a.json).toMatchObject({ token_type: 'Bearer', expires_in: 900, expires_in_minutes: 15, project_id: 'dev', member_id: 'dev-user-1' });
    expect(a.json!.token).toMatch(/^tng_mst_/);
  });
});

describe('POST /api/v1/mcp/session-token: the error catalogue', () => {
  it('an empty body {} → 400 "Provide member_assertion or member_external_id" (MISSING_MEMBER)', async () => {
    expectRefusal(await exchange({}), 400, 'MISSING_MEMBER', 'Provide member_assertion or member_external_id');
  });

  it('an assertion without sub → 400 "Could not resolve member_external_id"', async () => {
    const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { claims: { sub: undefined } }) });
    expectRefusal(a, 400, 'SUB_INVALID', 'Could not resolve member_external_id');
  });

  it('an assertion whose sub is a number → 400 "Could not resolve member_external_id"', async () => {
    const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { claims: { sub: 42 } }) });
    expectRefusal(a, 400, 'SUB_INVALID', 'Could not resolve member_external_id');
  });

  it('no kid in the header → 401 MISSING_KID', async () => {
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { header: { kid: undefined } }) }), 'MISSING_KID');
  });

  it('an unknown kid → 401 KEY_NOT_FOUND', async () => {
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { header: { kid: 'crm-unknown-v9' } }) }), 'KEY_NOT_FOUND');
  });

  it('a path-like kid ../../etc/passwd → 401 KEY_NOT_FOUND', async () => {
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { header: { kid: '../../etc/passwd' } }) }), 'KEY_NOT_FOUND');
  });

  it("the key id of another project's key (signed with that key) → 401 KEY_NOT_FOUND", async () => {
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(otherKey, 'crm') }), 'KEY_NOT_FOUND');
  });

  it("a crm assertion presented with the other project's API key → 401 KEY_NOT_FOUND (keys are per project)", async () => {
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'other') }, { key: otherApiKey }), 'KEY_NOT_FOUND');
  });

  it('a 10 KB kid → 401 MALFORMED (the assertion exceeds 8 KB)', async () => {
    const assertion = await mintAssertion(keys.ES256, 'crm', { header: { kid: 'k'.repeat(10 * 1024) } });
    expect(assertion.length).toBeGreaterThan(8192);
    expectInvalidAssertion(await exchange({ member_assertion: assertion }), 'MALFORMED');
  });

  it('aud for project other → 401 AUD_MISMATCH', async () => {
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'other') }), 'AUD_MISMATCH');
  });

  it('exp in the past beyond the 5 s tolerance → 401 EXPIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { iat: now - 90 }) }), 'EXPIRED');
  });

  it('nbf in the future → 401 NOT_YET_VALID', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { claims: { nbf: now + 30 } }) }), 'NOT_YET_VALID');
  });

  it('a lifetime over 60 s (exp = iat + 120) → 401 LIFETIME_TOO_LONG', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { iat: now, claims: { exp: now + 120 } }) }), 'LIFETIME_TOO_LONG');
  });

  it('signed with a different private key under a registered kid → 401 INVALID_SIGNATURE', async () => {
    const impostor: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { signWith: impostor }) }), 'INVALID_SIGNATURE');
  });

  it.each(ASSERTION_ALGS)('a %s kid signed by another key of the same type → 401 INVALID_SIGNATURE', async (alg) => {
    const impostor = generateAssertionKey(alg, keys[alg].kid);
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys[alg], 'crm', { signWith: impostor.privateKey }) }), 'INVALID_SIGNATURE');
  });

  it('alg none (unsigned, empty signature) → 401 ALG_NOT_ALLOWED', async () => {
    const token = unsignedToken({ alg: 'none', kid: keys.ES256.kid, typ: 'JWT' }, assertionClaims('crm'));
    expectInvalidAssertion(await exchange({ member_assertion: token }), 'ALG_NOT_ALLOWED');
  });

  it('HS256 keyed with the registered public key PEM (key confusion) → 401 ALG_NOT_ALLOWED', async () => {
    for (const alg of ['ES256', 'RS256'] as const) {
      const forged = await mintAssertion(keys[alg], 'crm', { header: { alg: 'HS256' }, signWith: Buffer.from(keys[alg].publicPem, 'utf8') });
      expectInvalidAssertion(await exchange({ member_assertion: forged }), 'ALG_NOT_ALLOWED');
    }
  });

  it('an ES384 header on the ES256 key → 401 ALG_NOT_ALLOWED', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { header: { alg: 'ES384' }, signWith: p384 }) });
    expectInvalidAssertion(a, 'ALG_NOT_ALLOWED');
  });

  it('the same assertion (same jti) exchanged twice → the second is 401 REPLAYED', async () => {
    const assertion = await mintAssertion(keys.EdDSA, 'crm');
    const first = await exchange({ member_assertion: assertion });
    expect(first.res.status, first.text).toBe(200);
    expectInvalidAssertion(await exchange({ member_assertion: assertion }), 'REPLAYED');
  });

  it('a 100 KB assertion → 413 REQUEST_TOO_LARGE', async () => {
    const big = `${'a'.repeat(50 * 1024)}.${'b'.repeat(50 * 1024)}.c`;
    expectRefusal(await exchange({ member_assertion: big }), 413, 'REQUEST_TOO_LARGE', 'Request body too large');
  });

  it('a body that is not JSON → 400 INVALID_BODY', async () => {
    expectRefusal(await exchange(undefined, { raw: 'member_assertion=eyJ...' }), 400, 'INVALID_BODY', 'Request body must be a JSON object');
  });

  it('a JSON body that is not an object → 400 INVALID_BODY', async () => {
    expectRefusal(await exchange(['member_assertion']), 400, 'INVALID_BODY', 'Request body must be a JSON object');
  });

  it('member_assertion that is not a string → 401 MALFORMED', async () => {
    expectInvalidAssertion(await exchange({ member_assertion: { sub: 'alice' } }), 'MALFORMED');
    expectInvalidAssertion(await exchange({ member_assertion: 12345 }), 'MALFORMED');
  });

  it('a role containing a comma → 401 INVALID_CLAIMS', async () => {
    expectInvalidAssertion(await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { claims: { roles: ['admin,owner'] } }) }), 'INVALID_CLAIMS');
  });

  it('no Authorization header → 401 "Invalid or inactive API key"', async () => {
    const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm') }, { key: null });
    expectRefusal(a, 401, 'MISSING_API_KEY', 'Invalid or inactive API key');
    expect(a.res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('a wrong API key → 401 "Invalid or inactive API key" (INVALID_API_KEY)', async () => {
    const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm') }, { key: `tengine_${'x'.repeat(43)}` });
    expectRefusal(a, 401, 'INVALID_API_KEY', 'Invalid or inactive API key');
    // The challenge says why (issue 8, defect 11), without echoing the key.
    const challenge = a.res.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer realm="tengine", error="invalid_token", error_description="no API key of the bundle this runtime serves matches/);
    expect(challenge).not.toContain('xxxxxxxx');
  });

  it('a tng_mst_ member token used as the API key → 401 INVALID_API_KEY', async () => {
    const token = await memberToken();
    const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm') }, { key: token });
    expectRefusal(a, 401, 'INVALID_API_KEY', 'Invalid or inactive API key');
  });

  it('member_external_id on the production project → 403 "member_external_id mode disabled in production"', async () => {
    expectRefusal(await exchange({ member_external_id: 'alice' }), 403, 'EXTERNAL_ID_DISABLED', 'member_external_id mode disabled in production');
  });
});

describe('member sessions at /mcp', () => {
  it('a member-only tool called with a member token reaches the upstream with identity headers and a verifiable X-Tengine-Identity', async () => {
    const token = await memberToken({ claims: { sub: 'alice-01', email: 'alice@example.com', roles: ['admin', 'support'] } });
    const before = upstream.requests.length;
    const r = await callTool('member_notes', token);
    expect(r.res.status, r.text).toBe(200);
    expect(r.json.result.isError, r.text).toBeFalsy();
    expect(upstream.requests.length).toBe(before + 1);
    const req = upstream.requests.at(-1)!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/members/alice-01/notes');
    expect(req.headers['x-tengine-member-id']).toBe('alice-01');
    expect(req.headers['x-tengine-member-email']).toBe('alice@example.com');
    expect(req.headers['x-tengine-member-roles']).toBe('admin,support');
    expect(req.headers['x-tengine-project-id']).toBe('crm');
    expect(req.headers['x-tengine-integration-id']).toBe('backend');
    // The caller's own credential never reaches the upstream.
    expect(req.headers.authorization).toBeUndefined();

    const identity = req.headers['x-tengine-identity'];
    expect(typeof identity).toBe('string');
    const jwks = createLocalJWKSet(await jwksOf(app));
    const { payload, protectedHeader } = await jwtVerify(identity as string, jwks, { typ: 'tng-id+jwt', audience: 'tengine:upstream:crm', issuer: ISSUER });
    expect(protectedHeader.typ).toBe('tng-id+jwt');
    expect(payload).toMatchObject({
      sub: 'alice-01',
      tool: 'member_notes',
      jti: req.headers['x-tengine-request-id'],
      project_id: 'crm',
      integration_id: 'backend',
      member_id: 'alice-01',
      member_email: 'alice@example.com',
      member_roles: ['admin', 'support'],
    });
    expect(payload.exp! - payload.iat!).toBe(60);
  });

  it('the member id is one encoded path segment (no traversal through sub)', async () => {
    const token = await memberToken({ claims: { sub: 'a b/c?d' } });
    const r = await callTool('member_notes', token);
    expect(r.json.result.isError, r.text).toBeFalsy();
    expect(upstream.requests.at(-1)!.url).toBe('/members/a%20b%2Fc%3Fd/notes');
  });

  it('the same tool with the project API key → MEMBER_REQUIRED "Member context required", upstream not called', async () => {
    const before = upstream.requests.length;
    const r = await callTool('member_notes', crmKey);
    expect(r.res.status).toBe(200);
    expect(r.json.result.isError).toBe(true);
    expect(errorMeta(r.json.result)).toMatchObject({ code: 'MEMBER_REQUIRED', status: 403, message: 'Member context required' });
    expect(r.json.result.content[0].text).toContain('Member context required');
    expect(upstream.requests.length).toBe(before);
  });

  it('mcp_whoami with a member token shows auth "member" and the member', async () => {
    const token = await memberToken({ claims: { sub: 'bob', email: 'bob@example.com', roles: ['viewer'] } });
    const r = await callTool('mcp_whoami', token);
    expect(r.res.status).toBe(200);
    expect(r.json.result.structuredContent).toMatchObject({
      project_id: 'crm',
      integration_id: 'backend',
      auth: 'member',
      member: { id: 'bob', email: 'bob@example.com', roles: ['viewer'] },
    });
  });

  it('an expired member token (clock +16 min) → 401 "Member JWT has expired", MEMBER_TOKEN_EXPIRED, invalid_token challenge', async () => {
    const used = await memberToken();
    expect((await callTool('mcp_whoami', used)).res.status).toBe(200); // verified once: now in the token cache
    const unused = await memberToken();
    clockOffsetMs = 16 * 60 * 1000;
    try {
      for (const token of [used, unused]) {
        const r = await callTool('mcp_whoami', token);
        expect(r.res.status, r.text).toBe(401);
        expect(r.json.error.message).toBe('Member JWT has expired');
        expect(r.json.error.data.code).toBe('MEMBER_TOKEN_EXPIRED');
        expect(r.res.headers.get('www-authenticate')).toContain('error="invalid_token"');
        expect(r.json.result).toBeUndefined();
      }
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('a member token verifies with jose against the JWKS: typ tng-mst+jwt, audience tengine:member-session, compatible claims', async () => {
    const token = await memberToken({ claims: { sub: 'carol', email: 'carol@example.com', roles: ['admin'] } });
    const jwt = token.slice('tng_mst_'.length);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(await jwksOf(app)), { typ: 'tng-mst+jwt', audience: 'tengine:member-session', issuer: ISSUER });
    expect(protectedHeader.typ).toBe('tng-mst+jwt');
    expect(payload).toMatchObject({
      project_id: 'crm',
      integration_id: 'backend',
      sub: 'carol',
      member_external_id: 'carol',
      email: 'carol@example.com',
      roles: ['admin'],
    });
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('an X-Tengine-Identity token (typ tng-id+jwt, same signing key) cannot be used as a member session token', async () => {
    const token = await memberToken({ claims: { sub: 'dave' } });
    expect((await callTool('member_notes', token)).json.result.isError).toBeFalsy();
    const identity = upstream.requests.at(-1)!.headers['x-tengine-identity'] as string;
    const r = await callTool('mcp_whoami', `tng_mst_${identity}`);
    expect(r.res.status).toBe(401);
    expect(r.json.error.data.code).toBe('INVALID_TOKEN');
    expect(r.json.error.message).toBe('Invalid member session token');
  });

  // BUG (kept failing on purpose): an assertion inside every documented limit (8 KB assertion, sub <= 256 chars,
  // roles <= 64 x 128 chars) is exchanged for a token longer than authenticate.ts's MAX_TOKEN_LENGTH (8192), which
  // /mcp then refuses as "Invalid or inactive API key" (INVALID_TOKEN): the runtime mints a token it never accepts.
  it('a token minted from a maximal (but valid) assertion is accepted at /mcp', async () => {
    const sub = 's'.repeat(256);
    let assertion = '';
    for (let n = 1; n <= 64; n++) {
      const roles = Array.from({ length: n }, (_, i) => String(i).padEnd(128, 'r'));
      const next = await mintAssertion(keys.EdDSA, 'crm', { claims: { sub, email: undefined, roles } });
      if (next.length > 8192) break;
      assertion = next;
    }
    expect(assertion.length).toBeGreaterThan(8000);
    const a = await exchange({ member_assertion: assertion });
    expect(a.res.status, a.text).toBe(200);
    const r = await callTool('mcp_whoami', a.json!.token as string);
    expect({ status: r.res.status, error: r.json.error?.data?.code, auth: r.json.result?.structuredContent?.auth }).toEqual({ status: 200, error: undefined, auth: 'member' });
  });

  it('a token whose payload was edited (other member) is refused: 401 INVALID_TOKEN', async () => {
    const token = await memberToken({ claims: { sub: 'mallory' } });
    const [h, p, s] = token.slice('tng_mst_'.length).split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `tng_mst_${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'alice', member_external_id: 'alice' })).toString('base64url')}.${s}`;
    const r = await callTool('mcp_whoami', forged);
    expect(r.res.status).toBe(401);
    expect(r.json.error.data.code).toBe('INVALID_TOKEN');
    expect(r.json.error.message).toBe('Invalid member session token');
  });
});

describe('revocation and signing-key rotation', () => {
  let runtimeA: { text: string; signing: RuntimeJwk; encryption: RuntimeJwk };
  let runtimeB: { signing: RuntimeJwk };

  beforeAll(async () => {
    runtimeA = await generateRuntimeKeys();
    runtimeB = await generateRuntimeKeys();
  });

  async function build(cfg: TengineConfig, runtimeKeys: string, now?: () => number) {
    const built = await inProcessApp(cfg, {}, { runtimeKeys, allowDevelopment: true, ...(now ? { now } : {}) }); // config() has a `dev` project
    closers.push(built.close);
    return built;
  }

  it('removing the integration revokes its sessions (SESSION_REVOKED) and its API key (INVALID_TOKEN)', async () => {
    const a = await build(config(upstream.url), runtimeA.text);
    const apiKey = a.apiKeys['crm/backend']!;
    const token = await memberToken({ on: a.app, key: apiKey });
    expect((await callTool('mcp_whoami', token, a.app)).res.status).toBe(200);

    const b = await build(config(upstream.url, [{ id: 'frontend', kind: 'api_key' }]), runtimeA.text);
    const revoked = await callTool('mcp_whoami', token, b.app);
    expect(revoked.res.status, revoked.text).toBe(401);
    expect(revoked.json.error.data.code).toBe('SESSION_REVOKED');
    expect(revoked.res.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const oldKey = await callTool('mcp_whoami', apiKey, b.app);
    expect(oldKey.res.status).toBe(401);
    expect(oldKey.json.error.data.code).toBe('INVALID_TOKEN');
    expect(oldKey.json.error.message).toBe('Invalid or inactive API key');

    // The same runtime keys: a token of the surviving integration still works on B.
    const fresh = await memberToken({ on: b.app, key: b.apiKeys['crm/frontend']! });
    expect((await callTool('mcp_whoami', fresh, b.app)).json.result.structuredContent).toMatchObject({ auth: 'member', integration_id: 'frontend' });
  });

  it('an old signing key whose exp has passed no longer verifies its tokens and leaves the JWKS', async () => {
    const oldSig = runtimeA.signing;
    const newSig = runtimeB.signing;
    const before = await build(config(upstream.url), runtimeKeySetText([oldSig, newSig, runtimeA.encryption]));
    const token = await memberToken({ on: before.app, key: before.apiKeys['crm/backend']! });
    expect(decodeProtectedHeader(token.slice('tng_mst_'.length)).kid).toBe(oldSig.kid);

    const now = Math.floor(Date.now() / 1000);
    const after = await build(config(upstream.url), runtimeKeySetText([{ ...oldSig, exp: now - 60 }, newSig, runtimeA.encryption]));
    const r = await callTool('mcp_whoami', token, after.app);
    expect(r.res.status, r.text).toBe(401);
    expect(r.json.error.data.code).toBe('INVALID_TOKEN');
    expect(r.res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await jwksOf(after.app)).keys.map((k) => k.kid)).toEqual([newSig.kid]);

    // New tokens come from the new key and work.
    const fresh = await memberToken({ on: after.app, key: after.apiKeys['crm/backend']! });
    expect(decodeProtectedHeader(fresh.slice('tng_mst_'.length)).kid).toBe(newSig.kid);
    expect((await callTool('mcp_whoami', fresh, after.app)).res.status).toBe(200);
  });

  it('an old signing key whose exp is still ahead keeps verifying its tokens and stays listed; the new key signs', async () => {
    const oldSig = runtimeA.signing;
    const newSig = runtimeB.signing;
    const before = await build(config(upstream.url), runtimeKeySetText([oldSig, newSig, runtimeA.encryption]));
    const token = await memberToken({ on: before.app, key: before.apiKeys['crm/backend']! });
    expect(decodeProtectedHeader(token.slice('tng_mst_'.length)).kid).toBe(oldSig.kid);

    const now = Math.floor(Date.now() / 1000);
    const grace = await build(config(upstream.url), runtimeKeySetText([{ ...oldSig, exp: now + 3600 }, newSig, runtimeA.encryption]));
    const r = await callTool('mcp_whoami', token, grace.app);
    expect(r.res.status, r.text).toBe(200);
    expect(r.json.result.structuredContent).toMatchObject({ auth: 'member', member: { id: 'alice' } });
    const jwks = await jwksOf(grace.app);
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldSig.kid, newSig.kid].sort());
    await expect(jwtVerify(token.slice('tng_mst_'.length), createLocalJWKSet(jwks), { typ: 'tng-mst+jwt', audience: 'tengine:member-session' })).resolves.toBeDefined();

    const fresh = await memberToken({ on: grace.app, key: grace.apiKeys['crm/backend']! });
    expect(decodeProtectedHeader(fresh.slice('tng_mst_'.length)).kid).toBe(newSig.kid);
  });
  // BUG (kept failing on purpose): SessionTokens.verify answers from its token cache before RuntimeJwt.verify runs,
  // so a token verified once keeps working after its signing key's `exp` (retire time) has passed, while the same
  // token presented to an instance that has not cached it is refused and the key is gone from the JWKS.
  it('a token verified before its signing key retires is refused once the retire time has passed (same instance)', async () => {
    const oldSig = runtimeA.signing;
    const newSig = runtimeB.signing;
    const minter = await build(config(upstream.url), runtimeKeySetText([oldSig, newSig, runtimeA.encryption]));
    const token = await memberToken({ on: minter.app, key: minter.apiKeys['crm/backend']! });
    const retireAt = Math.floor(Date.now() / 1000) + 60;
    let offset = 0;
    const rotated = await build(config(upstream.url), runtimeKeySetText([{ ...oldSig, exp: retireAt }, newSig, runtimeA.encryption]), () => Date.now() + offset);
    expect((await callTool('mcp_whoami', token, rotated.app)).res.status).toBe(200);
    offset = 120_000; // the old key is retired now; the token itself is valid for 13 more minutes
    expect((await jwksOf(rotated.app)).keys.map((k) => k.kid)).toEqual([newSig.kid]);
    const r = await callTool('mcp_whoami', token, rotated.app);
    expect({ status: r.res.status, code: r.json.error?.data?.code }).toEqual({ status: 401, code: 'INVALID_TOKEN' });
  });

  // BUG (kept failing on purpose): RuntimeJwt picks its signing key once, in the constructor. When every signing key
  // carries `exp`, the chosen one keeps signing after it retired, so the exchange answers 200 with a token that the
  // same instance refuses at /mcp (INVALID_TOKEN) and that no published JWKS key verifies.
  it('after the only signing key retires, the exchange does not hand out tokens the runtime refuses', async () => {
    const retireAt = Math.floor(Date.now() / 1000) + 60;
    let offset = 0;
    const built = await build(config(upstream.url), runtimeKeySetText([{ ...runtimeB.signing, exp: retireAt }, runtimeA.encryption]), () => Date.now() + offset);
    offset = 120_000;
    expect((await jwksOf(built.app)).keys).toEqual([]);
    const a = await exchange({ member_assertion: await mintAssertion(keys.ES256, 'crm', { iat: Math.floor((Date.now() + offset) / 1000) }) }, { on: built.app, key: built.apiKeys['crm/backend']! });
    if (a.res.status === 200) {
      const r = await callTool('mcp_whoami', a.json!.token as string, built.app);
      expect({ status: r.res.status, code: r.json.error?.data?.code }, 'a freshly minted token must be usable').toEqual({ status: 200, code: undefined });
    } else {
      expect(a.res.status).toBe(503);
      expect(a.json).not.toHaveProperty('token');
    }
  });
});
