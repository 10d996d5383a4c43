import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createMemoryStore } from '../store/memory-store.js';
import { StoreUnavailableError, type Store, type WindowCount } from '../store/store.js';
import { inProcessApp, startUpstream, twoProjectConfig, type TestUpstream } from '../../test/fixtures/runtime-harness.js';
import { chargeUsage, compileLimits, describeLimit } from './usage-limits.js';

const api = { kind: 'api_key' as const, projectId: 'p', integrationId: 'i' };
const alice = { ...api, kind: 'member' as const, member: { id: 'alice' } };
const bob = { ...api, kind: 'member' as const, member: { id: 'bob' } };

describe('chargeUsage (fixed windows in the store, on the store\'s clock)', () => {
  let t = 1_000_000;
  const clock = () => t;

  it('allows `limit` calls per window, then refuses with the seconds left in the window by the store\'s clock', async () => {
    const store = createMemoryStore({ now: clock, sweepIntervalMs: 0 });
    const limits = compileLimits([{ limit: 2, window: '1m', per: 'member' }], 'get');
    expect(await chargeUsage(limits, alice, store)).toEqual({ ok: true }); // opens alice's window
    t += 10_000;
    expect(await chargeUsage(limits, alice, store)).toEqual({ ok: true });
    const third = await chargeUsage(limits, alice, store);
    expect(third).toMatchObject({ ok: false, code: 'USAGE_LIMIT_EXCEEDED', retryAfterSeconds: 50, detail: '2 calls per 1m for this member on get; retry in 50 s' });
    // Another member has their own counter; the window ends 1 minute after it opened, by the store's clock.
    expect((await chargeUsage(limits, bob, store)).ok).toBe(true);
    t += 49_999;
    expect((await chargeUsage(limits, alice, store)).ok).toBe(false);
    t += 1;
    expect((await chargeUsage(limits, alice, store)).ok).toBe(true);
    await store.close();
  });

  it('per: member falls back to the integration for API-key callers; per: project counts everyone together', async () => {
    const store = createMemoryStore({ now: clock, sweepIntervalMs: 0 });
    const perMember = compileLimits([{ limit: 1, window: '1h' }]);
    expect((await chargeUsage(perMember, api, store)).ok).toBe(true);
    expect((await chargeUsage(perMember, { ...api }, store)).ok).toBe(false);
    const perProject = compileLimits([{ limit: 2, window: '1h', per: 'project' }]);
    expect((await chargeUsage(perProject, alice, store)).ok).toBe(true);
    expect((await chargeUsage(perProject, bob, store)).ok).toBe(true);
    expect((await chargeUsage(perProject, api, store)).ok).toBe(false);
    await store.close();
  });

  it('a store outage (here: a closed store) lets the call through and logs usage_store_unavailable', async () => {
    const store = createMemoryStore({ sweepIntervalMs: 0 });
    await store.close();
    const logs: Record<string, unknown>[] = [];
    const d = await chargeUsage(compileLimits([{ limit: 1, window: '1s' }]), api, store, (e) => logs.push(e));
    expect(d).toEqual({ ok: true });
    expect(logs).toEqual([{ level: 'warn', event: 'usage_store_unavailable', message: 'memory store countInWindow failed: store is closed' }]);
  });

  it('an overloaded store refuses the call (USAGE_CHECK_UNAVAILABLE), and a count over a limit wins over both failures', async () => {
    // A stand-in for the three answers a store can give one count; the Redis paths that produce them are exercised
    // for real in runtime/store/redis-faults.test.ts and test/usage-limits-redis.test.ts.
    const answers: Record<string, () => Promise<WindowCount>> = {
      over: async () => ({ count: 3, remainingMs: 1500 }),
      overload: async () => { throw new StoreUnavailableError('redis countInWindow failed: busy', 'overload'); },
      outage: async () => { throw new StoreUnavailableError('redis countInWindow failed: not connected', 'outage'); },
    };
    const store = { countInWindow: (key: string) => answers[/:(over|overload|outage):/.exec(key)![1]!]!() } as unknown as Store;
    const limit = (tool: string) => compileLimits([{ limit: 2, window: '1m', per: 'project' }], tool);
    const logs: Record<string, unknown>[] = [];
    const log = (e: Record<string, unknown>) => logs.push(e);
    expect(await chargeUsage([...limit('outage'), ...limit('overload')], api, store, log)).toEqual({
      ok: false,
      code: 'USAGE_CHECK_UNAVAILABLE',
      retryAfterSeconds: 1,
      detail: 'the usage counters are overloaded; retry in 1 s',
    });
    expect(logs).toEqual([{ level: 'warn', event: 'usage_store_overloaded', message: 'redis countInWindow failed: busy' }]);
    expect(await chargeUsage([...limit('overload'), ...limit('outage'), ...limit('over')], api, store, log)).toMatchObject({
      ok: false,
      code: 'USAGE_LIMIT_EXCEEDED',
      retryAfterSeconds: 2,
    });
  });

  it('describes a limit for the model', () => {
    expect(describeLimit(compileLimits([{ limit: 100, window: '1h', per: 'project' }], 'get')[0]!)).toBe('100 calls per 1h for this project on get');
  });
});

