// `tengine connections list|revoke` against the real Redis on 127.0.0.1:6379, under a key prefix of this run's own
// (deleted afterwards; the shared Redis is never flushed). Skipped without Redis locally; fails when CI is set.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordConnection } from '../../runtime/oauth/connections.js';
import { createRedisStore } from '../../runtime/store/redis-store.js';
import type { Store } from '../../runtime/store/store.js';
import { deleteKeysWithPrefix, inCI, probeRedis, redisServerInstalled } from '../../test/fixtures/redis-server.js';
import { startRedisCluster, type TestRedisCluster } from '../../test/fixtures/redis-topologies.js';
import { memoryIo } from '../io.js';
import { runCli } from '../program.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import connectionsOutputSchema from '../../schemas/cli-connections-output.schema.json' with { type: 'json' };

/** schemas/cli-connections-output.schema.json: the --format json output of list and revoke. */
const outputSchema = new Ajv2020({ strict: true, strictRequired: false }).compile(connectionsOutputSchema);

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `tengine-test:connections:${randomBytes(6).toString('hex')}:`;
const env = { TENGINE_REDIS_URL: REDIS_URL, TENGINE_REDIS_KEY_PREFIX: PREFIX };

const redisProbe = await probeRedis(REDIS_URL);
const skip = redisProbe !== undefined && !inCI();
if (skip) console.warn(`Skipping the tengine connections tests: ${redisProbe}. Set CI=1 to fail instead.`);

async function cli(argv: string[], withEnv: Record<string, string> = env) {
  const { io, buf } = memoryIo({ env: withEnv });
  const code = await runCli(argv, io);
  return { code, out: buf.out, err: buf.err };
}

