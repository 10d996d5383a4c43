// Issue 9, "Bad input": each refusal of the authorization server gets the RFC error (or an error page where a
// redirect would be unsafe), and nothing is issued. In-process through the same Hono app production serves.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { answerConsent, approveSignIn } from './fixtures/oauth-helpers.js';
import { OAUTH_ERRORS } from '../runtime/oauth/errors.js';
import { inProcessApp } from './fixtures/runtime-harness.js';
import { createMemoryStore } from '../runtime/store/memory-store.js';
import { CODE_TTL_MS } from '../runtime/oauth/grants.js';

const BASE = 'http://127.0.0.1:8080';
const CONF = { id: 'desk-client-1', secret: `tng_cs_${randomBytes(32).toString('base64url')}` };
const OTHER = { id: 'other-client-2', secret: `tng_cs_${randomBytes(32).toString('base64url')}` };
const REDIRECT = 'https://claude.ai/api/mcp/auth_callback';
const LOOPBACK = 'http://localhost:3118/callback';
const CONNECT = { id: 'public-cli-4', secret: `tng_cn_${randomBytes(32).toString('base64url')}` };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const config: TengineConfig = {
  version: 1,
  // This suite sends a few hundred requests within a second, all from the one address of an in-process request: the
  // per-address endpoint limits (their own tests are in test/endpoint-limits.test.ts) would refuse the tail of them.
  runtime: { endpoint_limits: { token: { per_ip: 'off' }, revoke: { per_ip: 'off' }, authorize: { per_ip: 'off' }, login_callback: { per_ip: 'off' } } },
  projects: [
    {
      id: 'alpha',
      scopes: [{ name: 'a:read' }, { name: 'a:write', implies: ['a:read'] }],
      integrations: [
        { id: 'desk', kind: 'oauth', client_id: CONF.id, client_secret_sha256: sha(CONF.secret), redirect_uris: [REDIRECT, LOOPBACK], scopes: ['a:read'] },
        { id: 'other', kind: 'oauth', client_id: OTHER.id, client_secret_sha256: sha(OTHER.secret), redirect_uris: [REDIRECT], scopes: ['a:read', 'a:write'] },
        // A public client without a connect secret: `tengine validate` refuses it (TNG235); a hand-built bundle may hold one.
        { id: 'cli', kind: 'oauth', client_id: 'public-cli-3', redirect_uris: [LOOPBACK], scopes: ['a:read'] },
        { id: 'agents', kind: 'oauth', client_id: CONNECT.id, connect_secret_sha256: sha(CONNECT.secret), redirect_uris: [LOOPBACK], scopes: ['a:read'] },
      ],
      tools: [],
    },
  ],
};

let t: Awaited<ReturnType<typeof inProcessApp>>;
/** Everything the runtime logged while these tests ran. */
const logs: Record<string, unknown>[] = [];
beforeAll(async () => {
  t = await inProcessApp(config, {}, { log: (e) => logs.push(e) });
});
afterAll(async () => t?.close());

const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');

function authorizeUrl(over: Record<string, string | undefined> = {}): string {
  const p = new URLSearchParams();
  const all = { response_type: 'code', client_id: CONF.id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's1', ...over };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) p.set(k, v);
  return `/api/v1/mcp-oauth/authorize?${p}`;
}

/** Walks the consent page like a browser and returns the code. */
async function codeFor(over: Record<string, string | undefined> = {}): Promise<string> {
  return (await approveSignIn(app, authorizeUrl(over))).searchParams.get('code')!;
}

/** The in-process app as a fetcher. */
const app = (url: string, init?: RequestInit) => t.app.request(url, init);

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A token request; a code exchange names the authorization request's redirect URI unless the body says otherwise ('' omits it). */
async function token(body: Record<string, string>, authorization: string | null = basic(CONF.id, CONF.secret)) {
  if (body.grant_type === 'authorization_code' && !('redirect_uri' in body)) body = { ...body, redirect_uri: REDIRECT };
  const res = await t.app.request('/api/v1/mcp-oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(body).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, string> };
}

describe('discovery', () => {
  it('RFC 8414 metadata at both well-known paths, issuer exactly the public URL', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const res = await t.app.request(path);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        issuer: BASE,
        authorization_endpoint: `${BASE}/api/v1/mcp-oauth/authorize`,
        token_endpoint: `${BASE}/api/v1/mcp-oauth/token`,
        revocation_endpoint: `${BASE}/api/v1/mcp-oauth/revoke`,
        code_challenge_methods_supported: ['S256'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        scopes_supported: ['a:read', 'a:write'],
      });
    }
  });

  it('RFC 9728 metadata names the authorization server; the 401 challenge carries the scopes', async () => {
    const prm = (await (await t.app.request('/.well-known/oauth-protected-resource/mcp')).json()) as Record<string, unknown>;
    expect(prm).toMatchObject({ resource: `${BASE}/mcp`, authorization_servers: [BASE], scopes_supported: ['a:read', 'a:write'] });
    const res = await t.app.request('/mcp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp", scope="a:read a:write"`);
  });
});

