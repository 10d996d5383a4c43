import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { compileTool } from './compile-tool.js';
import { canonicalLine, signatureValue } from './outbound-auth.js';
import { API_KEY_CALLER, errorOf, MEMBER_CALLER, sendJson, startUpstream, testContext, testTool, type LoopbackUpstream, type ReceivedRequest, useUpstream } from './test-support.js';

/** The documented algorithm (docs/outbound.md §4.2), written independently of outbound-auth.ts. */
function independentSignature(secret: string, r: { method: string; target: string; body: Buffer; timestamp: string; requestId: string }): string {
  const bodyHash = createHash('sha256').update(r.body).digest('hex');
  const line = ['tng2', r.timestamp, r.requestId, r.method, r.target, bodyHash].join(' ');
  return 'tng2=' + createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(line, 'utf8')).digest('hex');
}

const SECRET = 'whsec_live_k3y-that-is-long-enough';

/** An upstream that verifies the signature the way a customer would and answers whether it matched. */
function verifyingHandler(req: ReceivedRequest, res: import('node:http').ServerResponse): void {
  const expected = Buffer.from(
    independentSignature(SECRET, {
      method: req.method,
      target: req.url,
      body: req.body,
      timestamp: String(req.headers['x-tengine-timestamp']),
      requestId: String(req.headers['x-tengine-request-id']),
    }),
  );
  const given = Buffer.from(String(req.headers['x-tengine-signature'] ?? ''));
  const valid = given.length === expected.length && timingSafeEqual(given, expected);
  sendJson(res, valid ? 200 : 401, { valid });
}

const shared = useUpstream(verifyingHandler);

const anyArgs = { type: 'object', properties: {}, additionalProperties: true };

function hmacTool(fields: Partial<Tool>, secret: string | null = SECRET) {
  return compileTool(testTool(shared.up.origin, { input_schema: anyArgs, auth_strategy: 'hmac_signature', ...fields }), 'acme', testContext(shared.client, secret === null ? {} : { secret }));
}

describe('hmac_signature: an upstream recomputing the documented line accepts the signature', () => {
  it.each<[string, Partial<Tool>, Record<string, unknown>]>([
    ['GET with an encoded path and query', { endpoint_path: '/v1/files/{name}', query_template: { q: '{q}', n: 3 } }, { name: 'a/b c', q: 'x&y=é' }],
    ['POST with a unicode JSON body', { http_method: 'POST', endpoint_path: '/v1/deals', body_template: { note: '{note}', amount: '{amount}' } }, { note: 'café ☕', amount: 1250.5 }],
    ['DELETE without a body', { http_method: 'DELETE', endpoint_path: '/v1/deals/{id}' }, { id: 'd_1' }],
    ['PATCH with a member-rendered body', { http_method: 'PATCH', endpoint_path: '/v1/me', body_template: { owner: '{member_id}' } }, {}],
  ])('%s', async (_name, fields, args) => {
    const result = await hmacTool(fields).execute(args, MEMBER_CALLER);
    expect(errorOf(result)).toBeUndefined();
    expect(result.structuredContent).toEqual({ valid: true });
    expect(shared.up.received[0]!.headers['x-tengine-signature']).toMatch(/^tng2=[0-9a-f]{64}$/);
  });

  it('a wrong secret is rejected by the upstream: UPSTREAM_HTTP_ERROR with upstream_status 401', async () => {
    const result = await hmacTool({}, 'some-other-secret-value').execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', status: 502, upstream_status: 401 });
  });

  it('the signed timestamp and request id are the ones in the headers (ctx.now and ctx.newRequestId)', async () => {
    await hmacTool({}).execute({}, API_KEY_CALLER);
    const h = shared.up.received[0]!.headers;
    const line = `tng2 1700000000 00000000-0000-4000-8000-000000000001 GET /v1/thing ${createHash('sha256').update('').digest('hex')}`;
    expect(h['x-tengine-signature']).toBe(signatureValue(SECRET, line));
  });

  it('without its secret the tool fails with AUTH_SECRET_UNAVAILABLE (500) and sends nothing', async () => {
    const result = await hmacTool({}, null).execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'AUTH_SECRET_UNAVAILABLE', status: 500 });
    expect(shared.up.received).toHaveLength(0);
  });
});

