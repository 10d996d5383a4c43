import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { compileTool } from './compile-tool.js';
import { createUpstreamClient } from './http-client.js';
import { backoff, BACKOFF_CAP_MS, parseRetryAfter } from './retry.js';
import { API_KEY_CALLER, closedPort, errorOf, sendJson, startUpstream, testContext, testTool, type LoopbackUpstream } from './test-support.js';
import type { UpstreamClient } from './types.js';

let client: UpstreamClient;
const upstreams: LoopbackUpstream[] = [];
beforeAll(() => {
  client = createUpstreamClient();
});
afterAll(() => client.close());
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

/** An upstream answering the given statuses in turn (the last one repeats), then 200. */
async function scripted(statuses: (number | [number, Record<string, string>])[]): Promise<LoopbackUpstream> {
  let i = 0;
  const up = await startUpstream((_req, res) => {
    const step = statuses[Math.min(i++, statuses.length - 1)]!;
    const [status, headers] = Array.isArray(step) ? step : [step, {}];
    sendJson(res, status, { n: i }, headers);
  });
  upstreams.push(up);
  return up;
}

function run(up: LoopbackUpstream | string, fields: Partial<Tool> = {}, ctx: Parameters<typeof testContext>[1] = {}, signal?: AbortSignal) {
  const origin = typeof up === 'string' ? up : up.origin;
  const tool = compileTool(testTool(origin, fields), 'acme', testContext(client, ctx));
  const t0 = performance.now();
  return tool.execute({}, API_KEY_CALLER, signal ? { signal } : {}).then((result) => ({ result, error: errorOf(result), ms: performance.now() - t0 }));
}

describe('retries (docs/outbound.md §5)', () => {
  it('GET is retried on 503 and 502/504, with the same request id, timestamp and signature on every attempt', async () => {
    const up = await scripted([503, 502, 504, 200]);
    const { result, error } = await run(up, { auth_strategy: 'hmac_signature', retry: { max_attempts: 4 } }, { secret: 'hmac-secret-0123456789' });
    expect(error).toBeUndefined();
    expect(result.structuredContent).toEqual({ n: 4 });
    expect(up.received).toHaveLength(4);
    for (const h of ['x-tengine-request-id', 'x-tengine-timestamp', 'x-tengine-signature']) {
      expect(new Set(up.received.map((r) => r.headers[h])).size).toBe(1);
    }
  });

  it('POST and PATCH are not retried by default: UPSTREAM_HTTP_ERROR with upstream_status 503 after one attempt', async () => {
    for (const http_method of ['POST', 'PATCH'] as const) {
      const up = await scripted([503]);
      const { error } = await run(up, { http_method, body_template: { a: 1 } });
      expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', status: 502, upstream_status: 503 });
      expect(up.received).toHaveLength(1);
    }
  });

  it('POST is retried with retry.non_idempotent: true, resending identical bytes', async () => {
    const up = await scripted([503, 200]);
    const { error } = await run(up, { http_method: 'POST', body_template: { a: 1 }, retry: { non_idempotent: true } });
    expect(error).toBeUndefined();
    expect(up.received).toHaveLength(2);
    expect(up.received[0]!.body.equals(up.received[1]!.body)).toBe(true);
  });

  it('500 and 4xx are final: no retry', async () => {
    for (const status of [500, 404, 400]) {
      const up = await scripted([status]);
      const { error } = await run(up);
      expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: status });
      expect(up.received).toHaveLength(1);
    }
  });

  it('max_attempts is respected: default 2 (at most one retry), 1 disables retries', async () => {
    let up = await scripted([503]);
    expect((await run(up)).error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 503 });
    expect(up.received).toHaveLength(2);
    up = await scripted([503]);
    await run(up, { retry: { max_attempts: 3 } });
    expect(up.received).toHaveLength(3);
    up = await scripted([503]);
    await run(up, { retry: { max_attempts: 1 } });
    expect(up.received).toHaveLength(1);
  });

  it('429 with Retry-After (seconds) is retried after that delay', async () => {
    const up = await scripted([[429, { 'retry-after': '1' }], 200]);
    const { error, ms } = await run(up, { timeout: '3s' });
    expect(error).toBeUndefined();
    expect(up.received).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(950);
  });

  it('429 without Retry-After, or with one beyond the deadline, is not retried (retry_after_seconds reported)', async () => {
    let up = await scripted([429]);
    expect((await run(up)).error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 429 });
    expect(up.received).toHaveLength(1);
    up = await scripted([[429, { 'retry-after': '60' }]]);
    const { error, ms } = await run(up, { timeout: '2s' });
    expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 429, retry_after_seconds: 60 });
    expect(up.received).toHaveLength(1);
    expect(ms).toBeLessThan(1000);
  });

  it('backoff stays inside the overall deadline: no attempt starts after it', async () => {
    const up = await scripted([503]);
    // random → ~1: the longest waits (100, 200, 400 ms...); a 250 ms deadline leaves room for two or three attempts.
    const { error, ms } = await run(up, { timeout: '250ms', retry: { max_attempts: 5 } }, { random: () => 0.999 });
    expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 503 });
    expect(up.received.length).toBeGreaterThanOrEqual(2);
    expect(up.received.length).toBeLessThan(5);
    expect(ms).toBeLessThan(400);
  });

  it('a timed-out attempt is not retried: UPSTREAM_TIMEOUT at about the tool timeout, one request', async () => {
    const up = await startUpstream(() => undefined);
    upstreams.push(up);
    const { error, ms } = await run(up, { timeout: '300ms' });
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: 500, message: 'Tool execution timed out' });
    expect(up.received).toHaveLength(1);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1000);
  });

  it('connection refused is retried for GET, then UPSTREAM_UNREACHABLE', async () => {
    const { error } = await run(`http://127.0.0.1:${await closedPort()}`);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', status: 500, message: 'Tool execution failed' });
    expect(String(error?.detail)).toContain('after 2 attempts');
  });

  it('an abort during the backoff wait ends the call with CANCELLED', async () => {
    const ac = new AbortController();
    // Aborted once the first attempt was answered (not after a fixed delay: on a busy machine it might not be sent yet).
    const up = await startUpstream((_req, res) => {
      sendJson(res, 503, {}, { 'retry-after': '2' });
      setTimeout(() => ac.abort(), 50);
    });
    upstreams.push(up);
    const { error, ms } = await run(up, { timeout: '5s' }, {}, ac.signal);
    expect(error).toMatchObject({ code: 'CANCELLED', status: 499 });
    expect(ms).toBeLessThan(1000);
    expect(up.received).toHaveLength(1);
  });
});

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP-dates; anything else is undefined', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7000);
    for (const bad of [undefined, '', '-1', '1.5', 'soon', '2024-01-01']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});

describe('backoff (full jitter)', () => {
  it('is uniform in [0, min(cap, 100 ms × 2^(attempt-1)))', () => {
    expect(backoff(1, () => 0)).toBe(0);
    expect(backoff(1, () => 0.999)).toBe(99);
    expect(backoff(3, () => 0.5)).toBe(200);
    expect(backoff(10, () => 0.999)).toBeLessThan(BACKOFF_CAP_MS);
  });
});
