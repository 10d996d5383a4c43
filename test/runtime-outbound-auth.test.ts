// Upstream authentication end to end (docs/outbound.md §2, §4): the running runtime, driven by the MCP SDK client,
// calls loopback upstreams that check the credential the way a customer's API would. The HMAC verifier below is
// written from the documented algorithm only (it imports nothing from runtime/), so a drift between the runtime
// and the documentation fails here.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptSecret, loadEncryptionKey } from '../cli/keys/encrypt-secret.js';
import { generateKeyFiles, KEY_FILE_NAMES } from '../cli/keys/generate-keys.js';
import type { RunningRuntime } from '../runtime/start.js';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { startTestRuntimeWith } from './fixtures/runtime-harness.js';

type CallResult = Awaited<ReturnType<Client['callTool']>>;

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const BEARER_ENV_SECRET = 'sk_env_bearer_0123456789abcdef';
const HMAC_ENV_SECRET = 'whsec_env_hmac_ünïcode_0123456789';
const BEARER_JWE_SECRET = 'sk_jwe_bearer_fedcba9876543210';
const HMAC_JWE_SECRET = 'whsec_jwe_hmac_abcdefghijklmnop';

/** What the upstream received, with the raw body bytes and the verdict it gave. */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  verdict: 'ok' | 'bad_bearer' | 'bad_signature' | 'unknown_route';
}

/** The headers tng3 signs, in the order docs/outbound.md §4.2 lists them. */
const SIGNED_HEADERS = ['x-tengine-project-id', 'x-tengine-integration-id', 'x-tengine-member-id', 'x-tengine-member-email', 'x-tengine-member-roles', 'x-tengine-identity', 'content-type'];

/**
 * Recomputes `X-Tengine-Signature` per docs/outbound.md §4.2 (tng3) and §4.8 (tng2, accepted only where
 * `legacy` says so, as a customer migrating would), from the request exactly as received.
 */
