import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { encryptSecret, loadEncryptionKey } from '../../cli/keys/encrypt-secret.js';
import { generateKeyFiles, KEY_FILE_NAMES } from '../../cli/keys/generate-keys.js';
import { REDACTED_PREFIX, redactConfig } from '../../schemas/redact-config.js';
import { inProcessApp, twoProjectConfig } from '../../test/fixtures/runtime-harness.js';

const ADMIN = 'adm_' + 'z'.repeat(40);
const PLAINTEXT = 'upstream-secret-value-123';

describe('GET /api/v1/admin/surface (for tengine plan --against runtime:)', () => {
  let app: Hono;
  let disabled: Hono;
  let jwe: string;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    // A real runtime key set and a really encrypted upstream secret: the bundle carries the JWE, the surface must not.
    const files = await generateKeyFiles();
    const runtimeKeys = files.find((f) => f.name === KEY_FILE_NAMES.runtimeKeys)!.contents;
    const publicKeys = files.find((f) => f.name === KEY_FILE_NAMES.runtimePub)!.contents;
    jwe = await encryptSecret(new TextEncoder().encode(PLAINTEXT), await loadEncryptionKey(publicKeys));
    const cfg = twoProjectConfig('http://127.0.0.1:9');
    Object.assign(cfg.projects![0]!.tools![0]!, { auth_strategy: 'static_bearer', encrypted_auth_secret: jwe });
    // twoProjectConfig's projects are development ones (loopback upstreams).
    const a = await inProcessApp(cfg, {}, { adminToken: ADMIN, runtimeKeys, allowDevelopment: true });
    const b = await inProcessApp(cfg, {}, { runtimeKeys, allowDevelopment: true });
    app = a.app;
    disabled = b.app;
    closers.push(a.close, b.close);
  });
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('is 404 when no admin token is configured, so it never exists by accident', async () => {
    expect((await disabled.request('/api/v1/admin/surface', { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(404);
  });

  it('is 401 without or with a wrong admin token (an API key is not an admin token)', async () => {
    expect((await app.request('/api/v1/admin/surface')).status).toBe(401);
    const wrong = await app.request('/api/v1/admin/surface', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe('unauthorized');
  });

  it('returns the bundle digest and the served config, with secrets only as fingerprints', async () => {
    const res = await app.request('/api/v1/admin/surface', { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    const body = JSON.parse(text) as { format_version: number; bundle_digest: string; config: { projects: { id: string; tools: { name: string; encrypted_auth_secret?: string }[] }[] } };
    expect(body.format_version).toBe(1);
    expect(body.bundle_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(body.config.projects.map((p) => p.id)).toEqual(['alpha', 'beta']);
    expect(text).not.toContain(PLAINTEXT);
    expect(text).not.toContain(jwe);
    const secret = body.config.projects[0]!.tools[0]!.encrypted_auth_secret!;
    expect(secret).toBe(redactConfig({ version: 1, projects: [{ id: 'x', tools: [{ encrypted_auth_secret: jwe } as never] }] }).projects![0]!.tools![0]!.encrypted_auth_secret);
    expect(secret.startsWith(REDACTED_PREFIX)).toBe(true);
  });
});
