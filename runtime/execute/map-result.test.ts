import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { compileTool } from './compile-tool.js';
import { createUpstreamClient } from './http-client.js';
import { ERROR_DETAIL_BYTES, mapUpstreamResponse } from './map-result.js';
import { createRedactor } from './redact.js';
import { API_KEY_CALLER, errorOf, sendJson, startUpstream, testContext, testTool, type LoopbackUpstream } from './test-support.js';
import type { UpstreamClient } from './types.js';

let up: LoopbackUpstream;
let client: UpstreamClient;

const routes: Record<string, (res: import('node:http').ServerResponse) => void> = {
  '/obj': (res) => sendJson(res, 200, { id: 'ct_1', name: 'Ana' }),
  '/obj-bad': (res) => sendJson(res, 200, { id: 42 }),
  '/array': (res) => sendJson(res, 200, [1, 2]),
  '/string': (res) => sendJson(res, 200, 'hi'),
  '/null': (res) => sendJson(res, 200, null),
  '/problem': (res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.api+json; charset=utf-8' });
    res.end('{"id":"ct_2"}');
  },
  '/html': (res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<html><body>Hello</body></html>');
  },
  '/latin1': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' });
    res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  },
  '/png': (res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
  },
  '/untyped-text': (res) => res.end('plain words'),
  '/untyped-bin': (res) => res.end(Buffer.from([0xff, 0x00, 0xfe])),
  '/empty': (res) => {
    res.writeHead(204);
    res.end();
  },
  '/notjson': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{oops');
  },
  '/err404': (res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not\r\nfound\u0000 ' + 'é'.repeat(2000));
  },
  '/err-json': (res) => sendJson(res, 422, { error: 'stage is invalid' }),
  '/err-bin': (res) => {
    res.writeHead(500, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.alloc(10));
  },
  '/err-empty': (res) => {
    res.writeHead(503, { 'retry-after': '7' });
    res.end();
  },
  '/moved': (res) => {
    res.writeHead(301, { location: 'https://other.example/new\tX: y' });
    res.end();
  },
};

beforeAll(async () => {
  up = await startUpstream((req, res) => (routes[req.url] ?? ((r) => sendJson(r, 404, {})))(res));
  client = createUpstreamClient();
});
afterAll(async () => {
  await client.close();
  await up.close();
});

const OUTPUT = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };

async function get(path: string, fields: Partial<Tool> = {}) {
  const result = await compileTool(testTool(up.origin, { endpoint_path: path, ...fields }), 'acme', testContext(client)).execute({}, API_KEY_CALLER);
  return { result, error: errorOf(result) };
}

describe('2xx results', () => {
  it('a JSON object becomes structuredContent plus one text block with its JSON', async () => {
    const { result, error } = await get('/obj');
    expect(error).toBeUndefined();
    expect(result).toEqual({ content: [{ type: 'text', text: '{"id":"ct_1","name":"Ana"}' }], structuredContent: { id: 'ct_1', name: 'Ana' } });
  });

  it('any other JSON value is wrapped as {"result": value} (MCP structured content is an object)', async () => {
    expect((await get('/array')).result.structuredContent).toEqual({ result: [1, 2] });
    expect((await get('/string')).result.structuredContent).toEqual({ result: 'hi' });
    expect((await get('/null')).result).toEqual({ content: [{ type: 'text', text: '{"result":null}' }], structuredContent: { result: null } });
  });

  it('*/*+json counts as JSON', async () => {
    expect((await get('/problem')).result.structuredContent).toEqual({ id: 'ct_2' });
  });

  it('HTML with 200 is a text result without structuredContent', async () => {
    const { result, error } = await get('/html');
    expect(error).toBeUndefined();
    expect(result).toEqual({ content: [{ type: 'text', text: '<html><body>Hello</body></html>' }] });
  });

  it('text is decoded with its charset; an untyped body is text when it is UTF-8', async () => {
    expect((await get('/latin1')).result.content[0]!.text).toBe('café');
    expect((await get('/untyped-text')).result.content[0]!.text).toBe('plain words');
  });

  it('an image is an image block, untyped binary an embedded resource named by the request id (docs/http-api.md#results-by-content-type)', async () => {
    expect((await get('/png')).result).toEqual({ content: [{ type: 'image', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]).toString('base64'), mimeType: 'image/png' }] });
    const bin = (await get('/untyped-bin')).result.content[0]!;
    expect(bin).toEqual({ type: 'resource', resource: { uri: expect.stringMatching(/^tengine:\/\/result\/[0-9a-f-]{36}$/), mimeType: 'application/octet-stream', blob: Buffer.from([0xff, 0x00, 0xfe]).toString('base64') } });
  });

  it('an empty body says so, with the status', async () => {
    expect((await get('/empty')).result).toEqual({ content: [{ type: 'text', text: 'The upstream returned HTTP 204 with an empty body.' }] });
  });

  it('invalid JSON under a JSON content type is passed on as text', async () => {
    const { result, error } = await get('/notjson');
    expect(error).toBeUndefined();
    expect(result).toEqual({ content: [{ type: 'text', text: '{oops' }] });
  });
});

