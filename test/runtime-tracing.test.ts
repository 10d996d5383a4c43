// Issue 10: traces. Without an OpenTelemetry SDK the runtime passes the client's W3C trace context on to the
// upstream (same trace id, the gateway as a new hop) and starts no span. With one registered (here the real
// @opentelemetry/sdk-trace-base with an in-memory exporter, as an operator's OTLP setup would register it) the MCP
// request, the authentication, each upstream attempt and each store round trip are spans of the client's trace.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundTraceHeaders, parseTraceContext } from '../runtime/observability/tracing.js';
import type { RunningRuntime } from '../runtime/start.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { startTestRuntimeWith, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE}-${PARENT}-01`;

let upstream: TestUpstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => upstream?.close());

function config(): TengineConfig {
  return {
    version: 1,
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        usage_limits: [{ window: '1m', limit: 1000 }],
        tools: [{ name: 'ping', description: 'Ping', input_schema: { type: 'object', properties: {} }, base_url: upstream.url, http_method: 'GET', endpoint_path: '/ping' }],
      },
    ],
  } as TengineConfig;
}

async function call(runtime: RunningRuntime, key: string, headers: Record<string, string>) {
  const before = upstream.requests.length;
  const res = await fetch(runtime.mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ping', arguments: {} } }),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { result: { isError?: boolean } }).result.isError).not.toBe(true);
  return upstream.requests.slice(before).at(-1)!.headers;
}

describe('W3C trace context, parsed as a receiver must', () => {
  it.each([
    [TRACEPARENT, true],
    [`00-${TRACE}-${PARENT}-00`, true],
    [`01-${TRACE}-${PARENT}-01-extra`, true], // a future version is read by its first four fields
    [`00-${TRACE}-${PARENT}-01-extra`, false], // version 00 has exactly four
    [`ff-${TRACE}-${PARENT}-01`, false],
    [`00-${'0'.repeat(32)}-${PARENT}-01`, false],
    [`00-${TRACE}-${'0'.repeat(16)}-01`, false],
    [`00-${TRACE.toUpperCase()}-${PARENT}-01`, false],
    [`00-${TRACE}-${PARENT}`, false],
    ['garbage', false],
    [`00-${TRACE}-${PARENT}-01\r\nX-Evil: 1`, false],
    [`01-${TRACE}-${PARENT}-01-${'a'.repeat(300)}`, false], // oversized: ignored, not parsed
  ])('%s → valid %s', (header, valid) => {
    expect(parseTraceContext(header, undefined) !== undefined).toBe(valid);
  });

  it('tracestate is kept when printable and bounded, dropped otherwise (the traceparent still counts)', () => {
    expect(parseTraceContext(TRACEPARENT, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')?.state).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    expect(parseTraceContext(TRACEPARENT, 'a=1\nb=2')).toMatchObject({ traceId: TRACE });
    expect(parseTraceContext(TRACEPARENT, 'a=1\nb=2')?.state).toBeUndefined();
    expect(parseTraceContext(TRACEPARENT, `a=${'x'.repeat(600)}`)?.state).toBeUndefined();
  });

  it('outbound: same trace id and flags, a fresh parent id per hop', () => {
    const incoming = parseTraceContext(TRACEPARENT, 'k=v')!;
    const a = outboundTraceHeaders(incoming, undefined);
    const b = outboundTraceHeaders(incoming, undefined);
    expect(a.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(a.traceparent).not.toContain(PARENT);
    expect(a.traceparent).not.toBe(b.traceparent);
    expect(a.tracestate).toBe('k=v');
    expect(outboundTraceHeaders(undefined, undefined)).toEqual({});
  });
});

describe('without an OpenTelemetry SDK', () => {
  let runtime: RunningRuntime;
  let key: string;
  beforeAll(async () => {
    const started = await startTestRuntimeWith(config(), { allowDevelopment: true });
    runtime = started.runtime;
    key = started.apiKeys['alpha/backend']!;
  });
  afterAll(async () => runtime?.close());

  it("the client's traceparent reaches the upstream as the next hop of the same trace, with its tracestate", async () => {
    const headers = await call(runtime, key, { traceparent: TRACEPARENT, tracestate: 'vendor=abc' });
    expect(headers.traceparent).toMatch(new RegExp(`^00-${TRACE}-(?!${PARENT})[0-9a-f]{16}-01$`));
    expect(headers.tracestate).toBe('vendor=abc');
  });

  it('no traceparent, or an invalid one: the upstream gets none', async () => {
    expect((await call(runtime, key, {})).traceparent).toBeUndefined();
    expect((await call(runtime, key, { traceparent: 'not-a-trace' })).traceparent).toBeUndefined();
  });
});

describe('with an OpenTelemetry SDK registered before the runtime starts', () => {
  const exporter = new InMemorySpanExporter();
  let runtime: RunningRuntime;
  let key: string;
  beforeAll(async () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const started = await startTestRuntimeWith(config(), { allowDevelopment: true });
    runtime = started.runtime;
    key = started.apiKeys['alpha/backend']!;
  });
  afterAll(async () => {
    await runtime?.close();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('the MCP request, auth, the upstream attempt and the store round trips are spans of the client trace; the upstream sees the attempt span', async () => {
    exporter.reset();
    const headers = await call(runtime, key, { traceparent: TRACEPARENT });
    const spans = exporter.getFinishedSpans();
    const byName = (n: string) => spans.find((s) => s.name === n);
    const server = byName('mcp tools/call')!;
    expect(server).toBeDefined();
    expect(server.spanContext().traceId).toBe(TRACE);
    expect(server.parentSpanContext?.spanId).toBe(PARENT);
    const auth = byName('tengine.auth')!;
    expect(auth.attributes['tengine.auth.outcome']).toBe('api_key');
    expect(auth.parentSpanContext?.spanId).toBe(PARENT);
    const attempt = byName('upstream ping')!;
    expect(attempt.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(attempt.attributes['http.response.status_code']).toBe(200);
    expect(headers.traceparent).toBe(`00-${TRACE}-${attempt.spanContext().spanId}-01`);
    const store = spans.filter((s) => s.name.startsWith('store '));
    expect(store.length).toBeGreaterThan(0); // the usage limit counts in the store
    expect(store.every((s) => s.spanContext().traceId === TRACE)).toBe(true);
    // Spans carry no credential or argument: attribute values are methods, names, codes and numbers.
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(key);
  });
});
