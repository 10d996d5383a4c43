// Issue 8 defect 9: the HMAC signature must cover identity. A real runtime (member session from a signed assertion,
// the official MCP SDK client) calls upstreams through a loopback proxy that can rewrite one header in flight, the
// way a TLS-terminating hop could. The upstreams verify with the verifiers published in docs/outbound.md §4.5
// (Node.js) and §4.6 (Python, run with python3), taken from the page verbatim: with tng3 any rewritten, added,
// removed or repeated identity header fails verification and the upstream does nothing; a tool pinned to tng2
// still verifies, which is why tng2 is documented as weaker (§4.8).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { importDocNodeVerifier, startDocPythonUpstream, type NodeVerifier, type PythonUpstream } from './fixtures/doc-verifiers.js';
import { assertionKeyConfig, generateAssertionKey, generateRuntimeKeys, mintAssertion, type TestAssertionKey } from './fixtures/member-fixtures.js';
import { deploy, LOOPBACK_UPSTREAMS_IN_PRODUCTION } from './fixtures/runtime-harness.js';

type CallResult = Awaited<ReturnType<Client['callTool']>>;

const SECRET = 'whsec_e2e_identity_0123456789abcdef';
const MEMBER = { sub: 'mem_42', email: 'zoë@exämple.com', roles: ['sales', 'ventas-españa'] };

/** How the proxy changes the next requests: a header rewritten, removed (null), repeated ('twice') or added. */
interface Rewrite {
  name: string;
  to: string | null | 'twice';
}

/** A loopback proxy forwarding every request to `target` byte for byte, except for the current rewrite. */
interface RewritingProxy {
  origin: string;
  rewrite: Rewrite | undefined;
  close(): Promise<void>;
}

