// Retries, retry budget, circuit breaker and concurrency cap through the MCP endpoint of a loaded bundle
// (inProcessApp: the real app, tools/call over POST /mcp) against real loopback upstreams, plain and TLS
// (docs/outbound.md §5). What is asserted is what reaches the upstream (counts, connections) and the stable codes
// the model sees, never durations.
import { execFileSync } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { sendJson, startUpstream, type LoopbackUpstream } from '../runtime/execute/test-support.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { inProcessApp } from './fixtures/runtime-harness.js';

type ToolResultJson = { isError?: boolean; structuredContent?: unknown; content: { text: string }[]; _meta?: Record<string, ErrorMeta> };
interface ErrorMeta {
  code: string;
  status: number;
  message: string;
  detail?: string;
  upstream_status?: number;
  retry_after_seconds?: number;
  retry_skipped?: string;
}

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A bundle with one development project whose tools call `base`, served in-process. */
async function serve(base: string, tools: Partial<Tool>[], runtime: TengineConfig['runtime'] = {}): Promise<{ call: (name: string, args?: Record<string, unknown>) => Promise<ToolResultJson>; app: Hono }> {
  const config: TengineConfig = {
    version: 1,
    runtime,
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: tools.map((t, i) => ({ name: `t${i}`, description: `Tool ${i}`, input_schema: { type: 'object', properties: { id: { type: 'string' } } }, base_url: base, http_method: 'GET', endpoint_path: `/t${i}`, ...t }) as Tool),
      },
    ],
  };
  const built = await inProcessApp(config, {}, { allowDevelopment: true }); // loopback upstreams
  cleanups.push(built.close);
  const key = built.apiKeys['alpha/backend']!;
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<ToolResultJson> => {
    const res = await built.app.request('/mcp', {
      method: 'POST',
      headers: { ...MCP_HEADERS, authorization: `Bearer ${key}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { result: ToolResultJson }).result;
  };
  return { call, app: built.app };
}

async function upstream(handler: Parameters<typeof startUpstream>[0]): Promise<LoopbackUpstream> {
  const up = await startUpstream(handler);
  cleanups.push(up.close);
  return up;
}

const meta = (r: ToolResultJson): ErrorMeta | undefined => r._meta?.['tengine.dev/error'];

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

describe('retries do not amplify failures (issue 8 defect 4; docs/outbound.md §5)', () => {
  it('20 sequential GETs to an upstream answering 503, default settings: 5 upstream hits, then UPSTREAM_CIRCUIT_OPEN and nothing more is sent', async () => {
    // Defaults: max_attempts 2, failure_threshold 5 (attempts count), retry budget 20% + 3. Calls 1 and 2 are sent
    // twice (4 failures), call 3 once (the 5th failure opens the breaker, which refuses its retry); calls 4-20 are
    // refused. Before: 3 attempts per call, no budget, no breaker = 60 hits.
    const up = await upstream((_req, res) => sendJson(res, 503, { error: 'down' }));
    const { call } = await serve(up.origin, [{}]);
    const results: ToolResultJson[] = [];
    for (let i = 0; i < 20; i++) results.push(await call('t0'));
    expect(up.received).toHaveLength(5);

    expect(results.slice(0, 3).map(meta)).toMatchObject([
      { code: 'UPSTREAM_HTTP_ERROR', upstream_status: 503 },
      { code: 'UPSTREAM_HTTP_ERROR', upstream_status: 503 },
      { code: 'UPSTREAM_HTTP_ERROR', upstream_status: 503, retry_skipped: 'circuit_open' },
    ]);
    expect(meta(results[0]!)!.retry_skipped).toBeUndefined();
    for (const r of results.slice(3)) {
      expect(r.isError).toBe(true);
      expect(meta(r)).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN', status: 503, message: 'Upstream temporarily unavailable' });
      expect(meta(r)!.retry_after_seconds).toBeGreaterThanOrEqual(1);
      expect(meta(r)!.retry_after_seconds).toBeLessThanOrEqual(30);
      expect(meta(r)!.detail).toMatch(/^the upstream kept failing \(last: HTTP 503\); calls to it are paused for \d+ s and this one was not sent$/);
      expect(r.content[0]!.text).toMatch(/^Upstream temporarily unavailable: .*\[UPSTREAM_CIRCUIT_OPEN, status 503\]$/);
    }
  });

  it('the retry budget alone (breaker out of the way): 20 failing calls get 7 retries, 27 hits; the others say retry_skipped "retry_budget"', async () => {
    const up = await upstream((_req, res) => sendJson(res, 503, { error: 'down' }));
    const { call } = await serve(up.origin, [{}], { upstreams: { circuit_breaker: { failure_threshold: 1000 } } });
    const skipped: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const r = await call('t0');
      expect(meta(r)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 503 });
      if (meta(r)!.retry_skipped === 'retry_budget') skipped.push(i);
    }
    // Call k may retry while retries + 1 ≤ 3 + 20% × k: calls 1-3, 5, 10, 15 and 20 do.
    expect(skipped).toEqual([4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19]);
    expect(up.received).toHaveLength(27);
  });
});

describe('TLS failures are not retried (docs/outbound.md §5 "Retries")', () => {
  let server: TlsServer;
  let connections = 0;
  let port = 0;
  beforeAll(async () => {
    // A self-signed certificate generated for this run: the runtime does not trust it, as with a misconfigured API.
    const { dir, cleanup } = await tempDir('tengine-tls-');
    cleanups.push(cleanup);
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { stdio: 'ignore' });
    server = createTlsServer({ key: await readFile(key), cert: await readFile(cert) }, (socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}'));
    server.on('connection', () => connections++);
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  });

  it('an untrusted certificate: UPSTREAM_UNREACHABLE "TLS handshake failed", exactly one handshake per call, no retry', async () => {
    const { call } = await serve(`https://127.0.0.1:${port}`, [{}, { retry: { max_attempts: 5 } }]);
    for (const [i, name] of ['t0', 't1', 't0'].entries()) {
      const r = await call(name);
      expect(meta(r)).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', status: 500, message: 'Tool execution failed' });
      expect(meta(r)!.detail).toMatch(/^TLS handshake failed \([A-Z0-9_]+\)$/);
      expect(meta(r)!.retry_skipped).toBeUndefined();
      expect(connections).toBe(i + 1);
    }
  });
});

