// Redis failures the gateway must survive without hanging (design §4 item 6, docs/storage.md "Failure behaviour"):
// a stalled server (SIGSTOP), a dead one (SIGKILL), a restart on the same port, an old server without GETDEL, and
// an unreachable or stalled server at boot. Each test drives its own redis-server on a spare loopback port and
// stops it by pid; the shared Redis is never touched.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCI, redisServerInstalled, sparePort, startRedisServer, type TestRedisServer } from '../../test/fixtures/redis-server.js';
import { createRedisStore, createStoreFromEnv, type RedisStoreOptions } from './redis-store.js';
import { type LimitVerdict, type Store, StoreUnavailableError } from './store.js';

const TIMEOUT = 200;
const MARGIN = 250; // scheduling slack on a loaded CI machine
const AT_ONCE = 50; // a failure that does not wait for any deadline

const installed = redisServerInstalled();
const skip = !installed && !inCI();
if (skip) console.warn('Skipping the Redis fault tests: no redis-server on the PATH (set CI=1 to fail instead).');

const servers: TestRedisServer[] = [];
const stores: Store[] = [];
async function server(extraArgs: string[] = []): Promise<TestRedisServer> {
  const s = await startRedisServer(extraArgs);
  servers.push(s);
  return s;
}
async function store(url: string, opts: Partial<RedisStoreOptions> = {}): Promise<Store> {
  const s = await createRedisStore({ url, keyPrefix: 'faults:', commandTimeoutMs: TIMEOUT, maxReconnectDelayMs: 200, ...opts });
  stores.push(s);
  return s;
}

/** Runs `op`, expecting a StoreUnavailableError; returns how long the failure took. */
async function failureTime(op: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  const err = await op().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StoreUnavailableError);
  return performance.now() - start;
}

