// The Store contract (design §4 item 6), one suite run against both implementations: whatever a handler can observe
// through the interface must be the same in memory and in Redis. Real short TTLs with polling, so the very same
// assertions hold for both. The Redis leg uses the shared Redis with a key prefix unique to this run and deletes
// only its own keys; in CI it fails when Redis is unreachable, locally it skips with the reason printed.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, inCI, probeRedis, redisServerInstalled } from '../../test/fixtures/redis-server.js';
import { rawCommand, startRedisCluster, startSentinelGroup, type TestRedisCluster, type TestSentinelGroup } from '../../test/fixtures/redis-topologies.js';
import { createMemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import { type Store, StoreUnavailableError } from './store.js';

const REDIS_URL = process.env.TENGINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN_PREFIX = `tengine-test:${randomUUID()}:`;

/** Makes a store whose keys live in `namespace` (two namespaces never see each other's keys). */
type MakeStore = (namespace: string) => Promise<Store>;

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < withinMs) {
    if (await check()) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`condition not met within ${withinMs} ms`);
}

let counter = 0;
const key = (label: string) => `${label}:${++counter}:${randomUUID()}`;

function describeStoreContract(name: string, kind: Store['kind'], make: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const opened: Store[] = [];
    const open = async (namespace: string) => {
      const s = await make(namespace);
      opened.push(s);
      return s;
    };

    beforeAll(async () => {
      store = await open('main');
    });
    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
    });

    it(`reports kind "${kind}" and answers ping (readiness)`, async () => {
      expect(store.kind).toBe(kind);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('get returns the value until the TTL elapses, then undefined (expiry in milliseconds)', async () => {
      const k = key('ttl');
      const start = performance.now();
      await store.set(k, 'v', 120);
      expect(await store.get(k)).toBe('v');
      await eventually(async () => (await store.get(k)) === undefined, 2000);
      expect(performance.now() - start).toBeGreaterThanOrEqual(110);
      expect(await store.get('never-set:' + randomUUID())).toBeUndefined();
    });

    it('keysWithPrefix lists live keys under a prefix (glob characters literal), up to the limit', async () => {
      const base = key('scan');
      await store.set(`${base}:a*[x]:1`, 'v', 60_000);
      await store.set(`${base}:a*[x]:2`, 'v', 60_000);
      await store.set(`${base}:ab:3`, 'v', 60_000);
      await store.set(`${base}:a*[x]:gone`, 'v', 50);
      await eventually(async () => (await store.get(`${base}:a*[x]:gone`)) === undefined, 2000);
      expect((await store.keysWithPrefix(`${base}:a*[x]:`, 100)).sort()).toEqual([`${base}:a*[x]:1`, `${base}:a*[x]:2`]);
      expect(await store.keysWithPrefix(`${base}:a*[x]:`, 1)).toHaveLength(1);
      expect(await store.keysWithPrefix(`${base}:none:`, 100)).toEqual([]);
    });

    it('set overwrites both the value and the TTL', async () => {
      const k = key('overwrite');
      await store.set(k, 'first', 80);
      await store.set(k, 'second', 60_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(await store.get(k)).toBe('second');
    });

    it('rejects a TTL that is not a positive finite number (programmer error, RangeError)', async () => {
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(store.set(key('bad-ttl'), 'v', ttl)).rejects.toBeInstanceOf(RangeError);
        await expect(store.setIfAbsent(key('bad-ttl'), 'v', ttl)).rejects.toBeInstanceOf(RangeError);
      }
    });

    it('setIfAbsent: only the first of 20 concurrent writers wins (replay guard), the value is the winner', async () => {
      const k = key('nx');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.setIfAbsent(k, `w${i}`, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.get(k)).toBe(`w${results.indexOf(true)}`);
      expect(await store.setIfAbsent(k, 'late', 60_000)).toBe(false);
      expect(await store.get(k)).toBe(`w${results.indexOf(true)}`);
    });

    it('setIfAbsent succeeds again once the earlier value has expired, and never over a live set()', async () => {
      const k = key('nx-expiry');
      expect(await store.setIfAbsent(k, 'a', 100)).toBe(true);
      expect(await store.setIfAbsent(k, 'b', 100)).toBe(false);
      await eventually(async () => (await store.get(k)) === undefined, 2000);
      expect(await store.setIfAbsent(k, 'c', 60_000)).toBe(true);
      expect(await store.get(k)).toBe('c');
      const k2 = key('nx-over-set');
      await store.set(k2, 'set', 60_000);
      expect(await store.setIfAbsent(k2, 'nx', 60_000)).toBe(false);
    });

    it('take is single use: 20 concurrent takes yield the value exactly once (authorization codes)', async () => {
      const k = key('take');
      await store.set(k, 'code-hash-record', 60_000);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.take(k)));
      expect(results.filter((r) => r !== undefined)).toEqual(['code-hash-record']);
      expect(await store.get(k)).toBeUndefined();
      expect(await store.take(k)).toBeUndefined();
    });

    it('take of an expired value is undefined', async () => {
      const k = key('take-expired');
      await store.set(k, 'v', 60);
      await eventually(async () => (await store.get(k)) === undefined, 2000);
      expect(await store.take(k)).toBeUndefined();
    });

    it('chargeLimits (GCRA): `burst` calls pass back to back, the next is refused with the wait until it conforms', async () => {
      const tag = `{${key('gcra')}}`;
      const check = { kind: 'rate' as const, key: `${tag}:r`, intervalMs: 1000, burst: 3 };
      for (let i = 0; i < 3; i++) expect(await store.chargeLimits([check])).toEqual({ admitted: true });
      const refused = await store.chargeLimits([check]);
      expect(refused).toMatchObject({ admitted: false, refused: 0 });
      if (refused.admitted) throw new Error('admitted');
      expect(refused.retryAfterMs).toBeGreaterThan(800);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
      // A fast sustained rate refills within milliseconds: a call after one interval conforms again.
      const fast = { kind: 'rate' as const, key: `${tag}:fast`, intervalMs: 40, burst: 1 };
      expect(await store.chargeLimits([fast])).toEqual({ admitted: true });
      expect((await store.chargeLimits([fast])).admitted).toBe(false);
      await new Promise((r) => setTimeout(r, 60));
      expect(await store.chargeLimits([fast])).toEqual({ admitted: true });
    });

    it('chargeLimits is all or nothing: a call refused by one limit charges none of the others', async () => {
      const tag = `{${key('atomic')}}`;
      const rate = { kind: 'rate' as const, key: `${tag}:r`, intervalMs: 60_000, burst: 5 };
      const now = Date.now();
      const day = { key: `${tag}:q:today`, startMs: now - 3_600_000, endMs: now + 3_600_000 };
      const next = { key: `${tag}:q:next`, startMs: now + 3_600_000, endMs: now + 7_200_000 };
      const quota = { kind: 'quota' as const, limit: 2, windows: [day, next] as const };
      expect(await store.chargeLimits([rate, quota])).toEqual({ admitted: true });
      expect(await store.chargeLimits([rate, quota])).toEqual({ admitted: true });
      const refused = await store.chargeLimits([rate, quota]);
      expect(refused).toMatchObject({ admitted: false, refused: 1 });
      if (refused.admitted) throw new Error('admitted');
      expect(refused.retryAfterMs).toBeGreaterThan(3_500_000); // until the window's end
      expect(await store.get(day.key)).toBe('2');
      // The refused call took nothing from the rate limit: 5 - 2 = 3 remain.
      for (let i = 0; i < 3; i++) expect(await store.chargeLimits([rate])).toEqual({ admitted: true });
      expect((await store.chargeLimits([rate])).admitted).toBe(false);
    });

    it('chargeLimits is atomic: 200 concurrent calls against a quota of 50 admit exactly 50', async () => {
      const tag = `{${key('quota-race')}}`;
      const now = Date.now();
      const quota = {
        kind: 'quota' as const,
        limit: 50,
        windows: [{ key: `${tag}:a`, startMs: now - 60_000, endMs: now + 60_000 }, { key: `${tag}:b`, startMs: now + 60_000, endMs: now + 120_000 }] as const,
      };
      const verdicts = await Promise.all(Array.from({ length: 200 }, () => store.chargeLimits([quota])));
      expect(verdicts.filter((v) => v.admitted)).toHaveLength(50);
      expect(await store.get(`${tag}:a`)).toBe('50');
    });

    it('chargeLimits counts a quota in the proposed window that holds the store\'s time (clock skew at an edge)', async () => {
      const tag = `{${key('quota-edge')}}`;
      const now = Date.now();
      // A caller whose clock ran ahead proposes tomorrow first; the store's time is still in today.
      const tomorrow = { key: `${tag}:tomorrow`, startMs: now + 30_000, endMs: now + 90_000 };
      const today = { key: `${tag}:today`, startMs: now - 30_000, endMs: now + 30_000 };
      expect(await store.chargeLimits([{ kind: 'quota', limit: 1, windows: [tomorrow, today] }])).toEqual({ admitted: true });
      expect(await store.get(today.key)).toBe('1');
      expect(await store.get(tomorrow.key)).toBeUndefined();
    });

    it('chargeLimits names the refusing check with the longest wait, and rejects checks no store can apply', async () => {
      const tag = `{${key('longest')}}`;
      const short = { kind: 'rate' as const, key: `${tag}:s`, intervalMs: 1000, burst: 1 };
      const long = { kind: 'rate' as const, key: `${tag}:l`, intervalMs: 30_000, burst: 1 };
      expect(await store.chargeLimits([short, long])).toEqual({ admitted: true });
      expect(await store.chargeLimits([short, long])).toMatchObject({ admitted: false, refused: 1 });
      await expect(store.chargeLimits([])).rejects.toBeInstanceOf(RangeError);
      await expect(store.chargeLimits([{ ...short, burst: 0 }])).rejects.toBeInstanceOf(RangeError);
      await expect(store.chargeLimits([short, short])).rejects.toBeInstanceOf(RangeError);
    });

    it('advance raises a watermark and never lowers it; the stored label goes with the highest value', async () => {
      const k = key('mark');
      expect(await store.advance(k, 100, 'sha256:a', 60_000)).toEqual({ value: 100, label: 'sha256:a' });
      expect(await store.advance(k, 50, 'sha256:old', 60_000)).toEqual({ value: 100, label: 'sha256:a' });
      expect(await store.advance(k, 100, 'sha256:same-time', 60_000)).toEqual({ value: 100, label: 'sha256:a' });
      expect(await store.advance(k, 200, 'sha256:b c', 60_000)).toEqual({ value: 200, label: 'sha256:b c' });
    });

    it('advance is atomic: 30 concurrent raises leave the highest of them', async () => {
      const k = key('mark-race');
      const values = Array.from({ length: 30 }, (_, i) => ((i * 7919) % 30) + 1);
      await Promise.all(values.map((v) => store.advance(k, v, `v${v}`, 60_000)));
      expect(await store.advance(k, 0, 'probe', 60_000)).toEqual({ value: 30, label: 'v30' });
    });

    it('incrementFields is atomic: 40 concurrent writes of three fields leave exact sums (usage records)', async () => {
      const k = key('hash');
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.incrementFields(k, { calls: 1, 'us total': 1000 + i, 'e:UPSTREAM_HTTP_ERROR': i % 2 }, 60_000)));
      expect(await store.readFields(k)).toEqual({ calls: '40', 'us total': String(40 * 1000 + (39 * 40) / 2), 'e:UPSTREAM_HTTP_ERROR': '20' });
      await store.incrementFields(k, { calls: -3 }, 60_000);
      expect((await store.readFields(k)).calls).toBe('37');
    });

    it('incrementFields restarts the hash expiry on every write; the hash is gone once it passes', async () => {
      const k = key('hash-ttl');
      // 2 × 300 ms apart under a 500 ms TTL: alive at 600 ms only because the second write restarted the expiry.
      await store.incrementFields(k, { c: 1 }, 500);
      await new Promise((r) => setTimeout(r, 300));
      await store.incrementFields(k, { c: 1 }, 500);
      await new Promise((r) => setTimeout(r, 300));
      expect(await store.readFields(k)).toEqual({ c: '2' });
      await eventually(async () => Object.keys(await store.readFields(k)).length === 0, 2000);
      expect(await store.keysWithPrefix(k, 10)).toEqual([]);
    });

    it('readFields of an absent hash is {}; field names keep spaces, colons and unicode byte for byte', async () => {
      expect(await store.readFields(key('no-hash'))).toEqual({});
      const k = key('hash-names');
      const names = ['backend a_one c user 42', 'backend a_one c ünï 日本 🚀 : {x}', 'backend a_one c '];
      await store.incrementFields(k, Object.fromEntries(names.map((n, i) => [n, i + 1])), 60_000);
      expect(await store.readFields(k)).toEqual(Object.fromEntries(names.map((n, i) => [n, String(i + 1)])));
      expect(await store.keysWithPrefix(k, 10)).toEqual([k]);
    });

    it('deleteFields removes the named fields and counts those that existed; the hash goes with its last field', async () => {
      const k = key('hash-del');
      await store.incrementFields(k, { a: 1, b: 2, c: 3 }, 60_000);
      expect(await store.deleteFields(k, ['a', 'missing', 'a'])).toBe(1);
      expect(await store.readFields(k)).toEqual({ b: '2', c: '3' });
      expect(await store.deleteFields(k, [])).toBe(0);
      expect(await store.deleteFields(k, ['b', 'c'])).toBe(2);
      expect(await store.readFields(k)).toEqual({});
      expect(await store.keysWithPrefix(k, 10)).toEqual([]);
      expect(await store.deleteFields(key('never'), ['a'])).toBe(0);
    });

    it('incrementFields rejects a fractional or unsafe amount and a bad TTL (programmer errors, RangeError)', async () => {
      const k = key('hash-bad');
      await expect(store.incrementFields(k, { a: 1.5 }, 60_000)).rejects.toBeInstanceOf(RangeError);
      await expect(store.incrementFields(k, { a: Number.MAX_SAFE_INTEGER + 2 }, 60_000)).rejects.toBeInstanceOf(RangeError);
      await expect(store.incrementFields(k, { a: 1 }, 0)).rejects.toBeInstanceOf(RangeError);
      expect(await store.readFields(k)).toEqual({});
    });

    it('hash operations on a string key and string operations on a hash fail as the store failing, with no key or value in the message', async () => {
      const s = key('wrong-type-secretvalue');
      await store.set(s, 'secretvalue', 60_000);
      const err = await store.incrementFields(s, { a: 1 }, 60_000).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).not.toContain('secretvalue');
      await expect(store.readFields(s)).rejects.toBeInstanceOf(StoreUnavailableError);
      const h = key('wrong-type-hash');
      await store.incrementFields(h, { a: 1 }, 60_000);
      await expect(store.get(h)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await store.get(s)).toBe('secretvalue');
    });

    it('inspect answers without failing (memory: nothing to report; redis: its eviction settings or why not)', async () => {
      const facts = await store.inspect();
      if (kind === 'memory') expect(facts).toEqual({});
      else expect(facts.evictionPolicy !== undefined || facts.unreadable !== undefined).toBe(true);
    });

    it('delete removes a key, leaves others, and does not fail when the key is absent', async () => {
      const k = key('del');
      const other = key('del-other');
      await store.set(k, 'v', 60_000);
      await store.set(other, 'w', 60_000);
      await store.delete(k);
      expect(await store.get(k)).toBeUndefined();
      expect(await store.get(other)).toBe('w');
      await expect(store.delete(k)).resolves.toBeUndefined();
      await expect(store.delete(key('never'))).resolves.toBeUndefined();
    });

    it('keeps unicode, the empty string and a 64 KB value byte for byte', async () => {
      const values = [
        'ünïcödé 日本語 עברית 🚀👩‍👩‍👧 \u0000 nul \r\n\t',
        '',
        randomBytes(48 * 1024).toString('base64').slice(0, 65_536),
        'é'.repeat(32 * 1024),
      ];
      for (const value of values) {
        const k = key('value');
        await store.set(k, value, 60_000);
        expect(await store.get(k)).toBe(value);
        expect(await store.take(k)).toBe(value);
      }
      const unicodeKey = key('ключ-🔑');
      expect(await store.setIfAbsent(unicodeKey, 'x', 60_000)).toBe(true);
      expect(await store.get(unicodeKey)).toBe('x');
    });

    it('isolates namespaces (key prefix): one never sees, takes or counts the other keys', async () => {
      const a = await open('iso-a');
      const b = await open('iso-b');
      const k = key('shared-name');
      await a.set(k, 'from-a', 60_000);
      expect(await b.get(k)).toBeUndefined();
      expect(await b.take(k)).toBeUndefined();
      expect(await b.setIfAbsent(k, 'from-b', 60_000)).toBe(true);
      const once = { kind: 'rate' as const, key: `{${k}}:n`, intervalMs: 60_000, burst: 1 };
      expect(await b.chargeLimits([once])).toEqual({ admitted: true });
      expect(await a.chargeLimits([once])).toEqual({ admitted: true });
      expect(await a.take(k)).toBe('from-a');
      expect(await b.get(k)).toBe('from-b');
    });

    it('close releases the store: later calls reject with StoreUnavailableError, a second close is fine', async () => {
      const s = await open('closing');
      await s.set(key('c'), 'v', 60_000);
      await s.close();
      await expect(s.get(key('c'))).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.set(key('c'), 'v', 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.close()).resolves.toBeUndefined();
    });
  });
}

