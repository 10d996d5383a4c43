import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '../schemas/config-types.js';
import { createLogger } from '../runtime/observability/logger.js';
import { startTestRuntimeWith, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';
import { httpCall, type HttpAnswer } from './fixtures/http-call.js';
import type { RunningRuntime } from '../runtime/start.js';

// Canaries: none of these may appear in any log line, whatever the request did with them.
const UPSTREAM_SECRET = 'canary-upstream-bearer-7f3a9c1d5e';
const ARGUMENT_CANARY = 'canary-argument-value-55d0e1';
const WRONG_BEARER = 'tengine_canaryWrongKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const HOST = 'mcp.example.com';

let upstream: TestUpstream;
let runtime: RunningRuntime;
let apiKey: string;
const lines: string[] = [];
let logText = '';

const tool = (name: string, extra: Partial<Tool> = {}): Tool => ({
  name,
  description: `Tool ${name}`,
  input_schema: { type: 'object', properties: { q: { type: 'string' } } },
  base_url: upstream.url,
  http_method: 'POST',
  endpoint_path: `/${name}`,
  body_template: { q: '{q}' },
  ...extra,
});

beforeAll(async () => {
  upstream = await startUpstream((req, _body, res) => {
    res.writeHead(req.url === '/fails' ? 500 : 200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  const started = await startTestRuntimeWith(
    {
      version: 1,
      runtime: { public_url: `https://${HOST}` },
      projects: [
        {
          id: 'alpha',
          environment: 'development',
          integrations: [{ id: 'backend', kind: 'api_key' }],
          tools: [
            tool('echo', { auth_strategy: 'static_bearer', auth_secret_env: 'ECHO_BEARER' }),
            tool('fails'),
            // idempotency off: the second, identical call must reach the limit rather than replay the first.
            tool('limited', { usage_limits: [{ limit: 1, window: '1h' }], idempotency: { enabled: false } }),
            tool('for_members', { require_member: true }),
            tool('logged', {
              input_schema: { type: 'object', properties: { q: { type: 'string' }, card: { type: 'object' }, password: { type: 'string' }, items: { type: 'array' } } },
              log_arguments: { redact: ['/card/number'] },
            }),
          ],
        },
      ],
    },
    {
      allowDevelopment: true,
      env: { ECHO_BEARER: UPSTREAM_SECRET },
      // The production logger (pino, redaction) writing into the test: every line is checked below.
      log: createLogger('debug', (line) => {
        logText += line;
        lines.push(...line.split('\n').filter((l) => l !== ''));
      }),
    },
  );
  runtime = started.runtime;
  apiKey = started.apiKeys['alpha/backend']!;
});

afterAll(async () => {
  await runtime?.close();
  await upstream?.close();
});

let rpcId = 0;
const mcp = (body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<HttpAnswer> =>
  httpCall(`${runtime.listenUrl}/mcp`, {
    method,
    headers: { host: HOST, 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${apiKey}`, ...headers },
    ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
const call = (name: string, args: Record<string, unknown> = {}, headers: Record<string, string> = {}) => mcp({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: { name, arguments: args } }, headers);

const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const auditOf = (requestId: string) => parsed().filter((l) => l.audit === true && l.request_id === requestId);
const idOf = (res: HttpAnswer) => {
  const id = res.headers['x-tengine-request-id'];
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  return id as string;
};
const errorMeta = (res: HttpAnswer) => (JSON.parse(res.text).result._meta as Record<string, Record<string, unknown>>)['tengine.dev/error']!;

describe('issue 10 §3: one audit line per tool call, with the request id the upstream received', () => {
  it('a successful call: response header = upstream X-Tengine-Request-Id = audit request_id; fields without argument values', async () => {
    const before = upstream.requests.length;
    const res = await call('echo', { q: ARGUMENT_CANARY });
    expect(res.status).toBe(200);
    const id = idOf(res);
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.requests.at(-1)!.headers['x-tengine-request-id']).toBe(id);
    const audit = auditOf(id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ level: 'info', audit: true, event: 'tool_call', route: 'mcp', project: 'alpha', integration: 'backend', method: 'tools/call', tool: 'echo', code: 'OK', status: 200, upstream_status: 200 });
    expect(typeof audit[0]!.time).toBe('string');
    expect(audit[0]!.latency_ms).toBeGreaterThanOrEqual(0);
    expect(audit[0]!.upstream_ms).toBeGreaterThanOrEqual(0);
    expect(audit[0]!.bytes_in).toBe(Buffer.byteLength(JSON.stringify({ jsonrpc: '2.0', id: rpcId, method: 'tools/call', params: { name: 'echo', arguments: { q: ARGUMENT_CANARY } } })));
    expect(audit[0]!.bytes_out).toBe(Buffer.byteLength(res.text));
    expect(audit[0]).not.toHaveProperty('member');
  });

  it('an upstream failure: the tool error _meta carries the same request id, the audit line the upstream status', async () => {
    const res = await call('fails');
    const id = idOf(res);
    expect(errorMeta(res)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 500, request_id: id });
    expect(upstream.requests.at(-1)!.headers['x-tengine-request-id']).toBe(id);
    expect(auditOf(id)).toEqual([expect.objectContaining({ event: 'tool_call', tool: 'fails', code: 'UPSTREAM_HTTP_ERROR', upstream_status: 500, status: 200 })]);
  });

  it('refusals before the upstream (unknown tool, member required, usage limit) carry the request id in _meta and in one audit line', async () => {
    for (const [name, code] of [
      ['nope', 'TOOL_NOT_ENABLED'],
      ['for_members', 'MEMBER_REQUIRED'],
    ] as const) {
      const res = await call(name);
      const id = idOf(res);
      expect(errorMeta(res)).toMatchObject({ code, request_id: id });
      expect(auditOf(id)).toEqual([expect.objectContaining({ event: 'tool_call', tool: name, code })]);
    }
    expect((await call('limited')).status).toBe(200);
    const res = await call('limited');
    const id = idOf(res);
    expect(errorMeta(res)).toMatchObject({ code: 'USAGE_LIMIT_EXCEEDED', request_id: id });
    expect(auditOf(id)).toEqual([expect.objectContaining({ tool: 'limited', code: 'USAGE_LIMIT_EXCEEDED' })]);
  });

  it('other MCP methods get their audit line too (method, no tool)', async () => {
    const res = await mcp({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/list' });
    expect(auditOf(idOf(res))).toEqual([expect.objectContaining({ event: 'mcp_request', method: 'tools/list', code: 'OK', status: 200, project: 'alpha' })]);
  });
});

describe('issue 10 §3: one audit line per refused request, with its stable code', () => {
  const cases: [string, () => Promise<HttpAnswer>, number, string][] = [
    ['no credentials', () => mcp({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: '' }), 401, 'MISSING_TOKEN'],
    ['a wrong API key', () => mcp({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${WRONG_BEARER}` }), 401, 'INVALID_TOKEN'],
    ['GET (no server stream)', () => mcp(undefined, {}, 'GET'), 405, 'METHOD_NOT_ALLOWED'],
    ['a form body', () => mcp('a=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a foreign Host (DNS rebinding)', () => mcp({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { host: 'evil.example' }), 421, 'HOST_NOT_ALLOWED'],
    ['a foreign Origin', () => mcp({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { origin: 'https://evil.example' }), 403, 'ORIGIN_NOT_ALLOWED'],
    ['a body over the limit', () => mcp(JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) })), 413, 'REQUEST_TOO_LARGE'],
    ['a body that is not JSON', () => mcp('{not json'), 400, 'PARSE_ERROR'],
  ];
  for (const [what, send, status, code] of cases) {
    it(`${what} → ${status} ${code}`, async () => {
      const res = await send();
      expect(res.status).toBe(status);
      const id = idOf(res);
      expect(JSON.parse(res.text).error.data.code).toBe(code);
      expect(auditOf(id)).toEqual([expect.objectContaining({ audit: true, route: 'mcp', status, code })]);
    });
  }

  it('session-token exchanges: issued and refused, each one audit line with the response header id', async () => {
    const exchange = (body: unknown, key = apiKey) =>
      httpCall(`${runtime.listenUrl}/api/v1/mcp/session-token`, { method: 'POST', headers: { host: HOST, 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    const issued = await exchange({ member_external_id: 'member-1' });
    expect(issued.status).toBe(200);
    const token = JSON.parse(issued.text).token as string;
    expect(auditOf(idOf(issued))).toEqual([expect.objectContaining({ event: 'session_token_issued', route: 'session_token', project: 'alpha', integration: 'backend', member: 'member-1', code: 'OK', status: 200 })]);
    for (const [res, status, code] of [
      [await exchange({ member_external_id: 'member-1' }, WRONG_BEARER), 401, 'INVALID_API_KEY'],
      [await exchange({}), 400, 'MISSING_MEMBER'],
      [await exchange({ member_assertion: 'eyJhbGciOiJub25lIn0.e30.' }), 401, 'ALG_NOT_ALLOWED'],
    ] as const) {
      expect(res.status).toBe(status);
      expect(auditOf(idOf(res))).toEqual([expect.objectContaining({ event: 'session_token_refused', status, code })]);
    }
    // The member's own call: the audit line names the member; the session token appears nowhere.
    const res = await call('for_members', {}, { authorization: `Bearer ${token}` });
    expect(auditOf(idOf(res))).toEqual([expect.objectContaining({ tool: 'for_members', member: 'member-1', code: 'OK' })]);
    expect(logText).not.toContain(token);
    expect(logText).not.toContain(token.slice(8, 60));
  });
});

describe('issue 10 bad input: log injection cannot forge a line', () => {
  const FORGED = 'x\n{"level":"info","audit":true,"event":"tool_call","request_id":"forged","code":"OK"}\r\n\u001b[31mred\u001b[0m\u2028';

  it('a tool name and a method with newlines and ANSI escapes stay inside one JSON string', async () => {
    const res = await call(FORGED);
    const id = idOf(res);
    const audit = auditOf(id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.tool).toBe(FORGED);
    const res2 = await mcp({ jsonrpc: '2.0', id: 9, method: FORGED });
    expect(auditOf(idOf(res2))[0]!.method).toBe(FORGED.slice(0, 64));
    // No raw control byte reaches the sink: a terminal showing the logs cannot be driven by a client.
    // (U+2028 stays raw, as JSON allows: it ends no line for JSON-lines readers, which split on \n.)
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f]/;
    expect(lines.filter((l) => raw.test(l))).toEqual([]);
    expect(parsed().some((l) => l.request_id === 'forged')).toBe(false);
  });

  it('a member id with a newline and an ANSI escape is refused at the exchange (SUB_INVALID), and no line is forged', async () => {
    const res = await httpCall(`${runtime.listenUrl}/api/v1/mcp/session-token`, {
      method: 'POST',
      headers: { host: HOST, 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ member_external_id: FORGED }),
    });
    expect(res.status).toBe(400);
    expect(auditOf(idOf(res))).toEqual([expect.objectContaining({ event: 'session_token_refused', code: 'SUB_INVALID' })]);
    expect(parsed().some((l) => l.request_id === 'forged')).toBe(false);
    expect(lines.filter((l) => /[\u0000-\u0009\u000b-\u001f\u007f]/.test(l))).toEqual([]);
  });

  it('a header value with an escape byte over a raw socket: refused by the HTTP parser or answered, never a forged line', async () => {
    const port = new URL(runtime.listenUrl!).port;
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(port), '127.0.0.1', () => {
        s.write(`POST /mcp HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer \u001b[31m${WRONG_BEARER}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
      });
      let out = '';
      s.on('data', (d) => (out += d.toString('latin1')));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 (400|401) /);
    expect(logText).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});

describe('issue 10 §3: redaction and canaries, over every line of the suite', () => {
  it('every line is one JSON object; no API key, bearer, upstream secret or argument value appears', () => {
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    for (const canary of [apiKey, apiKey.slice(9, 40), WRONG_BEARER, UPSTREAM_SECRET, ARGUMENT_CANARY]) expect(logText).not.toContain(canary);
  });

  it('exactly one audit line per request id: no request is audited twice', () => {
    const ids = parsed().filter((l) => l.audit === true).map((l) => l.request_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(15);
  });

  it('a credential-bearing field logged by mistake is redacted', () => {
    const out: string[] = [];
    const log = createLogger('info', (l) => void out.push(l));
    log({ event: 'oops', authorization: 'Bearer tengine_x', token: 'tng_mst_x', client_secret: 'tng_cs_x', headers: { authorization: 'Bearer y', cookie: 'sid=z' }, form: { code: 'tng_ac_x', code_verifier: 'v' }, arguments: { q: 'secret' }, code: 'SOME_ERROR' });
    const line = JSON.parse(out.join(''));
    expect(line).toMatchObject({ authorization: '[REDACTED]', token: '[REDACTED]', client_secret: '[REDACTED]', headers: { authorization: '[REDACTED]', cookie: '[REDACTED]' }, form: { code: '[REDACTED]', code_verifier: '[REDACTED]' }, arguments: '[REDACTED]', code: 'SOME_ERROR' });
    expect(out.join('')).not.toMatch(/tengine_x|tng_mst_x|tng_cs_x|sid=z|tng_ac_x/);
  });

  it('levels: debug lines are dropped at info; level is a name, time is ISO 8601', () => {
    const out: string[] = [];
    const log = createLogger('info', (l) => void out.push(l));
    log({ level: 'debug', event: 'hidden' });
    log({ level: 'warn', event: 'shown' });
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ level: 'warn', event: 'shown', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
  });
});

describe('issue 10 §3: per-tool opt-in argument logging (log_arguments)', () => {
  it('the audit line of an opted-in tool carries the arguments, with redact pointers and secret-named keys masked', async () => {
    const res = await call('logged', { q: 'shoes', card: { number: '4111111111111111', brand: 'visa' }, password: 'hunter2-canary', items: [{ api_key: 'ak-canary' }, 'plain'] });
    const [audit] = auditOf(idOf(res));
    expect(audit).toMatchObject({
      event: 'tool_call',
      tool: 'logged',
      tool_arguments: { q: 'shoes', card: { number: '[REDACTED]', brand: 'visa' }, password: '[REDACTED]', items: [{ api_key: '[REDACTED]' }, 'plain'] },
    });
    expect(logText).not.toContain('4111111111111111');
    expect(logText).not.toContain('hunter2-canary');
    expect(logText).not.toContain('ak-canary');
  });

  it('arguments over 2 KiB are cut to their top-level keys; tools without log_arguments never log values', async () => {
    const big = await call('logged', { q: 'x'.repeat(5000), other: 1 });
    const [audit] = auditOf(idOf(big));
    expect(audit).toMatchObject({ tool_arguments: { _keys: ['q', 'other'] }, tool_arguments_truncated: true });
    const plain = await call('echo', { q: 'not-logged-canary' });
    const [line] = auditOf(idOf(plain));
    expect(line).not.toHaveProperty('tool_arguments');
    expect(logText).not.toContain('not-logged-canary');
  });
});

