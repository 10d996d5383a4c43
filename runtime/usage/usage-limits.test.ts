import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { Project, UsageLimit } from '../../schemas/config-types.js';
import { createMemoryStore } from '../store/memory-store.js';
import { StoreUnavailableError, type LimitCheck, type Store } from '../store/store.js';
import { ERROR_META_KEY, type ToolResult } from '../execute/tool-errors.js';
import { inProcessApp, startUpstream, twoProjectConfig, type TestUpstream } from '../../test/fixtures/runtime-harness.js';
import { compileProjectLimits, type ToolLimits } from './compile-limits.js';
import { chargeLimits, STORE_PROBE_INTERVAL_MS, STORE_WARNING_INTERVAL_MS } from './usage-limits.js';

const api = { kind: 'api_key' as const, projectId: 'p', integrationId: 'backend' };
const other = { ...api, integrationId: 'partner' };
const alice = { ...api, kind: 'member' as const, member: { id: 'alice' } };
const bob = { ...api, kind: 'member' as const, member: { id: 'bob' } };

type Meta = { code: string; status: number; detail?: string; retry_after_seconds?: number; limit?: Record<string, unknown> };
const meta = (r: ToolResult | undefined) => r?._meta?.[ERROR_META_KEY] as Meta | undefined;

/** A project `p` with the given limits, its integrations `backend` and `partner`, and one tool `get`. */
function project(opts: { project?: UsageLimit[]; tool?: UsageLimit[]; backend?: UsageLimit[]; policy?: Project['usage_policy'] } = {}): Project {
  return {
    id: 'p',
    ...(opts.project ? { usage_limits: opts.project } : {}),
    ...(opts.policy ? { usage_policy: opts.policy } : {}),
    integrations: [
      { id: 'backend', kind: 'api_key', ...(opts.backend ? { usage_limits: opts.backend } : {}) },
      { id: 'partner', kind: 'api_key' },
    ],
  };
}

function limitsOf(p: Project, now: () => number, tool: UsageLimit[] = []): ToolLimits {
  const compiled = compileProjectLimits(p, now);
  const limits = compiled.forTool(compiled.tool('get', tool));
  if (!limits) throw new Error('expected limits');
  return limits;
}

/** Every check the store was asked for, to read the keys a call produces. */
function recording(store: Store): { store: Store; calls: LimitCheck[][] } {
  const calls: LimitCheck[][] = [];
  return { calls, store: { ...store, chargeLimits: (checks) => { calls.push([...checks]); return store.chargeLimits(checks); } } };
}

