// Redis Cluster failover (docs/storage.md "Redis topologies"): three masters with a replica each, private processes
// on spare ports. One master is SIGKILLed by pid while the store is in use: commands for its slots fail fast (never
// hang) until the cluster promotes its replica, then the store serves every slot again without a restart, and keys
// replicated before the kill are kept.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCI, redisServerInstalled } from '../../test/fixtures/redis-server.js';
import { rawCommand, startRedisCluster, type TestRedisCluster } from '../../test/fixtures/redis-topologies.js';
import { createRedisStore } from './redis-store.js';
import { type Store, StoreUnavailableError } from './store.js';

const installed = redisServerInstalled();
if (!installed && !inCI()) console.warn('Skipping the Redis Cluster failover test: redis-server is not installed.');

// cluster-node-timeout is 2 s in the fixture; detection, election and the client's slot-map refresh follow.
const FAILOVER_BOUND_MS = 30_000;
const COMMAND_TIMEOUT_MS = 250;
const KEYS = Array.from({ length: 30 }, (_, i) => `k:${i}`);

describe.skipIf(!installed && !inCI())('Redis Cluster failover', () => {
  let cluster: TestRedisCluster | undefined;
  let store: Store | undefined;
  const problems: string[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster(1);
    store = await createRedisStore({ endpoints: { mode: 'cluster', nodes: cluster.urls }, keyPrefix: 'cluster-failover:', commandTimeoutMs: COMMAND_TIMEOUT_MS, onError: (m) => problems.push(m) });
  }, 90_000);
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('redis-server is installed (CI runs this test)', () => {
    expect(installed).toBe(true);
  });

  it('after a master is killed, every slot is served again within a bounded time, keeping replicated keys', async () => {
    const s = store!;
    const c = cluster!;
    await Promise.all(KEYS.map((k) => s.set(k, `v-${k}`, 600_000)));
    const masters = await c.masters();
    expect(masters).toHaveLength(3);
    // Every write must have reached the replicas before the kill, or no failover could keep it.
    for (const m of masters) expect(await rawCommand(m.port, 'WAIT 1 2000', 3000)).toBe(':1\r\n');
    const victim = masters[0]!;
    expect(Number(/:(\d+)/.exec(await rawCommand(victim.port, 'DBSIZE'))?.[1])).toBeGreaterThan(0);

    await victim.kill();
    const killedAt = performance.now();
    let recoveredAt: number | undefined;
    let failures = 0;
    let slowest = 0;
    for (let round = 0; round < 600 && recoveredAt === undefined && performance.now() - killedAt < FAILOVER_BOUND_MS; round++) {
      const started = performance.now();
      const results = await Promise.allSettled(KEYS.map((k) => s.get(k)));
      slowest = Math.max(slowest, performance.now() - started);
      const failed = results.filter((r) => r.status === 'rejected');
      for (const r of failed) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      if (failed.length === 0) recoveredAt = performance.now();
      else {
        failures += failed.length;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(recoveredAt, `not every slot answered within ${FAILOVER_BOUND_MS} ms of the kill; store errors: ${problems.slice(-5).join(' | ')}`).toBeDefined();
    expect(failures).toBeGreaterThan(0);
    // While the slots had no master, reads failed within their deadline (plus slack for a busy machine), never hung.
    expect(slowest).toBeLessThan(COMMAND_TIMEOUT_MS + 1500);
    expect(await c.masters()).not.toContain(victim);

    expect(await Promise.all(KEYS.map((k) => s.get(k)))).toEqual(KEYS.map((k) => `v-${k}`));
    for (const k of KEYS) expect(await s.setIfAbsent(`guard:${k}`, '1', 60_000)).toBe(true);
    expect(await s.chargeLimits([{ kind: 'rate', key: 'lim:{p}:n', intervalMs: 60_000, burst: 1 }])).toEqual({ admitted: true });
    expect(await s.keysWithPrefix('k:', 1000)).toHaveLength(KEYS.length);
    expect(problems.join('\n')).not.toMatch(/v-k:/);
  }, 90_000);
});
