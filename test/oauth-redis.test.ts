// Issue 9: the authorization server on two runtime instances sharing the Redis on 127.0.0.1:6379, as behind a load
// balancer (same bundle, runtime keys and public URL): a code issued on one redeems on the other, tokens from one
// work on the other, one refresh token sent to both at once yields one continuation, and a revocation on one is
// honoured by the other. Own key prefix, deleted afterwards; the shared Redis is never flushed. Skipped without
// Redis locally; fails (never skips) when CI is set.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAMILY_STATUS_TTL_MS } from '../runtime/oauth/family-status.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { inCI, probeRedis } from './fixtures/redis-server.js';
import { startRedisInstances, type RedisInstances } from './fixtures/redis-instances.js';
import { answerConsent } from './fixtures/oauth-helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `tengine-test:oauth:${randomBytes(6).toString('hex')}:`;
const PUBLIC_URL = 'https://mcp.oauth-redis.test';
const CLIENT = { id: 'desk-redis-1', secret: `tng_cs_${randomBytes(32).toString('base64url')}` };
const REDIRECT = 'https://client.example/cb';

const redisProbe = await probeRedis(REDIS_URL);
const skipRedis = redisProbe !== undefined && !inCI();
if (skipRedis) console.warn(`Skipping the OAuth Redis tests: ${redisProbe}. Start Redis on ${REDIS_URL} or set CI=1 to fail instead.`);

describe.skipIf(skipRedis)('the authorization server on two instances sharing Redis', () => {
  let instances: RedisInstances;
  let direct: string[] = [];
  const verifier = randomBytes(32).toString('base64url');
  const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;

  beforeAll(async () => {
    if (redisProbe !== undefined) throw new Error(`Redis at ${REDIS_URL} is unreachable and CI is set: ${redisProbe}`);
    const config: TengineConfig = {
      version: 1,
      runtime: { allowed_hosts: ['127.0.0.1'] },
      projects: [
        {
          id: 'crm',
          integrations: [{ id: 'desk', kind: 'oauth', client_id: CLIENT.id, client_secret_sha256: createHash('sha256').update(CLIENT.secret).digest('hex'), redirect_uris: [REDIRECT] }],
          tools: [],
        },
      ],
    };
    instances = await startRedisInstances(config, { count: 2, redisUrl: REDIS_URL, keyPrefix: PREFIX, publicUrl: PUBLIC_URL });
    direct = instances.direct;
  });

  afterAll(async () => instances?.close());

  /** The consent on instance `i`; returns the code. */
  async function codeOn(i: number): Promise<string> {
    const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT.id, redirect_uri: REDIRECT, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
    const page = await fetch(`${direct[i]!}/api/v1/mcp-oauth/authorize?${q}`);
    expect(page.status).toBe(200);
    // On https the CSRF cookie is __Host-; a browser would send it back to the same host.
    expect(page.headers.get('set-cookie')!.startsWith('__Host-tng_oauth_csrf=')).toBe(true);
    const answer = await answerConsent(fetch, page, { base: direct[i]! });
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get('location')!);
    expect(back.searchParams.get('iss')).toBe(PUBLIC_URL);
    return back.searchParams.get('code')!;
  }

  async function token(i: number, body: Record<string, string>) {
    const res = await fetch(`${direct[i]!}/api/v1/mcp-oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic }, body: new URLSearchParams(body).toString() });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  const whoami = (i: number, access: string) =>
    fetch(`${direct[i]!}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${access}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'mcp_whoami', arguments: {} } }) });

  it('a code issued by one instance redeems on the other, once; its tokens work on both; its replay revokes them', async () => {
    const code = await codeOn(0);
    const issued = await token(1, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT });
    expect(issued.status).toBe(200);
    for (const i of [0, 1]) expect((await whoami(i, issued.body.access_token!)).status).toBe(200);
    expect((await token(0, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT })).body.error).toBe('invalid_grant');
    expect((await token(1, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token! })).body.error).toBe('invalid_grant');
  });

  it('one refresh token sent to both instances at once, 20 times: exactly one continuation each time', async () => {
    for (let n = 0; n < 20; n++) {
      const issued = await token(0, { grant_type: 'authorization_code', code: await codeOn(n % 2), code_verifier: verifier, redirect_uri: REDIRECT });
      const rt = issued.body.refresh_token!;
      const results = await Promise.all([token(0, { grant_type: 'refresh_token', refresh_token: rt }), token(1, { grant_type: 'refresh_token', refresh_token: rt })]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
      expect(results.find((r) => r.status === 400)!.body.error).toBe('invalid_grant');
    }
  });

  it('a revocation on one instance is honoured by the other: refresh at once, access tokens within 5 s', async () => {
    const issued = await token(0, { grant_type: 'authorization_code', code: await codeOn(0), code_verifier: verifier, redirect_uri: REDIRECT });
    expect((await whoami(1, issued.body.access_token!)).status).toBe(200);
    const revoke = await fetch(`${direct[0]!}/api/v1/mcp-oauth/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic }, body: new URLSearchParams({ token: issued.body.refresh_token! }).toString() });
    expect(revoke.status).toBe(200);
    expect((await token(1, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token! })).body.error).toBe('invalid_grant');
    await new Promise((r) => setTimeout(r, FAMILY_STATUS_TTL_MS + 200));
    expect((await whoami(1, issued.body.access_token!)).status).toBe(401);
  }, 20_000);
});