describe.skipIf(skip)('tengine connections', () => {
  let store: Store;
  beforeAll(async () => {
    if (redisProbe !== undefined) throw new Error(`Redis at ${REDIS_URL} is unreachable and CI is set: ${redisProbe}`);
    store = await createRedisStore({ url: REDIS_URL, keyPrefix: PREFIX });
    const now = Date.now();
    const grant = (integrationId: string, member?: string) => ({ clientId: `${integrationId}-client`, projectId: 'support', integrationId, scopes: ['tickets:read'], resource: 'https://mcp.example.com/mcp', ...(member ? { member: { id: member } } : {}) });
    for (const [family, g] of [['fam-a', grant('claude')], ['fam-b', grant('agents', 'alice')], ['fam-c', grant('agents', 'bob')]] as const) {
      await store.set(`oauth:family:${family}`, 'active', 3_600_000);
      await recordConnection(store, g, family, now + 3_600_000, now);
    }
    await recordConnection(store, { ...grant('claude'), projectId: 'other' }, 'fam-x', now + 3_600_000, now);
  });
  afterAll(async () => {
    await store?.close();
    if (redisProbe === undefined) await deleteKeysWithPrefix(REDIS_URL, PREFIX);
  });

  it('list: the project\'s connections only, filterable by integration and member', async () => {
    const all = await cli(['connections', 'list', '--project', 'support', '-f', 'json']);
    expect(all.code).toBe(0);
    const parsed = JSON.parse(all.out) as { connections: { family: string; member: string | null; status: string }[] };
    expect(parsed.connections.map((c) => c.family).sort()).toEqual(['fam-a', 'fam-b', 'fam-c']);
    expect(outputSchema(parsed), JSON.stringify(outputSchema.errors)).toBe(true);
    const alice = JSON.parse((await cli(['connections', 'list', '--project', 'support', '--member', 'alice', '-f', 'json'])).out) as typeof parsed;
    expect(alice.connections.map((c) => c.family)).toEqual(['fam-b']);
    const human = await cli(['connections', 'list', '--project', 'support', '--integration', 'claude']);
    expect(human.out).toMatch(/^active +claude +\(project\) +client claude-client +scopes tickets:read/);
  });

  it('revoke: a member\'s connections, then they show as revoked and are not revoked twice', async () => {
    const r = await cli(['connections', 'revoke', '--project', 'support', '--integration', 'agents', '--member', 'bob', '-f', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { revoked: { family: string }[] }).revoked.map((c) => c.family)).toEqual(['fam-c']);
    expect(outputSchema(JSON.parse(r.out)), JSON.stringify(outputSchema.errors)).toBe(true);
    expect(await store.get('oauth:family:fam-c')).toBe('revoked');
    expect(await store.get('oauth:family:fam-b')).toBe('active');
    const again = await cli(['connections', 'revoke', '--project', 'support', '--member', 'bob']);
    expect(again.out).toMatch(/^revoked 0 connections/);
  });

  it('revoking a whole project needs --all', async () => {
    const r = await cli(['connections', 'revoke', '--project', 'support']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error BAD_ARGUMENT');
    expect(await store.get('oauth:family:fam-a')).toBe('active');
  });

  it('without a Redis URL: STORE_REQUIRED, nothing else printed', async () => {
    const r = await cli(['connections', 'list', '--project', 'support'], {});
    expect(r.code).toBe(1);
    expect(r.err).toContain('error STORE_REQUIRED');
    expect(r.out).toBe('');
  });
});

// On a Redis Cluster the grants of one project hash to every master; SCAN sees one node, so the listing must walk
// them all (docs/storage.md "Redis topologies"). A private cluster of three masters, stopped by pid.
const installed = redisServerInstalled();
describe.skipIf(!installed && !inCI())('tengine connections on a Redis Cluster (TENGINE_REDIS_CLUSTER_NODES)', () => {
  let cluster: TestRedisCluster | undefined;
  let store: Store | undefined;
  let clusterEnv: Record<string, string> = {};
  const families = Array.from({ length: 24 }, (_, i) => `fam-${i}`);
  beforeAll(async () => {
    if (!installed) throw new Error('redis-server is not on the PATH and CI is set');
    cluster = await startRedisCluster();
    clusterEnv = { TENGINE_REDIS_CLUSTER_NODES: cluster.urls.join(','), TENGINE_REDIS_KEY_PREFIX: 'connections:' };
    store = await createRedisStore({ endpoints: { mode: 'cluster', nodes: cluster.urls }, keyPrefix: 'connections:' });
    const now = Date.now();
    for (const family of families) {
      await store.set(`oauth:family:${family}`, 'active', 3_600_000);
      await recordConnection(store, { clientId: 'c', projectId: 'support', integrationId: 'agents', scopes: ['tickets:read'], resource: 'https://mcp.example.com/mcp', member: { id: `m-${family}` } }, family, now + 3_600_000, now);
    }
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('list finds the connections on every master; revoke reaches the right node', async () => {
    const listed = await cli(['connections', 'list', '--project', 'support', '-f', 'json'], clusterEnv);
    expect(listed.code, listed.err).toBe(0);
    expect((JSON.parse(listed.out) as { connections: { family: string }[] }).connections.map((c) => c.family).sort()).toEqual([...families].sort());
    const revoked = await cli(['connections', 'revoke', '--project', 'support', '--member', 'm-fam-7', '-f', 'json'], clusterEnv);
    expect(revoked.code, revoked.err).toBe(0);
    expect((JSON.parse(revoked.out) as { revoked: { family: string }[] }).revoked.map((c) => c.family)).toEqual(['fam-7']);
    expect(await store!.get('oauth:family:fam-7')).toBe('revoked');
  });

  it('a cluster and a URL at once: USAGE naming both, nothing listed', async () => {
    const r = await cli(['connections', 'list', '--project', 'support'], { ...clusterEnv, TENGINE_REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error USAGE: TENGINE_REDIS_URL and TENGINE_REDIS_CLUSTER_NODES are both set/);
    expect(r.out).toBe('');
  });
});