async function eventuallyWorks(s: Store, withinMs: number): Promise<void> {
  const start = performance.now();
  for (;;) {
    try {
      await s.set('probe', 'ok', 10_000);
      if ((await s.get('probe')) === 'ok') return;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
    }
    if (performance.now() - start > withinMs) throw new Error(`store did not recover within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every operation that fails fast on a stall (all but usage counts, which wait for a slow reply). */
const failFastOps = (s: Store) => [
  () => s.get('a'),
  () => s.set('a', 'v', 1000),
  () => s.setIfAbsent('b', 'v', 1000),
  () => s.take('c'),
  () => s.delete('d'),
  () => s.ping(),
];
/** One usage charge as the limiter sends it: a rate with room for `burst` calls at once, then one a minute. */
const charge = (s: Store, key: string, burst = 1_000_000) => s.chargeLimits([{ kind: 'rate', key, intervalMs: 60_000, burst }]);
const allOps = (s: Store) => [...failFastOps(s), () => charge(s, 'e')];
/** How many settled charges were admitted. */
const admittedOf = (results: PromiseSettledResult<LimitVerdict>[]) => results.filter((r) => r.status === 'fulfilled' && r.value.admitted).length;

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(servers.map((s) => s.stop())); // SIGCONT then SIGKILL, by pid
});

describe.skipIf(skip)('Redis faults', () => {
  it('redis-server is installed (required in CI)', () => {
    expect(installed).toBe(true);
  });

  describe('a stalled server (SIGSTOP)', () => {
    let srv: TestRedisServer;
    let main: Store;
    let small: Store;
    const errors: string[] = [];
    let watched: Store;
    beforeAll(async () => {
      srv = await server();
      main = await store(srv.url, { stallResetMs: 60_000 });
      small = await store(srv.url, { stallResetMs: 60_000, maxPendingCommands: 20 });
      watched = await store(srv.url, { commandTimeoutMs: 100, stallResetMs: 400, connectTimeoutMs: 300, onError: (m) => errors.push(m) });
      await charge(main, 'e'); // loads the script, so a stalled EVALSHA is what is awaited below
    });

    it('fails every kind of command but usage counts within commandTimeoutMs instead of hanging', async () => {
      srv.pause();
      try {
        const times = await Promise.all(failFastOps(main).flatMap((op) => [op, op, op]).map((op) => failureTime(op)));
        for (const ms of times) {
          expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 5);
          expect(ms).toBeLessThan(TIMEOUT + MARGIN);
        }
        const err = await main.get('a').then(() => undefined, (e: unknown) => e as Error);
        expect(err?.message).toBe(`redis get failed: no reply within ${TIMEOUT} ms`);
      } finally {
        srv.resume();
      }
      await eventuallyWorks(main, 2000);
    });

    it('bounds the backlog: beyond maxPendingCommands a command fails at once', async () => {
      srv.pause();
      try {
        const first = failFastOps(small).flatMap((op) => [op, op, op, op]).slice(0, 20).map((op) => failureTime(op));
        const overflow = await failureTime(() => small.get('a'));
        expect(overflow).toBeLessThan(AT_ONCE);
        const err = await small.ping().then(() => undefined, (e: unknown) => e as Error);
        expect(err?.message).toMatch(/more than 20 commands pending/);
        await Promise.all(first);
      } finally {
        srv.resume();
      }
      await eventuallyWorks(small, 2000); // the stalled replies drain, the queue empties
    });

    it('replaces a connection that has answered nothing for stallResetMs; then fails at once, and recovers', async () => {
      srv.pause();
      try {
        const start = performance.now();
        while (performance.now() - start < 700) await failureTime(() => watched.ping());
        expect(errors.some((m) => /no reply for \d+ ms, reconnecting/.test(m))).toBe(true);
        expect(await failureTime(() => watched.get('a'))).toBeLessThan(AT_ONCE); // offline: no waiting for a deadline
        // The new connection's handshake hangs on the frozen server; node-redis would wait forever, we replace it.
        while (performance.now() - start < 1600) await failureTime(() => watched.ping());
        expect(errors.some((m) => /not connected for \d+ ms, reconnecting/.test(m))).toBe(true);
      } finally {
        srv.resume();
      }
      await eventuallyWorks(watched, 2000);
      expect(errors.join('\n')).not.toMatch(/probe|faults:/);
    });

    it('close() of a store whose Redis is stalled returns promptly (disconnects)', async () => {
      const closing = await store(srv.url);
      srv.pause();
      try {
        void closing.get('a').catch(() => undefined); // leaves a command waiting for a reply
        const start = performance.now();
        await closing.close();
        expect(performance.now() - start).toBeLessThan(2 * TIMEOUT + MARGIN);
      } finally {
        srv.resume();
      }
    });
  });

  describe('usage counts on a slow, overloaded or frozen server (slow is not an outage)', () => {
    let srv: TestRedisServer;
    beforeAll(async () => {
      srv = await server();
    });

    /** Pauses the server, starts `n` counts on `key`, resumes after `pauseMs`; returns the settled results. */
    async function countsAcrossPause(s: Store, key: string, n: number, pauseMs: number, burst: number) {
      await charge(s, `${key}:warm`); // loads the script, so the paused command is the EVALSHA itself
      srv.pause();
      let results: PromiseSettledResult<LimitVerdict>[];
      try {
        const counting = Promise.allSettled(Array.from({ length: n }, () => charge(s, key, burst)));
        await new Promise((r) => setTimeout(r, pauseMs));
        srv.resume();
        results = await counting;
      } finally {
        srv.resume();
      }
      return results;
    }

    it('a reply later than commandTimeoutMs (server paused 500 ms) is awaited: every charge lands, exactly the burst admitted', async () => {
      const s = await store(srv.url); // commandTimeoutMs 200: the pause is 2.5 deadlines long
      const results = await countsAcrossPause(s, 'slow', 150, 500, 100);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(admittedOf(results)).toBe(100);
      // Meanwhile other commands kept their fail-fast deadline.
      srv.pause();
      try {
        expect(await failureTime(() => s.get('a'))).toBeLessThan(TIMEOUT + MARGIN);
      } finally {
        srv.resume();
      }
    });

    it('counts beyond maxPendingCommands wait in the local queue instead of failing with "queue full": exactly the burst', async () => {
      const s = await store(srv.url, { maxPendingCommands: 20 });
      const results = await countsAcrossPause(s, 'queued', 200, 300, 150);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(admittedOf(results)).toBe(150);
    });

    it('counts hold at most 90 % of the slots, so a burst of them never starves other commands', async () => {
      const s = await store(srv.url, { maxPendingCommands: 20 });
      await charge(s, 'share:warm');
      srv.pause();
      try {
        const counting = Promise.allSettled(Array.from({ length: 50 }, () => charge(s, 'share')));
        const guard = s.setIfAbsent('jti', '1', 60_000); // one of the 2 slots counts leave free
        await new Promise((r) => setTimeout(r, 50));
        srv.resume();
        expect(await guard).toBe(true);
        expect((await counting).filter((r) => r.status === 'fulfilled')).toHaveLength(50);
      } finally {
        srv.resume();
      }
    });

    it('with the local queue full too, a count fails at once as an overload (never as an outage)', async () => {
      const s = await store(srv.url, { maxPendingCommands: 10, maxQueuedCounters: 5 });
      await charge(s, 'full:warm');
      srv.pause();
      try {
        const held = Array.from({ length: 14 }, () => charge(s, 'full', 10)); // 9 slots (90 %) + 5 queued
        const start = performance.now();
        const err = await charge(s, 'full', 10).then(() => undefined, (e: unknown) => e as StoreUnavailableError);
        expect(performance.now() - start).toBeLessThan(AT_ONCE);
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect(err?.failure).toBe('overload');
        expect(err?.message).toBe('redis chargeLimits failed: more than 5 usage counts waiting for a slot (overloaded)');
        srv.resume();
        expect(admittedOf(await Promise.allSettled(held))).toBe(10); // all 14 answered: the burst of 10 admitted
      } finally {
        srv.resume();
      }
    });

    it('the wait is bounded: past counterTimeoutMs a count fails as an overload', async () => {
      const s = await store(srv.url, { counterTimeoutMs: 300, stallResetMs: 60_000 });
      await charge(s, 'bound:warm');
      srv.pause();
      try {
        const start = performance.now();
        const err = await charge(s, 'bound').then(() => undefined, (e: unknown) => e as StoreUnavailableError);
        expect(performance.now() - start).toBeGreaterThanOrEqual(295);
        expect(err?.failure).toBe('overload');
        expect(err?.message).toBe('redis chargeLimits failed: no reply within 300 ms while Redis kept answering (overloaded)');
      } finally {
        srv.resume();
      }
    });

    it('a frozen server: the stall detection replaces the connection and the waiting counts fail as an outage', async () => {
      const errors: string[] = [];
      const s = await store(srv.url, { commandTimeoutMs: 100, stallResetMs: 400, connectTimeoutMs: 300, onError: (m) => errors.push(m) });
      await charge(s, 'frozen:warm');
      srv.pause();
      try {
        const results = await Promise.allSettled(Array.from({ length: 30 }, () => charge(s, 'frozen')));
        for (const r of results) {
          expect(r.status).toBe('rejected');
          expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
          expect(((r as PromiseRejectedResult).reason as StoreUnavailableError).failure).toBe('outage');
        }
        expect(errors.some((m) => /no reply for \d+ ms, reconnecting/.test(m))).toBe(true);
      } finally {
        srv.resume();
      }
      await eventuallyWorks(s, 3000);
      expect(await charge(s, 'frozen:after')).toEqual({ admitted: true });
    });

    it('close() fails the counts still waiting for a slot with StoreUnavailableError', async () => {
      const s = await store(srv.url, { maxPendingCommands: 2 });
      await charge(s, 'closing:warm');
      srv.pause();
      try {
        const counting = Promise.allSettled(Array.from({ length: 5 }, () => charge(s, 'closing')));
        await s.close();
        for (const r of await counting) {
          expect(r.status).toBe('rejected');
          expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
        }
      } finally {
        srv.resume();
      }
    });
  });

  describe('a killed and restarted server', () => {
    let srv: TestRedisServer;
    let main: Store;
    beforeAll(async () => {
      srv = await server();
      main = await store(srv.url);
      await main.set('k', 'v', 60_000);
      expect(await charge(main, 'n', 1)).toEqual({ admitted: true });
    });

    it('fails fast once the server is gone (offline commands are rejected, never queued)', async () => {
      await srv.kill();
      for (const op of allOps(main)) expect(await failureTime(op)).toBeLessThan(TIMEOUT + MARGIN);
      await new Promise((r) => setTimeout(r, 50));
      for (const op of allOps(main)) expect(await failureTime(op)).toBeLessThan(AT_ONCE);
      const err = await main.get('k').then(() => undefined, (e: unknown) => e as Error);
      expect(err?.message).toBe('redis get failed: not connected (reconnecting in the background)');
    });

    it('reconnects in the background when the server is back on the same port (script cache reloaded)', async () => {
      await srv.restart();
      await eventuallyWorks(main, 3000);
      expect(await main.get('k')).toBeUndefined(); // a fresh server without persistence
      expect(await charge(main, 'n', 1)).toEqual({ admitted: true }); // EVALSHA → NOSCRIPT → EVAL; a fresh limiter
      expect(await charge(main, 'n', 1)).toMatchObject({ admitted: false, refused: 0 });
    });
  });

  it('take falls back to a script on a server without GETDEL (before Redis 6.2), still single use', async () => {
    const srv = await server(['--rename-command', 'GETDEL', '']);
    const s = await store(srv.url);
    await s.set('code', 'c', 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => s.take('code')));
    expect(results.filter((r) => r !== undefined)).toEqual(['c']);
    expect(await s.take('code')).toBeUndefined();
  });

  describe('at boot', () => {
    it('an unreachable Redis is a StoreUnavailableError naming the URL without its password', async () => {
      const port = await sparePort();
      const start = performance.now();
      const err = await createStoreFromEnv({ REDIS_URL: `redis://app:hunter2@127.0.0.1:${port}/2` }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(performance.now() - start).toBeLessThan(2000);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err?.message).toBe(`Redis at redis://127.0.0.1:${port}/2 is unreachable: ECONNREFUSED`);
    });

    it('a stalled Redis fails the boot after connectTimeoutMs', async () => {
      const srv = await server();
      srv.pause();
      try {
        const start = performance.now();
        const err = await createRedisStore({ url: srv.url, connectTimeoutMs: 300 }).then(() => undefined, (e: unknown) => e as Error);
        expect(performance.now() - start).toBeLessThan(300 + 2 * MARGIN);
        expect(err?.message).toBe(`Redis at ${srv.url} is unreachable: no answer within 300 ms`);
      } finally {
        srv.resume();
      }
    });

    it('a server that refuses us (authentication) fails the boot with the reply code, never the password', async () => {
      const srv = await server(['--requirepass', 'right-pass']);
      const port = srv.port;
      const noAuth = await createRedisStore({ url: srv.url }).then(() => undefined, (e: unknown) => e as Error);
      expect(noAuth).toBeInstanceOf(StoreUnavailableError);
      expect(noAuth?.message).toMatch(new RegExp(`^Redis at redis://127.0.0.1:${port} is unusable: Redis replied NOAUTH`));
      const wrong = await createRedisStore({ url: `redis://:wrong-pass@127.0.0.1:${port}` }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(wrong?.message).toMatch(/is unreachable: Redis replied WRONGPASS/);
      expect(wrong?.message).not.toContain('wrong-pass');
      const ok = await store(`redis://:right-pass@127.0.0.1:${port}`);
      await expect(ok.ping()).resolves.toBeUndefined();
    });

    it('picks the store from the environment: TENGINE_REDIS_URL, then REDIS_URL, else memory', async () => {
      const srv = await server();
      const memory = await createStoreFromEnv({});
      expect(memory.kind).toBe('memory');
      await memory.close();
      const redis = await createStoreFromEnv({ TENGINE_REDIS_URL: srv.url, REDIS_URL: 'redis://127.0.0.1:1' });
      stores.push(redis);
      expect(redis.kind).toBe('redis');
      await redis.ping();
      await expect(createStoreFromEnv({ REDIS_URL: 'http://127.0.0.1:6379' })).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
});
