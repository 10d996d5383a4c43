// Issue 9: dynamic client registration (RFC 7591). The official SDK client, knowing nothing but the MCP URL,
// registers itself, signs in (the person enters the integration's connect secret, since registered clients are
// public), and calls tools; then the refusals of bad registrations, in-process.
import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { answerConsent, MemoryOAuthProvider } from './fixtures/oauth-helpers.js';
import { inProcessApp } from './fixtures/runtime-harness.js';
import { startSdkStage, type SdkStage } from './fixtures/sdk-stage.js';

const CONNECT = `tng_cn_${randomBytes(32).toString('base64url')}`;
const REDIRECT = 'http://localhost:33419/callback';

function config(upstreamUrl: string): TengineConfig {
  return {
    version: 1,
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        scopes: [{ name: 'notes:read' }],
        integrations: [
          { id: 'backend', kind: 'api_key' },
          {
            id: 'agents',
            kind: 'oauth',
            name: 'Agents',
            client_id: 'alpha-agents-configured',
            connect_secret_sha256: createHash('sha256').update(CONNECT).digest('hex'),
            redirect_uris: ['http://localhost:3118/callback'],
            scopes: ['notes:read'],
            dynamic_registration: { allowed_redirect_hosts: ['localhost', '127.0.0.1'], client_ttl: '1h' },
          },
        ],
        tools: [{ name: 'list_notes', description: 'List notes', input_schema: { type: 'object', properties: {} }, base_url: upstreamUrl, http_method: 'GET', endpoint_path: '/notes', scopes: ['notes:read'] }],
      },
    ],
  };
}

describe('the SDK client registers itself and signs in', () => {
  let stage: SdkStage;
  beforeAll(async () => {
    stage = await startSdkStage(config);
  });
  afterAll(async () => stage?.close());

  it('register, consent with the connect secret, code exchange as a public client, calls', async () => {
    // No client information: the SDK registers the client itself.
    const provider = new MemoryOAuthProvider(REDIRECT, undefined, { client_name: 'SDK agent', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' });
    const client = new Client({ name: 'dcr-test', version: '0.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(stage.runtime.mcpUrl), { authProvider: provider });
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.clientInformation()?.client_id).toMatch(/^tng-dcr\./);
    const url = provider.authorizationUrl!;
    expect(url.searchParams.get('client_id')).toBe(provider.clientInformation()!.client_id);
    const page = await fetch(url);
    const html = await page.clone().text();
    expect(html).toContain('SDK agent');
    expect(html).toContain('name="connect_secret"');
    const answer = await answerConsent(fetch, page, { base: url.origin, connectSecret: CONNECT });
    expect(answer.status).toBe(302);
    await transport.finishAuth(new URL(answer.headers.get('location')!).searchParams.get('code')!);
    const connected = new Client({ name: 'dcr-test', version: '0.0.0' });
    await connected.connect(new StreamableHTTPClientTransport(new URL(stage.runtime.mcpUrl), { authProvider: provider }));
    expect((await connected.listTools()).tools.map((t) => t.name).sort()).toEqual(['list_notes', 'mcp_whoami']);
    const who = await connected.callTool({ name: 'mcp_whoami', arguments: {} });
    expect(who.structuredContent).toMatchObject({ auth: 'oauth', integration_id: 'agents', scopes: ['notes:read'] });
    await connected.close();
  });
});

describe('registration refusals (RFC 7591 §3.2.2)', () => {
  let t: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    t = await inProcessApp(config('http://127.0.0.1:9'), {}, { allowDevelopment: true });
  });
  afterAll(async () => t?.close());

  const register = (body: unknown, path = '/api/v1/mcp-oauth/register', type = 'application/json') =>
    t.app.request(path, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('metadata names the registration endpoint; /register answers too', async () => {
    const meta = (await (await t.app.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    expect(meta.registration_endpoint).toBe('http://127.0.0.1:8080/api/v1/mcp-oauth/register');
    const res = await register({ redirect_uris: ['http://127.0.0.1:4000/cb'] }, '/register');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1:4000/cb'], scope: 'notes:read' });
  });

  it.each([
    ['a host not allowed', { redirect_uris: ['https://evil.example/cb'] }, 'invalid_redirect_uri'],
    ['http on a non-loopback host', { redirect_uris: ['http://localhost.evil.example/cb'] }, 'invalid_redirect_uri'],
    ['a fragment', { redirect_uris: ['http://localhost:4000/cb#x'] }, 'invalid_redirect_uri'],
    ['userinfo', { redirect_uris: ['http://user@localhost:4000/cb'] }, 'invalid_redirect_uri'],
    ['no redirect URIs', { redirect_uris: [] }, 'invalid_redirect_uri'],
    ['eleven redirect URIs', { redirect_uris: Array.from({ length: 11 }, (_, i) => `http://localhost:${4000 + i}/cb`) }, 'invalid_redirect_uri'],
    ['a confidential client', { redirect_uris: ['http://localhost:4000/cb'], token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
    ['the implicit grant', { redirect_uris: ['http://localhost:4000/cb'], grant_types: ['implicit'] }, 'invalid_client_metadata'],
    ['a scope above the ceiling', { redirect_uris: ['http://localhost:4000/cb'], scope: 'notes:read admin' }, 'invalid_client_metadata'],
    ['a control character in the name', { redirect_uris: ['http://localhost:4000/cb'], client_name: 'a\u0007b' }, 'invalid_client_metadata'],
    ['not JSON', 'redirect_uris=x', 'invalid_client_metadata'],
    ['a JSON array', [], 'invalid_client_metadata'],
  ])('%s → %s, nothing stored', async (_name, body, code) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ error: code });
  });

  it('an oversized registration (chunked, no length) is 413 after at most a few chunks, the connection closed, nothing stored', async () => {
    let pulled = 0;
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 32 * 1024 * 1024) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const before = (await t.store.keysWithPrefix('oauth:client:', 1000)).length;
    const res = await t.app.request(new Request('http://127.0.0.1:8080/api/v1/mcp-oauth/register', { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: stream, duplex: 'half' } as RequestInit));
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    expect(pulled).toBeLessThan(1024 * 1024);
    expect((await t.store.keysWithPrefix('oauth:client:', 1000)).length).toBe(before);
  });

  it('two registrations at once get two clients', async () => {
    const [a, b] = await Promise.all([register({ redirect_uris: ['http://localhost:4001/cb'] }), register({ redirect_uris: ['http://localhost:4001/cb'] })]);
    const ids = [((await a.json()) as { client_id: string }).client_id, ((await b.json()) as { client_id: string }).client_id];
    expect(new Set(ids).size).toBe(2);
  });

  it('an unknown registered-looking client id gets the error page at authorize', async () => {
    const q = new URLSearchParams({ response_type: 'code', client_id: 'tng-dcr.unknown', redirect_uri: 'http://localhost:4000/cb', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' });
    const res = await t.app.request(`/api/v1/mcp-oauth/authorize?${q}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('a registered client uses exactly its own redirect URIs', async () => {
    const reg = (await (await register({ redirect_uris: ['http://localhost:4000/cb'] })).json()) as { client_id: string };
    const q = (redirect: string) => new URLSearchParams({ response_type: 'code', client_id: reg.client_id, redirect_uri: redirect, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' });
    expect((await t.app.request(`/api/v1/mcp-oauth/authorize?${q('http://localhost:4999/cb')}`)).status).toBe(200);
    expect((await t.app.request(`/api/v1/mcp-oauth/authorize?${q('http://localhost:4000/other')}`)).status).toBe(400);
  });
});