describe('usage limits at /mcp (429 USAGE_LIMIT_EXCEEDED)', () => {
  let upstream: TestUpstream;
  let app: Hono;
  let key: string;
  let close: () => Promise<void>;
  let store: Store;
  let now = Date.UTC(2026, 0, 1, 0, 0, 5);
  beforeAll(async () => {
    upstream = await startUpstream();
    const cfg = twoProjectConfig(upstream.url);
    const alpha = cfg.projects![0]!;
    alpha.usage_limits = [{ limit: 5, window: '1m', per: 'project' }];
    Object.assign(alpha.tools![0]!, { usage_limits: [{ limit: 2, window: '1m', per: 'integration' }] });
    // The windows run on the store's clock: the test moves that clock.
    store = createMemoryStore({ now: () => now });
    const built = await inProcessApp(cfg, {}, { now: () => now, store, allowDevelopment: true }); // loopback upstream
    app = built.app;
    key = built.apiKeys['alpha/backend']!;
    close = built.close;
  });
  afterAll(async () => {
    await close();
    await store.close();
    await upstream.close();
  });

  const call = async (name: string) => {
    const res = await app.request('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { id: 'x' } } }),
    });
    return ((await res.json()) as { result: { isError?: boolean; content: { text: string }[]; _meta?: Record<string, { code: string; status: number; retry_after_seconds?: number }> } }).result;
  };

  it('refuses the call over a tool limit before anything is sent upstream, with the time to wait', async () => {
    expect((await call('a_one')).isError).toBeFalsy(); // opens the windows
    now += 5000;
    expect((await call('a_one')).isError).toBeFalsy();
    const before = upstream.requests.length;
    const third = await call('a_one');
    expect(third.isError).toBe(true);
    expect(third._meta?.['tengine.dev/error']).toMatchObject({ code: 'USAGE_LIMIT_EXCEEDED', status: 429, retry_after_seconds: 55 });
    expect(third.content[0]!.text).toContain('Usage limit exceeded: 2 calls per 1m for this integration on a_one');
    expect(upstream.requests.length).toBe(before);
  });

  it('applies the project limit across tools, and resets with the next window', async () => {
    expect((await call('a_two')).isError).toBeFalsy();
    expect((await call('a_three')).isError).toBeFalsy();
    // 2 (a_one) + 1 refused a_one (counted) + 2 = 5 used; the next call is over the project's 5 per minute.
    const over = await call('a_two');
    expect(over._meta?.['tengine.dev/error']?.code).toBe('USAGE_LIMIT_EXCEEDED');
    expect(over.content[0]!.text).toContain('5 calls per 1m for this project');
    now += 60_000;
    expect((await call('a_two')).isError).toBeFalsy();
  });
});
