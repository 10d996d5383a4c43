import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { bundleLoaded, createRuntimeMetrics, reloadResult, UNKNOWN_LABEL } from '../runtime/observability/metrics.js';
import { instrumentStore } from '../runtime/observability/instrumented-store.js';
import { createMemoryStore } from '../runtime/store/memory-store.js';
import { resolveRuntimeOptions, RuntimeBootError, type RunningRuntime } from '../runtime/start.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { httpCall, type HttpAnswer } from './fixtures/http-call.js';
import { parsePromText, sampleValue, type PromPage } from './fixtures/prom-text.js';
import { startTestRuntimeWith, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

const ADMIN_TOKEN = 'admin-token-for-metrics-tests-4c1f0e';
let upstream: TestUpstream;
let separate: { runtime: RunningRuntime; key: string };
let mainPort: { runtime: RunningRuntime; key: string };

const config = (url: string): TengineConfig => {
  const tool = (name: string, extra: Partial<Tool> = {}): Tool => ({ name, description: name, input_schema: { type: 'object' }, base_url: url, http_method: 'GET', endpoint_path: `/${name}`, ...extra });
  return {
    version: 1,
    projects: [{ id: 'alpha', environment: 'development', integrations: [{ id: 'backend', kind: 'api_key' }], tools: [tool('ok'), tool('fails'), tool('limited', { usage_limits: [{ limit: 1, window: '1h' }] })] }],
  };
};

beforeAll(async () => {
  upstream = await startUpstream((req, _b, res) => {
    // A little latency, so scrapes overlap calls in flight.
    setTimeout(() => {
      res.writeHead(req.url === '/fails' ? 503 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    }, 20);
  });
  const a = await startTestRuntimeWith(config(upstream.url), { allowDevelopment: true, metricsPort: 0, adminToken: ADMIN_TOKEN });
  separate = { runtime: a.runtime, key: a.apiKeys['alpha/backend']! };
  const b = await startTestRuntimeWith(config(upstream.url), { allowDevelopment: true, adminToken: ADMIN_TOKEN });
  mainPort = { runtime: b.runtime, key: b.apiKeys['alpha/backend']! };
});

afterAll(async () => {
  await separate?.runtime.close();
  await mainPort?.runtime.close();
  await upstream?.close();
});

const call = (rt: { runtime: RunningRuntime; key: string }, name: string, authorization = `Bearer ${rt.key}`) =>
  httpCall(`${rt.runtime.listenUrl}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }),
  });
const scrape = async (url: string, headers: Record<string, string> = {}): Promise<{ res: HttpAnswer; page: PromPage }> => {
  const res = await httpCall(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { res, page: parsePromText(res.text) };
};

describe('issue 10 §4: /metrics on its own listener (--metrics-port), scraped during calls', () => {
  it('counts calls by project, tool and outcome code; unknown tool names share one label; the page parses while calls run', async () => {
    const calls = [
      ...Array.from({ length: 6 }, () => call(separate, 'ok')),
      call(separate, 'fails'),
      call(separate, 'fails'),
      call(separate, 'limited'),
      call(separate, 'no_such_tool_1'),
      call(separate, 'no_such_tool_2'),
      call(separate, 'ok', 'Bearer tengine_wrongwrongwrongwrongwrongwrongwrongwrong'),
    ];
    // Scrapes during the calls: each page must parse whatever is in flight.
    const during = await Promise.all([1, 2, 3].map(() => scrape(`${separate.runtime.metricsUrl}/metrics`)));
    for (const { page } of during) expect(page.types.get('tengine_tool_calls_total')).toBe('counter');
    await Promise.all(calls);
    expect((await call(separate, 'limited')).status).toBe(200);

    const { page } = await scrape(`${separate.runtime.metricsUrl}/metrics`);
    expect(sampleValue(page, 'tengine_tool_calls_total', { project: 'alpha', tool: 'ok', code: 'OK' })).toBe(6);
    expect(sampleValue(page, 'tengine_tool_calls_total', { project: 'alpha', tool: 'fails', code: 'UPSTREAM_HTTP_ERROR' })).toBe(2);
    expect(sampleValue(page, 'tengine_tool_errors_total', { project: 'alpha', tool: 'fails', code: 'UPSTREAM_HTTP_ERROR' })).toBe(2);
    expect(sampleValue(page, 'tengine_tool_calls_total', { project: 'alpha', tool: UNKNOWN_LABEL, code: 'TOOL_NOT_ENABLED' })).toBe(2);
    expect(page.samples.some((s) => s.labels.tool?.startsWith('no_such_tool'))).toBe(false);
    expect(sampleValue(page, 'tengine_limiter_rejections_total', { project: 'alpha', tool: 'limited', code: 'USAGE_LIMIT_EXCEEDED' })).toBe(1);
    expect(sampleValue(page, 'tengine_auth_refusals_total', { surface: 'mcp', reason: 'INVALID_TOKEN' })).toBe(1);
    expect(sampleValue(page, 'tengine_http_requests_total', { route: 'mcp', status: '401' })).toBe(1);
    expect(sampleValue(page, 'tengine_http_requests_total', { route: 'mcp', status: '200' })).toBe(12);
    // Histograms: buckets are cumulative and end at +Inf = count; the upstream was called for ok, fails and one limited.
    expect(page.types.get('tengine_tool_duration_seconds')).toBe('histogram');
    expect(sampleValue(page, 'tengine_tool_duration_seconds_count', { project: 'alpha', tool: 'ok' })).toBe(6);
    expect(sampleValue(page, 'tengine_tool_duration_seconds_bucket', { project: 'alpha', tool: 'ok', le: '+Inf' })).toBe(6);
    expect(sampleValue(page, 'tengine_tool_duration_seconds_bucket', { project: 'alpha', tool: 'ok', le: '0.01' })).toBe(0);
    expect(sampleValue(page, 'tengine_upstream_duration_seconds_count', { project: 'alpha', tool: 'ok' })).toBe(6);
    expect(sampleValue(page, 'tengine_upstream_duration_seconds_sum', { project: 'alpha', tool: 'ok' })).toBeGreaterThan(6 * 0.015);
    // Pools and guards of the origin, read at scrape time.
    const origin = new URL(upstream.url).origin;
    expect(sampleValue(page, 'tengine_upstream_pool_connections', { project: 'alpha', origin })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(page, 'tengine_upstream_in_flight', { project: 'alpha', origin })).toBe(0);
    expect(sampleValue(page, 'tengine_upstream_queued', { project: 'alpha', origin })).toBe(0);
    // The usage limit counts on the store: its operations are timed.
    expect(sampleValue(page, 'tengine_store_duration_seconds_count', { op: 'chargeLimits' })).toBeGreaterThanOrEqual(2);
    // The served bundle and the default process metrics.
    expect(sampleValue(page, 'tengine_bundle_info', { digest: separate.runtime.bundleDigest, format_version: '1', created_at: '2026-01-01T00:00:00Z' })).toBe(1);
    expect(page.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(page.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    // Never a member id or request id as a label.
    for (const s of page.samples) for (const k of Object.keys(s.labels)) expect(['member', 'request_id']).not.toContain(k);
  });

  it('the metrics listener serves /metrics only; the main port answers 404 there, admin token or not', async () => {
    expect((await httpCall(`${separate.runtime.metricsUrl}/mcp`)).status).toBe(404);
    expect((await httpCall(`${separate.runtime.listenUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);
  });
});