describe('compiled limits: keys and shares', () => {
  const now = () => Date.UTC(2026, 11, 7, 10);

  it('no limit at any level: nothing is compiled for the tool (no work per call)', () => {
    const compiled = compileProjectLimits(project(), now);
    expect(compiled.forTool(compiled.tool('get', undefined))).toBeUndefined();
    // An integration's limit alone makes every tool of the project check (calls through it).
    const integ = compileProjectLimits(project({ backend: [{ limit: 5, window: '1m' }] }), now);
    expect(integ.forTool(integ.tool('get', []))).toBeDefined();
  });

  it('keys share the project hash tag and name level, tool, per, subject and window (quotas: the calendar window)', async () => {
    const store = recording(createMemoryStore({ now, sweepIntervalMs: 0 }));
    const limits = limitsOf(
      project({ project: [{ limit: 100, window: '1m', per: 'project' }], backend: [{ limit: 50, window: '1h', per: 'project' }, { limit: 1000, quota: 'day', per: 'member' }] }),
      now,
      [{ limit: 5, window: '10s', per: 'member' }],
    );
    expect(await chargeLimits(limits, alice, store.store)).toBeUndefined();
    const keys = store.calls[0]!.flatMap((c) => (c.kind === 'rate' ? [c.key] : c.windows.map((w) => w.key)));
    expect(keys).toEqual([
      'lim:{p}:project:*:project:p:r60000',
      'lim:{p}:tool:get:member:m.alice:r10000',
      // On an integration, per: project counts the integration's own calls (its id is in the level).
      'lim:{p}:integration.backend:*:integration:i.backend:r3600000',
      'lim:{p}:integration.backend:*:member:m.alice:d:2026-12-07',
      'lim:{p}:integration.backend:*:member:m.alice:d:2026-12-06', // the nearer neighbour at 10:00
    ]);
    // A caller of another integration is not charged that integration's limits.
    expect(await chargeLimits(limits, { ...other, member: { id: 'alice' }, kind: 'member' }, store.store)).toBeUndefined();
    expect(store.calls[1]!.map((c) => (c.kind === 'rate' ? c.key : c.windows[0].key))).toEqual(['lim:{p}:project:*:project:p:r60000', 'lim:{p}:tool:get:member:m.alice:r10000']);
  });

  it('per: member falls back to the integration; odd or long member ids become a bounded hash (no braces, no colons)', async () => {
    const store = recording(createMemoryStore({ now, sweepIntervalMs: 0 }));
    const limits = limitsOf(project(), now, [{ limit: 5, window: '10s' }]);
    for (const caller of [api, { ...alice, member: { id: 'a:b}{c d' } }, { ...alice, member: { id: 'x'.repeat(10_000) } }, { ...alice, member: { id: 'zoë' } }]) {
      await chargeLimits(limits, caller, store.store);
    }
    const keys = store.calls.map((c) => (c[0] as { key: string }).key);
    expect(keys[0]).toBe('lim:{p}:tool:get:member:i.backend:r10000');
    for (const k of keys.slice(1)) {
      expect(k).toMatch(/^lim:\{p\}:tool:get:member:mh\.[A-Za-z0-9_-]{22}:r10000$/);
    }
    expect(new Set(keys).size).toBe(4);
  });

  it('the local (fail_open) share: interval × expected_instances, burst and quota divided and rounded down, at least 1', () => {
    const compiled = compileProjectLimits(project({ policy: { expected_instances: 3 } }), now);
    const [rate, small, quota] = compiled.tool('get', [{ limit: 60, window: '1m', burst: 10 }, { limit: 2, window: '1s' }, { limit: 100, quota: 'month' }]);
    expect(rate!.rate).toMatchObject({ intervalMs: 1000, burst: 10, localIntervalMs: 3000, localBurst: 3 });
    expect(small!.rate).toMatchObject({ intervalMs: 500, burst: 2, localIntervalMs: 1500, localBurst: 1 });
    expect(quota!.quota).toMatchObject({ limit: 100, localLimit: 33 });
  });

  it('an exact duplicate in one list (refused by tengine validate, TNG241) is compiled once', () => {
    const compiled = compileProjectLimits(project(), now);
    expect(compiled.tool('get', [{ limit: 5, window: '1m' }, { limit: 5, window: '60s' }])).toHaveLength(1);
  });
});