describe('authorize: errors before the redirect URI is trusted render a page, never a redirect', () => {
  it.each([
    ['an unknown client', { client_id: 'nobody-here' }],
    ['no client_id', { client_id: undefined }],
    ['a trailing slash', { redirect_uri: `${REDIRECT}/` }],
    ['upper case', { redirect_uri: REDIRECT.toUpperCase() }],
    ['an extra path', { redirect_uri: `${REDIRECT}/x` }],
    ['a query', { redirect_uri: `${REDIRECT}?a=1` }],
    ['a fragment', { redirect_uri: `${REDIRECT}#f` }],
    ['userinfo', { redirect_uri: 'https://evil@claude.ai/api/mcp/auth_callback' }],
    ['http on a non-loopback host', { redirect_uri: 'http://claude.ai/api/mcp/auth_callback' }],
    ['localhost.evil.example', { redirect_uri: 'http://localhost.evil.example:3118/callback' }],
    ['no redirect_uri while two are registered', { redirect_uri: undefined }],
  ])('%s', async (_name, over) => {
    const res = await t.app.request(authorizeUrl(over));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toContain('invalid_request');
  });

  it('a duplicated parameter is refused on a page', async () => {
    const res = await t.app.request(`${authorizeUrl()}&client_id=${OTHER.id}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('a loopback redirect URI on another port is served (RFC 8252 §7.3)', async () => {
    const res = await t.app.request(authorizeUrl({ redirect_uri: 'http://localhost:51234/callback' }));
    expect(res.status).toBe(200);
  });
});

describe('authorize: later errors go back to the client with state and iss', () => {
  it.each([
    ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
    ['no PKCE', { code_challenge: undefined }, 'invalid_request'],
    ['PKCE plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['a scope above the ceiling', { scope: 'a:read a:write' }, 'invalid_scope'],
    ['another resource', { resource: 'https://other.example/mcp' }, 'invalid_target'],
    ['a public client without a connect secret (hand-built bundle)', { client_id: 'public-cli-3', redirect_uri: LOOPBACK }, 'unauthorized_client'],
  ])('%s → %s', async (_name, over, code) => {
    const res = await t.app.request(authorizeUrl(over));
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe(code);
    expect(back.searchParams.get('state')).toBe('s1');
    expect(back.searchParams.get('iss')).toBe(BASE);
    expect(back.searchParams.get('code')).toBeNull();
  });
});

describe('consent: CSRF and single use', () => {
  async function page() {
    const res = await t.app.request(authorizeUrl());
    const html = await res.text();
    const field = (n: string) => new RegExp(`name="${n}" value="([^"]+)"`).exec(html)![1]!;
    return { requestId: field('request_id'), csrf: field('csrf_token'), cookie: res.headers.get('set-cookie')!.split(';')[0]! };
  }
  const post = (body: Record<string, string>, cookie?: string) =>
    t.app.request('/api/v1/mcp-oauth/authorize', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(body).toString(),
    });

  it('without the cookie: refused (403 page), and the request is spent', async () => {
    const p = await page();
    const res = await post({ request_id: p.requestId, csrf_token: p.csrf, decision: 'approve' });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    const again = await post({ request_id: p.requestId, csrf_token: p.csrf, decision: 'approve' }, p.cookie);
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
  });

  it("with another session's CSRF token: refused", async () => {
    const [mine, theirs] = [await page(), await page()];
    const res = await post({ request_id: mine.requestId, csrf_token: theirs.csrf, decision: 'approve' }, theirs.cookie);
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
  });
});