async function startProxy(target: () => string): Promise<RewritingProxy> {
  const proxy: RewritingProxy = { origin: '', rewrite: undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const pairs: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const r = proxy.rewrite;
      let out = pairs;
      if (r) {
        const present = pairs.some(([n]) => n.toLowerCase() === r.name.toLowerCase());
        if (r.to === null) out = pairs.filter(([n]) => n.toLowerCase() !== r.name.toLowerCase());
        else if (r.to === 'twice') out = [...pairs, [r.name, 'mem_intruder']];
        else if (present) out = pairs.map(([n, v]): [string, string] => [n, n.toLowerCase() === r.name.toLowerCase() ? r.to as string : v]);
        else out = [...pairs, [r.name, r.to]];
      }
      const url = new URL(target());
      const fwd = request({ host: url.hostname, port: url.port, method: req.method, path: req.url, headers: out.flat() }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return proxy;
}

/** What the Node upstream concluded about one request. */
interface Verdict {
  path: string;
  valid: boolean;
  memberId: string | undefined;
}

let verifyTengineSignature: NodeVerifier;
let upstream: Server;
let upstreamOrigin = '';
const verdicts: Verdict[] = [];
/** Member ids the upstream acted for: it acts only on a request whose signature verified. */
const actedFor: string[] = [];
let python: PythonUpstream;
let nodeProxy: RewritingProxy;
let pythonProxy: RewritingProxy;
let runtime: RunningRuntime;
let key: TestAssertionKey;
let apiKey: string;
let memberClient: Client;
let apiKeyClient: Client;

/** The customer API: verifies with the published Node.js verifier, then acts for the member header (and only then). */
function handle(req: IncomingMessage, body: Buffer, res: import('node:http').ServerResponse): void {
  const valid = verifyTengineSignature(req, body, SECRET, { legacy: (req.url ?? '').startsWith('/legacy/') });
  const memberId = req.headers['x-tengine-member-id'] as string | undefined;
  verdicts.push({ path: req.url ?? '', valid, memberId });
  if (valid && memberId !== undefined) actedFor.push(Buffer.from(memberId, 'latin1').toString('utf8'));
  const email = req.headers['x-tengine-member-email'];
  const out = JSON.stringify({ valid, member_id: memberId ?? null, member_email: typeof email === 'string' ? Buffer.from(email, 'latin1').toString('utf8') : null });
  res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' });
  res.end(out);
}

function tool(name: string, fields: Partial<Tool>): Tool {
  return {
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties: { deal_id: { type: 'string' }, note: { type: 'string' }, q: { type: 'string' } }, additionalProperties: false },
    base_url: nodeProxy.origin,
    http_method: 'POST',
    endpoint_path: '/deals/{deal_id}/close',
    auth_strategy: 'hmac_signature',
    auth_secret_env: 'CRM_HMAC_SECRET',
    ...fields,
  };
}

// Not de-duplicated (idempotency off): these tests repeat one call, unaltered and then rewritten, and each must reach the upstream.
const MEMBER_TOOL: Partial<Tool> = { body_template: { note: '{note}' }, require_member: true, inject_member_identity: { id: true, email: true, roles: true }, identity_token: true, idempotency: { enabled: false } };

beforeAll(async () => {
  verifyTengineSignature = await importDocNodeVerifier();
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  upstreamOrigin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  python = await startDocPythonUpstream(SECRET);
  nodeProxy = await startProxy(() => upstreamOrigin);
  pythonProxy = await startProxy(() => python.origin);
  key = generateAssertionKey('ES256', 'crm-backend');
  const config: TengineConfig = {
    version: 1,
    projects: [
      {
        id: 'crm',
        environment: 'production',
        assertion_keys: [assertionKeyConfig(key)],
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          tool('deal_close', MEMBER_TOOL),
          tool('deal_close_legacy', { ...MEMBER_TOOL, endpoint_path: '/legacy/deals/{deal_id}/close', signature_version: 'tng2' }),
          tool('contacts_search', { http_method: 'GET', endpoint_path: '/contacts', query_template: { q: '{q}' }, inject_member_identity: { id: true } }),
          tool('contacts_search_legacy', { http_method: 'GET', endpoint_path: '/legacy/contacts', query_template: { q: '{q}' }, inject_member_identity: { id: true }, signature_version: 'tng2' }),
          tool('deal_close_py', { ...MEMBER_TOOL, base_url: pythonProxy.origin }),
        ],
      },
    ],
  };
  const d = await deploy(config);
  apiKey = d.apiKeys['crm/backend']!;
  // A production project (signed assertions only) whose upstreams are on loopback: see LOOPBACK_UPSTREAMS_IN_PRODUCTION.
  runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: { CRM_HMAC_SECRET: SECRET }, runtimeKeys: (await generateRuntimeKeys()).text, upstream: LOOPBACK_UPSTREAMS_IN_PRODUCTION });
  const assertion = await mintAssertion(key, 'crm', { claims: MEMBER });
  const exchanged = await fetch(`${runtime.url}/api/v1/mcp/session-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ member_assertion: assertion }),
  });
  const session = (await exchanged.json()) as { token: string };
  memberClient = await connect(session.token);
  apiKeyClient = await connect(apiKey);
});

afterAll(async () => {
  await memberClient?.close().catch(() => undefined);
  await apiKeyClient?.close().catch(() => undefined);
  await runtime?.close();
  await nodeProxy?.close();
  await pythonProxy?.close();
  await python?.close();
  await new Promise<void>((r) => (upstream ? (upstream.closeAllConnections(), upstream.close(() => r())) : r()));
});

beforeEach(() => {
  nodeProxy.rewrite = undefined;
  pythonProxy.rewrite = undefined;
});

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'hmac-identity-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

function errorOf(result: CallResult): Record<string, unknown> | undefined {
  return (result._meta as Record<string, Record<string, unknown>> | undefined)?.['tengine.dev/error'];
}

/** Calls a tool and returns its result with the verdicts and actions it caused upstream. */
async function call(client: Client, name: string, args: Record<string, unknown>) {
  const [v, a] = [verdicts.length, actedFor.length];
  const result = await client.callTool({ name, arguments: args });
  return { result, verdicts: verdicts.slice(v), acted: actedFor.slice(a) };
}

describe('tng3 (default): identity headers rewritten in flight fail verification and the upstream does nothing (issue 8 defect 9)', () => {
  it('unaltered, the member call verifies with the published Node.js verifier and the upstream acts for the member', async () => {
    const { result, verdicts: seen, acted } = await call(memberClient, 'deal_close', { deal_id: 'dl_1', note: 'won' });
    expect(errorOf(result)).toBeUndefined();
    expect(result.structuredContent).toEqual({ valid: true, member_id: 'mem_42', member_email: MEMBER.email });
    expect(seen).toEqual([{ path: '/deals/dl_1/close', valid: true, memberId: 'mem_42' }]);
    expect(acted).toEqual(['mem_42']);
  });

  it.each<[string, Rewrite]>([
    ['X-Tengine-Member-Id rewritten', { name: 'X-Tengine-Member-Id', to: 'mem_admin' }],
    ['X-Tengine-Member-Email rewritten', { name: 'X-Tengine-Member-Email', to: 'ceo@example.com' }],
    ['X-Tengine-Member-Roles rewritten', { name: 'X-Tengine-Member-Roles', to: 'sales,admin' }],
    ['X-Tengine-Project-Id rewritten', { name: 'X-Tengine-Project-Id', to: 'billing' }],
    ['X-Tengine-Integration-Id rewritten', { name: 'X-Tengine-Integration-Id', to: 'admin-console' }],
    ['X-Tengine-Member-Id removed', { name: 'X-Tengine-Member-Id', to: null }],
    ['X-Tengine-Member-Id sent twice', { name: 'X-Tengine-Member-Id', to: 'twice' }],
    ['X-Tengine-Identity removed', { name: 'X-Tengine-Identity', to: null }],
    ['Content-Type rewritten', { name: 'Content-Type', to: 'application/x-www-form-urlencoded' }],
  ])('%s → UPSTREAM_HTTP_ERROR (upstream 401), nothing acted on', async (_name, rewrite) => {
    // The same call unaltered verifies, so only the rewrite can explain the refusal.
    expect((await call(memberClient, 'deal_close', { deal_id: 'dl_2', note: 'won' })).acted).toEqual(['mem_42']);
    nodeProxy.rewrite = rewrite;
    const { result, verdicts: seen, acted } = await call(memberClient, 'deal_close', { deal_id: 'dl_2', note: 'won' });
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', status: 502, upstream_status: 401 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.valid).toBe(false);
    expect(acted).toEqual([]);
  });

  it('an X-Tengine-Member-Id added to a call made without a member (API key) fails verification', async () => {
    expect(errorOf((await call(apiKeyClient, 'contacts_search', { q: 'ana' })).result)).toBeUndefined();
    nodeProxy.rewrite = { name: 'X-Tengine-Member-Id', to: 'mem_admin' };
    const { result, verdicts: seen, acted } = await call(apiKeyClient, 'contacts_search', { q: 'ana' });
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 401 });
    expect(seen).toEqual([{ path: '/contacts?q=ana', valid: false, memberId: 'mem_admin' }]);
    expect(acted).toEqual([]);
  });

  it('the Python verifier of §4.6, serving as a real upstream, accepts the call and refuses it rewritten or repeated', async () => {
    const ok = await call(memberClient, 'deal_close_py', { deal_id: 'dl_3', note: 'won' });
    expect(errorOf(ok.result)).toBeUndefined();
    expect(ok.result.structuredContent).toEqual({ valid: true, member_id: Buffer.from('mem_42').toString('latin1') });
    for (const rewrite of [{ name: 'X-Tengine-Member-Id', to: 'mem_admin' }, { name: 'X-Tengine-Member-Email', to: 'ceo@example.com' }, { name: 'X-Tengine-Member-Id', to: 'twice' as const }]) {
      pythonProxy.rewrite = rewrite;
      const bad = await call(memberClient, 'deal_close_py', { deal_id: 'dl_4', note: 'won' });
      expect(errorOf(bad.result), rewrite.name).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstream_status: 401 });
    }
  });
});

describe('tng2 (signature_version: tng2) signs no header: the same rewrites still verify (why docs/outbound.md §4.8 calls it weaker)', () => {
  it('a rewritten X-Tengine-Member-Id verifies and the upstream acts for the wrong member', async () => {
    nodeProxy.rewrite = { name: 'X-Tengine-Member-Id', to: 'mem_admin' };
    const { result, verdicts: seen, acted } = await call(memberClient, 'deal_close_legacy', { deal_id: 'dl_5', note: 'won' });
    expect(errorOf(result)).toBeUndefined();
    expect(seen).toEqual([{ path: '/legacy/deals/dl_5/close', valid: true, memberId: 'mem_admin' }]);
    expect(acted).toEqual(['mem_admin']);
  });

  it('a member header added to an API-key call verifies too', async () => {
    nodeProxy.rewrite = { name: 'X-Tengine-Member-Id', to: 'mem_admin' };
    const { result, acted } = await call(apiKeyClient, 'contacts_search_legacy', { q: 'ana' });
    expect(errorOf(result)).toBeUndefined();
    expect(acted).toEqual(['mem_admin']);
  });
});
