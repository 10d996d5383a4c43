// Member sessions end to end on real sockets: a "customer backend" signs an assertion with its own freshly generated
// key (ES256, ES384, EdDSA, RS256), exchanges it over HTTP at <runtime>/api/v1/mcp/session-token, and the official
// MCP SDK client calls a member-only tool with the tng_mst_ token. The loopback upstream checks the identity headers
// and verifies X-Tengine-Identity against the runtime's JWKS fetched over HTTP, as a customer API would.
import type { IncomingMessage } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { ASSERTION_ALGS, assertionKeyConfig, generateAssertionKey, generateRuntimeKeys, mintAssertion, type AssertionAlg, type TestAssertionKey } from './fixtures/member-fixtures.js';
import { deploy, LOOPBACK_UPSTREAMS_IN_PRODUCTION, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

/** What the upstream concluded about one request (it answers this as its JSON body). */
interface UpstreamVerdict {
  ok: boolean;
  problems: string[];
  member: { id?: string; email?: string; roles?: string };
  identity?: JWTPayload;
}

const keys = {} as Record<AssertionAlg, TestAssertionKey>;
let upstream: TestUpstream;
let runtime: RunningRuntime;
let apiKey: string;
let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
const verdicts: UpstreamVerdict[] = [];
const clients: Client[] = [];

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** The customer API: trusts nothing it cannot verify against the runtime's published keys. */
async function checkRequest(req: IncomingMessage): Promise<UpstreamVerdict> {
  const problems: string[] = [];
  const member = { id: header(req, 'x-tengine-member-id'), email: header(req, 'x-tengine-member-email'), roles: header(req, 'x-tengine-member-roles') };
  const identity = header(req, 'x-tengine-identity');
  if (!member.id) problems.push('no X-Tengine-Member-Id');
  if (!identity) return { ok: false, problems: [...problems, 'no X-Tengine-Identity'], member };
  jwks ??= createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`));
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(identity, jwks, { typ: 'tng-id+jwt', audience: 'tengine:upstream:crm', issuer: runtime.url }));
  } catch (e) {
    return { ok: false, problems: [...problems, `identity token: ${(e as Error).message}`], member };
  }
  if (payload.sub !== member.id) problems.push(`sub ${String(payload.sub)} != member id ${String(member.id)}`);
  if (payload.jti !== header(req, 'x-tengine-request-id')) problems.push('jti != X-Tengine-Request-Id');
  if (payload.tool !== 'member_notes') problems.push(`tool ${String(payload.tool)}`);
  if (req.url !== `/members/${encodeURIComponent(member.id ?? '')}/notes`) problems.push(`path ${req.url}`);
  if (header(req, 'x-tengine-project-id') !== 'crm') problems.push('project header');
  return { ok: problems.length === 0, problems, member, identity: payload };
}

beforeAll(async () => {
  for (const alg of ASSERTION_ALGS) keys[alg] = generateAssertionKey(alg, `backend-${alg.toLowerCase()}`);
  upstream = await startUpstream((req, _body, res) => {
    void checkRequest(req).then((verdict) => {
      verdicts.push(verdict);
      res.writeHead(verdict.ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(verdict));
    });
  });
  const config: TengineConfig = {
    version: 1,
    projects: [
      {
        id: 'crm',
        environment: 'production',
        // Ed25519 is registered under its catalogue name here (an alias of EdDSA).
        assertion_keys: ASSERTION_ALGS.map((alg) => assertionKeyConfig(keys[alg], alg === 'EdDSA' ? 'Ed25519' : alg)),
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          {
            name: 'member_notes',
            description: 'Notes of the calling member',
            input_schema: { type: 'object', properties: {}, additionalProperties: false },
            base_url: upstream.url,
            http_method: 'GET',
            endpoint_path: '/members/{member_id}/notes',
            require_member: true,
            inject_member_identity: { id: true, email: true, roles: true },
            identity_token: true,
          },
        ],
      },
    ],
  };
  const d = await deploy(config);
  apiKey = d.apiKeys['crm/backend']!;
  // A production project (signed assertions only) whose upstream is on loopback: see LOOPBACK_UPSTREAMS_IN_PRODUCTION.
  runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, runtimeKeys: (await generateRuntimeKeys()).text, upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await runtime?.close();
  await upstream?.close();
});

/** The customer backend: mint an assertion and exchange it over HTTP. */
async function sessionToken(alg: AssertionAlg, sub: string): Promise<{ status: number; body: Record<string, any>; cacheControl: string | null }> {
  const assertion = await mintAssertion(keys[alg], 'crm', { claims: { sub, email: `${sub}@example.com`, roles: ['agent', alg.toLowerCase()] } });
  const res = await fetch(`${runtime.url}/api/v1/mcp/session-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ member_assertion: assertion }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any>, cacheControl: res.headers.get('cache-control') };
}

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'members-e2e', version: '1.0.0' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

describe('member session end to end (real sockets, MCP SDK client)', () => {
  it.each(ASSERTION_ALGS)('%s: assertion → session token → member-only tool with verified identity upstream', async (alg) => {
    const sub = `user-${alg.toLowerCase()}`;
    const exchanged = await sessionToken(alg, sub);
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    expect(exchanged.cacheControl).toBe('no-store');
    expect(exchanged.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, expires_in_minutes: 15, member_id: sub });
    const token = exchanged.body.token as string;
    expect(token).toMatch(/^tng_mst_/);

    const client = await connect(token);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('member_notes');

    const before = verdicts.length;
    const result = await client.callTool({ name: 'member_notes', arguments: {} });
    expect(verdicts.length).toBe(before + 1);
    const verdict = verdicts.at(-1)!;
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.member).toEqual({ id: sub, email: `${sub}@example.com`, roles: `agent,${alg.toLowerCase()}` });
    expect(verdict.identity).toMatchObject({ sub, member_id: sub, member_email: `${sub}@example.com`, member_roles: ['agent', alg.toLowerCase()], project_id: 'crm', integration_id: 'backend' });
    expect(result.isError, JSON.stringify(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ ok: true, member: { id: sub } });

    const whoami = await client.callTool({ name: 'mcp_whoami', arguments: {} });
    expect(whoami.structuredContent).toMatchObject({ auth: 'member', project_id: 'crm', member: { id: sub, email: `${sub}@example.com` } });
  });

  it('the same tool over the SDK with the project API key is refused with MEMBER_REQUIRED and never reaches the upstream', async () => {
    const client = await connect(apiKey);
    const before = upstream.requests.length;
    const result = await client.callTool({ name: 'member_notes', arguments: {} });
    expect(result.isError).toBe(true);
    expect((result._meta as Record<string, any>)['tengine.dev/error']).toMatchObject({ code: 'MEMBER_REQUIRED', status: 403, message: 'Member context required' });
    expect(upstream.requests.length).toBe(before);
  });

  it('the JWKS is served over HTTP with every published key usable for signatures', async () => {
    const res = await fetch(`${runtime.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys.length).toBeGreaterThan(0);
    for (const k of body.keys) {
      expect(k).toMatchObject({ use: 'sig', alg: 'ES256' });
      expect(k).not.toHaveProperty('d');
    }
  });
});
