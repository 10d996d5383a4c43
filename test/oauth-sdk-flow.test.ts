// Issue 9: a pre-registered confidential client (Claude Desktop's custom connector: client id + secret) signs in
// with the official MCP SDK client's own OAuth support, end to end over real sockets: the 401 challenge, RFC 9728
// and RFC 8414 discovery, the authorize endpoint and its consent page (driven here like a browser: GET the page,
// POST the answer with the cookie it set), the code exchange with PKCE, calls with the access token (tools filtered
// by the granted scopes), and a refresh that rotates the refresh token.
import { createHash } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '../schemas/config-types.js';
import { answerConsent, MemoryOAuthProvider } from './fixtures/oauth-helpers.js';
import { errorMeta, startSdkStage, type SdkStage } from './fixtures/sdk-stage.js';

const CLIENT_ID = 'desktop-connector';
const SECRET = `tng_cs_${'s'.repeat(43)}`;
const REDIRECT = 'http://localhost:33418/callback';

let stage: SdkStage;

beforeAll(async () => {
  stage = await startSdkStage((upstreamUrl) => {
    const tool = (name: string, scopes: string[]): Tool => ({
      name,
      description: `Tool ${name}`,
      input_schema: { type: 'object', properties: {} },
      base_url: upstreamUrl,
      http_method: 'GET',
      endpoint_path: `/${name}`,
      scopes,
    });
    return {
      version: 1,
      projects: [
        {
          id: 'alpha',
          environment: 'development',
          scopes: [{ name: 'notes:read' }, { name: 'notes:write' }, { name: 'notes:admin' }],
          integrations: [
            { id: 'backend', kind: 'api_key' },
            {
              id: 'desktop',
              kind: 'oauth',
              name: 'Desktop connector',
              client_id: CLIENT_ID,
              client_secret_sha256: createHash('sha256').update(SECRET).digest('hex'),
              redirect_uris: [REDIRECT],
              scopes: ['notes:read', 'notes:write'],
            },
          ],
          tools: [tool('list_notes', ['notes:read']), tool('add_note', ['notes:write']), tool('purge_notes', ['notes:admin'])],
        },
      ],
    };
  });
});

afterAll(async () => stage?.close());

/** What a person does in the browser: open the authorize URL, approve on the consent page; returns the redirect. */
async function approveInBrowser(authorizationUrl: URL, decision: 'approve' | 'deny' = 'approve'): Promise<URL> {
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(await page.clone().text()).toContain('Desktop connector');
  const answer = await answerConsent(fetch, page, { base: authorizationUrl.origin, decision });
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get('location')!);
}

describe('a confidential client signs in with the SDK client', () => {
  const provider = new MemoryOAuthProvider(REDIRECT, { client_id: CLIENT_ID, client_secret: SECRET });

  it('the first connect is refused with a challenge that leads to the authorization server', async () => {
    const client = new Client({ name: 'oauth-test', version: '0.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(stage.runtime.mcpUrl), { authProvider: provider });
    await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const url = provider.authorizationUrl!;
    expect(url.pathname).toBe('/api/v1/mcp-oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('resource')).toBe(stage.runtime.mcpUrl);
    const back = await approveInBrowser(url);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('iss')).toBe(new URL(stage.runtime.mcpUrl).origin);
    const code = back.searchParams.get('code')!;
    expect(code).toMatch(/^tng_ac_/);
    await transport.finishAuth(code);
    expect(provider.tokensSaved?.access_token).toBeTruthy();
    expect(provider.tokensSaved?.refresh_token).toMatch(/^tng_rt_/);
    expect(provider.tokensSaved?.scope).toBe('notes:read notes:write');
  });

  it('with the token, tools/list shows only the tools the granted scopes allow, and calls work', async () => {
    const client = new Client({ name: 'oauth-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(stage.runtime.mcpUrl), { authProvider: provider }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['add_note', 'list_notes', 'mcp_whoami']);
    const result = await client.callTool({ name: 'list_notes', arguments: {} });
    expect(result.isError).toBeFalsy();
    const denied = await client.callTool({ name: 'purge_notes', arguments: {} });
    expect(errorMeta(denied)).toMatchObject({ code: 'INSUFFICIENT_SCOPE', status: 403 });
    const who = await client.callTool({ name: 'mcp_whoami', arguments: {} });
    expect(who.structuredContent).toMatchObject({ auth: 'oauth', project_id: 'alpha', integration_id: 'desktop', scopes: ['notes:read', 'notes:write'] });
    await client.close();
  });

  it('a refresh rotates the refresh token; the old one is refused afterwards, and within the grace window the family lives', async () => {
    const before = provider.tokensSaved!;
    const outcome = await auth(provider, { serverUrl: stage.runtime.mcpUrl });
    expect(outcome).toBe('AUTHORIZED');
    expect(provider.tokensSaved!.refresh_token).not.toBe(before.refresh_token);
    expect(provider.tokensSaved!.access_token).not.toBe(before.access_token);
    const reuse = await fetch(new URL('/api/v1/mcp-oauth/token', stage.runtime.mcpUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: before.refresh_token! }).toString(),
    });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    // The continuation the first refresh produced still works.
    const client = new Client({ name: 'oauth-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(stage.runtime.mcpUrl), { authProvider: provider }));
    expect((await client.listTools()).tools.length).toBe(3);
    await client.close();
  });

  it('declining on the consent page sends access_denied back to the client, with state', async () => {
    const url = new URL(provider.authorizationUrl!);
    url.searchParams.set('state', 'xyz');
    const back = await approveInBrowser(url, 'deny');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('xyz');
    expect(back.searchParams.get('code')).toBeNull();
  });
});
