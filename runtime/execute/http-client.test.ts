import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamClient } from './http-client.js';
import { closedPort, sendJson, startUpstream, type LoopbackUpstream, type UpstreamHandler } from './test-support.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './types.js';

let client: UpstreamClient;
const upstreams: LoopbackUpstream[] = [];

beforeAll(() => {
  client = createUpstreamClient();
});
afterAll(() => client.close());
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function upstream(handler: UpstreamHandler): Promise<LoopbackUpstream> {
  const u = await startUpstream(handler);
  upstreams.push(u);
  return u;
}

function request(origin: string, fields: Partial<UpstreamRequest> = {}): UpstreamRequest {
  // Loopback upstreams: the policy of a development project.
  return { origin, addressPolicy: 'unrestricted', method: 'GET', pathAndQuery: '/', headers: {}, timeoutMs: 2000, maxResponseBytes: 1 << 20, ...fields };
}

async function timed(p: Promise<UpstreamResponse>): Promise<[UpstreamResponse, number]> {
  const t0 = performance.now();
  const r = await p;
  return [r, performance.now() - t0];
}

describe('createUpstreamClient', () => {
  it('sends the method, headers, body and the path byte for byte, and returns status, headers and body', async () => {
    const up = await upstream((req, res) => sendJson(res, 201, { method: req.method, url: req.url, body: req.body.toString(), h: req.headers['x-a'] }, { 'x-b': '2' }));
    const r = await client.send(request(up.origin, { method: 'PUT', pathAndQuery: '/a/%2Fb/%2e%2E?x=%20&y', headers: { 'X-A': '1' }, body: Buffer.from('hi') }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.status).toBe(201);
    expect(r.headers['x-b']).toBe('2');
    expect(JSON.parse(Buffer.from(r.body).toString())).toEqual({ method: 'PUT', url: '/a/%2Fb/%2e%2E?x=%20&y', body: 'hi', h: '1' });
  });

  it('contacts only the configured origin: a path like //host stays a path on the origin', async () => {
    const up = await upstream((req, res) => sendJson(res, 200, { url: req.url }));
    const r = await client.send(request(up.origin, { pathAndQuery: '//evil.example/x' }));
    expect(r.ok && r.status).toBe(200);
    expect(up.received[0]!.url).toBe('//evil.example/x');
  });

  it('refuses a pathAndQuery that would change the origin (unreachable, nothing sent)', async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, {}));
    for (const pathAndQuery of ['@127.0.0.2/x', 'x', '/a#frag']) {
      const r = await client.send(request(up.origin, { pathAndQuery }));
      expect(r).toMatchObject({ ok: false, reason: 'unreachable' });
    }
    expect(up.received).toHaveLength(0);
  });

  it('reuses kept-alive connections: 50 sequential calls share at most two TCP connections', async () => {
    const up = await upstream((_req, res) => sendJson(res, 200, { ok: true }));
    for (let i = 0; i < 50; i++) {
      const r = await client.send(request(up.origin));
      expect(r.ok && r.status).toBe(200);
    }
    expect(up.received).toHaveLength(50);
    // The pool may open a second connection when a call is dispatched in the same tick that frees the first;
    // what matters is that connections are reused rather than opened per call.
    expect(up.connections()).toBeLessThanOrEqual(2);
  });

  it('never follows redirects: a 302 is returned as the response and the target gets nothing', async () => {
    const other = await upstream((_req, res) => sendJson(res, 200, { reached: true }));
    const up = await upstream((_req, res) => {
      res.writeHead(302, { location: `${other.origin}/steal` });
      res.end();
    });
    const r = await client.send(request(up.origin));
    expect(r.ok && r.status).toBe(302);
    expect(other.received).toHaveLength(0);
  });

  it('connection refused → unreachable (ECONNREFUSED)', async () => {
    const r = await client.send(request(`http://127.0.0.1:${await closedPort()}`));
    expect(r).toEqual({ ok: false, reason: 'unreachable', detail: 'connection refused (ECONNREFUSED)' });
  });

  it('an upstream that never answers → timeout after about timeoutMs', async () => {
    const up = await upstream(() => undefined);
    const [r, ms] = await timed(client.send(request(up.origin, { timeoutMs: 200 })));
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1000);
  });

  it('a slow-drip body (headers fast, one byte every 40 ms) → timeout: the deadline covers the whole body', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('x'), 40);
      res.on('close', () => clearInterval(t));
    });
    const [r, ms] = await timed(client.send(request(up.origin, { timeoutMs: 300 })));
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(ms).toBeLessThan(1000);
  });

  it('a Content-Length above the cap fails before the body is read → too_large', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 30) });
      res.write(Buffer.alloc(16));
    });
    const [r, ms] = await timed(client.send(request(up.origin, { maxResponseBytes: 1024 })));
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
    expect(ms).toBeLessThan(1000);
  });

  it('a body exactly at the cap is fine; one byte more is too_large, never truncated', async () => {
    const up = await upstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no Content-Length to reject early
      res.end('x'.repeat(req.url === '/over' ? 1025 : 1024));
    });
    const at = await client.send(request(up.origin, { maxResponseBytes: 1024 }));
    expect(at.ok && at.body.byteLength).toBe(1024);
    const over = await client.send(request(up.origin, { pathAndQuery: '/over', maxResponseBytes: 1024 }));
    expect(over).toMatchObject({ ok: false, reason: 'too_large' });
  });

  it('a 1 GB streamed body → too_large quickly, with bounded memory (the upstream generates it on the fly)', async () => {
    let sent = 0;
    let closed = false;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = (): void => {
        while (!closed && sent < 1 << 30) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!closed) res.end();
      };
      res.on('close', () => (closed = true));
      pump();
    });
    const before = process.memoryUsage();
    const [r, ms] = await timed(client.send(request(up.origin, { maxResponseBytes: 1 << 20, timeoutMs: 10_000 })));
    const after = process.memoryUsage();
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
    expect(ms).toBeLessThan(3000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(true);
    // Only socket buffers' worth was produced before the client cut the connection: far from 1 GB.
    expect(sent).toBeLessThan(64 << 20);
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(64 << 20);
  });

  it('a connection reset mid-body → unreachable, not a truncated success', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const r = await client.send(request(up.origin));
    expect(r).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('honours an abort signal: in flight → aborted promptly; already aborted → nothing sent', async () => {
    const up = await upstream(() => undefined);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const [r, ms] = await timed(client.send(request(up.origin, { signal: ac.signal, timeoutMs: 5000 })));
    expect(r).toMatchObject({ ok: false, reason: 'aborted' });
    expect(ms).toBeLessThan(1000);
    const quiet = await upstream(() => undefined);
    const r2 = await client.send(request(quiet.origin, { signal: AbortSignal.abort() }));
    expect(r2).toMatchObject({ ok: false, reason: 'aborted' });
    expect(quiet.received).toHaveLength(0);
  });
});