describe('issue 10 §4: /metrics on the main port, for the admin token only', () => {
  it('404 without or with a wrong token; 200 and a parsable page with it; session-token exchanges are counted', async () => {
    expect((await httpCall(`${mainPort.runtime.listenUrl}/metrics`)).status).toBe(404);
    expect((await httpCall(`${mainPort.runtime.listenUrl}/metrics`, { headers: { authorization: 'Bearer not-the-admin-token' } })).status).toBe(404);
    const exchange = (body: unknown) =>
      httpCall(`${mainPort.runtime.listenUrl}/api/v1/mcp/session-token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${mainPort.key}` }, body: JSON.stringify(body) });
    expect((await exchange({ member_external_id: 'm-1' })).status).toBe(200);
    expect((await exchange({})).status).toBe(400);
    await call(mainPort, 'ok');
    const { page } = await scrape(`${mainPort.runtime.listenUrl}/metrics`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(sampleValue(page, 'tengine_tool_calls_total', { project: 'alpha', tool: 'ok', code: 'OK' })).toBe(1);
    expect(sampleValue(page, 'tengine_token_exchanges_total', { kind: 'session_token', result: 'issued' })).toBe(1);
    expect(sampleValue(page, 'tengine_token_exchanges_total', { kind: 'session_token', result: 'refused' })).toBe(1);
    expect(sampleValue(page, 'tengine_auth_refusals_total', { surface: 'session_token', reason: 'MISSING_MEMBER' })).toBe(1);
    expect(sampleValue(page, 'tengine_auth_refusals_total', { surface: 'metrics', reason: 'INVALID_ADMIN_TOKEN' })).toBe(1);
    expect(sampleValue(page, 'tengine_http_requests_total', { route: 'session_token', status: '200' })).toBe(1);
  });
});

