// Issue 11: per-client and per-IP limits on the session-token exchange and the OAuth endpoints, over real sockets
// from distinct loopback source addresses (127.0.0.0/8 all reaches the runtime on 127.0.0.1): 429 with Retry-After
// and each surface's own body, addresses and clients independent, forwarding headers read only from trusted proxies,
// `off`, a burst across two instances sharing the Redis on 6379 (own key prefix, deleted afterwards; never flushed),
// and a private redis-server killed by pid: limits go on per instance while authentication still refuses.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import { createRedisStore } from '../runtime/store/redis-store.js';
import type { Store } from '../runtime/store/store.js';
import { httpCall, type HttpAnswer } from './fixtures/http-call.js';
import { assertionKeyConfig, generateAssertionKey, mintAssertion } from './fixtures/member-fixtures.js';
import { inCI, probeRedis, redisServerInstalled, startRedisServer, type TestRedisServer } from './fixtures/redis-server.js';
import { startRedisInstances, type RedisInstances } from './fixtures/redis-instances.js';
import { deploy, startTestRuntimeWith } from './fixtures/runtime-harness.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `tengine-test:elim:${randomBytes(6).toString('hex')}:`;
const DESK = { id: 'desk-client-1', secret: `tng_cs_${randomBytes(32).toString('base64url')}` };
const REDIRECT = 'https://client.example/cb';
const KEY = generateAssertionKey('ES256', 'k1');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function config(runtime: TengineConfig['runtime']): TengineConfig {
  return {
    version: 1,
    runtime: { allowed_hosts: ['127.0.0.1'], ...runtime },
    projects: [
      {
        id: 'crm',
        assertion_keys: [assertionKeyConfig(KEY)],
        integrations: [
          { id: 'backend', kind: 'api_key' },
          { id: 'other', kind: 'api_key' },
          { id: 'desk', kind: 'oauth', client_id: DESK.id, client_secret_sha256: sha(DESK.secret), redirect_uris: [REDIRECT] },
          {
            id: 'agents',
            kind: 'oauth',
            client_id: 'agents-client-1',
            connect_secret_sha256: sha('connect'),
            redirect_uris: [REDIRECT],
            dynamic_registration: { allowed_redirect_hosts: ['client.example'] },
          },
        ],
        tools: [],
      },
    ],
  };
}

type Answer = HttpAnswer;