describe('chargeLimits: GCRA rates and calendar quotas, all or nothing', () => {
  let t = Date.UTC(2026, 11, 7, 10);
  const clock = () => t;

  it('a rate admits its burst at once, then one call per interval; the refusal says how long to wait', async () => {
    const store = createMemoryStore({ now: clock, sweepIntervalMs: 0 });
    const limits = limitsOf(project(), clock, [{ limit: 10, window: '1m', burst: 3 }]);
    for (let i = 0; i < 3; i++) expect(await chargeLimits(limits, alice, store)).toBeUndefined();
    const refused = await chargeLimits(limits, alice, store);
    expect(meta(refused)).toEqual({
      code: 'USAGE_LIMIT_EXCEEDED',
      status: 429,
      message: 'Usage limit exceeded',
      detail: '10 calls per 1m (burst 3) per member on get; retry after 6 s',
      retry_after_seconds: 6,
      limit: { level: 'tool', tool: 'get', per: 'member', kind: 'rate', limit: 10, window: '1m', burst: 3 },
    });
    expect(refused!.content[0]!.text).toBe('Usage limit exceeded: 10 calls per 1m (burst 3) per member on get; retry after 6 s [USAGE_LIMIT_EXCEEDED, status 429]');
    expect(await chargeLimits(limits, bob, store)).toBeUndefined(); // bob has his own counter
    t += 5_999;
    expect(meta(await chargeLimits(limits, alice, store))?.retry_after_seconds).toBe(1);
    t += 1;
    expect(await chargeLimits(limits, alice, store)).toBeUndefined();
    expect(await chargeLimits(limits, alice, store)).toBeDefined();
  });

  it('combined limits: a call must pass all; the refusal names the one that refused, with its name', async () => {
    const store = createMemoryStore({ now: clock, sweepIntervalMs: 0 });
    const limits = limitsOf(project({ project: [{ name: 'project total', limit: 3, window: '1h', per: 'project' }] }), clock, [{ limit: 2, window: '1h', per: 'member' }]);
    expect(await chargeLimits(limits, alice, store)).toBeUndefined();
    expect(await chargeLimits(limits, alice, store)).toBeUndefined();
    const byTool = meta(await chargeLimits(limits, alice, store));
    expect(byTool?.limit).toMatchObject({ level: 'tool', per: 'member', limit: 2 });
    expect(await chargeLimits(limits, bob, store)).toBeUndefined(); // the project's third call
    const byProject = meta(await chargeLimits(limits, bob, store));
    expect(byProject?.limit).toEqual({ name: 'project total', level: 'project', per: 'project', kind: 'rate', limit: 3, window: '1h', burst: 3 });
    expect(byProject?.retry_after_seconds).toBe(1200); // one call's interval: 1h / 3
    expect(byProject?.detail).toBe('"project total" (3 calls per 1h for the whole project); retry after 1200 s');
  });

  it('refused calls consume nothing: a quota counts only the calls a rate limit admitted', async () => {
    const store = createMemoryStore({ now: clock, sweepIntervalMs: 0 });
    const limits = limitsOf(project(), clock, [{ limit: 1, window: '10s' }, { limit: 3, quota: 'day' }]);
    let admitted = 0;
    for (let i = 0; i < 30; i++) {
      if ((await chargeLimits(limits, alice, store)) === undefined) admitted++;
      t += 1000;
    }
    expect(admitted).toBe(3); // at 0 s, 10 s and 20 s; the 27 refusals (rate, then quota) took nothing
    const quota = meta(await chargeLimits(limits, alice, store));
    expect(quota?.code).toBe('USAGE_QUOTA_EXCEEDED');
    expect(quota?.limit).toEqual({ level: 'tool', tool: 'get', per: 'member', kind: 'quota', limit: 3, quota: 'day' });
    // Until local midnight (UTC here), by the store's clock.
    expect(quota?.retry_after_seconds).toBe(Math.ceil((Date.UTC(2026, 11, 8) - t) / 1000));
    t = Date.UTC(2026, 11, 8, 0, 0, 1);
    expect(await chargeLimits(limits, alice, store)).toBeUndefined(); // a new day
  });

  it('a quota in the project time zone refuses until local midnight there', async () => {
    t = Date.UTC(2026, 11, 9, 20); // 21:00 in Berlin
    const store = createMemoryStore({ now: clock, sweepIntervalMs: 0 });
    const limits = limitsOf(project({ policy: { time_zone: 'Europe/Berlin' } }), clock, [{ limit: 1, quota: 'day', per: 'project' }]);
    expect(await chargeLimits(limits, alice, store)).toBeUndefined();
    expect(meta(await chargeLimits(limits, bob, store))).toMatchObject({ code: 'USAGE_QUOTA_EXCEEDED', retry_after_seconds: 3 * 3600 }); // 21:00 to midnight
  });
});

