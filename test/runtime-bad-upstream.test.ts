// Hostile and broken upstreams, and oversized or malicious arguments, through the running runtime (real socket,
// port 0) and the MCP SDK client; raw fetch where the SDK would hide the HTTP status. What is checked is what an
// operator relies on (docs/outbound.md §3, §5, §6; docs/errors.md): every call ends with the documented code within
// the tool's deadline, memory stays bounded whatever the upstream sends, nothing unsafe is ever sent upstream, and the
// process keeps serving.
import { connect, createServer } from 'node:net';
import type { ServerResponse } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRuntime } from '../runtime/start.js';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { startTestRuntimeWith, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

type CallResult = Awaited<ReturnType<Client['callTool']>>;
interface ErrorMeta {
  code: string;
  status: number;
  message: string;
  detail?: string;
  upstream_status?: number;
  errors?: { path: string; message: string }[];
}

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;

let upstream: TestUpstream;
/** A second loopback server a redirect points at; it must never receive anything. */
let target: TestUpstream;
let runtime: RunningRuntime;
let apiKey: string;
let client: Client;

/** Open upstream responses that only end when the runtime closes the connection (hang, drip, 1 GiB). */
const open = new Set<ServerResponse>();
/** Bytes written by the 1 GiB generators, and whether the runtime closed them. */
const streamed = { bytes: 0, closed: 0 };
let dripTimers: NodeJS.Timeout[] = [];
const attemptsByRequestId = new Map<string, number>();

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Streams `total` bytes generated on the fly with backpressure, reusing one 64 KiB chunk; stops when the peer closes. */
function streamHuge(res: ServerResponse, total: number, declareLength: boolean): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  res.writeHead(200, { 'content-type': 'text/plain', ...(declareLength ? { 'content-length': String(total) } : {}) });
  let sent = 0;
  let closed = false;
  open.add(res);
  res.on('close', () => {
    closed = true;
    streamed.closed++;
    open.delete(res);
  });
  const pump = (): void => {
    while (!closed && sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      streamed.bytes += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!closed) res.end();
  };
  pump();
}

function route(url: string, res: ServerResponse): void {
  const [, kind, arg = ''] = url.split('?')[0]!.split('/');
  switch (kind) {
    case 'hang':
      open.add(res); // never answered; the runtime's deadline must end the call
      res.on('close', () => open.delete(res));
      return;
    case 'drip': {
      // Headers at once, then one byte every 100 ms: each read is quick, the whole body never is.
      res.writeHead(200, { 'content-type': 'text/plain' });
      open.add(res);
      let n = 0;
      const t = setInterval(() => {
        if (res.destroyed || n >= 200) {
          clearInterval(t);
          if (!res.destroyed) res.end();
          return;
        }
        n++;
        res.write('x');
      }, 100);
      dripTimers.push(t);
      res.on('close', () => {
        clearInterval(t);
        open.delete(res);
      });
      return;
    }
    case 'huge':
      return streamHuge(res, GIB, false);
    case 'huge-declared':
      return streamHuge(res, GIB, true);
    case 'redirect':
      res.writeHead(Number(arg), { location: `${target.url}/stolen?from=${arg}` });
      res.end();
      return;
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><body><h1>Sign in</h1></body></html>');
      return;
    case 'flaky': {
      // 503 on the first attempt of an execution (keyed by its request id), then 200.
      const id = String(res.req.headers['x-tengine-request-id']);
      const n = (attemptsByRequestId.get(id) ?? 0) + 1;
      attemptsByRequestId.set(id, n);
      if (n === 1) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('try again');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ attempt: n }));
      }
      return;
    }
    case 'reset':
      // A response that promises 100 bytes and dies after a few: not a response, never a truncated success.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 10);
      return;
    case 'missing':
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    default:
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, url }));
  }
}

