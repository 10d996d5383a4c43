// Member sessions across two runtime instances sharing the Redis on 127.0.0.1:6379: the assertion replay guard is
// shared (a jti used on instance 1 is REPLAYED on instance 2) and a token minted by one instance is accepted by the
// other (same bundle, same runtime keys, same public URL). Each run uses its own key prefix and deletes only its
// keys; the shared Redis is never flushed. Skipped without Redis locally; fails (never skips) when CI is set.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { assertionKeyConfig, generateAssertionKey, mintAssertion, type TestAssertionKey } from './fixtures/member-fixtures.js';
import { startRedisInstances, type RedisInstances } from './fixtures/redis-instances.js';
import { inCI, probeRedis } from './fixtures/redis-server.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `tengine-test:members:${randomBytes(6).toString('hex')}:`;
/** Both instances sit behind one public URL, as behind a load balancer: it is the issuer of their tokens. */
const PUBLIC_URL = 'https://mcp.members-redis.test';

const redisProbe = await probeRedis(REDIS_URL);
const skipRedis = redisProbe !== undefined && !inCI();
if (skipRedis) console.warn(`Skipping the member-session Redis tests: ${redisProbe}. Start Redis on ${REDIS_URL} or set CI=1 to fail instead.`);

describe.skipIf(skipRedis)('member sessions on two instances sharing Redis', () => {
  let key: TestAssertionKey;
  let apiKey: string;
  let instances: RedisInstances;
  /** Each instance's own address: with a public URL set, RunningRuntime.url is that URL, not the socket. */
  let direct: string[] = [];

  beforeAll(async () => {
    // In CI an unreachable Redis fails here, loudly, instead of skipping.
    if (redisProbe !== undefined) throw new Error(`Redis at ${REDIS_URL} is unreachable and CI is set: ${redisProbe}`);
    key = generateAssertionKey('ES256', 'backend-v1');
    const config: TengineConfig = {
      version: 1,
      // The test reaches each instance directly by address, as a balancer's health checks do, not through the public name.
      runtime: { allowed_hosts: ['127.0.0.1'] },
      projects: [{ id: 'crm', environment: 'production', assertion_keys: [assertionKeyConfig(key)], integrations: [{ id: 'backend', kind: 'api_key' }] }],
    };
    instances = await startRedisInstances(config, { count: 2, redisUrl: REDIS_URL, keyPrefix: PREFIX, publicUrl: PUBLIC_URL });
    apiKey = instances.deployment.apiKeys['crm/backend']!;
    direct = instances.direct;
  });

  afterAll(async () => instances?.close());

  async function exchange(i: number, assertion: string) {
    const res = await fetch(`${direct[i]!}/api/v1/mcp/session-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ member_assertion: assertion }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  it('both instances run on the shared Redis store on their own ports', async () => {
    expect(new Set(direct).size).toBe(2);
    for (const i of [0, 1]) {
      const ready = await fetch(`${direct[i]!}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', store: 'redis' });
    }
  });

  it('an assertion exchanged on instance 1 is REPLAYED on instance 2 (shared jti guard)', async () => {
    const assertion = await mintAssertion(key, 'crm', { claims: { jti: `jti-${randomBytes(8).toString('hex')}` } });
    const first = await exchange(0, assertion);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.token).toMatch(/^tng_mst_/);
    const second = await exchange(1, assertion);
    expect({ status: second.status, body: second.body }).toEqual({ status: 401, body: { detail: 'Invalid member assertion: REPLAYED', code: 'REPLAYED' } });
  });

  it('an assertion without jti exchanged on instance 1 is REPLAYED on instance 2 (guard on the signed bytes)', async () => {
    const assertion = await mintAssertion(key, 'crm', { claims: { jti: undefined, sub: `no-jti-${randomBytes(4).toString('hex')}` } });
    const first = await exchange(1, assertion);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const second = await exchange(0, assertion);
    expect({ status: second.status, body: second.body }).toEqual({ status: 401, body: { detail: 'Invalid member assertion: REPLAYED', code: 'REPLAYED' } });
  });

  it('a token minted by instance 1 is accepted at /mcp by instance 2 (shared runtime keys)', async () => {
    const minted = await exchange(0, await mintAssertion(key, 'crm', { claims: { sub: 'shared-member', roles: ['agent'] } }));
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    const res = await fetch(`${direct[1]!}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${minted.body.token as string}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'mcp_whoami', arguments: {} } }),
    });
    const body = (await res.json()) as Record<string, any>;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.result.structuredContent).toMatchObject({ auth: 'member', project_id: 'crm', integration_id: 'backend', member: { id: 'shared-member', roles: ['agent'] } });
  });
});
