// Issue 8, re-run finding F4: `auth_secret_env` could name any variable of the runtime's environment. A bundle whose
// tool read its bearer secret from TENGINE_ADMIN_TOKEN booted, and the runtime sent `Bearer <admin token>` to the
// tool's upstream. A runtime now refuses such a bundle (SECRET_ENV_FORBIDDEN, exit 26) before it reads the variable
// or listens; `tengine validate` reports the same as TNG228 (test/config-env-secrets.test.ts). The process-level
// refusal (one error line, exit 26) is in runtime-boot.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRuntime } from '../runtime/start.js';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { sparePort } from './fixtures/redis-server.js';
import { bootRefusal, deploy, inProcessApp, LOOPBACK_UPSTREAMS_IN_PRODUCTION, startTestRuntimeWith, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

let upstream: TestUpstream;
beforeEach(async () => {
  upstream = await startUpstream();
});
afterEach(async () => upstream.close());

/** A canary the runtime must never send anywhere. */
const CANARY = `canary-${'Xk7'.repeat(14)}`;

function tool(name: string, extra: Partial<Tool> = {}): Tool {
  return {
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    base_url: upstream.url,
    http_method: 'GET',
    endpoint_path: `/${name}/{id}`,
    ...extra,
  };
}

function cfg(tools: Tool[]): TengineConfig {
  return { version: 1, projects: [{ id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }], tools }] };
}

/** Calls a tool through MCP with the project's API key and returns the JSON-RPC response. */
async function callTool(url: string, apiKey: string, name: string): Promise<{ result?: { isError?: boolean } }> {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { id: '1' } } }),
  });
  return (await res.json()) as { result?: { isError?: boolean } };
}

describe('SECRET_ENV_FORBIDDEN: a tool secret read from a variable of the runtime or its host', () => {
  it.each(['TENGINE_ADMIN_TOKEN', 'TENGINE_REDIS_URL', 'REDIS_URL', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'KUBERNETES_SERVICE_HOST', 'NODE_AUTH_TOKEN'])(
    'auth_secret_env: %s is refused at boot (exit 26) naming the tool and variable; nothing listens and the upstream gets no request',
    async (name) => {
      const d = await deploy(cfg([tool('search'), tool('leaky', { auth_strategy: 'static_bearer', auth_secret_env: name })]));
      const port = await sparePort();
      const logs: Record<string, unknown>[] = [];
      const err = await bootRefusal(
        startRuntime({
          bundle: d.bundle,
          bundlePublicKeys: [d.publicPem],
          host: '127.0.0.1',
          port,
          env: { [name]: CANARY },
          ...(name === 'TENGINE_ADMIN_TOKEN' ? { adminToken: CANARY } : {}),
          upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION,
          log: (e) => logs.push(e),
        }),
      );
      expect(err.code).toBe('SECRET_ENV_FORBIDDEN');
      expect(err.exitCode).toBe(26);
      expect(err.message).toContain(`tool "leaky" of project "crm" (auth_secret_env: ${name})`);
      expect(err.message).not.toContain('"search"');
      expect(err.hint).toMatch(/variable of its own/);
      expect(`${err.message} ${err.hint} ${JSON.stringify(logs)}`).not.toContain(CANARY);
      expect(logs.map((e) => e.event)).not.toContain('listening');
      const attempt = await callTool(`http://127.0.0.1:${port}`, d.apiKeys['crm/backend']!, 'leaky').then(
        () => 'answered',
        (e: unknown) => String((e as { cause?: { code?: string } }).cause?.code),
      );
      expect(attempt).toBe('ECONNREFUSED');
      expect(upstream.requests).toEqual([]);
    },
  );

  it('whatever the auth_strategy: the name alone is refused, and every offending tool is named', async () => {
    const err = await bootRefusal(
      inProcessApp(cfg([tool('quiet', { auth_strategy: 'none', auth_secret_env: 'AWS_SESSION_TOKEN' }), tool('loud', { auth_strategy: 'hmac_signature', auth_secret_env: 'REDIS_URL' })]), {
        AWS_SESSION_TOKEN: CANARY,
        REDIS_URL: `redis://:${CANARY}@127.0.0.1:6379`,
      }),
    );
    expect(err.code).toBe('SECRET_ENV_FORBIDDEN');
    expect(err.message).toContain('tool "quiet" of project "crm" (auth_secret_env: AWS_SESSION_TOKEN)');
    expect(err.message).toContain('tool "loud" of project "crm" (auth_secret_env: REDIS_URL)');
    expect(err.message).not.toContain(CANARY);
  });

  it('a variable of its own (CRM_API_TOKEN) boots and is sent upstream as the bearer token: only reserved names are refused', async () => {
    const { runtime, apiKeys } = await startTestRuntimeWith(cfg([tool('search', { auth_strategy: 'static_bearer', auth_secret_env: 'CRM_API_TOKEN' })]), {
      env: { CRM_API_TOKEN: CANARY, TENGINE_ADMIN_TOKEN: 'not-this-one' },
      upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION,
    });
    try {
      const r = await callTool(runtime.url, apiKeys['crm/backend']!, 'search');
      expect(r.result?.isError).toBeFalsy();
      expect(upstream.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${CANARY}`]);
    } finally {
      await runtime.close();
    }
  });
});