describe('the functions the hot reload calls: bundleLoaded and reloadResult', () => {
  it('bundle_info holds one series, the last bundle loaded; reloads count by result and code', async () => {
    const m = createRuntimeMetrics({ defaults: false });
    bundleLoaded(m, { digest: 'sha256:aaa', formatVersion: 1, createdAt: '2026-01-01T00:00:00Z' });
    bundleLoaded(m, { digest: 'sha256:bbb', formatVersion: 1, createdAt: '2026-02-01T00:00:00Z' });
    reloadResult(m, 'ok');
    reloadResult(m, 'refused', 'BUNDLE_SIGNATURE_INVALID');
    reloadResult(m, 'refused', 'BUNDLE_SIGNATURE_INVALID');
    const page = parsePromText((await m.render()).body);
    expect(page.samples.filter((s) => s.name === 'tengine_bundle_info')).toEqual([{ name: 'tengine_bundle_info', labels: { digest: 'sha256:bbb', format_version: '1', created_at: '2026-02-01T00:00:00Z' }, value: 1 }]);
    expect(sampleValue(page, 'tengine_bundle_reloads_total', { result: 'ok', code: '' })).toBe(1);
    expect(sampleValue(page, 'tengine_bundle_reloads_total', { result: 'refused', code: 'BUNDLE_SIGNATURE_INVALID' })).toBe(2);
    // A small page without the default metrics (unit tests), still valid exposition.
    expect(page.types.has('process_cpu_user_seconds_total')).toBe(false);
  });

  it('the instrumented store times operations and counts failures without changing results', async () => {
    const m = createRuntimeMetrics({ defaults: false });
    const inner = createMemoryStore();
    const store = instrumentStore(inner, m);
    expect(await store.setIfAbsent('k', 'v', 1000)).toBe(true);
    expect(await store.setIfAbsent('k', 'v', 1000)).toBe(false);
    expect(await store.take('k')).toBe('v');
    await store.close();
    await expect(store.get('k')).rejects.toThrow();
    const page = parsePromText((await m.render()).body);
    expect(sampleValue(page, 'tengine_store_duration_seconds_count', { op: 'setIfAbsent' })).toBe(2);
    expect(sampleValue(page, 'tengine_store_errors_total', { op: 'get' })).toBe(1);
    expect(store.kind).toBe('memory');
  });
});

describe('--metrics-port / --metrics-host: clear USAGE errors', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('tengine-metrics-opts-'));
    await writeFile(path.join(dir, 'b.json'), '{}');
    await writeFile(path.join(dir, 'k.pem'), 'x');
  });
  afterAll(() => cleanup?.());
  const resolve = (flags: Record<string, string>, env: Record<string, string> = {}) =>
    resolveRuntimeOptions({ bundle: path.join(dir, 'b.json'), bundlePublicKey: [path.join(dir, 'k.pem')], ...flags }, env, () => undefined);

  it('a port from the flag or TENGINE_METRICS_PORT, the host defaulting to the runtime host', async () => {
    expect(await resolve({ metricsPort: '9464' })).toMatchObject({ metricsPort: 9464 });
    expect((await resolve({ metricsPort: '9464' })).metricsHost).toBeUndefined();
    expect(await resolve({}, { TENGINE_METRICS_PORT: '9100', TENGINE_METRICS_HOST: '10.0.0.5' })).toMatchObject({ metricsPort: 9100, metricsHost: '10.0.0.5' });
    expect((await resolve({})).metricsPort).toBeUndefined();
  });

  it.each([
    [{ metricsPort: 'abc' }, {}, '--metrics-port "abc"'],
    [{ metricsPort: '70000' }, {}, '--metrics-port "70000"'],
    [{}, { TENGINE_METRICS_PORT: '-1' }, 'TENGINE_METRICS_PORT "-1"'],
    [{ metricsPort: '8080' }, {}, 'is the main port'],
    [{ metricsHost: '10.0.0.5' }, {}, 'no metrics port'],
    [{ metricsPort: '9464', metricsHost: 'bad host\n' }, {}, 'not a host name'],
  ])('%o %o → BAD_METRICS_LISTENER (exit 2): %s', async (flags, env, message) => {
    const err = await resolve(flags as Record<string, string>, env as Record<string, string>).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeBootError);
    expect(err).toMatchObject({ code: 'BAD_METRICS_LISTENER', exitCode: 2 });
    expect((err as Error).message).toContain(message);
    expect((err as RuntimeBootError).hint).toMatch(/metrics/);
  });
});
