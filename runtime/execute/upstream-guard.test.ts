import type http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { compileTool } from './compile-tool.js';
import { createUpstreamClient } from './http-client.js';
import { API_KEY_CALLER, errorOf, sendJson, startUpstream, testContext, testTool, type LoopbackUpstream } from './test-support.js';
import type { UpstreamClient, UpstreamResponse } from './types.js';
import { breakerOutcome, createUpstreamGuards, type UpstreamSettings } from './upstream-guard.js';

let client: UpstreamClient;
const upstreams: LoopbackUpstream[] = [];
/** Responses an upstream holds until the test answers them. */
const held: http.ServerResponse[] = [];
beforeAll(() => {
  client = createUpstreamClient();
});
afterAll(() => client.close());
afterEach(async () => {
  for (const res of held.splice(0)) res.destroy();
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

const SETTINGS: UpstreamSettings = { maxConcurrent: 1, maxQueued: 1, retryBudgetPercent: 20, breaker: { failureThreshold: 5, openForMs: 30_000, halfOpenProbes: 1 } };

/** An upstream that holds every request until `answer` is called on it. */
async function holding(): Promise<LoopbackUpstream> {
  const up = await startUpstream((_req, res) => {
    held.push(res);
  });
  upstreams.push(up);
  return up;
}

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return cond();
}

/** Tools compiled into one context, so they share its per-origin guards like the tools of one bundle. */
function bundleOf(settings: UpstreamSettings) {
  const ctx = testContext(client, { upstreams: createUpstreamGuards(settings) });
  return (origin: string, fields: Partial<Tool> = {}, projectId = 'acme') => compileTool(testTool(origin, fields), projectId, ctx);
}

describe('what counts against an origin (docs/outbound.md §5 "Circuit breaker")', () => {
  it('no response, a timeout and 502/503/504 are failures; 500, 429 and other answers are successes; a cancelled or refused call is neutral', () => {
    const status = (s: number): UpstreamResponse => ({ ok: true, status: s, headers: {}, body: new Uint8Array() });
    const fail = (reason: 'timeout' | 'unreachable' | 'too_large' | 'aborted'): UpstreamResponse => ({ ok: false, reason, detail: '' });
    expect([502, 503, 504].map((s) => breakerOutcome(status(s)))).toEqual(['failure', 'failure', 'failure']);
    expect([200, 204, 302, 400, 404, 429, 500, 501].map((s) => breakerOutcome(status(s)))).toEqual(Array(8).fill('success'));
    expect(breakerOutcome(fail('timeout'))).toBe('failure');
    expect(breakerOutcome(fail('unreachable'))).toBe('failure');
    expect(breakerOutcome({ ok: false, reason: 'unreachable', detail: 'TLS handshake failed', tls: true })).toBe('failure');
    expect(breakerOutcome(fail('too_large'))).toBe('success');
    expect(breakerOutcome(fail('aborted'))).toBe('neutral');
    expect(breakerOutcome({ ok: false, reason: 'circuit_open', detail: '', retryAfterMs: 1 })).toBe('neutral');
    expect(breakerOutcome({ ok: false, reason: 'overloaded', detail: '', retryAfterMs: 1 })).toBe('neutral');
  });
});

describe('a call waiting for a slot (docs/outbound.md §5 "Concurrency cap")', () => {
  it('spends its own deadline: UPSTREAM_OVERLOADED (not sent) when no slot frees in time; the call in flight is unaffected', async () => {
    const up = await holding();
    const tool = bundleOf(SETTINGS);
    const slow = tool(up.origin, { timeout: '10s' });
    const quick = tool(up.origin, { timeout: '200ms' });
    const first = slow.execute({}, API_KEY_CALLER);
    expect(await until(() => held.length === 1)).toBe(true);
    const waited = await quick.execute({}, API_KEY_CALLER);
    expect(errorOf(waited)).toMatchObject({ code: 'UPSTREAM_OVERLOADED', status: 503, message: 'Upstream temporarily unavailable', retry_after_seconds: 1 });
    expect(String(errorOf(waited)?.detail)).toMatch(/no connection to the upstream became free within the tool timeout of 200 ms .*not sent/);
    expect(up.received).toHaveLength(1);
    sendJson(held[0]!, 200, { first: true });
    expect((await first).structuredContent).toEqual({ first: true });
  });

  it('honours its abort signal: CANCELLED, never sent; its place in the queue is freed', async () => {
    const up = await holding();
    const tool = bundleOf(SETTINGS)(up.origin, { timeout: '10s' });
    const first = tool.execute({}, API_KEY_CALLER);
    expect(await until(() => held.length === 1)).toBe(true);
    const ac = new AbortController();
    const waiting = tool.execute({}, API_KEY_CALLER, { signal: ac.signal });
    // The queue (1) is full now: a third call is refused at once, before anything times out.
    const third = await tool.execute({}, API_KEY_CALLER);
    expect(errorOf(third)).toMatchObject({ code: 'UPSTREAM_OVERLOADED', retry_after_seconds: 1 });
    expect(String(errorOf(third)?.detail)).toBe("the upstream's concurrency cap (1 in flight) and wait queue (1) are full on this runtime instance; this call was not sent");
    ac.abort();
    expect(errorOf(await waiting)).toMatchObject({ code: 'CANCELLED', status: 499 });
    // Its place is free: the next call waits in line and is served once the first finishes.
    const fourth = tool.execute({}, API_KEY_CALLER);
    sendJson(held[0]!, 200, { n: 1 });
    expect(await until(() => held.length === 2)).toBe(true);
    sendJson(held[1]!, 200, { n: 4 });
    expect((await first).structuredContent).toEqual({ n: 1 });
    expect((await fourth).structuredContent).toEqual({ n: 4 });
    expect(up.received).toHaveLength(2);
  });

  it('is refused with UPSTREAM_CIRCUIT_OPEN when the breaker opened while it waited: it is not sent', async () => {
    const up = await holding();
    const tool = bundleOf({ ...SETTINGS, breaker: { ...SETTINGS.breaker, failureThreshold: 1 } })(up.origin, { timeout: '10s', retry: { max_attempts: 1 } });
    const first = tool.execute({}, API_KEY_CALLER);
    expect(await until(() => held.length === 1)).toBe(true);
    const waiting = tool.execute({}, API_KEY_CALLER);
    sendJson(held[0]!, 503, { down: true });
    expect(errorOf(await first)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 503 });
    const refused = errorOf(await waiting);
    expect(refused).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN', status: 503, message: 'Upstream temporarily unavailable', retry_after_seconds: 30 });
    expect(String(refused?.detail)).toMatch(/^the upstream kept failing \(last: HTTP 503\); calls to it are paused for 30 s and this one was not sent$/);
    expect(up.received).toHaveLength(1);
  });
});