describe('chargeLimits when the store is down (usage_policy.on_store_unavailable)', () => {
  /** The memory store, but failing every chargeLimits while `down` is set (as a dead or overloaded Redis does). */
  function failing(clock: () => number) {
    const inner = createMemoryStore({ now: clock, sweepIntervalMs: 0 });
    const state = { down: undefined as 'outage' | 'overload' | undefined, attempts: 0 };
    const store: Store = {
      ...inner,
      chargeLimits: async (checks) => {
        state.attempts++;
        if (state.down) throw new StoreUnavailableError(`redis chargeLimits failed: ${state.down}`, state.down);
        return inner.chargeLimits(checks);
      },
    };
    return { store, state };
  }

  it('fail_open: a local limiter at the instance share, one warning per interval, the store probed again after ~1 s, then shared counts', async () => {
    let t = Date.UTC(2026, 11, 7, 10);
    const clock = () => t;
    const { store, state } = failing(clock);
    const limits = limitsOf(project({ policy: { expected_instances: 2 } }), clock, [{ limit: 10, window: '1h', per: 'project' }]);
    const logs: Record<string, unknown>[] = [];
    const log = (e: Record<string, unknown>) => logs.push(e);
    for (let i = 0; i < 4; i++) expect(await chargeLimits(limits, api, store, log)).toBeUndefined(); // 4 of 10 shared
    state.down = 'outage';
    const outcomes = [];
    for (let i = 0; i < 20; i++) outcomes.push(meta(await chargeLimits(limits, api, store, log))?.code ?? 'ok');
    // Half the limit locally (burst 5 of 10, one call per 720 s); the time does not move, so the rest are refused.
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'USAGE_LIMIT_EXCEEDED')).toHaveLength(15);
    expect(state.attempts).toBe(5); // 4 shared + 1 failed: the other 19 skipped the dead store
    expect(logs).toEqual([{ level: 'warn', event: 'usage_store_unavailable', project: 'p', policy: 'fail_open', message: 'redis chargeLimits failed: outage' }]);

    t += STORE_PROBE_INTERVAL_MS; // the next call tries the store again: still down
    await chargeLimits(limits, api, store, log);
    expect(state.attempts).toBe(6);
    expect(logs).toHaveLength(1); // within STORE_WARNING_INTERVAL_MS: not logged again
    t += STORE_WARNING_INTERVAL_MS;
    await chargeLimits(limits, api, store, log);
    expect(logs).toHaveLength(2);

    state.down = undefined; // the store is back: the shared count (4 of 10, plus what the interval restored) holds
    t += STORE_PROBE_INTERVAL_MS;
    let shared = 0;
    while (shared < 20 && (await chargeLimits(limits, api, store, log)) === undefined) shared++;
    expect(shared).toBe(6); // 10 - 4 (12 s restored less than one 360 s interval)
    expect(logs.at(-1)).toEqual({ level: 'info', event: 'usage_store_recovered', project: 'p' });
  });

  it('fail_open over a long outage: the local counters of members gone quiet are dropped, so memory follows the live ones', async () => {
    let t = Date.UTC(2026, 11, 7, 10);
    const clock = () => t;
    const { store, state } = failing(clock);
    const limits = limitsOf(project({ policy: { expected_instances: 1 } }), clock, [{ limit: 1, window: '1s' }]);
    state.down = 'outage';
    // 2000 distinct members, one call each, over 20 s of the outage: each local counter is spent 1 s after its call.
    for (let i = 0; i < 2000; i++) {
      expect(await chargeLimits(limits, { ...alice, member: { id: `m${i}` } }, store)).toBeUndefined();
      t += 10;
    }
    t += 60_000; // the outage goes on; only alice calls now
    for (let i = 0; i < 3; i++) {
      await chargeLimits(limits, alice, store);
      t += 1000;
    }
    expect(limits.guard.local!.size()).toBeLessThan(10);
  });

  it('fail_closed: USAGE_CHECK_UNAVAILABLE (503, retry after 1 s) without waiting on the store for the probe interval', async () => {
    let t = Date.UTC(2026, 11, 7, 10);
    const clock = () => t;
    const { store, state } = failing(clock);
    const limits = limitsOf(project({ policy: { on_store_unavailable: 'fail_closed' } }), clock, [{ limit: 10, window: '1h' }]);
    state.down = 'outage';
    for (let i = 0; i < 3; i++) {
      const r = await chargeLimits(limits, api, store);
      expect(meta(r)).toMatchObject({ code: 'USAGE_CHECK_UNAVAILABLE', status: 503, retry_after_seconds: 1 });
      expect(r!.content[0]!.text).toBe('Usage limit could not be checked: the usage counters are unavailable; retry after 1 s [USAGE_CHECK_UNAVAILABLE, status 503]');
    }
    expect(state.attempts).toBe(1);
    state.down = undefined;
    t += STORE_PROBE_INTERVAL_MS;
    expect(await chargeLimits(limits, api, store)).toBeUndefined();
  });

  it('an overloaded store refuses under either policy (never admitted unchecked while the store answers) and is retried at once', async () => {
    const t = Date.UTC(2026, 11, 7, 10);
    for (const policy of ['fail_open', 'fail_closed'] as const) {
      const { store, state } = failing(() => t);
      const limits = limitsOf(project({ policy: { on_store_unavailable: policy } }), () => t, [{ limit: 10, window: '1h' }]);
      state.down = 'overload';
      const logs: Record<string, unknown>[] = [];
      expect(meta(await chargeLimits(limits, api, store, (e) => logs.push(e)))).toMatchObject({ code: 'USAGE_CHECK_UNAVAILABLE', status: 503, retry_after_seconds: 1 });
      expect(meta(await chargeLimits(limits, api, store, (e) => logs.push(e)))?.code).toBe('USAGE_CHECK_UNAVAILABLE');
      expect(state.attempts).toBe(2); // not an outage: no probe interval
      expect(logs).toEqual([{ level: 'warn', event: 'usage_store_overloaded', project: 'p', message: 'redis chargeLimits failed: overload' }]);
    }
  });

  it('a programming error from the store is not taken for an outage', async () => {
    const store = { chargeLimits: async () => { throw new RangeError('bad check'); } } as unknown as Store;
    await expect(chargeLimits(limitsOf(project(), Date.now, [{ limit: 1, window: '1s' }]), api, store)).rejects.toBeInstanceOf(RangeError);
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
    // GCRA runs on the store's clock: the test moves that clock.
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
    return ((await res.json()) as { result: ToolResult }).result;
  };

  it('refuses the call over a tool limit before anything is sent upstream, naming the limit and the wait', async () => {
    expect((await call('a_one')).isError).toBeFalsy();
    now += 5000;
    expect((await call('a_one')).isError).toBeFalsy();
    const before = upstream.requests.length;
    const third = await call('a_one');
    expect(third.isError).toBe(true);
    // 2 per minute: one call per 30 s, burst 2; the first was 5 s ago, so the next fits in 25 s.
    expect(meta(third)).toMatchObject({ code: 'USAGE_LIMIT_EXCEEDED', status: 429, retry_after_seconds: 25, limit: { level: 'tool', tool: 'a_one', per: 'integration', kind: 'rate', limit: 2, window: '1m', burst: 2 } });
    expect((meta(third) as Record<string, unknown>).request_id).toEqual(expect.any(String));
    expect(third.content[0]!.text).toContain('Usage limit exceeded: 2 calls per 1m per integration on a_one; retry after 25 s');
    expect(upstream.requests.length).toBe(before);
  });

  it('applies the project limit across tools (refused calls not counted), and refills at the sustained rate', async () => {
    expect((await call('a_two')).isError).toBeFalsy();
    expect((await call('a_three')).isError).toBeFalsy();
    expect((await call('a_two')).isError).toBeFalsy(); // 2 (a_one) + 3 = 5: the refused a_one took nothing
    const before = upstream.requests.length;
    const over = await call('a_two');
    expect(meta(over)).toMatchObject({ code: 'USAGE_LIMIT_EXCEEDED', limit: { level: 'project', per: 'project', limit: 5 } });
    expect(over.content[0]!.text).toContain('5 calls per 1m for the whole project');
    expect(upstream.requests.length).toBe(before);
    now += 12_000; // one project interval (1m / 5)
    expect((await call('a_two')).isError).toBeFalsy();
    expect(meta(await call('a_two'))?.code).toBe('USAGE_LIMIT_EXCEEDED');
  });
});
