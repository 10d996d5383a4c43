// Issue 8 defect 5: a production runtime served `environment: development` projects, so their member_external_id
// exchange minted member sessions without any assertion. A runtime now refuses such a bundle (DEVELOPMENT_BUNDLE,
// exit 19) before anything listens, unless it was started to serve development projects (`tengine dev`,
// --allow-development). The process-level refusal (one error line, exit 19) is in runtime-boot.test.ts.
import { describe, expect, it } from 'vitest';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { sparePort } from './fixtures/redis-server.js';
import { bootRefusal, deploy, inProcessApp } from './fixtures/runtime-harness.js';

/** A production project and a development one in one bundle, as examples/multi-project has. */
const MIXED: TengineConfig = {
  version: 1,
  projects: [
    { id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }] },
    { id: 'sandbox', environment: 'development', integrations: [{ id: 'backend', kind: 'api_key' }] },
  ],
};


function exchange(url: string, apiKey: string, memberExternalId: string) {
  return fetch(`${url}/api/v1/mcp/session-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ member_external_id: memberExternalId }),
  });
}

describe('a production runtime and development projects', () => {
  it('refuses the bundle: DEVELOPMENT_BUNDLE, exit 19, naming only the development project; nothing listens, no session is minted', async () => {
    const d = await deploy(MIXED);
    const port = await sparePort();
    const logs: Record<string, unknown>[] = [];
    const err = await bootRefusal(startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port, env: {}, log: (e) => logs.push(e) }));
    expect(err.code).toBe('DEVELOPMENT_BUNDLE');
    expect(err.exitCode).toBe(19);
    expect(err.message).toContain('"sandbox"');
    expect(err.message).not.toContain('"crm"');
    expect(err.hint).toContain('--allow-development');
    expect(logs.map((e) => e.event)).not.toContain('listening');
    // The exchange that minted a session before the fix cannot even connect.
    const attempt = await exchange(`http://127.0.0.1:${port}`, d.apiKeys['sandbox/backend']!, 'mallory').then(
      (res) => `answered ${res.status}`,
      (e: unknown) => String((e as { cause?: { code?: string } }).cause?.code),
    );
    expect(attempt).toBe('ECONNREFUSED');
  });

  it('refuses it in the in-process app too (the composition tests use), so no test serves development projects unknowingly', async () => {
    const err = await bootRefusal(inProcessApp(MIXED));
    expect(err.code).toBe('DEVELOPMENT_BUNDLE');
  });

  it('serves a bundle of production projects without the flag, and logs no development warning', async () => {
    const d = await deploy({ version: 1, projects: [MIXED.projects![0]!] });
    const logs: Record<string, unknown>[] = [];
    const runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, log: (e) => logs.push(e) });
    try {
      expect(logs.map((e) => e.event)).not.toContain('development_projects');
      const res = await exchange(runtime.url, d.apiKeys['crm/backend']!, 'mallory');
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'EXTERNAL_ID_DISABLED' });
    } finally {
      await runtime.close();
    }
  });

  it('with allowDevelopment (tengine dev, --allow-development) boots, warns naming the project, and keeps member_external_id to it', async () => {
    const d = await deploy(MIXED);
    const logs: Record<string, unknown>[] = [];
    let runtime: RunningRuntime | undefined;
    try {
      runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, allowDevelopment: true, log: (e) => logs.push(e) });
      expect(logs.find((e) => e.event === 'development_projects')).toMatchObject({ level: 'warn', projects: ['sandbox'] });
      const dev = await exchange(runtime.url, d.apiKeys['sandbox/backend']!, 'dev-user');
      expect(dev.status).toBe(200);
      expect(await dev.json()).toMatchObject({ project_id: 'sandbox', member_id: 'dev-user' });
      const prod = await exchange(runtime.url, d.apiKeys['crm/backend']!, 'dev-user');
      expect(prod.status).toBe(403);
    } finally {
      await runtime?.close();
    }
  });
});