function config(base: string, deadPort: number): TengineConfig {
  const idSchema = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
  const tool = (name: string, extra: Partial<Tool> = {}): Tool => ({
    name,
    description: `Tool ${name}`,
    input_schema: idSchema,
    base_url: base,
    http_method: 'GET',
    endpoint_path: `/${name}/{id}`,
    ...extra,
  });
  return {
    version: 1,
    // Every hostile route below shares one origin: its breaker would open after five failures in a row and refuse
    // the rest. The breaker, budget and cap have their own tests (runtime-upstream-resilience.test.ts).
    runtime: { upstreams: { circuit_breaker: { failure_threshold: 1000 } } },
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          tool('hang', { timeout: '500ms' }),
          tool('drip', { timeout: '800ms' }),
          tool('huge'),
          tool('huge_declared', { endpoint_path: '/huge-declared/{id}' }),
          tool('redirect'),
          tool('html_text', { endpoint_path: '/html/{id}' }),
          tool('html_schema', { endpoint_path: '/html/{id}', output_schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }),
          tool('missing'),
          tool('header_arg', {
            endpoint_path: '/hdr/{id}',
            input_schema: { type: 'object', properties: { id: { type: 'string' }, note: { type: 'string' } }, required: ['id', 'note'] },
            headers_template: { 'X-Note': '{note}' },
          }),
          tool('path_arg', {
            endpoint_path: '/files/{name}',
            input_schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
          }),
          tool('big_post', {
            http_method: 'POST',
            endpoint_path: '/big',
            input_schema: { type: 'object', properties: { data: { type: 'string' } }, required: ['data'] },
            body_template: { data: '{data}' },
          }),
          tool('echo'),
          tool('hang_long', { endpoint_path: '/hang/{id}', timeout: '10s' }),
          tool('flaky'),
          tool('flaky_post', { http_method: 'POST', endpoint_path: '/flaky/{id}' }),
          tool('reset'),
          tool('dead', { base_url: `http://127.0.0.1:${deadPort}`, retry: { max_attempts: 1 } }),
          tool('off', { is_enabled: false }),
        ],
      },
    ],
  };
}

beforeAll(async () => {
  target = await startUpstream();
  upstream = await startUpstream((req, _body, res) => route(req.url ?? '', res));
  const started = await startTestRuntimeWith(config(upstream.url, await closedPort()), { allowDevelopment: true }); // loopback upstreams
  runtime = started.runtime;
  apiKey = started.apiKeys['alpha/backend']!;
  client = new Client({ name: 'tengine-bad-upstream', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }));
  // Like a real client: list first, so the SDK caches the output validators it checks results against.
  expect((await client.listTools()).tools.length).toBe(18);
});

afterAll(async () => {
  for (const t of dripTimers) clearInterval(t);
  dripTimers = [];
  await client?.close().catch(() => undefined);
  await runtime?.close();
  for (const res of open) res.destroy();
  await upstream?.close();
  await target?.close();
});

function errorMeta(result: CallResult): ErrorMeta | undefined {
  return (result._meta as Record<string, ErrorMeta> | undefined)?.['tengine.dev/error'];
}

function textOf(result: CallResult): string {
  return (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('');
}

async function timed(name: string, args: Record<string, unknown>): Promise<{ result: CallResult; ms: number }> {
  const t0 = performance.now();
  const result = await client.callTool({ name, arguments: args });
  return { result, ms: performance.now() - t0 };
}

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

function rawPost(body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(runtime.mcpUrl, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body,
    ...extra,
  } as RequestInit);
}

describe('deadlines (docs/outbound.md §5 "Deadline")', () => {
  it('a hanging upstream with timeout 500ms: UPSTREAM_TIMEOUT "Tool execution timed out" in about the timeout', async () => {
    const { result, ms } = await timed('hang', { id: '1' });
    expect(result.isError).toBe(true);
    expect(errorMeta(result)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: 500, message: 'Tool execution timed out' });
    expect(textOf(result)).toMatch(/^Tool execution timed out: .*500 ms.*\[UPSTREAM_TIMEOUT, status 500\]$/);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(3000);
    // The runtime gave up on the connection instead of leaving it pinned to the hung upstream.
    expect(await until(() => ![...open].some((r) => r.req.url?.startsWith('/hang/')))).toBe(true);
  });

  it('a slow-drip body (one byte every 100 ms) still times out: the deadline covers the whole body', async () => {
    const { result, ms } = await timed('drip', { id: '1' });
    expect(result.isError).toBe(true);
    expect(errorMeta(result)).toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: 500 });
    expect(ms).toBeGreaterThanOrEqual(750);
    expect(ms).toBeLessThan(3000);
    expect(await until(() => ![...open].some((r) => r.req.url?.startsWith('/drip/')))).toBe(true);
  });
});