describe('per-origin state is shared by the tools of one project that call an origin, and only by them', () => {
  it('a breaker opened through one tool refuses another tool of the same origin, not a tool of another origin', async () => {
    const failing = await startUpstream((_req, res) => sendJson(res, 503, {}));
    const healthy = await startUpstream((_req, res) => sendJson(res, 200, { ok: true }));
    upstreams.push(failing, healthy);
    const tool = bundleOf({ ...SETTINGS, maxConcurrent: 4, breaker: { ...SETTINGS.breaker, failureThreshold: 2 } });
    const a = tool(failing.origin, { endpoint_path: '/a', retry: { max_attempts: 1 } });
    const b = tool(failing.origin, { endpoint_path: '/b' });
    const other = tool(healthy.origin);
    await a.execute({}, API_KEY_CALLER);
    await a.execute({}, API_KEY_CALLER);
    expect(errorOf(await b.execute({}, API_KEY_CALLER))).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN' });
    expect(failing.received.map((r) => r.url)).toEqual(['/a', '/a']);
    expect((await other.execute({}, API_KEY_CALLER)).structuredContent).toEqual({ ok: true });
  });

  it('the breaker is per project: failures caused through one project do not pause the origin for another; the cap is shared', async () => {
    const failing = await startUpstream((req, res) => (req.url === '/slow' ? sendJson(res, 504, {}) : sendJson(res, 200, { ok: true })));
    upstreams.push(failing);
    const tool = bundleOf({ ...SETTINGS, maxConcurrent: 4, breaker: { ...SETTINGS.breaker, failureThreshold: 2 } });
    const attacker = tool(failing.origin, { endpoint_path: '/slow', retry: { max_attempts: 1 } }, 'tenant-a');
    const sameProject = tool(failing.origin, { endpoint_path: '/fast' }, 'tenant-a');
    const otherProject = tool(failing.origin, { endpoint_path: '/fast' }, 'tenant-b');
    await attacker.execute({}, API_KEY_CALLER);
    await attacker.execute({}, API_KEY_CALLER);
    expect(errorOf(await sameProject.execute({}, API_KEY_CALLER))).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN' });
    expect((await otherProject.execute({}, API_KEY_CALLER)).structuredContent).toEqual({ ok: true });
    expect(failing.received.map((r) => r.url)).toEqual(['/slow', '/slow', '/fast']);
  });

  it('the concurrency cap is per project too: a project filling an origin\'s slots leaves another project\'s calls going out', async () => {
    const up = await holding();
    const tool = bundleOf({ ...SETTINGS, maxConcurrent: 1, maxQueued: 0 });
    const a = tool(up.origin, { timeout: '10s' }, 'tenant-a');
    const a2 = tool(up.origin, { timeout: '10s' }, 'tenant-a');
    const b = tool(up.origin, { timeout: '10s' }, 'tenant-b');
    const first = a.execute({}, API_KEY_CALLER);
    expect(await until(() => held.length === 1)).toBe(true);
    expect(errorOf(await a2.execute({}, API_KEY_CALLER))).toMatchObject({ code: 'UPSTREAM_OVERLOADED' });
    const other = b.execute({}, API_KEY_CALLER);
    expect(await until(() => held.length === 2)).toBe(true);
    for (const res of held) sendJson(res, 200, { n: 1 });
    expect((await first).structuredContent).toEqual({ n: 1 });
    expect((await other).structuredContent).toEqual({ n: 1 });
  });

  it('a cancelled call is not a failure of the upstream: five cancellations do not open the breaker', async () => {
    const up = await holding();
    const tool = bundleOf({ ...SETTINGS, maxConcurrent: 8 })(up.origin, { timeout: '10s' });
    for (let i = 0; i < 5; i++) {
      const ac = new AbortController();
      const call = tool.execute({}, API_KEY_CALLER, { signal: ac.signal });
      expect(await until(() => held.length === i + 1)).toBe(true);
      ac.abort();
      expect(errorOf(await call)).toMatchObject({ code: 'CANCELLED' });
    }
    const next = tool.execute({}, API_KEY_CALLER);
    expect(await until(() => held.length === 6)).toBe(true);
    sendJson(held[5]!, 200, { sent: true });
    expect((await next).structuredContent).toEqual({ sent: true });
  });
});
