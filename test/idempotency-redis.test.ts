// Idempotent retries across instances on Redis (issue 11 §3, docs/usage.md "Idempotent retries"): two real runtimes
// of one bundle share one Redis, so a retry on the other instance is a replay and concurrent duplicates spread over
// both reach the upstream once; a client key reused with other arguments is refused there too; with Redis killed an
// automatic key proceeds (logged) and a client key is refused, and de-duplication is back with Redis. The official
// MCP SDK client sends the client key in `_meta`. The shared Redis on 6379 is used under a prefix unique to this run
// (only those keys are deleted); the killed server is a private redis-server on a spare port, stopped by pid.
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import { createRedisStore, type RedisStoreOptions } from '../runtime/store/redis-store.js';
import type { Store } from '../runtime/store/store.js';
import { deleteKeysWithPrefix, inCI, probeRedis, redisServerInstalled, startRedisServer, type TestRedisServer } from './fixtures/redis-server.js';
import { deploy, startUpstream, type TestDeployment, type TestUpstream } from './fixtures/runtime-harness.js';

const REDIS_URL = process.env.TENGINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN_PREFIX = `tengine-test:idem:${randomUUID()}:`;

const redisProbe = await probeRedis(REDIS_URL);
const installed = redisServerInstalled();
const skip = (redisProbe !== undefined || !installed) && !inCI();
if (skip) console.warn(`Skipping the idempotency Redis tests: ${redisProbe ?? 'no redis-server on the PATH'} (set CI=1 to fail instead).`);

function config(upstreamUrl: string): TengineConfig {
  return {
    version: 1,
    projects: [
      {
        id: 'shop',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          {
            name: 'create_order',
            description: 'Creates an order',
            input_schema: { type: 'object', properties: { item: { type: 'string' }, qty: { type: 'integer' } }, required: ['item', 'qty'] },
            base_url: upstreamUrl,
            http_method: 'POST',
            endpoint_path: '/orders',
            body_template: { item: '{item}', qty: '{qty}' },
          },
        ],
      },
    ],
  };
}

interface Answer {
  requestId: string;
  result: { structuredContent?: Record<string, unknown>; isError?: boolean; _meta?: Record<string, any> };
}

const replayOf = (a: Answer) => a.result._meta?.['tengine.dev/replay']?.request_id as string | undefined;
const errorOf = (a: Answer) => a.result._meta?.['tengine.dev/error'] as { code: string; status: number; retry_after_seconds?: number } | undefined;