describe('cancellation, retries and broken connections (docs/outbound.md §5 "Retries"; docs/errors.md CANCELLED)', () => {
  it('a client that goes away mid-call aborts the upstream request long before the tool timeout (10 s)', async () => {
    const controller = new AbortController();
    const pending = rawPost(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hang_long', arguments: { id: 'cancel-me' } } }), {}, { signal: controller.signal }).then(
      () => 'answered',
      () => 'aborted',
    );
    const isOpen = () => [...open].some((r) => r.req.url === '/hang/cancel-me');
    expect(await until(isOpen)).toBe(true);
    const t0 = performance.now();
    controller.abort();
    expect(await pending).toBe('aborted');
    expect(await until(() => !isOpen(), 2000)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
    // And the runtime is fine afterwards.
    expect((await client.callTool({ name: 'echo', arguments: { id: 'after-cancel' } })).isError).toBeFalsy();
  });

  it('a GET answered 503 is retried with the same request id and timestamp, and then succeeds', async () => {
    const before = upstream.requests.length;
    const r = await client.callTool({ name: 'flaky', arguments: { id: 'g' } });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toEqual({ attempt: 2 });
    const sent = upstream.requests.slice(before);
    expect(sent.map((x) => x.url)).toEqual(['/flaky/g', '/flaky/g']);
    expect(sent[1]!.headers['x-tengine-request-id']).toBe(sent[0]!.headers['x-tengine-request-id']);
    expect(sent[1]!.headers['x-tengine-timestamp']).toBe(sent[0]!.headers['x-tengine-timestamp']);
  });

  it('a POST answered 503 is not retried (not idempotent): UPSTREAM_HTTP_ERROR with upstream_status 503', async () => {
    const before = upstream.requests.length;
    const r = await client.callTool({ name: 'flaky_post', arguments: { id: 'p' } });
    expect(errorMeta(r)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', status: 502, upstream_status: 503, detail: 'try again' });
    expect(upstream.requests.length - before).toBe(1);
  });

  it('a connection reset mid-body is never a truncated success: retried, then UPSTREAM_UNREACHABLE', async () => {
    const before = upstream.requests.length;
    const r = await client.callTool({ name: 'reset', arguments: { id: 'r' } });
    expect(r.isError).toBe(true);
    expect(errorMeta(r)).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', status: 500, message: 'Tool execution failed' });
    expect(errorMeta(r)!.detail).toContain('after 2 attempts');
    expect(upstream.requests.length - before).toBe(2);
  });
});

describe('response size cap (docs/outbound.md §5 "Size limit")', () => {
  it('a 1 GiB streamed body: UPSTREAM_RESPONSE_TOO_LARGE quickly, the stream is cut, RSS grows < 100 MB', async () => {
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const bytes0 = streamed.bytes;
    const closed0 = streamed.closed;
    try {
      const { result, ms } = await timed('huge', { id: '1' });
      expect(result.isError).toBe(true);
      expect(errorMeta(result)).toMatchObject({ code: 'UPSTREAM_RESPONSE_TOO_LARGE', status: 502, message: 'Upstream tool call failed' });
      expect(errorMeta(result)!.detail).toContain(String(MIB));
      expect(ms).toBeLessThan(5000);
      // The runtime closed the connection soon after passing the 1 MiB limit: far from a gigabyte was produced.
      expect(await until(() => streamed.closed > closed0)).toBe(true);
      expect(streamed.bytes - bytes0).toBeLessThan(64 * MIB);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(peak - rss0).toBeLessThan(100 * 1000 * 1000);
  });

  it('a declared Content-Length of 1 GiB fails before the body is read', async () => {
    const bytes0 = streamed.bytes;
    const closed0 = streamed.closed;
    const { result, ms } = await timed('huge_declared', { id: '1' });
    expect(errorMeta(result)).toMatchObject({ code: 'UPSTREAM_RESPONSE_TOO_LARGE', status: 502 });
    expect(errorMeta(result)!.detail).toContain(`declared ${GIB} bytes`);
    expect(ms).toBeLessThan(5000);
    expect(await until(() => streamed.closed > closed0)).toBe(true);
    expect(streamed.bytes - bytes0).toBeLessThan(64 * MIB);
  });
});

describe('redirects are never followed (docs/outbound.md §5 "Redirects")', () => {
  it('301/302/307/308 to another loopback server: UPSTREAM_REDIRECT, and that server receives nothing', async () => {
    for (const status of [301, 302, 307, 308]) {
      const r = await client.callTool({ name: 'redirect', arguments: { id: String(status) } });
      expect(r.isError, String(status)).toBe(true);
      expect(errorMeta(r), String(status)).toMatchObject({ code: 'UPSTREAM_REDIRECT', status: 502, upstream_status: status });
      expect(errorMeta(r)!.detail).toContain(`${target.url}/stolen`);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(target.requests).toHaveLength(0);
  });
});

describe('non-JSON success bodies (docs/outbound.md §6)', () => {
  it('HTML with 200 for a tool without output_schema: a plain text result', async () => {
    const r = await client.callTool({ name: 'html_text', arguments: { id: '1' } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toBeUndefined();
    expect(textOf(r)).toBe('<!doctype html><html><body><h1>Sign in</h1></body></html>');
  });

  it('HTML with 200 for a tool with output_schema: UPSTREAM_OUTPUT_INVALID, no structuredContent (the SDK accepts the error)', async () => {
    const r = await client.callTool({ name: 'html_schema', arguments: { id: '1' } });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toBeUndefined();
    expect(errorMeta(r)).toMatchObject({ code: 'UPSTREAM_OUTPUT_INVALID', status: 502, upstream_status: 200 });
    expect(errorMeta(r)!.detail).toContain('text/html');
  });
});

describe('arguments that must never reach the upstream (docs/outbound.md §3)', () => {
  it('CR/LF, NUL and non-Latin-1 characters in a header argument: ARGUMENT_NOT_RENDERABLE (400), nothing sent', async () => {
    const before = upstream.requests.length;
    for (const note of ['a\r\nX-Evil: 1', 'a\nb', 'a\rb', 'nul\u0000byte', 'del\u007f', 'snow☃man']) {
      const r = await client.callTool({ name: 'header_arg', arguments: { id: '1', note } });
      expect(r.isError, JSON.stringify(note)).toBe(true);
      expect(errorMeta(r), JSON.stringify(note)).toMatchObject({ code: 'ARGUMENT_NOT_RENDERABLE', status: 400, message: 'Tool arguments cannot be used in the request' });
    }
    expect(upstream.requests.length).toBe(before);
    // Control: a Latin-1 value goes out (as one byte per character).
    const ok = await client.callTool({ name: 'header_arg', arguments: { id: '1', note: 'café ok' } });
    expect(ok.isError, textOf(ok)).toBeFalsy();
    expect(upstream.requests.length).toBe(before + 1);
    expect(Buffer.from(upstream.requests.at(-1)!.headers['x-note'] as string, 'latin1').toString('latin1')).toBe('café ok');
  });

  it('dot segments in a path argument (../, .., %2e%2e, %252e%252e, a/../b, ..\\x, empty): ARGUMENT_NOT_RENDERABLE, nothing sent', async () => {
    const before = upstream.requests.length;
    for (const name of ['../admin', '..', '.', '%2e%2e', '%2E%2E', '%252e%252e', '%2e%2e%2fadmin', 'a/../b', '..\\x', '']) {
      const r = await client.callTool({ name: 'path_arg', arguments: { name } });
      expect(r.isError, JSON.stringify(name)).toBe(true);
      expect(errorMeta(r)?.code, JSON.stringify(name)).toBe('ARGUMENT_NOT_RENDERABLE');
      expect(errorMeta(r)?.status).toBe(400);
    }
    expect(upstream.requests.length).toBe(before);
    // Control: dots inside a name are fine, and a slash is encoded into the one segment.
    for (const [name, path] of [['a..b', '/files/a..b'], ['x/y', '/files/x%2Fy']] as const) {
      const r = await client.callTool({ name: 'path_arg', arguments: { name } });
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(upstream.requests.at(-1)!.url).toBe(path);
    }
  });
});

describe('request size (docs/http-api.md: max_request_bytes, default 1 MiB)', () => {
  it('a ~900 KB argument passes the transport and reaches the upstream intact', async () => {
    const data = 'é'.repeat(1000) + 'x'.repeat(897_000);
    const r = await client.callTool({ name: 'big_post', arguments: { data } });
    expect(r.isError, textOf(r).slice(0, 200)).toBeFalsy();
    const got = upstream.requests.at(-1)!;
    expect(got.url).toBe('/big');
    expect(got.method).toBe('POST');
    expect((JSON.parse(got.body) as { data: string }).data).toBe(data);
  });

  it('over 1 MiB: the SDK call rejects with 413, and a raw POST gets 413 REQUEST_TOO_LARGE; nothing is sent upstream', async () => {
    const before = upstream.requests.length;
    const data = 'x'.repeat(MIB + 1000);
    const err = await client.callTool({ name: 'big_post', arguments: { data } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect((err as StreamableHTTPError).code).toBe(413);

    const res = await rawPost(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'big_post', arguments: { data } } }));
    expect(res.status).toBe(413);
    const body = (await res.json()) as { id: unknown; error: { data: { code: string } } };
    expect(body.error.data.code).toBe('REQUEST_TOO_LARGE');
    expect(body.id).toBeNull();
    expect(upstream.requests.length).toBe(before);
  });

  it('over 1 MiB sent chunked (no Content-Length): 413 as well, the body is not buffered without bound', async () => {
    const before = upstream.requests.length;
    const piece = new TextEncoder().encode('x'.repeat(64 * 1024));
    let chunks = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"big_post","arguments":{"data":"'));
      },
      pull(c) {
        // 2 MiB in 64 KiB pieces, then the end of the JSON.
        if (chunks++ < 32) c.enqueue(piece);
        else {
          c.enqueue(new TextEncoder().encode('"}}}'));
          c.close();
        }
      },
    });
    const res = await rawPost(stream, {}, { duplex: 'half' }).then(
      (r) => r,
      (e: unknown) => ({ failed: e }),
    );
    // The runtime may answer before the upload finished and close the connection; either way it never accepts it.
    if ('status' in res) {
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe('REQUEST_TOO_LARGE');
    } else {
      expect(res.failed).toBeInstanceOf(Error);
    }
    expect(upstream.requests.length).toBe(before);
    const ready = await fetch(`${runtime.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});

describe('request size on the Hono routes (a query string on /mcp bypasses the native fast path)', () => {
  // The rest of an oversized body is never read, so the connection cannot carry another request: every 413 must say
  // `Connection: close`, or a client reusing its keep-alive connection gets a socket error on its next, valid request.
  it('after a 413 on /mcp?x=1 the next request on the same keep-alive connection is answered', async () => {
    const dispatcher = new Agent({ connections: 1 });
    try {
      const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' };
      const big = await undiciFetch(`${runtime.url}/mcp?x=1`, { method: 'POST', headers, body: 'x'.repeat(MIB + 1000), dispatcher });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: { data: { code: string } } }).error.data.code).toBe('REQUEST_TOO_LARGE');
      const next = await undiciFetch(runtime.mcpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), dispatcher }).then(
        (r) => r.status,
        (e: unknown) => `failed: ${String((e as { cause?: { code?: string } }).cause?.code ?? e)}`,
      );
      expect(next).toBe(200);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('request size of the session-token exchange (issue 8, defect 10)', () => {
  it('its 413 says Connection: close, and the next request on a fresh connection of the same client is answered', async () => {
    const dispatcher = new Agent({ connections: 1 });
    try {
      const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
      const big = await undiciFetch(`${runtime.url}/api/v1/mcp/session-token`, { method: 'POST', headers, body: JSON.stringify({ member_assertion: 'x'.repeat(100_000) }), dispatcher });
      expect(big.status).toBe(413);
      expect(big.headers.get('connection')).toBe('close');
      expect(await big.json()).toEqual({ detail: 'Request body too large', code: 'REQUEST_TOO_LARGE' });
      const next = await undiciFetch(`${runtime.url}/readyz`, { dispatcher }).then(
        (r) => r.status,
        (e: unknown) => `failed: ${String((e as { cause?: { code?: string } }).cause?.code ?? e)}`,
      );
      expect(next).toBe(200);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('a refusal never reads a body an unauthenticated client declared (attack re-run: 1 GB after a 401)', () => {
  /** Sends only the head (and a first chunk) of a request on a raw socket; resolves with the answer's head once the server ends the connection. */
  function halfSent(path: string, head: Record<string, string>, first: string): Promise<{ head: string; closedByServer: boolean }> {
    return new Promise((resolve, reject) => {
      const { hostname, port } = new URL(runtime.url);
      const socket = connect({ host: hostname, port: Number(port) });
      let data = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ head: data.split('\r\n\r\n')[0] ?? '', closedByServer: false });
      }, 5000);
      socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
      socket.on('end', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ head: data.split('\r\n\r\n')[0] ?? '', closedByServer: true });
      });
      socket.on('error', reject);
      const lines = Object.entries({ Host: `${hostname}:${port}`, ...head }).map(([k, v]) => `${k}: ${v}`);
      socket.write(`POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${first}`);
    });
  }

  it('POST /mcp without a key declaring 1 GB: 401, Connection: close, and the server ends the connection without waiting for the body', async () => {
    const res = await halfSent('/mcp', { 'Content-Type': 'application/json', 'Content-Length': String(1024 ** 3) }, '{"jsonrpc":"2.0"');
    expect(res.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(res.head).toMatch(/\r\nconnection: close/i);
    expect(res.closedByServer).toBe(true);
  });

  it('the session-token exchange without a key, body under its 64 KiB limit but not yet sent: 401, Connection: close, connection ended', async () => {
    const res = await halfSent('/api/v1/mcp/session-token', { 'Content-Type': 'application/json', 'Content-Length': '60000' }, '{"member_assertion":"');
    expect(res.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(res.head).toMatch(/\r\nconnection: close/i);
    expect(res.closedByServer).toBe(true);
  });

  it('an answered request keeps its connection (no close without need)', async () => {
    const res = await fetch(runtime.mcpUrl, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).not.toBe('close');
  });
});

describe('load: 50 concurrent calls, good and bad mixed', () => {
  it('every call is answered with its own outcome, and the runtime still serves /readyz afterwards', async () => {
    type Case = { name: string; args: Record<string, unknown>; expect: string | null };
    const kinds: Case[] = [
      { name: 'echo', args: { id: 'ok' }, expect: null },
      { name: 'missing', args: { id: 'm' }, expect: 'UPSTREAM_HTTP_ERROR' },
      { name: 'echo', args: { id: 7 }, expect: 'INVALID_ARGUMENTS' },
      { name: 'hang', args: { id: 'h' }, expect: 'UPSTREAM_TIMEOUT' },
      { name: 'dead', args: { id: 'd' }, expect: 'UPSTREAM_UNREACHABLE' },
      { name: 'off', args: { id: 'o' }, expect: 'TOOL_NOT_ENABLED' },
      { name: 'path_arg', args: { name: '..' }, expect: 'ARGUMENT_NOT_RENDERABLE' },
      { name: 'redirect', args: { id: '302' }, expect: 'UPSTREAM_REDIRECT' },
      { name: 'huge_declared', args: { id: 'x' }, expect: 'UPSTREAM_RESPONSE_TOO_LARGE' },
      { name: 'mcp_whoami', args: {}, expect: null },
    ];
    const cases = Array.from({ length: 50 }, (_, i) => {
      const k = kinds[i % kinds.length]!;
      // Distinct ids for the good echo calls, so each answer can be matched to its call.
      return k.name === 'echo' && k.expect === null ? { ...k, args: { id: `ok-${i}` } } : k;
    });
    const t0 = performance.now();
    const results = await Promise.all(cases.map((c) => client.callTool({ name: c.name, arguments: c.args })));
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(results).toHaveLength(50);
    results.forEach((r, i) => {
      const c = cases[i]!;
      if (c.expect === null) {
        expect(r.isError, `${i} ${c.name}: ${textOf(r)}`).toBeFalsy();
        if (c.name === 'echo') expect(r.structuredContent).toEqual({ ok: true, url: `/echo/${c.args.id as string}` });
      } else {
        expect(r.isError, `${i} ${c.name}`).toBe(true);
        expect(errorMeta(r)?.code, `${i} ${c.name}`).toBe(c.expect);
      }
    });
    expect(target.requests).toHaveLength(0);

    const ready = await fetch(`${runtime.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
    expect((await fetch(`${runtime.url}/livez`)).status).toBe(200);
    const after = await client.callTool({ name: 'echo', arguments: { id: 'after' } });
    expect(after.isError).toBeFalsy();
  });
});
