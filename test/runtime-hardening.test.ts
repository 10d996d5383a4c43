// Runtime edges found in review: boot messages that must not carry credentials, settings read from the environment,
// and the HTTP behaviour browser-based MCP clients depend on (CORS for the configured allowed_origins).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { RuntimeBootError, resolveRuntimeOptions, startRuntime } from '../runtime/start.js';
import { deploy, inProcessApp, startTestRuntime } from './fixtures/runtime-harness.js';
import type { Hono } from 'hono';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const CONFIG: TengineConfig = {
  version: 1,
  projects: [{ id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }] }],
};

describe('boot errors never print the Redis password (docs/storage.md: URLs without user, password or query)', () => {
  // Base64 passwords (managed Redis access keys) often hold "/" and "+", which people paste unencoded.
  it.each([
    ['a password with "/"', 'redis://:s3cr/etPa55+w0rd=@127.0.0.1:1'],
    ['a user and a password with "/"', 'rediss://tengine:s3cr/etPa55@127.0.0.1:1/0'],
    ['a plain password', 'redis://:s3cretPa55w0rd@127.0.0.1:1'],
  ])('%s', async (_what, redisUrl) => {
    const d = await deploy(CONFIG);
    const err = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, redisUrl }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RuntimeBootError);
    expect((err as RuntimeBootError).code).toBe('STORE_UNAVAILABLE');
    expect((err as RuntimeBootError).message).not.toMatch(/s3cr|Pa55|tengine:/);
  });
});

describe('TENGINE_REDIS_URL and REDIS_URL (docs/storage.md: TENGINE_REDIS_URL wins over REDIS_URL)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = (await tempDir()).dir;
    await writeFile(path.join(dir, 'b.json'), '{}');
    await writeFile(path.join(dir, 'k.pem'), 'x');
  });
  const resolve = (env: Record<string, string>) => resolveRuntimeOptions({ bundle: path.join(dir, 'b.json'), bundlePublicKey: [path.join(dir, 'k.pem')] }, env, () => undefined);

  it('an empty TENGINE_REDIS_URL does not hide REDIS_URL (the instance would silently fall back to memory)', async () => {
    expect((await resolve({ TENGINE_REDIS_URL: '', REDIS_URL: 'redis://10.0.0.5:6379' })).redisUrl).toBe('redis://10.0.0.5:6379');
    expect((await resolve({ TENGINE_REDIS_URL: '  ', REDIS_URL: 'redis://10.0.0.5:6379' })).redisUrl).toBe('redis://10.0.0.5:6379');
  });

  it('a set TENGINE_REDIS_URL wins; neither set means the memory store', async () => {
    expect((await resolve({ TENGINE_REDIS_URL: 'redis://a:1', REDIS_URL: 'redis://b:2' })).redisUrl).toBe('redis://a:1');
    expect((await resolve({})).redisUrl).toBeUndefined();
    expect((await resolve({ REDIS_URL: '' })).redisUrl).toBeUndefined();
  });
});

describe('browser MCP clients from runtime.allowed_origins (Fetch standard CORS; docs/http-api.md)', () => {
  const ALLOWED = 'https://app.example.com';
  const cfg: TengineConfig = { ...CONFIG, runtime: { allowed_origins: [ALLOWED] } };
  let app: Hono;
  let key: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const built = await inProcessApp(cfg);
    app = built.app;
    key = built.apiKeys['crm/backend']!;
    close = built.close;
  });
  afterAll(() => close?.());

  const preflight = (origin: string, path = '/mcp') =>
    app.request(path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-protocol-version' } });
  const post = (headers: Record<string, string>) =>
    app.request('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });

  it.each(['/mcp', '/mcp/'])('a preflight from an allowed origin to %s is answered 204 with the methods and headers MCP clients send', async (path) => {
    const res = await preflight(ALLOWED, path);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowHeaders = res.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['authorization', 'content-type', 'mcp-protocol-version', 'accept']) expect(allowHeaders).toContain(h);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('a preflight from another origin gets no CORS grant (403 ORIGIN_NOT_ALLOWED)', async () => {
    const res = await preflight('https://evil.example');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('responses to an allowed origin carry Access-Control-Allow-Origin; a 401 also exposes WWW-Authenticate', async () => {
    const ok = await post({ origin: ALLOWED, authorization: `Bearer ${key}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('vary')).toContain('Origin');
    const denied = await post({ origin: ALLOWED });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(denied.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('www-authenticate');
  });

  it('no CORS headers without an Origin, or for a refused one', async () => {
    expect((await post({ authorization: `Bearer ${key}` })).headers.get('access-control-allow-origin')).toBeNull();
    const evil = await post({ origin: 'https://evil.example', authorization: `Bearer ${key}` });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the 405 for GET (no server stream) is readable by an allowed origin, so SDK clients see 405 rather than a network error', async () => {
    const res = await app.request('/mcp', { method: 'GET', headers: { origin: ALLOWED, authorization: `Bearer ${key}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/jwks.json'])('public metadata %s is readable from any origin', async (path) => {
    expect((await app.request(path, { headers: { origin: 'https://anything.example' } })).headers.get('access-control-allow-origin')).toBe('*');
  });

  it('the native fast path and the Hono route agree (a real server)', async () => {
    const { runtime, apiKeys } = await startTestRuntime(cfg);
    try {
      const pre = await fetch(runtime.mcpUrl, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      const res = await fetch(runtime.mcpUrl, {
        method: 'POST',
        headers: { origin: ALLOWED, authorization: `Bearer ${apiKeys['crm/backend']}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    } finally {
      await runtime.close();
    }
  });
});