describe('scope implications', () => {
  it('a:write implies a:read: a client asking for a:write alone is granted both', async () => {
    const page = await t.app.request(authorizeUrl({ client_id: OTHER.id, scope: 'a:write' }));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<code>a:read</code>');
    expect(html).toContain('<code>a:write</code>');
  });
});

describe('token endpoint', () => {
  it('a code redeems once, with the verifier; the answer is not cached', async () => {
    const code = await codeFor();
    const ok = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'a:read' });
  });

  it('a reused code is invalid_grant and revokes the refresh token the first redemption issued', async () => {
    const code = await codeFor();
    const first = await token({ grant_type: 'authorization_code', code, code_verifier: verifier });
    const second = await token({ grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(second).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token! });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it.each([
    ['a wrong verifier', () => ({ code_verifier: randomBytes(32).toString('base64url') }), 'invalid_grant'],
    ['no verifier', () => ({ code_verifier: undefined }), 'invalid_grant'],
    ['another redirect_uri', () => ({ redirect_uri: LOOPBACK }), 'invalid_grant'],
    ['another resource', () => ({ resource: 'https://other.example/mcp' }), 'invalid_target'],
  ])('%s → %s, and the code is spent', async (_name, change, code) => {
    const c = await codeFor();
    const body: Record<string, string> = { grant_type: 'authorization_code', code: c, code_verifier: verifier };
    for (const [k, v] of Object.entries(change())) if (v === undefined) delete body[k]; else body[k] = v;
    expect(await token(body)).toMatchObject({ status: 400, body: { error: code } });
    expect(await token({ grant_type: 'authorization_code', code: c, code_verifier: verifier })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a code whose authorization request named redirect_uri needs it at the token endpoint (RFC 6749 §4.1.3)', async () => {
    const c = await codeFor();
    expect(await token({ grant_type: 'authorization_code', code: c, code_verifier: verifier, redirect_uri: '' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('a code of another client is invalid_grant', async () => {
    const c = await codeFor();
    expect(await token({ grant_type: 'authorization_code', code: c, code_verifier: verifier }, basic(OTHER.id, OTHER.secret))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('an expired or unknown code is invalid_grant', async () => {
    expect(await token({ grant_type: 'authorization_code', code: `tng_ac_${randomBytes(32).toString('base64url')}`, code_verifier: verifier })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it.each([
    ['a wrong secret (Basic)', basic(CONF.id, 'tng_cs_wrong'), 401, true],
    ['an unknown client (Basic)', basic('nobody-here', 'x'), 401, true],
    ['no client authentication', null, 400, false],
  ])('%s → invalid_client', async (_name, authorization, status, challenged) => {
    const res = await token({ grant_type: 'authorization_code', code: 'tng_ac_x', code_verifier: verifier }, authorization);
    expect(res).toMatchObject({ status, body: { error: 'invalid_client' } });
    expect(res.headers.get('www-authenticate') !== null).toBe(challenged);
  });

  it('client_secret_post works; a confidential client without its secret is invalid_client', async () => {
    const c = await codeFor();
    const ok = await token({ grant_type: 'authorization_code', code: c, code_verifier: verifier, client_id: CONF.id, client_secret: CONF.secret }, null);
    expect(ok.status).toBe(200);
    expect(await token({ grant_type: 'authorization_code', code: 'tng_ac_x', client_id: CONF.id }, null)).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
  });

  it('a refresh token of another client is invalid_grant and revokes its family', async () => {
    const issued = await token({ grant_type: 'authorization_code', code: await codeFor(), code_verifier: verifier });
    expect(await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token! }, basic(OTHER.id, OTHER.secret))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token! })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a narrowed refresh narrows that access token only: the next refresh gets the whole grant back (RFC 6749 §6)', async () => {
    const code = (await approveSignIn(app, authorizeUrl({ client_id: OTHER.id }))).searchParams.get('code')!;
    const other = basic(OTHER.id, OTHER.secret);
    const first = await token({ grant_type: 'authorization_code', code, code_verifier: verifier }, other);
    expect(first.body.scope).toBe('a:read a:write');
    const narrowed = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token!, scope: 'a:read' }, other);
    expect(narrowed.body.scope).toBe('a:read');
    const again = await token({ grant_type: 'refresh_token', refresh_token: narrowed.body.refresh_token! }, other);
    expect(again.body.scope).toBe('a:read a:write');
  });

  it('a refresh may narrow the scopes, never widen them', async () => {
    const issued = await token({ grant_type: 'authorization_code', code: await codeFor(), code_verifier: verifier });
    expect(await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token!, scope: 'a:write' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('after revocation (RFC 7009) the refresh token is refused; unknown tokens revoke with 200', async () => {
    const issued = await token({ grant_type: 'authorization_code', code: await codeFor(), code_verifier: verifier });
    const revoke = (tok: string) =>
      t.app.request('/api/v1/mcp-oauth/revoke', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(CONF.id, CONF.secret) }, body: new URLSearchParams({ token: tok }).toString() });
    expect((await revoke(issued.body.refresh_token!)).status).toBe(200);
    expect(await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token! })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await revoke('tng_rt_unknown')).status).toBe(200);
  });

  it.each([
    ['an unsupported grant type', { grant_type: 'password' }, 'unsupported_grant_type'],
    ['no grant type', {}, 'invalid_request'],
  ])('%s → %s', async (_name, body, code) => {
    expect(await token(body)).toMatchObject({ status: 400, body: { error: code } });
  });

  it('duplicated parameters, a JSON body and an oversized body are invalid_request', async () => {
    const dup = await t.app.request('/api/v1/mcp-oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(CONF.id, CONF.secret) }, body: 'grant_type=authorization_code&code=a&code=b' });
    expect(dup.status).toBe(400);
    expect(await dup.json()).toMatchObject({ error: 'invalid_request' });
    const json = await t.app.request('/api/v1/mcp-oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"authorization_code"}' });
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
    const big = await t.app.request('/api/v1/mcp-oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=x&pad=${'a'.repeat(20_000)}` });
    expect(await big.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('access tokens at /mcp', () => {
  const mcp = (authorization: string) =>
    t.app.request('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', authorization }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'mcp_whoami', arguments: {} } }) });

  it('an issued token authenticates; an altered one is invalid_token', async () => {
    const issued = await token({ grant_type: 'authorization_code', code: await codeFor(), code_verifier: verifier });
    const ok = await mcp(`Bearer ${issued.body.access_token}`);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { result: { structuredContent: Record<string, unknown> } };
    expect(body.result.structuredContent).toMatchObject({ auth: 'oauth', integration_id: 'desk', scopes: ['a:read'] });
    const tampered = issued.body.access_token!.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    const bad = await mcp(`Bearer ${tampered}`);
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('browser clients', () => {
  it('the token and revocation endpoints answer CORS preflights and carry Access-Control-Allow-Origin: *', async () => {
    for (const path of ['/api/v1/mcp-oauth/token', '/api/v1/mcp-oauth/revoke']) {
      const pre = await t.app.request(path, { method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization');
      const res = await token({ grant_type: 'password' });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('the consent page routes grant no CORS', async () => {
    const res = await t.app.request(authorizeUrl(), { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('a public client signs in with the connect secret', () => {
  async function consent(connectSecret: string | undefined) {
    const page = await t.app.request(authorizeUrl({ client_id: CONNECT.id, redirect_uri: 'http://localhost:40001/callback' }));
    expect(page.status).toBe(200);
    expect(await page.clone().text()).toContain('name="connect_secret" type="password"');
    return answerConsent(app, page, connectSecret !== undefined ? { connectSecret } : {});
  }

  it.each([
    ['a wrong connect secret', 'tng_cn_wrong'],
    ['no connect secret', undefined],
  ])('%s: a 403 page, no code, no redirect', async (_name, secret) => {
    const res = await consent(secret);
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('access_denied');
  });

  it('the right one: a code, redeemed with client_id alone (no secret) and the verifier', async () => {
    const res = await consent(CONNECT.secret);
    expect(res.status).toBe(302);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const ok = await token({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: CONNECT.id, redirect_uri: 'http://localhost:40001/callback' }, null);
    expect(ok).toMatchObject({ status: 200, body: { token_type: 'Bearer', scope: 'a:read' } });
    // A public client may not present a secret it does not have.
    expect(await token({ grant_type: 'refresh_token', refresh_token: ok.body.refresh_token!, client_id: CONNECT.id, client_secret: 'x' }, null)).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    expect(await token({ grant_type: 'refresh_token', refresh_token: ok.body.refresh_token!, client_id: CONNECT.id }, null)).toMatchObject({ status: 200 });
  });
});

describe('bodies are read through a 16 KiB limit, chunked ones too', () => {
  /** A chunked form body of up to 64 MiB that counts how much the server pulled. */
  function countingBody() {
    const chunk = new TextEncoder().encode('a='.padEnd(64 * 1024, 'x'));
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 64 * 1024 * 1024) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    return { stream, pulled: () => pulled };
  }

  it.each(['/api/v1/mcp-oauth/token', '/api/v1/mcp-oauth/revoke', '/api/v1/mcp-oauth/register', '/api/v1/mcp-oauth/authorize', '/api/v1/mcp-oauth/login-callback'])('%s: 413, the connection closed, at most a few chunks read', async (path) => {
    const body = countingBody();
    const req = new Request(`${BASE}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
      body: body.stream,
      duplex: 'half',
    } as RequestInit);
    const res = await t.app.request(req);
    expect(res.status).toBe(path.endsWith('/register') ? 404 : 413);
    if (res.status === 413) expect(res.headers.get('connection')).toBe('close');
    expect(body.pulled()).toBeLessThan(1024 * 1024);
  });
});

describe('refusals are logged with their code, never with a secret', () => {
  it('revoke without a token is invalid_request', async () => {
    const res = await t.app.request('/api/v1/mcp-oauth/revoke', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(CONF.id, CONF.secret) }, body: '' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('every oauth_refused line of this suite names an RFC code; no client secret, connect secret, code or token appears in any line', async () => {
    // Run after the suites above (vitest runs a file's tests in order): they sent wrong secrets, codes and tokens.
    const refused = logs.filter((l) => l.event === 'oauth_refused');
    expect(refused.length).toBeGreaterThan(20);
    for (const l of refused) expect(Object.keys(OAUTH_ERRORS)).toContain(l.error);
    // Each refusal is its request's one audit line (issue 10 §3): with the request id and the RFC code as outcome.
    for (const l of refused) expect(l).toMatchObject({ audit: true, route: 'oauth', request_id: expect.stringMatching(/^[0-9a-f-]{36}$/), code: l.error });
    const issued = logs.filter((l) => l.event === 'oauth_token_issued');
    expect(issued.length).toBeGreaterThan(0);
    for (const l of issued) expect(l).toMatchObject({ audit: true, route: 'oauth', status: 200, code: 'OK', grant_type: expect.stringMatching(/^(authorization_code|refresh_token)$/), request_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const ids = logs.filter((l) => l.audit === true).map((l) => l.request_id);
    expect(new Set(ids).size).toBe(ids.length);
    const text = JSON.stringify(logs);
    for (const secret of [CONF.secret, OTHER.secret, CONNECT.secret, 'tng_cs_wrong', 'tng_cn_wrong']) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/tng_(ac|rt)_[A-Za-z0-9_-]{20}/);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\./);
  });
});

describe('an authorization code expires after 60 seconds', () => {
  it('redeemed at 59 s it works; at 61 s it is invalid_grant and nothing is issued', async () => {
    // One clock for the app and its store, moved by the test: the code's life is the store key's TTL.
    let clock = Date.now();
    const now = () => clock;
    const timed = await inProcessApp(config, {}, { now, store: createMemoryStore({ now }) });
    try {
      const timedApp = (url: string, init?: RequestInit) => timed.app.request(url, init);
      const redeem = async (code: string) => {
        const res = await timed.app.request('/api/v1/mcp-oauth/token', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(CONF.id, CONF.secret) },
          body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }).toString(),
        });
        return { status: res.status, body: (await res.json()) as Record<string, string> };
      };
      const fresh = (await approveSignIn(timedApp, authorizeUrl())).searchParams.get('code')!;
      clock += CODE_TTL_MS - 1_000;
      expect(await redeem(fresh)).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });

      const stale = (await approveSignIn(timedApp, authorizeUrl())).searchParams.get('code')!;
      clock += CODE_TTL_MS + 1_000;
      const late = await redeem(stale);
      expect(late.status).toBe(400);
      expect(late.body.error).toBe('invalid_grant');
      expect(late.body).not.toHaveProperty('access_token');
    } finally {
      await timed.close();
    }
  });
});