describe.skipIf(skip)('idempotent retries on Redis, across instances', () => {
  let upstream: TestUpstream;
  let deployment: TestDeployment;
  let order = 0;
  const runtimes: RunningRuntime[] = [];
  const stores: Store[] = [];
  const servers: TestRedisServer[] = [];

  beforeAll(async () => {
    if (redisProbe !== undefined) throw new Error(`Redis at ${REDIS_URL} is unreachable and CI is set: ${redisProbe}`);
    if (!installed) throw new Error('redis-server is not on the PATH and CI is set');
    // Slow enough that concurrent duplicates overlap the first call; every answer is unique.
    upstream = await startUpstream((_req, _body, res) => {
      const n = ++order;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ order: n }));
      }, 100);
    });
    deployment = await deploy(config(upstream.url));
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await Promise.all(stores.map((s) => s.close()));
    await Promise.all(servers.map((s) => s.stop()));
    await upstream?.close();
    if (redisProbe === undefined) await deleteKeysWithPrefix(REDIS_URL, RUN_PREFIX);
  });

  /** A runtime of the one bundle over its own connection to the Redis at `url`, under `prefix`. */
  async function instance(url: string, prefix: string, logs: Record<string, unknown>[] = [], opts: Partial<RedisStoreOptions> = {}) {
    const store = await createRedisStore({ url, keyPrefix: prefix, ...opts });
    stores.push(store);
    const r = await startRuntime({ bundle: deployment.bundle, bundlePublicKeys: [deployment.publicPem], host: '127.0.0.1', port: 0, env: {}, store, log: (e) => logs.push(e), allowDevelopment: true });
    runtimes.push(r);
    return { runtime: r, store };
  }

  async function call(r: RunningRuntime, args: unknown, meta?: Record<string, unknown>): Promise<Answer> {
    const params = { name: 'create_order', arguments: args, ...(meta ? { _meta: meta } : {}) };
    const res = await fetch(r.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${deployment.apiKeys['shop/backend']}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params }),
    });
    expect(res.status).toBe(200);
    return { requestId: res.headers.get('x-tengine-request-id') ?? '', result: ((await res.json()) as { result: Answer['result'] }).result };
  }

  it('a call on instance 1 and its retry on instance 2: one upstream hit, the retry replays the first result and request id', async () => {
    const prefix = `${RUN_PREFIX}two:`;
    const [one, two] = [await instance(REDIS_URL, prefix), await instance(REDIS_URL, prefix)];
    const before = upstream.requests.length;
    const first = await call(one.runtime, { item: 'book', qty: 1 });
    const retry = await call(two.runtime, { item: 'book', qty: 1 });
    expect(upstream.requests.length - before).toBe(1);
    expect(replayOf(retry)).toBe(first.requestId);
    expect(retry.result.structuredContent).toEqual(first.result.structuredContent);
    // Only hashes in the key: neither the arguments nor the tool name appear in it.
    const keys = await one.store.keysWithPrefix('idem:', 10);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^idem:shop:[0-9a-f]{64}$/);
  });

  it('10 concurrent duplicates spread over two instances: one upstream hit, all get the same result', async () => {
    const prefix = `${RUN_PREFIX}burst:`;
    const [one, two] = [await instance(REDIS_URL, prefix), await instance(REDIS_URL, prefix)];
    const before = upstream.requests.length;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => call((i % 2 ? one : two).runtime, { item: 'chair', qty: 4 })));
    expect(upstream.requests.length - before).toBe(1);
    const firsts = answers.filter((a) => replayOf(a) === undefined);
    expect(firsts).toHaveLength(1);
    for (const a of answers) {
      expect(a.result.structuredContent).toEqual(firsts[0]!.result.structuredContent);
      if (a !== firsts[0]) expect(replayOf(a)).toBe(firsts[0]!.requestId);
    }
  });

  it('a client key reused with other arguments on the other instance → IDEMPOTENCY_KEY_REUSED (422)', async () => {
    const prefix = `${RUN_PREFIX}reuse:`;
    const [one, two] = [await instance(REDIS_URL, prefix), await instance(REDIS_URL, prefix)];
    const before = upstream.requests.length;
    const meta = { 'tengine.dev/idempotency_key': 'checkout-41' };
    expect(errorOf(await call(one.runtime, { item: 'lamp', qty: 1 }, meta))).toBeUndefined();
    const reused = await call(two.runtime, { item: 'lamp', qty: 3 }, meta);
    expect(errorOf(reused)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    expect(upstream.requests.length - before).toBe(1);
  });

  it('the official MCP SDK client sends the key in _meta of callTool; its retry is a replay', async () => {
    const prefix = `${RUN_PREFIX}sdk:`;
    const { runtime } = await instance(REDIS_URL, prefix);
    const client = new Client({ name: 'tengine-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${deployment.apiKeys['shop/backend']}` } } }));
    try {
      const before = upstream.requests.length;
      const params = { name: 'create_order', arguments: { item: 'desk', qty: 2 }, _meta: { 'tengine.dev/idempotency_key': 'sdk-order-1' } };
      const first = await client.callTool(params);
      const retry = await client.callTool(params);
      expect(upstream.requests.length - before).toBe(1);
      expect(first.isError).toBeFalsy();
      expect(retry.structuredContent).toEqual(first.structuredContent);
      const firstId = upstream.requests.at(-1)!.headers['x-tengine-request-id'];
      expect((retry._meta as Record<string, { request_id: string }>)['tengine.dev/replay']).toEqual({ request_id: firstId });
      const reused = await client.callTool({ ...params, arguments: { item: 'desk', qty: 5 } });
      expect(reused.isError).toBe(true);
      expect((reused._meta as Record<string, { code: string }>)['tengine.dev/error']!.code).toBe('IDEMPOTENCY_KEY_REUSED');
    } finally {
      await client.close();
    }
  });

  it('Redis killed: an automatic key proceeds (logged idempotency_store_unavailable), a client key is refused (IDEMPOTENCY_UNAVAILABLE, 503); de-duplication is back with Redis', async () => {
    const srv = await startRedisServer();
    servers.push(srv);
    const logs: Record<string, unknown>[] = [];
    const { runtime, store } = await instance(srv.url, `${RUN_PREFIX}outage:`, logs, { maxReconnectDelayMs: 100 });
    const up = await call(runtime, { item: 'up', qty: 1 });
    expect(replayOf(await call(runtime, { item: 'up', qty: 1 }))).toBe(up.requestId);

    await srv.kill();
    let before = upstream.requests.length;
    const a = await call(runtime, { item: 'down', qty: 1 });
    const b = await call(runtime, { item: 'down', qty: 1 });
    expect([errorOf(a), errorOf(b)]).toEqual([undefined, undefined]);
    expect(upstream.requests.length - before).toBe(2);
    const warnings = logs.filter((e) => e.event === 'idempotency_store_unavailable');
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({ level: 'warn', tool: 'create_order', client_key: false });
    const refused = await call(runtime, { item: 'down', qty: 2 }, { 'tengine.dev/idempotency_key': 'pay-77' });
    expect(errorOf(refused)).toMatchObject({ code: 'IDEMPOTENCY_UNAVAILABLE', status: 503, retry_after_seconds: 1 });
    expect(upstream.requests.length - before).toBe(2);

    await srv.restart();
    const start = performance.now();
    while ((await store.ping().then(() => true, () => false)) === false) {
      if (performance.now() - start > 5000) throw new Error('the store did not reconnect within 5 s');
      await new Promise((r) => setTimeout(r, 25));
    }
    before = upstream.requests.length;
    const first = await call(runtime, { item: 'back', qty: 1 }, { 'tengine.dev/idempotency_key': 'pay-77' });
    const retry = await call(runtime, { item: 'back', qty: 1 }, { 'tengine.dev/idempotency_key': 'pay-77' });
    expect(errorOf(first)).toBeUndefined();
    expect(replayOf(retry)).toBe(first.requestId);
    expect(upstream.requests.length - before).toBe(1);
  }, 60_000);
});