describe('circuit breaker half-open probes (docs/outbound.md §5 "Circuit breaker")', () => {
  it('opens at the threshold, lets one probe through after open_for, reopens when it fails, closes when it succeeds', async () => {
    let mode: 'fail' | 'slow-ok' = 'fail';
    const up = await upstream((_req, res) => {
      if (mode === 'fail') return sendJson(res, 503, { error: 'down' });
      // Slow enough that a concurrent call arrives while the probe is out.
      setTimeout(() => sendJson(res, 200, { ok: true }), 300);
    });
    const { call } = await serve(up.origin, [{ retry: { max_attempts: 1 } }], { upstreams: { circuit_breaker: { failure_threshold: 2, open_for: '1s', half_open_probes: 1 } } });
    const code = async () => meta(await call('t0'))?.code ?? 'OK';

    expect([await code(), await code()]).toEqual(['UPSTREAM_HTTP_ERROR', 'UPSTREAM_HTTP_ERROR']);
    expect(await code()).toBe('UPSTREAM_CIRCUIT_OPEN');
    expect(up.received).toHaveLength(2);

    // Polled: refused calls send nothing, so the first call let through after open_for is the probe.
    let probe = 'UPSTREAM_CIRCUIT_OPEN';
    for (let i = 0; i < 200 && probe === 'UPSTREAM_CIRCUIT_OPEN'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      probe = await code();
    }
    expect(probe).toBe('UPSTREAM_HTTP_ERROR');
    expect(up.received).toHaveLength(3);
    // The failed probe reopened the breaker.
    expect(await code()).toBe('UPSTREAM_CIRCUIT_OPEN');
    expect(up.received).toHaveLength(3);

    mode = 'slow-ok';
    let pair: string[] = ['UPSTREAM_CIRCUIT_OPEN', 'UPSTREAM_CIRCUIT_OPEN'];
    for (let i = 0; i < 200 && pair.every((c) => c === 'UPSTREAM_CIRCUIT_OPEN'); i++) {
      await new Promise((r) => setTimeout(r, 25));
      pair = await Promise.all([code(), code()]);
    }
    // half_open_probes 1: one of the two concurrent calls was the probe, the other was refused.
    expect(pair.sort()).toEqual(['OK', 'UPSTREAM_CIRCUIT_OPEN']);
    expect(up.received).toHaveLength(4);
    // The successful probe closed the breaker: calls flow again.
    expect(await Promise.all([code(), code(), code()])).toEqual(['OK', 'OK', 'OK']);
    expect(up.received).toHaveLength(7);
  });
});