describe('static_bearer', () => {
  let echo: LoopbackUpstream;
  beforeAll(async () => {
    // An upstream that echoes the credential it got, in a success and in an error, as careless APIs do.
    echo = await startUpstream((req, res) => {
      if (req.url.startsWith('/fail')) {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end(`token ${String(req.headers.authorization)} is not allowed`);
      } else sendJson(res, 200, { got: req.headers.authorization });
    });
  });
  afterAll(() => echo.close());

  it('sends Authorization: Bearer <secret> and never the caller credential', async () => {
    const tool = compileTool(testTool(echo.origin, { auth_strategy: 'static_bearer' }), 'acme', testContext(shared.client, { secret: SECRET }));
    const result = await tool.execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toBeUndefined();
    expect(echo.received.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('never returns the secret to the model, in a result or in an error detail', async () => {
    const ok = await compileTool(testTool(echo.origin, { auth_strategy: 'static_bearer' }), 'acme', testContext(shared.client, { secret: SECRET })).execute({}, API_KEY_CALLER);
    expect(errorOf(ok)).toBeUndefined();
    expect(JSON.stringify(ok)).not.toContain(SECRET);
    expect(ok.structuredContent).toEqual({ got: 'Bearer [REDACTED]' });
    const failed = await compileTool(testTool(echo.origin, { auth_strategy: 'static_bearer', endpoint_path: '/fail' }), 'acme', testContext(shared.client, { secret: SECRET })).execute({}, API_KEY_CALLER);
    expect(errorOf(failed)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 403, detail: 'token Bearer [REDACTED] is not allowed' });
    expect(JSON.stringify(failed)).not.toContain(SECRET);
  });

  it('a bearer secret with a line break fails with AUTH_SECRET_UNAVAILABLE rather than being sent', async () => {
    const tool = compileTool(testTool(echo.origin, { auth_strategy: 'static_bearer' }), 'acme', testContext(shared.client, { secret: 'abc\r\nX-Evil: 1' }));
    const before = echo.received.length;
    const result = await tool.execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'AUTH_SECRET_UNAVAILABLE', status: 500 });
    expect(JSON.stringify(result)).not.toContain('abc');
    expect(echo.received.length).toBe(before);
  });
});

describe('canonicalLine', () => {
  it('is six single-space-separated fields with no trailing newline; an absent body hashes the empty string', () => {
    const line = canonicalLine({ timestamp: 1, requestId: 'r', method: 'get', pathAndQuery: '/a?b=c', body: undefined });
    expect(line).toBe('tng2 1 r GET /a?b=c e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(canonicalLine({ timestamp: 1, requestId: 'r', method: 'GET', pathAndQuery: '/a', body: new Uint8Array(0) })).toBe(canonicalLine({ timestamp: 1, requestId: 'r', method: 'GET', pathAndQuery: '/a', body: undefined }));
  });
});

describe('published test vectors (docs/outbound.md §4.3)', () => {
  const doc = readFileSync(new URL('../../docs/outbound.md', import.meta.url), 'utf8');
  const vectors = doc
    .split(/^#### Vector \d+[^\n]*\n/m)
    .slice(1)
    .map((whole) => {
      const section = whole.split(/^#/m)[0]!;
      const fields = new Map<string, string>();
      for (const m of section.matchAll(/^\| ([^|]+?) \| (?:`([^`]*)`|\(none\)) \|$/gm)) fields.set(m[1]!, m[2] ?? '');
      return fields;
    });

  it('the page has exactly three vectors, each with every field', () => {
    expect(vectors).toHaveLength(3);
    for (const v of vectors) expect([...v.keys()]).toEqual(['secret', 'timestamp', 'request id', 'method', 'path and query', 'body', 'body sha256', 'canonical line', 'X-Tengine-Signature']);
  });

  it.each([0, 1, 2])('vector %i: the runtime and an independent implementation both reproduce the documented line and signature', (i) => {
    const v = vectors[i]!;
    const body = v.get('body') === '' ? undefined : Buffer.from(v.get('body')!, 'utf8');
    const parts = { timestamp: Number(v.get('timestamp')), requestId: v.get('request id')!, method: v.get('method')!, pathAndQuery: v.get('path and query')!, body };
    expect(createHash('sha256').update(body ?? Buffer.alloc(0)).digest('hex')).toBe(v.get('body sha256'));
    expect(canonicalLine(parts)).toBe(v.get('canonical line'));
    expect(signatureValue(v.get('secret')!, v.get('canonical line')!)).toBe(v.get('X-Tengine-Signature'));
    expect(independentSignature(v.get('secret')!, { method: parts.method, target: parts.pathAndQuery, body: body ?? Buffer.alloc(0), timestamp: v.get('timestamp')!, requestId: parts.requestId })).toBe(v.get('X-Tengine-Signature'));
  });
});