describe('output_schema', () => {
  it('a conforming result passes', async () => {
    const { result, error } = await get('/obj', { output_schema: OUTPUT });
    expect(error).toBeUndefined();
    expect(result.structuredContent).toEqual({ id: 'ct_1', name: 'Ana' });
  });

  it('a mismatch is UPSTREAM_OUTPUT_INVALID (502) with the validation errors', async () => {
    const { result, error } = await get('/obj-bad', { output_schema: OUTPUT });
    expect(error).toMatchObject({ code: 'UPSTREAM_OUTPUT_INVALID', status: 502, upstream_status: 200, errors: [{ path: '/id', message: 'must be string' }] });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
  });

  it('HTML, binary, an empty body, invalid JSON or a wrapped list cannot satisfy it: UPSTREAM_OUTPUT_INVALID', async () => {
    for (const path of ['/html', '/png', '/empty', '/notjson', '/array']) {
      expect((await get(path, { output_schema: OUTPUT })).error).toMatchObject({ code: 'UPSTREAM_OUTPUT_INVALID', status: 502 });
    }
  });
});

describe('failures', () => {
  it('non-2xx → UPSTREAM_HTTP_ERROR with upstream_status and at most 1 KiB of the body, control characters removed', async () => {
    const { result, error } = await get('/err404');
    expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', status: 502, message: 'Upstream tool call failed', upstream_status: 404, request_id: '00000000-0000-4000-8000-000000000001' });
    const detail = String(error?.detail);
    expect(detail.startsWith('not found é')).toBe(true);
    expect(Buffer.byteLength(detail)).toBeLessThanOrEqual(ERROR_DETAIL_BYTES);
    expect(detail).not.toMatch(/[\x00-\x1f\uFFFD]/);
    expect(result.content[0]!.text).toMatch(/^Upstream tool call failed: not found é.* \[UPSTREAM_HTTP_ERROR, status 502, upstream HTTP 404\]$/);
  });

  it('a JSON error body is shown as text; a binary one is described; an empty one has no detail but keeps Retry-After', async () => {
    expect((await get('/err-json')).error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 422, detail: '{"error":"stage is invalid"}' });
    expect((await get('/err-bin')).error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 500, detail: 'binary response of 10 bytes (application/octet-stream)' });
    const empty = (await get('/err-empty', { retry: { max_attempts: 1 } })).error;
    expect(empty).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 503, retry_after_seconds: 7 });
    expect(empty?.detail).toBeUndefined();
  });

  it('3xx → UPSTREAM_REDIRECT with the status and a cleaned Location', async () => {
    const { error } = await get('/moved');
    expect(error).toMatchObject({ code: 'UPSTREAM_REDIRECT', status: 502, upstream_status: 301 });
    expect(String(error?.detail)).toContain('to https://other.example/new X: y;');
  });

  it('too large → UPSTREAM_RESPONSE_TOO_LARGE', async () => {
    expect((await get('/obj', { max_response_bytes: 5 })).error).toMatchObject({ code: 'UPSTREAM_RESPONSE_TOO_LARGE', status: 502 });
  });
});

