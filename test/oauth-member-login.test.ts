// Issue 9: members sign in through the customer's own login page. The authorize endpoint sends the browser to
// `login_url` with a nonce; the login page signs its user in and sends back a member assertion carrying the nonce
// (signed with a registered assertion key); the consent page then names the member, and the grant, the access token
// and every upstream call carry them. In-process through the production app, with a real loopback upstream that
// records the identity headers it receives.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { assertionKeyConfig, generateAssertionKey, mintAssertion, type TestAssertionKey } from './fixtures/member-fixtures.js';
import { answerConsent } from './fixtures/oauth-helpers.js';
import { inProcessApp, LOOPBACK_UPSTREAMS_IN_PRODUCTION, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

const LOGIN = 'https://accounts.example.com/tengine-login';
const REDIRECT = 'http://127.0.0.1:33418/callback';
const CLIENT_ID = 'members-cli-1';

let key: TestAssertionKey;
let other: TestAssertionKey;
let upstream: TestUpstream;
let t: Awaited<ReturnType<typeof inProcessApp>>;

beforeAll(async () => {
  key = generateAssertionKey('ES256', 'login-2026');
  other = generateAssertionKey('ES256', 'beta-key');
  upstream = await startUpstream();
  const config: TengineConfig = {
    version: 1,
    projects: [
      {
        id: 'alpha',
        assertion_keys: [assertionKeyConfig(key)],
        scopes: [{ name: 'notes:read' }],
        integrations: [{ id: 'members', kind: 'oauth', name: 'Team agents', client_id: CLIENT_ID, login_url: LOGIN, redirect_uris: [REDIRECT], scopes: ['notes:read'] }],
        tools: [
          {
            name: 'my_notes',
            description: 'Notes of the calling member',
            input_schema: { type: 'object', properties: {} },
            base_url: upstream.url,
            http_method: 'GET',
            endpoint_path: '/notes',
            require_member: true,
            inject_member_identity: { id: true, email: true },
            scopes: ['notes:read'],
          },
        ],
      },
      { id: 'beta', assertion_keys: [assertionKeyConfig(other)], integrations: [{ id: 'backend', kind: 'api_key' }], tools: [] },
    ],
  };
  t = await inProcessApp(config, {}, { upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION });
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

const verifier = randomBytes(32).toString('base64url');

/**
 * The client opens the authorize URL; the runtime sends the browser to the login page. Returns the nonce, the
 * callback and the cookie that marks this browser.
 */
async function startSignIn(): Promise<{ nonce: string; callback: string; cookie: string }> {
  const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: 'http://127.0.0.1:50505/callback', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', state: 'st' });
  const res = await t.app.request(`/api/v1/mcp-oauth/authorize?${q}`);
  expect(res.status).toBe(302);
  const login = new URL(res.headers.get('location')!);
  expect(`${login.origin}${login.pathname}`).toBe(LOGIN);
  expect(login.searchParams.get('tengine_project')).toBe('alpha');
  const cookie = res.headers.get('set-cookie')!;
  expect(cookie).toMatch(/SameSite=Lax/i);
  return { nonce: login.searchParams.get('tengine_request')!, callback: login.searchParams.get('tengine_callback')!, cookie: cookie.split(';')[0]! };
}

/** The browser follows the callback's redirect to the consent page, with its cookie (or another browser's). */
async function continueAt(callbackAnswer: Response, cookie: string): Promise<Response> {
  expect(callbackAnswer.status).toBe(303);
  const next = new URL(callbackAnswer.headers.get('location')!);
  return t.app.request(`${next.pathname}${next.search}`, { headers: { cookie } });
}

/** The login page posts the assertion back (an auto-submitted form). */
function callBack(callback: string, body: Record<string, string>) {
  return t.app.request(new URL(callback).pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
}

async function approve(consentPage: Response): Promise<string> {
  const res = await answerConsent((u, i) => t.app.request(u, i), consentPage);
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(back.searchParams.get('state')).toBe('st');
  return back.searchParams.get('code')!;
}

describe('member sign-in through login_url', () => {
  it('login, consent naming the member, token: calls carry the member to the upstream', async () => {
    const { nonce, callback, cookie } = await startSignIn();
    expect(callback).toBe('http://127.0.0.1:8080/api/v1/mcp-oauth/login-callback');
    const assertion = await mintAssertion(key, 'alpha', { claims: { sub: 'alice', email: 'alice@example.com', nonce } });
    const page = await continueAt(await callBack(callback, { tengine_request: nonce, assertion }), cookie);
    expect(page.status).toBe(200);
    const html = await page.clone().text();
    expect(html).toContain('alice@example.com');
    expect(html).not.toContain('connect_secret');
    const code = await approve(page);
    const tok = await t.app.request('/api/v1/mcp-oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: CLIENT_ID, redirect_uri: 'http://127.0.0.1:50505/callback' }).toString(),
    });
    expect(tok.status).toBe(200);
    const { access_token: access } = (await tok.json()) as { access_token: string };
    const payload = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ sub: 'alice', member: { id: 'alice', email: 'alice@example.com' }, client_id: CLIENT_ID });
    const call = await t.app.request('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${access}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'my_notes', arguments: {} } }),
    });
    const body = (await call.json()) as { result: { isError?: boolean } };
    expect(body.result.isError).toBeFalsy();
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers['x-tengine-member-id']).toBe('alice');
    expect(seen.headers['x-tengine-member-email']).toBe('alice@example.com');
    expect(seen.headers['x-tengine-integration-id']).toBe('members');
  });

  it('consent cannot be reached without the login: the authorize page is a redirect, never a consent form', async () => {
    const { nonce } = await startSignIn();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it.each([
    ['an assertion for another request (nonce)', async (nonce: string) => ({ tengine_request: nonce, assertion: await mintAssertion(key, 'alpha', { claims: { nonce: 'x'.repeat(32) } }) }), 403],
    ['an assertion without a nonce', async (nonce: string) => ({ tengine_request: nonce, assertion: await mintAssertion(key, 'alpha') }), 403],
    ['an assertion for another project', async (nonce: string) => ({ tengine_request: nonce, assertion: await mintAssertion(other, 'beta', { claims: { nonce } }) }), 403],
    ['an expired assertion', async (nonce: string) => ({ tengine_request: nonce, assertion: await mintAssertion(key, 'alpha', { claims: { nonce }, iat: Math.floor(Date.now() / 1000) - 600 }) }), 403],
    ['an unknown nonce', async () => ({ tengine_request: 'A'.repeat(32), assertion: await mintAssertion(key, 'alpha', { claims: { nonce: 'A'.repeat(32) } }) }), 400],
    ['no assertion', async (nonce: string) => ({ tengine_request: nonce }), 400],
  ])('%s: an error page, no consent form', async (_name, make, status) => {
    const { nonce, callback } = await startSignIn();
    const res = await callBack(callback, await make(nonce));
    expect(res.status).toBe(status);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).not.toContain('csrf_token');
  });

  it('login CSRF: a finished login continues only in the browser that started it', async () => {
    const mine = await startSignIn();
    const theirs = await startSignIn();
    const assertion = await mintAssertion(key, 'alpha', { claims: { sub: 'mallory', nonce: mine.nonce } });
    const answer = await callBack(mine.callback, { tengine_request: mine.nonce, assertion });
    const elsewhere = await continueAt(answer.clone(), theirs.cookie);
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.text()).not.toContain('csrf_token');
    // The ticket was spent by that attempt: not even the right browser can use it now.
    expect((await continueAt(answer, mine.cookie)).status).toBe(400);
    const noCookie = await startSignIn();
    const a2 = await mintAssertion(key, 'alpha', { claims: { nonce: noCookie.nonce } });
    expect((await continueAt(await callBack(noCookie.callback, { tengine_request: noCookie.nonce, assertion: a2 }), '')).status).toBe(403);
  });

  it.each([['a malformed ticket', 'x'], ['an unknown ticket', 'A'.repeat(32)]])('login-continue with %s: an error page, no consent form', async (_name, ticket) => {
    const { cookie } = await startSignIn();
    const res = await t.app.request(`/api/v1/mcp-oauth/login-continue?login=${ticket}`, { headers: { cookie } });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('csrf_token');
  });

  it('the nonce is single use, and so is the assertion', async () => {
    const { nonce, callback } = await startSignIn();
    const assertion = await mintAssertion(key, 'alpha', { claims: { nonce } });
    expect((await callBack(callback, { tengine_request: nonce, assertion })).status).toBe(303);
    expect((await callBack(callback, { tengine_request: nonce, assertion })).status).toBe(400);
    const second = await startSignIn();
    const replay = await callBack(callback, { tengine_request: second.nonce, assertion });
    expect(replay.status).toBe(403);
  });
});