/** One request over a fresh connection from the loopback source address `from`. */
function send(base: string, path: string, opts: { from: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  const { from, ...rest } = opts;
  return httpCall(new URL(path, base).href, { method: 'POST', ...rest, localAddress: from });
}

const exchange = (base: string, from: string, key: string, body: unknown = {}, headers: Record<string, string> = {}) =>
  send(base, '/api/v1/mcp/session-token', { from, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const WRONG_KEY = `tengine_${randomBytes(32).toString('base64url')}`;
const form = (headers: Record<string, string> = {}) => ({ 'content-type': 'application/x-www-form-urlencoded', ...headers });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A 429 as every surface sends it: a whole number of seconds ≥ 1 to wait, never cached. */
function expectLimited(a: Answer): void {
  expect(a.status).toBe(429);
  expect(a.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
  expect(a.headers['cache-control']).toBe('no-store');
}

describe('limits over real sockets (memory store)', () => {
  let runtime: RunningRuntime;
  let keys: Record<string, string>;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => {
    ({ runtime, apiKeys: keys } = await startTestRuntimeWith(
      config({
        endpoint_limits: {
          session_token: { per_client: { limit: 1, window: '1m', burst: 3 }, per_ip: { limit: 1, window: '1m', burst: 4 } },
          token: { per_client: { limit: 1, window: '1m', burst: 2 }, per_ip: { limit: 1, window: '1m', burst: 3 } },
          register: { per_ip: { limit: 1, window: '1h', burst: 1 } },
          authorize: { per_ip: { limit: 1, window: '1m', burst: 2 } },
        },
      }),
      { log: (e) => logs.push(e) },
    ));
  });
  afterAll(async () => runtime?.close());

  it('session-token, per address: wrong keys count against their sender; the next gets 429 RATE_LIMIT_EXCEEDED; other addresses are independent', async () => {
    for (let i = 0; i < 4; i++) expect((await exchange(runtime.url, '127.0.0.2', WRONG_KEY)).status).toBe(401);
    const refused = await exchange(runtime.url, '127.0.0.2', WRONG_KEY);
    expectLimited(refused);
    expect(JSON.parse(refused.text)).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', detail: expect.stringContaining('this address') });
    // Even the right key is refused from there: the limit is checked before anything else.
    expect((await exchange(runtime.url, '127.0.0.2', keys['crm/backend']!)).status).toBe(429);
    expect((await exchange(runtime.url, '127.0.0.3', WRONG_KEY)).status).toBe(401);
  });

  it('session-token, per client: the integration of the key, across addresses; another integration is independent; admitted requests are still authenticated', async () => {
    const key = keys['crm/backend']!;
    for (const from of ['127.0.0.4', '127.0.0.5']) expect(JSON.parse((await exchange(runtime.url, from, key)).text)).toMatchObject({ code: 'MISSING_MEMBER' });
    // Admitted by the limits, refused by the exchange's own checks: a forged assertion is still 401.
    const forged = await exchange(runtime.url, '127.0.0.6', key, { member_assertion: await mintAssertion(KEY, 'crm', { signWith: generateAssertionKey('ES256', 'k1').privateKey }) });
    expect(forged.status).toBe(401);
    const refused = await exchange(runtime.url, '127.0.0.7', key);
    expectLimited(refused);
    expect(JSON.parse(refused.text)).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', detail: expect.stringContaining('this client') });
    expect((await exchange(runtime.url, '127.0.0.7', keys['crm/other']!)).status).toBe(400);
    const audit = logs.find((l) => l.audit === true && l.status === 429 && l.limit_scope === 'client');
    expect(audit).toMatchObject({ route: 'session_token', code: 'RATE_LIMIT_EXCEEDED', event: 'session_token_refused', project: 'crm', integration: 'backend' });
  });

  it('without trusted proxies a spoofed X-Forwarded-For changes nothing', async () => {
    for (let i = 0; i < 4; i++) expect((await exchange(runtime.url, '127.0.0.8', WRONG_KEY, {}, { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(401);
    expectLimited(await exchange(runtime.url, '127.0.0.8', WRONG_KEY, {}, { 'x-forwarded-for': '203.0.113.200' }));
  });

  it('token endpoint: wrong secrets count per address only, so they cannot lock the client out; the client itself is limited across addresses', async () => {
    const bogus = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'tng_rt_nothing' }).toString();
    for (let i = 0; i < 3; i++) expect((await send(runtime.url, '/api/v1/mcp-oauth/token', { from: '127.0.1.1', headers: form({ authorization: basic(DESK.id, 'wrong') }), body: bogus })).status).toBe(401);
    const refused = await send(runtime.url, '/api/v1/mcp-oauth/token', { from: '127.0.1.1', headers: form({ authorization: basic(DESK.id, 'wrong') }), body: bogus });
    expectLimited(refused);
    expect(JSON.parse(refused.text)).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/^too many requests from this address: 1 per 1m \(burst 3\); retry in \d+ s$/) });
    expect(refused.headers['access-control-allow-origin']).toBe('*');
    for (const from of ['127.0.1.2', '127.0.1.3']) {
      const a = await send(runtime.url, '/api/v1/mcp-oauth/token', { from, headers: form({ authorization: basic(DESK.id, DESK.secret) }), body: bogus });
      expect(JSON.parse(a.text)).toMatchObject({ error: 'invalid_grant' });
    }
    const client = await send(runtime.url, '/api/v1/mcp-oauth/token', { from: '127.0.1.4', headers: form({ authorization: basic(DESK.id, DESK.secret) }), body: bogus });
    expectLimited(client);
    expect(JSON.parse(client.text).error_description).toContain('this client');
    expect(logs.find((l) => l.audit === true && l.endpoint === 'token' && l.status === 429)).toMatchObject({ route: 'oauth', code: 'RATE_LIMIT_EXCEEDED', error: 'temporarily_unavailable' });
  });

  it('authorize: the error page with 429, never a redirect to the client', async () => {
    const q = new URLSearchParams({ response_type: 'code', client_id: DESK.id, redirect_uri: REDIRECT, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
    for (let i = 0; i < 2; i++) expect((await send(runtime.url, `/api/v1/mcp-oauth/authorize?${q}`, { from: '127.0.1.5', method: 'GET' })).status).toBe(200);
    const page = await send(runtime.url, `/api/v1/mcp-oauth/authorize?${q}`, { from: '127.0.1.5', method: 'GET' });
    expectLimited(page);
    expect(page.headers.location).toBeUndefined();
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('temporarily_unavailable');
    expect((await send(runtime.url, `/api/v1/mcp-oauth/authorize?${q}`, { from: '127.0.1.6', method: 'GET' })).status).toBe(200);
  });

  it('register: per address, an RFC 6749-shaped 429', async () => {
    const body = JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'Test' });
    expect((await send(runtime.url, '/api/v1/mcp-oauth/register', { from: '127.0.1.7', headers: { 'content-type': 'application/json' }, body })).status).toBe(201);
    const refused = await send(runtime.url, '/register', { from: '127.0.1.7', headers: { 'content-type': 'application/json' }, body });
    expectLimited(refused);
    expect(JSON.parse(refused.text)).toMatchObject({ error: 'temporarily_unavailable' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
  });
});

describe('trusted proxies and `off`', () => {
  let proxied: RunningRuntime;
  let open: RunningRuntime;
  beforeAll(async () => {
    const limits = { session_token: { per_client: 'off' as const, per_ip: { limit: 1, window: '1m', burst: 2 } } };
    ({ runtime: proxied } = await startTestRuntimeWith(config({ endpoint_limits: limits, trusted_proxies: ['127.0.0.1'] })));
    ({ runtime: open } = await startTestRuntimeWith(config({ endpoint_limits: { session_token: { per_client: 'off', per_ip: 'off' } } })));
  });
  afterAll(async () => Promise.all([proxied?.close(), open?.close()]));

  it('from a trusted proxy: the right-most untrusted X-Forwarded-For hop is the client; entries the client wrote to its left are ignored', async () => {
    const xff = (v: string) => ({ 'x-forwarded-for': v });
    for (let i = 0; i < 2; i++) expect((await exchange(proxied.url, '127.0.0.1', WRONG_KEY, {}, xff('203.0.113.1'))).status).toBe(401);
    expectLimited(await exchange(proxied.url, '127.0.0.1', WRONG_KEY, {}, xff('203.0.113.1')));
    expectLimited(await exchange(proxied.url, '127.0.0.1', WRONG_KEY, {}, xff('198.51.100.99, 203.0.113.1')));
    expect((await exchange(proxied.url, '127.0.0.1', WRONG_KEY, {}, xff('203.0.113.2'))).status).toBe(401);
  });

  it('from an address that is not a trusted proxy the header is ignored', async () => {
    for (let i = 0; i < 2; i++) expect((await exchange(proxied.url, '127.0.0.9', WRONG_KEY, {}, { 'x-forwarded-for': `203.0.113.${10 + i}` })).status).toBe(401);
    expectLimited(await exchange(proxied.url, '127.0.0.9', WRONG_KEY, {}, { 'x-forwarded-for': '203.0.113.12' }));
  });

  it('`off`: no limit at all', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => exchange(open.url, '127.0.0.10', WRONG_KEY)));
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(401));
  });
});

