// Issue 9: a call above the grant is the tool error INSUFFICIENT_SCOPE plus an `insufficient_scope` challenge (MCP
// authorization 2025-11-25, scope challenges) naming what the connection has and what the call needs, so a client
// that signs in again keeps its other tools. Scopes outside the integration's ceiling get the tool error alone: no
// sign-in could grant them.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { approveSignIn } from './fixtures/oauth-helpers.js';
import { inProcessApp, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

const CLIENT = { id: 'scoped-desk-1', secret: `tng_cs_${randomBytes(32).toString('base64url')}` };
const REDIRECT = 'https://claude.ai/api/mcp/auth_callback';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const verifier = randomBytes(32).toString('base64url');

let upstream: TestUpstream;
let t: Awaited<ReturnType<typeof inProcessApp>>;

beforeAll(async () => {
  upstream = await startUpstream();
  const tool = (name: string, scopes: string[]): Tool => ({ name, description: `Tool ${name}`, input_schema: { type: 'object', properties: {} }, base_url: upstream.url, http_method: 'GET', endpoint_path: `/${name}`, scopes });
  const config: TengineConfig = {
    version: 1,
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        scopes: [{ name: 'a:read' }, { name: 'a:write' }, { name: 'a:admin' }],
        integrations: [
          { id: 'backend', kind: 'api_key' },
          { id: 'desk', kind: 'oauth', client_id: CLIENT.id, client_secret_sha256: sha(CLIENT.secret), redirect_uris: [REDIRECT], scopes: ['a:read', 'a:write'] },
        ],
        tools: [tool('read_a', ['a:read']), tool('write_a', ['a:write']), tool('purge_a', ['a:admin'])],
      },
    ],
  };
  t = await inProcessApp(config, {}, { allowDevelopment: true });
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

const app = (url: string, init?: RequestInit) => t.app.request(url, init);

/** Signs in through the consent page asking for `scope`; returns the access token. */
async function signIn(scope: string): Promise<string> {
  const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT.id, redirect_uri: REDIRECT, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', state: 's', scope });
  const back = await approveSignIn(app, `/api/v1/mcp-oauth/authorize?${q}`);
  const res = await app('/api/v1/mcp-oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT }).toString(),
  });
  const body = (await res.json()) as { access_token: string; scope: string };
  expect(body.scope).toBe(scope);
  return body.access_token;
}

/** A tools/call; returns the HTTP response and the JSON-RPC result (parsed from JSON or from the one SSE event). */
async function call(bearer: string, name: string, accept = 'application/json, text/event-stream') {
  const res = await app('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${bearer}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }) });
  const text = await res.text();
  const json = text.startsWith('event:') ? text.split('\n').find((l) => l.startsWith('data: '))!.slice(6) : text;
  const result = (JSON.parse(json) as { result: { isError?: boolean; _meta?: Record<string, Record<string, unknown>> } }).result;
  return { res, result, error: result._meta?.['tengine.dev/error'] };
}

describe('scope challenges', () => {
  it('a call needing a scope the integration may grant: the tool error names it, and the challenge asks for it with the granted ones', async () => {
    const token = await signIn('a:read');
    const hits = upstream.requests.length;
    const { res, result, error } = await call(token, 'write_a');
    expect(res.status).toBe(200);
    expect(result.isError).toBe(true);
    expect(error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', status: 403, missing_scopes: ['a:write'] });
    expect(String(error!.detail)).toContain('sign in again');
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="a:read a:write", resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp", error_description="this tool needs a:write"',
    );
    expect(upstream.requests.length).toBe(hits);
  });

  it('the same over an SSE-only response', async () => {
    const { res, error } = await call(await signIn('a:read'), 'write_a', 'text/event-stream');
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(error).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('signing in again with the challenged scope makes the call work', async () => {
    const { res } = await call(await signIn('a:read'), 'write_a');
    const scope = /scope="([^"]+)"/.exec(res.headers.get('www-authenticate')!)![1]!;
    const wider = await signIn(scope);
    const again = await call(wider, 'write_a');
    expect(again.result.isError).toBeFalsy();
    expect(again.res.headers.get('www-authenticate')).toBeNull();
    expect(upstream.requests.at(-1)!.url).toBe('/write_a');
  });

  it('a scope outside the ceiling: the tool error only, no challenge (no sign-in could grant it)', async () => {
    const { res, error } = await call(await signIn('a:read a:write'), 'purge_a');
    expect(error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', status: 403 });
    expect(error).not.toHaveProperty('missing_scopes');
    expect(String(error!.detail)).toContain('no sign-in can grant it');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('successful calls and API-key callers carry no challenge', async () => {
    const ok = await call(await signIn('a:read'), 'read_a');
    expect(ok.result.isError).toBeFalsy();
    expect(ok.res.headers.get('www-authenticate')).toBeNull();
    const key = await call(t.apiKeys['alpha/backend']!, 'purge_a');
    expect(key.result.isError).toBeFalsy();
    expect(key.res.headers.get('www-authenticate')).toBeNull();
  });
});
