// Revocation reaches access tokens: /mcp checks the family an access token was issued in (at most one store read
// per family per instance every 5 s), so a revoked sign-in stops working within seconds, not at token expiry.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../runtime/store/memory-store.js';
import type { Store } from '../runtime/store/store.js';
import { FAMILY_STATUS_TTL_MS } from '../runtime/oauth/family-status.js';
import { listConnections, revokeConnections } from '../runtime/oauth/connections.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { approveSignIn } from './fixtures/oauth-helpers.js';
import { inProcessApp } from './fixtures/runtime-harness.js';

const CLIENT = { id: 'desk-client-1', secret: `tng_cs_${randomBytes(32).toString('base64url')}` };
const REDIRECT = 'https://claude.ai/api/mcp/auth_callback';
const config: TengineConfig = {
  version: 1,
  projects: [
    {
      id: 'alpha',
      integrations: [{ id: 'desk', kind: 'oauth', client_id: CLIENT.id, client_secret_sha256: createHash('sha256').update(CLIENT.secret).digest('hex'), redirect_uris: [REDIRECT] }],
      tools: [],
    },
  ],
};

let clock = Date.now();
let store: Store;
let t: Awaited<ReturnType<typeof inProcessApp>>;
beforeAll(async () => {
  store = createMemoryStore();
  t = await inProcessApp(config, {}, { now: () => clock, store });
});
afterAll(async () => {
  await t?.close();
  await store?.close();
});

const verifier = randomBytes(32).toString('base64url');
const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const form = (body: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic }, body: new URLSearchParams(body).toString() });

async function signIn(): Promise<{ access_token: string; refresh_token: string }> {
  const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT.id, redirect_uri: REDIRECT, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
  const code = (await approveSignIn((u, i) => t.app.request(u, i), `/api/v1/mcp-oauth/authorize?${q}`)).searchParams.get('code')!;
  const res = await t.app.request('/api/v1/mcp-oauth/token', form({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }));
  return (await res.json()) as { access_token: string; refresh_token: string };
}

const whoami = (token: string) =>
  t.app.request('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'mcp_whoami', arguments: {} } }) });

describe('revoking a sign-in stops its access tokens', () => {
  it('revoking the refresh token: the access token is refused once the status is re-read (SESSION_REVOKED)', async () => {
    const tokens = await signIn();
    expect((await whoami(tokens.access_token)).status).toBe(200);
    expect((await t.app.request('/api/v1/mcp-oauth/revoke', form({ token: tokens.refresh_token }))).status).toBe(200);
    clock += FAMILY_STATUS_TTL_MS + 1;
    const refused = await whoami(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { data: { code: string } } }).error.data.code).toBe('SESSION_REVOKED');
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('revoking the access token itself revokes its family: refresh and access both stop', async () => {
    const tokens = await signIn();
    expect((await t.app.request('/api/v1/mcp-oauth/revoke', form({ token: tokens.access_token }))).status).toBe(200);
    clock += FAMILY_STATUS_TTL_MS + 1;
    expect((await whoami(tokens.access_token)).status).toBe(401);
    const refresh = await t.app.request('/api/v1/mcp-oauth/token', form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }));
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('each sign-in is a connection an operator can list and revoke (tengine connections): its access token stops', async () => {
    const tokens = await signIn();
    const listed = await listConnections(store, { project: 'alpha', integration: 'desk' });
    expect(listed.length).toBeGreaterThan(0);
    expect(listed[0]).toMatchObject({ project: 'alpha', integration: 'desk', client_id: CLIENT.id, member: null, status: 'active' });
    const revoked = await revokeConnections(store, { project: 'alpha' }, clock);
    expect(revoked.length).toBeGreaterThan(0);
    clock += FAMILY_STATUS_TTL_MS + 1;
    expect((await whoami(tokens.access_token)).status).toBe(401);
  });

  it('another sign-in of the same client is unaffected', async () => {
    const kept = await signIn();
    const revoked = await signIn();
    await t.app.request('/api/v1/mcp-oauth/revoke', form({ token: revoked.refresh_token }));
    clock += FAMILY_STATUS_TTL_MS + 1;
    expect((await whoami(kept.access_token)).status).toBe(200);
    expect((await whoami(revoked.access_token)).status).toBe(401);
  });
});