function verifySignature(req: IncomingMessage, body: Buffer, secret: string, legacy = false): boolean {
  const timestamp = req.headers['x-tengine-timestamp'];
  const requestId = req.headers['x-tengine-request-id'];
  const given = req.headers['x-tengine-signature'];
  if (typeof timestamp !== 'string' || typeof requestId !== 'string' || typeof given !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const version = given.startsWith('tng3=') ? 'tng3' : legacy && given.startsWith('tng2=') ? 'tng2' : undefined;
  if (!version) return false;
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const lines = [`${version} ${timestamp} ${requestId} ${(req.method ?? '').toUpperCase()} ${req.url} ${bodyHash}`];
  if (version === 'tng3') {
    for (const name of SIGNED_HEADERS) {
      const value = req.headers[name];
      if (Array.isArray(value)) return false;
      if (value !== undefined) lines.push(`${name}:${value}`);
    }
  }
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(lines.join('\n'), 'latin1')).digest('hex');
  const expected = Buffer.from(`${version}=${mac}`);
  const got = Buffer.from(given);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function bearerMatches(req: IncomingMessage, secret: string): boolean {
  const expected = Buffer.from(`Bearer ${secret}`);
  const got = Buffer.from(req.headers.authorization ?? '');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** An upstream that authenticates every request by its route: /bearer-env, /hmac-env, /hmac-legacy (tng2 accepted), /bearer-jwe, /hmac-jwe, /plain. */
async function startVerifyingUpstream(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '';
      const route = url.split('/')[1]?.split('?')[0] ?? '';
      const ok =
        route === 'bearer-env' || route === 'bearer-echo' ? bearerMatches(req, BEARER_ENV_SECRET)
        : route === 'bearer-jwe' ? bearerMatches(req, BEARER_JWE_SECRET)
        : route === 'hmac-env' ? verifySignature(req, body, HMAC_ENV_SECRET)
        : route === 'hmac-legacy' ? verifySignature(req, body, HMAC_ENV_SECRET, true)
        : route === 'hmac-jwe' ? verifySignature(req, body, HMAC_JWE_SECRET)
        : route === 'plain' ? true
        : undefined;
      const verdict: Received['verdict'] = ok === undefined ? 'unknown_route' : ok ? 'ok' : route.startsWith('bearer') ? 'bad_bearer' : 'bad_signature';
      received.push({ method: req.method ?? '', url, headers: req.headers, rawHeaders: req.rawHeaders, body, verdict });
      if (verdict !== 'ok') {
        res.writeHead(verdict === 'unknown_route' ? 404 : 401, { 'content-type': 'text/plain' });
        res.end(verdict);
        return;
      }
      if (route === 'bearer-echo') {
        // Echoes the credential HTML-escaped (every character as &#xNN;, as some encoders do) and percent-encoded.
        const auth = req.headers.authorization ?? '';
        const html = [...auth].map((c) => `&#x${c.charCodeAt(0).toString(16)};`).join('');
        const failing = url.includes('/fail');
        res.writeHead(failing ? 403 : 200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<p>Your credential: ${html}</p><a href="/retry?auth=${encodeURIComponent(auth).replaceAll('_', '%5F')}">retry</a>`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      // Echoes the Authorization header back, as a careless API might: the runtime must redact the tool's secret.
      res.end(JSON.stringify({ verified: true, route, url, echoed_authorization: req.headers.authorization ?? null, body_length: body.length }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

let upstream: Awaited<ReturnType<typeof startVerifyingUpstream>>;
let runtime: RunningRuntime;
let apiKey: string;
let client: Client;

function config(base: string, jwe: { bearer: string; hmac: string }): TengineConfig {
  const tool = (name: string, extra: Partial<Tool>): Tool => ({
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties: { id: { type: 'string' }, q: { type: 'string' }, note: { type: 'string' } }, required: ['id'] },
    base_url: base,
    http_method: 'GET',
    endpoint_path: '/plain/{id}',
    ...extra,
  });
  return {
    version: 1,
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          tool('bearer_env', { endpoint_path: '/bearer-env/{id}', auth_strategy: 'static_bearer', auth_secret_env: 'UPSTREAM_BEARER_TOKEN' }),
          tool('bearer_echo', { endpoint_path: '/bearer-echo/{id}', auth_strategy: 'static_bearer', auth_secret_env: 'UPSTREAM_BEARER_TOKEN' }),
          tool('hmac_env_post', {
            http_method: 'POST',
            endpoint_path: '/hmac-env/{id}',
            query_template: { q: '{q}', per_page: 50 },
            body_template: { note: '{note}', id: '{id}', tags: ['a', 'b'] },
            auth_strategy: 'hmac_signature',
            auth_secret_env: 'UPSTREAM_HMAC_SECRET',
          }),
          tool('hmac_env_get', { endpoint_path: '/hmac-env/{id}', query_template: { q: '{q}' }, auth_strategy: 'hmac_signature', auth_secret_env: 'UPSTREAM_HMAC_SECRET' }),
          tool('hmac_legacy_get', { endpoint_path: '/hmac-legacy/{id}', auth_strategy: 'hmac_signature', signature_version: 'tng2', auth_secret_env: 'UPSTREAM_HMAC_SECRET' }),
          tool('bearer_jwe', { endpoint_path: '/bearer-jwe/{id}', auth_strategy: 'static_bearer', encrypted_auth_secret: jwe.bearer }),
          tool('hmac_jwe', { http_method: 'PUT', endpoint_path: '/hmac-jwe/{id}', body_template: { id: '{id}' }, auth_strategy: 'hmac_signature', encrypted_auth_secret: jwe.hmac }),
          tool('plain', {}),
          tool('query_order', { query_template: { zeta: '{q}', alpha: '1', mid: 'm' } }),
        ],
      },
    ],
  };
}

beforeAll(async () => {
  upstream = await startVerifyingUpstream();
  const files = await generateKeyFiles();
  const privateKeys = files.find((f) => f.name === KEY_FILE_NAMES.runtimeKeys)!.contents;
  const encKey = await loadEncryptionKey(files.find((f) => f.name === KEY_FILE_NAMES.runtimePub)!.contents);
  const jwe = {
    bearer: await encryptSecret(new TextEncoder().encode(BEARER_JWE_SECRET), encKey),
    hmac: await encryptSecret(new TextEncoder().encode(HMAC_JWE_SECRET), encKey),
  };
  const started = await startTestRuntimeWith(config(upstream.url, jwe), {
    env: { UPSTREAM_BEARER_TOKEN: BEARER_ENV_SECRET, UPSTREAM_HMAC_SECRET: HMAC_ENV_SECRET },
    runtimeKeys: privateKeys,
    allowDevelopment: true, // loopback upstream
  });
  runtime = started.runtime;
  apiKey = started.apiKeys['alpha/backend']!;
  client = new Client({ name: 'tengine-auth-e2e', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }));
});

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await runtime?.close();
  await upstream?.close();
});

function textOf(result: CallResult): string {
  return (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('');
}

/** Calls a tool and returns the result with the single upstream request it caused. */
async function callOnce(name: string, args: Record<string, unknown>): Promise<{ result: CallResult; req: Received }> {
  const before = upstream.received.length;
  const result = await client.callTool({ name, arguments: args });
  const sent = upstream.received.slice(before);
  expect(sent, `${name} should reach the upstream exactly once`).toHaveLength(1);
  return { result, req: sent[0]! };
}

describe('static_bearer (docs/outbound.md §4.1)', () => {
  it('sends Authorization: Bearer <secret from auth_secret_env>, and the upstream accepts it', async () => {
    const { result, req } = await callOnce('bearer_env', { id: 'b1' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(req.verdict).toBe('ok');
    expect(req.headers.authorization).toBe(`Bearer ${BEARER_ENV_SECRET}`);
    expect(result.structuredContent).toMatchObject({ verified: true, route: 'bearer-env' });
  });

  it('an upstream echoing its Authorization header gets the secret replaced by [REDACTED] (§6)', async () => {
    const { result } = await callOnce('bearer_env', { id: 'echo' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ echoed_authorization: 'Bearer [REDACTED]' });
    expect(JSON.stringify(result)).not.toContain(BEARER_ENV_SECRET);
  });

  it('an upstream echoing the secret HTML-entity-escaped and percent-encoded gets [REDACTED], in a result and in an error detail (§6)', async () => {
    const ok = await callOnce('bearer_echo', { id: 'ok' });
    expect(ok.result.isError, textOf(ok.result)).toBeFalsy();
    expect(textOf(ok.result)).toBe('<p>Your credential: &#x42;&#x65;&#x61;&#x72;&#x65;&#x72;&#x20;[REDACTED]</p><a href="/retry?auth=Bearer%20[REDACTED]">retry</a>');
    const failed = await callOnce('bearer_echo', { id: 'fail' });
    expect(failed.result.isError).toBe(true);
    expect((failed.result._meta as Record<string, Record<string, unknown>>)['tengine.dev/error']).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 403 });
    for (const r of [ok.result, failed.result]) {
      expect(textOf(r)).toContain('[REDACTED]');
      // No fragment of the secret in either spelling: both encoders keep "456789" recognisable.
      expect(JSON.stringify(r)).not.toMatch(/&#x34;&#x35;&#x36;&#x37;|456789/);
    }
  });

  it('an encrypted_auth_secret (tengine secret encrypt → JWE) is decrypted with the runtime key set', async () => {
    const { result, req } = await callOnce('bearer_jwe', { id: 'j1' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(req.verdict).toBe('ok');
    expect(req.headers.authorization).toBe(`Bearer ${BEARER_JWE_SECRET}`);
    expect(JSON.stringify(result)).not.toContain(BEARER_JWE_SECRET);
  });
});

describe('hmac_signature (docs/outbound.md §4.2), verified independently by the upstream', () => {
  it('POST with a query and a UTF-8 body: the upstream recomputes tng3 over the request as received and accepts it', async () => {
    const { result, req } = await callOnce('hmac_env_post', { id: 'order 7/ü', q: 'a&b=c d/é?', note: 'héllo "world"' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(req.verdict).toBe('ok');
    expect(req.method).toBe('POST');
    // Percent-encoded as documented (§3): upper-case hex, space as %20, literal numbers as text. (The order of the
    // parameters is checked on its own below.)
    const [path, query] = req.url.split('?') as [string, string];
    expect(path).toBe('/hmac-env/order%207%2F%C3%BC');
    expect(query.split('&').sort()).toEqual(['per_page=50', 'q=a%26b%3Dc%20d%2F%C3%A9%3F']);
    expect(req.headers['x-tengine-signature']).toMatch(/^tng3=[0-9a-f]{64}$/);
    expect(req.headers['content-type']).toBe('application/json');
    expect(Number(req.headers['content-length'])).toBe(req.body.length);
    expect(JSON.parse(req.body.toString('utf8'))).toEqual({ note: 'héllo "world"', id: 'order 7/ü', tags: ['a', 'b'] });
    expect(result.structuredContent).toMatchObject({ verified: true, body_length: req.body.length });
    // No bearer header for an hmac tool.
    expect(req.headers.authorization).toBeUndefined();
  });

  it('GET without a body: the body hash is the SHA-256 of the empty string', async () => {
    const { result, req } = await callOnce('hmac_env_get', { id: 'g1', q: 'x' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(req.verdict).toBe('ok');
    expect(req.body.length).toBe(0);
    const canonical = `tng3 ${req.headers['x-tengine-timestamp']} ${req.headers['x-tengine-request-id']} GET ${req.url} ${EMPTY_SHA256}\nx-tengine-project-id:alpha\nx-tengine-integration-id:backend`;
    expect(req.headers['x-tengine-signature']).toBe(`tng3=${createHmac('sha256', HMAC_ENV_SECRET).update(canonical).digest('hex')}`);
  });

  it('a tool with signature_version: tng2 sends the legacy line, which a verifier accepts only where it opts in', async () => {
    const { result, req } = await callOnce('hmac_legacy_get', { id: 'l1' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(req.verdict).toBe('ok');
    const line = `tng2 ${req.headers['x-tengine-timestamp']} ${req.headers['x-tengine-request-id']} GET ${req.url} ${EMPTY_SHA256}`;
    expect(req.headers['x-tengine-signature']).toBe(`tng2=${createHmac('sha256', HMAC_ENV_SECRET).update(line).digest('hex')}`);
    const replayed = Object.assign(Object.create(null) as IncomingMessage, { headers: req.headers, method: req.method, url: req.url });
    expect(verifySignature(replayed, req.body, HMAC_ENV_SECRET)).toBe(false);
  });

  it('a signature with an encrypted secret (PUT with body) verifies too', async () => {
    const { result, req } = await callOnce('hmac_jwe', { id: 'p1' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(req.verdict).toBe('ok');
    expect(req.method).toBe('PUT');
  });

  it('the verifier is not a rubber stamp: a signature over another path fails it', async () => {
    const { req } = await callOnce('hmac_env_get', { id: 'g2', q: 'y' });
    const forged = { ...req, url: '/hmac-env/g3?q=y' };
    const fake = Object.assign(Object.create(null) as IncomingMessage, { headers: forged.headers, method: forged.method, url: forged.url });
    expect(verifySignature(fake, forged.body, HMAC_ENV_SECRET)).toBe(false);
    expect(verifySignature(Object.assign(fake, { url: req.url }), req.body, HMAC_ENV_SECRET)).toBe(true);
    expect(verifySignature(fake, req.body, 'another-secret')).toBe(false);
    const otherProject = Object.assign(Object.create(null) as IncomingMessage, { headers: { ...req.headers, 'x-tengine-project-id': 'beta' }, method: req.method, url: req.url });
    expect(verifySignature(otherProject, req.body, HMAC_ENV_SECRET)).toBe(false);
  });
});

describe('identity headers and the caller credential (docs/outbound.md §2)', () => {
  it('every upstream request carries project, integration, a UUID v4 request id and a current timestamp', async () => {
    await callOnce('plain', { id: 'p' });
    expect(upstream.received.length).toBeGreaterThanOrEqual(6);
    const ids = new Set<string>();
    for (const r of upstream.received) {
      expect(r.headers['x-tengine-project-id'], r.url).toBe('alpha');
      expect(r.headers['x-tengine-integration-id'], r.url).toBe('backend');
      const id = r.headers['x-tengine-request-id'] as string;
      expect(id, r.url).toMatch(UUID_V4);
      ids.add(id);
      const ts = r.headers['x-tengine-timestamp'] as string;
      expect(ts, r.url).toMatch(/^\d+$/);
      expect(Math.abs(Number(ts) - Date.now() / 1000), r.url).toBeLessThan(60);
      expect(r.headers['user-agent']).toBe('tengine/0.1');
      // No member session with an API key: member headers are absent, never empty.
      expect(r.headers['x-tengine-member-id']).toBeUndefined();
      expect(r.headers['x-tengine-member-email']).toBeUndefined();
      expect(r.headers['x-tengine-member-roles']).toBeUndefined();
      expect(r.headers.cookie).toBeUndefined();
      expect(Object.keys(r.headers).filter((h) => h.startsWith('x-forwarded-'))).toEqual([]);
    }
    // One id per execution (none of these calls was retried).
    expect(ids.size).toBe(upstream.received.length);
  });

  it('the model\'s bearer token (the tengine_ API key) never reaches any upstream, in any header, URL or body', () => {
    expect(apiKey).toMatch(/^tengine_/);
    expect(upstream.received.length).toBeGreaterThan(0);
    for (const r of upstream.received) {
      for (let i = 0; i < r.rawHeaders.length; i++) {
        expect(r.rawHeaders[i], `header ${r.rawHeaders[i - (i % 2)]} of ${r.url}`).not.toContain(apiKey);
        expect(r.rawHeaders[i]).not.toContain('tengine_');
      }
      expect(r.url).not.toContain(apiKey);
      expect(r.body.toString('latin1')).not.toContain(apiKey);
    }
  });
});

describe('query rendering order (docs/outbound.md §3 "Query")', () => {
  // docs/outbound.md §3: the bundle is canonical JSON, so query parameters go out sorted by name, and the
  // signature covers exactly that.
  it('sends query parameters sorted by name, as documented (canonical bundle)', async () => {
    const { result, req } = await callOnce('query_order', { id: 'o', q: 'z' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(req.url).toBe('/plain/o?alpha=1&mid=m&zeta=z');
  });
});