describe('concurrency cap and bounded queue (docs/outbound.md §5 "Concurrency cap")', () => {
  it('1,000 concurrent calls to a hung upstream (max_concurrent 8, max_queued 16): 976 fail fast with UPSTREAM_OVERLOADED, 8 are sent, 16 wait; /readyz still answers', async () => {
    const held: ServerResponse[] = [];
    let hung = true;
    const up = await upstream((_req, res) => {
      if (hung) held.push(res);
      else sendJson(res, 200, { ok: true });
    });
    cleanups.push(async () => held.forEach((r) => r.destroy()));
    const { call, app } = await serve(up.origin, [{ timeout: '60s' }], { upstreams: { max_concurrent: 8, max_queued: 16 } });

    const finished: string[] = [];
    const calls = Array.from({ length: 1000 }, (_, i) =>
      call('t0', { id: String(i) }).then((r) => {
        finished.push(meta(r)?.code ?? 'OK');
        return r;
      }),
    );
    expect(await until(() => finished.length === 976 && held.length === 8)).toBe(true);
    // Every call that finished while the upstream hung was refused at once, with a delay the model can act on.
    expect(new Set(finished)).toEqual(new Set(['UPSTREAM_OVERLOADED']));
    expect(up.received).toHaveLength(8);
    // No more than max_concurrent connections were opened: the pool follows the cap and nothing queues inside it.
    expect(up.connections()).toBeLessThanOrEqual(8);

    // The process is not stalled: it serves health checks and refuses the next call at once while 24 are pending.
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    const extra = await call('t0', { id: 'extra' });
    expect(meta(extra)).toMatchObject({ code: 'UPSTREAM_OVERLOADED', status: 503, retry_after_seconds: 1 });
    expect(finished).toHaveLength(976);

    // The upstream recovers: the 8 in flight and the 16 waiting (first in, first out) are all served.
    hung = false;
    for (const res of held.splice(0)) sendJson(res, 200, { ok: true });
    const all = await Promise.all(calls);
    expect(all.filter((r) => !r.isError)).toHaveLength(24);
    expect(finished.slice(976)).toEqual(Array(24).fill('OK'));
    expect(up.received).toHaveLength(24);
    expect(up.connections()).toBeLessThanOrEqual(8);
  });

  it('projects do not share an origin\'s cap or breaker: callers of alpha filling it with hung calls leave beta\'s calls going out', async () => {
    const held: ServerResponse[] = [];
    let hang = true;
    const up = await upstream((req, res) => {
      if (hang && req.url === '/hang') held.push(res);
      else sendJson(res, 200, { ok: true });
    });
    cleanups.push(async () => held.forEach((r) => r.destroy()));
    const project = (id: string, tool: Partial<Tool>) => ({
      id,
      environment: 'development' as const,
      integrations: [{ id: 'backend', kind: 'api_key' as const }],
      tools: [{ name: 'call', description: 'call', input_schema: { type: 'object' }, base_url: up.origin, http_method: 'GET', endpoint_path: '/ok', ...tool } as Tool],
    });
    const built = await inProcessApp(
      { version: 1, runtime: { upstreams: { max_concurrent: 8, max_queued: 16 } }, projects: [project('alpha', { endpoint_path: '/hang', timeout: '60s' }), project('beta', {})] },
      {},
      { allowDevelopment: true }, // loopback upstream
    );
    cleanups.push(built.close);
    const callAs = async (id: string): Promise<ToolResultJson> => {
      const res = await built.app.request('/mcp', {
        method: 'POST',
        headers: { ...MCP_HEADERS, authorization: `Bearer ${built.apiKeys[`${id}/backend`]!}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'call', arguments: {} } }),
      });
      return ((await res.json()) as { result: ToolResultJson }).result;
    };
    const flood = Array.from({ length: 200 }, () => callAs('alpha'));
    expect(await until(() => held.length === 8)).toBe(true);
    expect(meta(await callAs('alpha'))).toMatchObject({ code: 'UPSTREAM_OVERLOADED' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => callAs('beta')));
    expect(answers.map((r) => meta(r)?.code ?? 'OK')).toEqual(Array(20).fill('OK'));
    hang = false;
    for (const res of held.splice(0)) sendJson(res, 200, { ok: true });
    const flooded = await Promise.all(flood);
    // Alpha's own cap held 8 in flight and 16 waiting; the rest of its flood was refused at once.
    expect(flooded.filter((r) => !r.isError)).toHaveLength(24);
  });
});
