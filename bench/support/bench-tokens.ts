// The credentials of the MCP bench's non-API-key rows, obtained the way real clients obtain them: an OAuth sign-in
// (consent page, approval, code exchange) and a member session token exchanged for a signed member assertion.
import { createHash } from 'node:crypto';
import { approveSignIn } from '../../test/fixtures/oauth-helpers.js';
import { mintAssertion, type TestAssertionKey } from '../../test/fixtures/member-fixtures.js';

/** Signs the bench's confidential client in, as a browser and the client would: consent page, approve, code exchange. */
export async function oauthAccessToken(port: number, clientId: string, secret: string): Promise<string> {
  const base = `http://127.0.0.1:${port}`;
  const verifier = 'v'.repeat(43);
  const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'https://client.example/cb', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
  const code = (await approveSignIn(fetch, `${base}/api/v1/mcp-oauth/authorize?${q}`, { base })).searchParams.get('code');
  if (!code) throw new Error('the bench could not sign its OAuth client in');
  const token = await fetch(`${base}/api/v1/mcp-oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: 'https://client.example/cb' }).toString(),
  });
  const tokens = (await token.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!tokens.access_token) throw new Error(`the bench's token request was refused: ${tokens.error} ${tokens.error_description ?? ''}`);
  return tokens.access_token;
}

/**
 * A `tng_mst_` member session token from the real exchange (docs/members.md §3): a member assertion signed with the
 * project's assertion key, posted with the project's API key.
 */
export async function memberSessionToken(port: number, apiKey: string, key: TestAssertionKey, projectId: string, member: string): Promise<string> {
  const assertion = await mintAssertion(key, projectId, { claims: { sub: member, email: `${member}@example.com`, roles: ['bench'] } });
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/mcp/session-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ member_assertion: assertion }),
  });
  const body = (await res.json()) as { token?: string; code?: string; detail?: string };
  if (res.status !== 200 || !body.token?.startsWith('tng_mst_')) throw new Error(`the member session exchange was refused (${res.status}): ${body.code} ${body.detail ?? ''}`);
  return body.token;
}