describe('createRedactor', () => {
  it('masks the secret and its JSON-escaped form; ignores secrets under 8 characters', () => {
    expect(createRedactor('s3cr3t"value')('a s3cr3t"value b s3cr3t\\"value')).toBe('a [REDACTED] b [REDACTED]');
    expect(createRedactor('short')('short')).toBe('short');
    expect(createRedactor(undefined)('x')).toBe('x');
  });
});

describe('the tool secret never reaches the model, whatever the upstream does with it (docs/outbound.md §6)', () => {
  const SECRET = 'sk_live_9f3a/2b+Qx7=é';
  const redact = createRedactor(SECRET);
  const map = (status: number, type: string, body: string) =>
    mapUpstreamResponse({ ok: true, status, headers: { 'content-type': type }, body: new Uint8Array(Buffer.from(body, 'utf8')) }, { requestId: 'r', timeoutMs: 1000, attempts: 1, redact, now: 0, maxResponseBytes: 1 << 20 });
  /** Every spelling of a secret prefix of 12+ characters that would still help an attacker. */
  const leaks = (result: unknown) => {
    const text = JSON.stringify(result);
    return [SECRET.slice(0, 12), JSON.stringify(SECRET.slice(0, 12)).slice(1, -1), 'sk_live_9f3a\\/', 'sk_live_9f3a\\\\/'].filter((f) => text.includes(f));
  };

  it.each([0, 1, 5, 11, 12, 20])('an error body whose 1 KiB cut falls inside the secret (%i characters in) leaks no part of it', (k) => {
    const body = `${'x'.repeat(ERROR_DETAIL_BYTES - k)}${SECRET} rest`;
    const result = map(400, 'text/plain', body);
    expect(leaks(result)).toEqual([]);
    expect(Buffer.byteLength(String(errorOf(result)?.detail))).toBeLessThanOrEqual(ERROR_DETAIL_BYTES);
  });

  it('a JSON success body with the secret escaped as `\\/` (PHP json_encode) shows [REDACTED], in text and structuredContent', () => {
    const body = `{"echo":"Bearer ${SECRET.replaceAll('/', '\\/')}"}`;
    expect(JSON.parse(body)).toEqual({ echo: `Bearer ${SECRET}` });
    const result = map(200, 'application/json', body);
    expect(leaks(result)).toEqual([]);
    expect(result.structuredContent).toEqual({ echo: 'Bearer [REDACTED]' });
    expect(JSON.parse(result.content[0]!.text!)).toEqual({ echo: 'Bearer [REDACTED]' });
  });

  it('a JSON success body with the secret as \\u escapes (Python ensure_ascii, Go HTML escaping) shows [REDACTED]', () => {
    const escaped = [...SECRET].map((c) => (/[a-z0-9_]/i.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('');
    const result = map(200, 'application/json', `{"headers":{"authorization":"Bearer ${escaped}"},"list":["${escaped}"],"${escaped}":1}`);
    expect(leaks(result)).toEqual([]);
    expect(result.structuredContent).toEqual({ headers: { authorization: 'Bearer [REDACTED]' }, list: ['[REDACTED]'], '[REDACTED]': 1 });
  });

  it('a JSON error body with the secret escaped shows [REDACTED] in the detail', () => {
    const result = map(401, 'application/json', `{"error":"bad token ${SECRET.replaceAll('/', '\\/')}"}`);
    expect(leaks(result)).toEqual([]);
    expect(errorOf(result)?.detail).toContain('[REDACTED]');
  });

  it('a member named "__proto__" in a body with escapes stays a plain member', () => {
    const result = map(200, 'application/json', `{"__proto__":{"polluted":"${SECRET.replaceAll('/', '\\/')}"}}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.structuredContent)).toBe(Object.prototype);
    expect(leaks(result)).toEqual([]);
  });
});