describeStoreContract('memory', 'memory', async () => createMemoryStore({ sweepIntervalMs: 50 }));

const redisProbe = await probeRedis(REDIS_URL);
const skipRedis = redisProbe !== undefined && !inCI();
if (skipRedis) {
  console.warn(`Skipping the Redis store contract leg: ${redisProbe}. Start Redis on ${REDIS_URL} or set CI=1 to fail instead.`);
}

describe.skipIf(skipRedis)('Redis store', () => {
  // In CI an unreachable Redis is a failure with the reason, not a skip.
  it(`Redis at ${REDIS_URL} is reachable`, () => {
    expect(redisProbe).toBeUndefined();
  });
  afterAll(async () => {
    if (redisProbe === undefined) await deleteKeysWithPrefix(REDIS_URL, RUN_PREFIX);
  });

  describeStoreContract('redis', 'redis', (namespace) =>
    createRedisStore({ url: REDIS_URL, keyPrefix: `${RUN_PREFIX}${namespace}:` }),
  );

  describe('Redis specifics', () => {
    const prefix = `${RUN_PREFIX}specifics:`;
    const stores: Store[] = [];
    const raw = createClient({ url: REDIS_URL, RESP: 2, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
    raw.on('error', () => undefined);
    beforeAll(async () => {
      await raw.connect();
      for (let i = 0; i < 2; i++) stores.push(await createRedisStore({ url: REDIS_URL, keyPrefix: prefix }));
    });
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      if (raw.isOpen) raw.destroy();
    });

    it('two instances with the same prefix share state (scale-out: a replay on another instance is caught)', async () => {
      const [one, two] = stores as [Store, Store];
      const k = key('jti');
      expect(await one.setIfAbsent(k, '1', 60_000)).toBe(true);
      expect(await two.setIfAbsent(k, '1', 60_000)).toBe(false);
      await two.set(k + ':code', 'c', 60_000);
      expect(await one.take(k + ':code')).toBe('c');
      expect(await two.take(k + ':code')).toBeUndefined();
      const rate = { kind: 'rate' as const, key: `{${k}}:n`, intervalMs: 60_000, burst: 30 };
      const verdicts = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? one : two).chargeLimits([rate])));
      expect(verdicts.filter((v) => v.admitted)).toHaveLength(30);
    });

    it('stores under keyPrefix + logical key with a millisecond TTL on every key', async () => {
      const [one] = stores as [Store];
      const k = key('layout');
      await one.set(k, 'v', 30_000);
      await one.chargeLimits([{ kind: 'rate', key: k + ':n', intervalMs: 20_000, burst: 1 }]);
      expect(await raw.sendCommand(['GET', prefix + k])).toBe('v');
      expect(await raw.sendCommand(['EXISTS', k])).toBe(0);
      const ttl = Number(await raw.sendCommand(['PTTL', prefix + k]));
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
      // A GCRA key lives until its arrival time: one interval after a call on an idle key.
      const rateTtl = Number(await raw.sendCommand(['PTTL', prefix + k + ':n']));
      expect(rateTtl).toBeGreaterThan(15_000);
      expect(rateTtl).toBeLessThanOrEqual(20_000);
    });

    it('an error never carries the key or the value (a quota charged on a key holding text)', async () => {
      const [one] = stores as [Store];
      const k = key('secret-key-name');
      await one.set(k, 'value-that-must-not-leak', 60_000);
      // INCR on a non-integer is an error reply; the script runs it only after every check passed.
      const now = Date.now();
      const quota = { kind: 'quota' as const, limit: 10, windows: [{ key: k, startMs: now - 60_000, endMs: now + 60_000 }, { key: k + ':next', startMs: now + 60_000, endMs: now + 120_000 }] as const };
      const err = await one.chargeLimits([quota]).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      const message = (err as StoreUnavailableError).message;
      expect((err as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
      expect(message).not.toContain('value-that-must-not-leak');
      expect(message).not.toContain('secret-key-name');
      expect(message).toMatch(/^redis chargeLimits failed: Redis replied ERR/);
      expect((err as StoreUnavailableError).failure).toBe('outage');
    });
  });
});