const redisProbe = await probeRedis(REDIS_URL);
const skipRedis = redisProbe !== undefined && !inCI();
if (skipRedis) console.warn(`Skipping the endpoint-limit Redis tests: ${redisProbe}. Start Redis on ${REDIS_URL} or set CI=1 to fail instead.`);

describe.skipIf(skipRedis)('two instances sharing Redis', () => {
  let instances: RedisInstances;
  beforeAll(async () => {
    if (redisProbe !== undefined) throw new Error(`Redis at ${REDIS_URL} is unreachable and CI is set: ${redisProbe}`);
    instances = await startRedisInstances(config({ endpoint_limits: { session_token: { per_client: 'off', per_ip: { limit: 1, window: '1m', burst: 10 } } } }), {
      count: 2,
      redisUrl: REDIS_URL,
      keyPrefix: PREFIX,
      publicUrl: 'https://mcp.elim.test',
    });
  });
  afterAll(async () => instances?.close());

  it('a burst of 5 × burst from one address, spread over both instances at once, admits the burst (plus at most the one the rate adds)', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => exchange(instances.direct[i % 2]!, '127.0.2.1', WRONG_KEY)));
    const admitted = answers.filter((a) => a.status === 401).length;
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(11);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(50 - admitted);
    // Another address has its own burst on both instances.
    expect((await exchange(instances.direct[1]!, '127.0.2.2', WRONG_KEY)).status).toBe(401);
  });
});

const installed = redisServerInstalled();
const skipPrivate = !installed && !inCI();

describe.skipIf(skipPrivate)('the store dies: limits per instance, authentication never fails open', () => {
  let srv: TestRedisServer;
  let store: Store;
  let runtime: RunningRuntime;
  let keys: Record<string, string>;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => {
    if (!installed) throw new Error('redis-server is not on the PATH and CI is set');
    srv = await startRedisServer();
    store = await createRedisStore({ url: srv.url, keyPrefix: 't-elim:', commandTimeoutMs: 200, connectTimeoutMs: 200 });
    const d = await deploy(config({ endpoint_limits: { session_token: { per_client: 'off', per_ip: { limit: 1, window: '1m', burst: 3 } } } }));
    keys = d.apiKeys;
    runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, store, log: (e) => logs.push(e) });
  });
  afterAll(async () => {
    await runtime?.close();
    await store?.close();
    await srv?.stop();
  });

  it('with Redis killed, a valid assertion is not exchanged (its replay guard cannot be checked), wrong keys are 401, and the local limit refuses the rest', async () => {
    await srv.kill();
    const assertion = await mintAssertion(KEY, 'crm');
    const valid = await exchange(runtime.url, '127.0.3.1', keys['crm/backend']!, { member_assertion: assertion });
    expect(valid.status).toBe(503);
    expect(JSON.parse(valid.text)).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((await exchange(runtime.url, '127.0.3.1', WRONG_KEY)).status).toBe(401);
    expect((await exchange(runtime.url, '127.0.3.1', WRONG_KEY)).status).toBe(401);
    const refused = await exchange(runtime.url, '127.0.3.1', WRONG_KEY);
    expectLimited(refused);
    expect(JSON.parse(refused.text)).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' });
    expect(logs.filter((l) => l.event === 'endpoint_limits_local')).toHaveLength(1);
  });
});
