import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createMemoryStore } from '../store/memory-store.js';
import { StoreUnavailableError, type Store } from '../store/store.js';
import { inProcessApp, startUpstream, twoProjectConfig, type TestUpstream } from '../../test/fixtures/runtime-harness.js';
import { chargeUsage, compileLimits, describeLimit } from './usage-limits.js';

const api = { kind: 'api_key' as const, projectId: 'p', integrationId: 'i' };
const alice = { ...api, kind: 'member' as const, member: { id: 'alice' } };
const bob = { ...api, kind: 'member' as const, member: { id: 'bob' } };

describe('chargeUsage (fixed windows in the store)', () => {
  it('allows `limit` calls per window, then refuses with the seconds left in the window', async () => {
    const store = createMemoryStore({ sweepIntervalMs: 0 });
    const limits = compileLimits([{ limit: 2, window: '1m', per: 'member' }], 'get');
    const t0 = 28_333_334 * 60_000 + 10_000; // 10 s into a minute window
    expect(await chargeUsage(limits, alice, store, t0)).toEqual({ ok: true });
    expect(await chargeUsage(limits, alice, store, t0 + 1)).toEqual({ ok: true });
    const third = await chargeUsage(limits, alice, store, t0 + 2);
    expect(third.ok).toBe(false);
    if (!third.ok) expect(third.retryAfterSeconds).toBe(50);
    // Another member has their own counter; the next window starts fresh.
    expect((await chargeUsage(limits, bob, store, t0 + 3)).ok).toBe(true);
    expect((await chargeUsage(limits, alice, store, t0 + 60_000)).ok).toBe(true);
    await store.close();
  });

  it('per: member falls back to the integration for API-key callers; per: project counts everyone together', async () => {
    const store = createMemoryStore({ sweepIntervalMs: 0 });
    const perMember = compileLimits([{ limit: 1, window: '1h' }]);
    expect((await chargeUsage(perMember, api, store, 0)).ok).toBe(true);
    expect((await chargeUsage(perMember, { ...api }, store, 1)).ok).toBe(false);
    const perProject = compileLimits([{ limit: 2, window: '1h', per: 'project' }]);
    expect((await chargeUsage(perProject, alice, store, 0)).ok).toBe(true);
    expect((await chargeUsage(perProject, bob, store, 0)).ok).toBe(true);
    expect((await chargeUsage(perProject, api, store, 0)).ok).toBe(false);
    await store.close();
  });

  it('lets calls through (and logs) when the store does not answer', async () => {
    const failing = { increment: async () => { throw new StoreUnavailableError('timeout'); } } as unknown as Store;
    const logs: Record<string, unknown>[] = [];
    const d = await chargeUsage(compileLimits([{ limit: 1, window: '1s' }]), api, failing, 0, (e) => logs.push(e));
    expect(d.ok).toBe(true);
    expect(logs[0]?.event).toBe('usage_store_unavailable');
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
  let now = Date.UTC(2026, 0, 1, 0, 0, 5);
  beforeAll(async () => {
    upstream = await startUpstream();
    const cfg = twoProjectConfig(upstream.url);
    const alpha = cfg.projects![0]!;
    alpha.usage_limits = [{ limit: 5, window: '1m', per: 'project' }];
    Object.assign(alpha.tools![0]!, { usage_limits: [{ limit: 2, window: '1m', per: 'integration' }] });
    const built = await inProcessApp(cfg, {}, { now: () => now, allowDevelopment: true }); // loopback upstream
    app = built.app;
    key = built.apiKeys['alpha/backend']!;
    close = built.close;
  });
  afterAll(async () => {
    await close();
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
    expect((await call('a_one')).isError).toBeFalsy();
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