// Redis Cluster and Sentinel: the same contract on private servers this file starts and stops (never the shared
// Redis). Without redis-server installed the legs skip locally and fail in CI.
const topologiesInstalled = redisServerInstalled();
if (!topologiesInstalled && !inCI()) console.warn('Skipping the Redis Cluster and Sentinel legs: redis-server is not installed.');

describe.skipIf(!topologiesInstalled && !inCI())('Redis Cluster and Sentinel stores', () => {
  let cluster: TestRedisCluster | undefined;
  let group: TestSentinelGroup | undefined;
  beforeAll(async () => {
    [cluster, group] = await Promise.all([startRedisCluster(), startSentinelGroup()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([cluster?.stop(), group?.stop()]);
  });

  it('redis-server and redis-cli are installed (CI runs these legs)', () => {
    expect(topologiesInstalled).toBe(true);
  });

  describeStoreContract('Redis Cluster (3 masters)', 'redis', (namespace) =>
    createRedisStore({ endpoints: { mode: 'cluster', nodes: cluster!.urls }, keyPrefix: `${RUN_PREFIX}${namespace}:` }),
  );
  describeStoreContract('Redis Sentinel (master + replica)', 'redis', (namespace) =>
    createRedisStore({ endpoints: { mode: 'sentinel', sentinels: group!.sentinels, name: group!.name }, keyPrefix: `${RUN_PREFIX}${namespace}:` }),
  );

  it('on a cluster, keys spread over every master and keysWithPrefix finds them all (SCAN runs on each master)', async () => {
    const store = await createRedisStore({ endpoints: { mode: 'cluster', nodes: cluster!.urls }, keyPrefix: `${RUN_PREFIX}spread:` });
    try {
      const written = Array.from({ length: 60 }, (_, i) => `oauth:grant:p:i:${i}`);
      await Promise.all(written.map((k) => store.set(k, 'v', 60_000)));
      const perNode = await Promise.all(cluster!.nodes.map(async (n) => Number(/:(\d+)/.exec(await rawCommand(n.port, 'DBSIZE'))?.[1] ?? 0)));
      expect(perNode.filter((count) => count > 0)).toHaveLength(3);
      expect((await store.keysWithPrefix('oauth:grant:', 1000)).sort()).toEqual([...written].sort());
      expect(await store.keysWithPrefix('oauth:grant:', 7)).toHaveLength(7);
    } finally {
      await store.close();
    }
  });

  it('a cluster store serves usage counts, codes and replay guards for keys in different slots from two instances', async () => {
    const make = () => createRedisStore({ endpoints: { mode: 'cluster', nodes: cluster!.urls }, keyPrefix: `${RUN_PREFIX}shared:` });
    const [one, two] = [await make(), await make()];
    try {
      const rate = { kind: 'rate' as const, key: 'lim:{p}:project:*:project:p:r60000', intervalMs: 60_000, burst: 25 };
      const verdicts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).chargeLimits([rate])));
      expect(verdicts.filter((v) => v.admitted)).toHaveLength(25);
      expect(await one.setIfAbsent('jti:abc', '1', 60_000)).toBe(true);
      expect(await two.setIfAbsent('jti:abc', '1', 60_000)).toBe(false);
      await one.set('oauth:code:zz', 'grant', 60_000);
      expect(await Promise.all([one.take('oauth:code:zz'), two.take('oauth:code:zz')])).toContain('grant');
      expect(await one.get('oauth:code:zz')).toBeUndefined();
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
