// Issue 13: MCP 2026-07-28 beside 2025-03-26/06-18/11-25 on the same endpoint, chosen per request. Every rule is run
// twice: over a real socket (the native fast path of a started runtime) and in-process (the Hono route), which share
// the handler. Raw HTTP throughout: the SDK of this generation (1.32) cannot speak 2026-07-28.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintCredential } from '../cli/keys/mint-credential.js';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { generatePemKeyPair } from './fixtures/bundle-fixtures.js';
import { httpCall } from './fixtures/http-call.js';
import { deploy, inProcessApp, loopbackTool, startTestRuntime, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

const V = '2026-07-28';
const PV = 'io.modelcontextprotocol/protocolVersion';
const CC = 'io.modelcontextprotocol/clientCapabilities';
const META = { [PV]: V, 'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' }, [CC]: {} };
const LEGACY = ['2025-11-25', '2025-06-18', '2025-03-26'];

let upstream: TestUpstream;
let runtime: RunningRuntime;
let socketKey: string;
let app: Hono;
let appKey: string;
let closeApp: () => Promise<void>;

function config(upstreamUrl: string): TengineConfig {
  return {
    version: 1,
    runtime: { page_size: 100 },
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          loopbackTool(upstreamUrl, 'a_one'),
          loopbackTool(upstreamUrl, 'a_old', { deprecated: { since: '2026-01-01', sunset: '2026-09-30', message: 'Use a_one instead.' } }),
          loopbackTool(upstreamUrl, 'a.two'),
          loopbackTool(upstreamUrl, 'a_region', {
            input_schema: { type: 'object', properties: { id: { type: 'string' }, region: { type: 'string', 'x-mcp-header': 'Region' }, opts: { type: 'object', properties: { n: { type: 'integer', 'x-mcp-header': 'N' } } } }, required: ['id'] },
          }),
        ],
      },
    ],
  };
}

beforeAll(async () => {
  upstream = await startUpstream();
  const started = await startTestRuntime(config(upstream.url), {}, { allowDevelopment: true });
  runtime = started.runtime;
  socketKey = started.apiKeys['alpha/backend']!;
  const built = await inProcessApp(config(upstream.url), {}, { allowDevelopment: true });
  app = built.app;
  appKey = built.apiKeys['alpha/backend']!;
  closeApp = built.close;
});
afterAll(async () => {
  await runtime?.close();
  await closeApp?.();
  await upstream?.close();
});

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
  contentType: string | undefined;
}

type Send = (body: unknown, headers: Record<string, string>) => Promise<Answer>;

const overSocket: Send = async (body, headers) => {
  const res = await httpCall(`${runtime.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${socketKey}`, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const ct = res.headers['content-type'] as string | undefined;
  return { status: res.status, text: res.text, contentType: ct, json: ct?.includes('json') && res.text ? JSON.parse(res.text) : undefined };
};

const inProcess: Send = async (body, headers) => {
  const res = await app.request('/mcp', { method: 'POST', headers: { authorization: `Bearer ${appKey}`, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  const ct = res.headers.get('content-type') ?? undefined;
  return { status: res.status, text, contentType: ct, json: ct?.includes('json') && text ? JSON.parse(text) : undefined };
};

/** The headers a conforming 2026-07-28 client sends for `method` (and `name`, for tools/call). */
function modern(method: string, name?: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': V, 'mcp-method': method, ...(name !== undefined ? { 'mcp-name': name } : {}), ...extra };
}

const req = (id: number | string, method: string, params: Record<string, unknown> = { _meta: META }) => ({ jsonrpc: '2.0', id, method, params });
const call = (id: number, name: string, args: unknown = { id: '7' }) => req(id, 'tools/call', { name, arguments: args, _meta: META });

describe.each([
  ['real socket (native fast path)', () => overSocket],
  ['in-process (Hono route)', () => inProcess],
])('MCP 2026-07-28 over %s', (_label, sendOf) => {
  const send: Send = (body, headers) => sendOf()(body, headers);

  it('server/discover without initialize: versions (modern and legacy), capabilities, resultType, cache hints, identity in _meta', async () => {
    const { status, json } = await send(req(1, 'server/discover'), modern('server/discover'));
    expect(status).toBe(200);
    expect(json.id).toBe(1);
    const r = json.result;
    expect(r.resultType).toBe('complete');
    expect(r.supportedVersions[0]).toBe(V);
    expect(r.supportedVersions).toEqual(expect.arrayContaining([V, ...LEGACY]));
    expect(r.capabilities).toEqual({ tools: { listChanged: false } });
    expect(typeof r.instructions).toBe('string');
    expect(r.ttlMs).toBe(60_000);
    expect(r.cacheScope).toBe('public');
    expect(r._meta['io.modelcontextprotocol/serverInfo']).toEqual({ name: 'tengine', title: 'Tengine', version: expect.any(String) });
    expect(r._meta['tengine.dev/bundle']).toMatch(/^[0-9a-f]{64}$|^sha256:/);
  });

  it('tools/list without initialize: the tools, resultType "complete", ttlMs and cacheScope "private", the bundle digest in _meta', async () => {
    const { status, json } = await send(req(2, 'tools/list'), modern('tools/list'));
    expect(status).toBe(200);
    const r = json.result;
    expect(r.tools.map((t: { name: string }) => t.name)).toEqual(['mcp_whoami', 'a_one', 'a_old', 'a.two', 'a_region']);
    expect(r.resultType).toBe('complete');
    expect(Number.isInteger(r.ttlMs) && r.ttlMs >= 0).toBe(true);
    expect(r.cacheScope).toBe('private');
    const discover = (await send(req(3, 'server/discover'), modern('server/discover'))).json.result;
    expect(r._meta['tengine.dev/bundle']).toBe(discover._meta['tengine.dev/bundle']);
  });

  it('tools/call without initialize reaches the upstream; the result has resultType "complete" and the server identity', async () => {
    const before = upstream.requests.length;
    const { status, json } = await send(call(4, 'a_one'), modern('tools/call', 'a_one'));
    expect(status).toBe(200);
    expect(json.result.isError).toBeUndefined();
    expect(json.result.resultType).toBe('complete');
    expect(json.result._meta['io.modelcontextprotocol/serverInfo'].name).toBe('tengine');
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.requests.at(-1)!.url).toBe('/a_one/7');
  });

  it('a tool error stays a result (isError) and keeps its tengine.dev/error beside the identity', async () => {
    const { status, json } = await send(call(5, 'no_such_tool'), modern('tools/call', 'no_such_tool'));
    expect(status).toBe(200);
    expect(json.result.isError).toBe(true);
    expect(json.result.resultType).toBe('complete');
    expect(json.result._meta['tengine.dev/error'].code).toBe('TOOL_NOT_ENABLED');
    expect(json.result._meta['io.modelcontextprotocol/serverInfo']).toBeDefined();
  });

  it('a deprecated tool tells the model its sunset: the description starts with it, _meta carries the dates', async () => {
    const { json } = await send(req(6, 'tools/list'), modern('tools/list'));
    const old = json.result.tools.find((t: { name: string }) => t.name === 'a_old');
    expect(old.description).toBe('Deprecated since 2026-01-01: this tool will be removed on or after 2026-09-30. Use a_one instead.\n\nTool a_old');
    expect(old._meta).toEqual({ 'tengine.dev/deprecated': { since: '2026-01-01', sunset: '2026-09-30', message: 'Use a_one instead.' } });
    const plain = json.result.tools.find((t: { name: string }) => t.name === 'a_one');
    expect(plain.description).toBe('Tool a_one');
    expect(plain._meta).toBeUndefined();
  });

  describe('Mcp-Method and Mcp-Name (Streamable HTTP §Server Validation: 400 and -32020 HeaderMismatch, with the request id)', () => {
    it.each([
      ['missing Mcp-Method', req(10, 'tools/list'), { 'mcp-method': undefined }],
      ['Mcp-Method naming another method', req(11, 'tools/list'), { 'mcp-method': 'prompts/list' }],
      ['Mcp-Method in another case (values are case-sensitive)', req(12, 'tools/list'), { 'mcp-method': 'TOOLS/LIST' }],
      ['tools/call without Mcp-Name', call(13, 'a_one'), { 'mcp-method': 'tools/call' }],
      ['tools/call with Mcp-Name naming another tool', call(14, 'a_one'), { 'mcp-method': 'tools/call', 'mcp-name': 'wrong_tool_name' }],
      ['tools/call with Mcp-Name in invalid Base64', call(15, 'a_one'), { 'mcp-method': 'tools/call', 'mcp-name': '=?base64?YV9vbmU?=' }],
      ['tools/call with Mcp-Name Base64 of another name', call(16, 'a_one'), { 'mcp-method': 'tools/call', 'mcp-name': `=?base64?${Buffer.from('a_two').toString('base64')}?=` }],
    ])('%s', async (_name, body, override) => {
      const headers: Record<string, string> = { ...modern('tools/list') };
      for (const [k, v] of Object.entries(override)) {
        if (v === undefined) delete headers[k];
        else headers[k] = v;
      }
      const before = upstream.requests.length;
      const { status, json } = await send(body, headers);
      expect(status).toBe(400);
      expect(json.id).toBe(body.id);
      expect(json.error.code).toBe(-32020);
      expect(json.error.data.code).toBe('HEADER_MISMATCH');
      expect(upstream.requests.length).toBe(before);
    });

    it('accepted: Mcp-Name padded with whitespace (RFC 9110 §5.5 OWS), and a name in the Base64 sentinel', async () => {
      expect((await send(call(20, 'a_one'), modern('tools/call', '  a_one  '))).json.result.isError).toBeUndefined();
      const encoded = `=?base64?${Buffer.from('a.two', 'utf8').toString('base64')}?=`;
      const { status, json } = await send(call(21, 'a.two'), modern('tools/call', encoded));
      expect(status).toBe(200);
      expect(json.result.isError).toBeUndefined();
    });

    it('x-mcp-header parameters (§Custom Headers): a value in the body needs its Mcp-Param header, decoded equal; absent values need none', async () => {
      const go = (id: number, args: unknown, extra: Record<string, string>) => send(call(id, 'a_region', args), modern('tools/call', 'a_region', extra));
      const served = async (p: Promise<Answer>) => {
        const a = await p;
        expect(a.status).toBe(200);
        expect(a.json.result.isError).toBeUndefined();
      };
      const refused = async (p: Promise<Answer>) => {
        const a = await p;
        expect(a.status).toBe(400);
        expect(a.json.error.code).toBe(-32020);
      };
      await served(go(80, { id: '1' }, {}));
      await served(go(81, { id: '1', region: 'us-west1' }, { 'Mcp-Param-Region': 'us-west1' }));
      await served(go(82, { id: '1', region: 'Hello, 世界' }, { 'mcp-param-region': `=?base64?${Buffer.from('Hello, 世界').toString('base64')}?=` }));
      await served(go(83, { id: '1', opts: { n: 42 } }, { 'Mcp-Param-N': '42.0' }));
      // null needs no header: the call gets past the header check (and the schema then refuses the null).
      const nullRegion = await go(84, { id: '1', region: null }, {});
      expect(nullRegion.status).toBe(200);
      expect(nullRegion.json.result._meta['tengine.dev/error'].code).toBe('INVALID_ARGUMENTS');
      await refused(go(85, { id: '1', region: 'us-west1' }, {}));
      await refused(go(86, { id: '1', region: 'us-west1' }, { 'Mcp-Param-Region': 'eu-west1' }));
      await refused(go(87, { id: '1', region: 'Hello' }, { 'Mcp-Param-Region': '=?base64?SGVsbG8?=' }));
      await refused(go(88, { id: '1', opts: { n: 42 } }, { 'Mcp-Param-N': '43' }));
    });

    it('a notification (no id) is accepted with 202 and no body: this revision sets no header rules for them', async () => {
      const { status, text } = await send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }, { 'content-type': 'application/json', accept: 'application/json', 'mcp-protocol-version': V });
      expect(status).toBe(202);
      expect(text).toBe('');
    });
  });

  describe('per-request _meta (basic/index §_meta: -32602 and HTTP 400)', () => {
    it.each([
      ['no _meta', {}],
      ['_meta without the protocol version', { _meta: { [CC]: {} } }],
      ['_meta without the client capabilities', { _meta: { [PV]: V } }],
      ['client capabilities that are not an object', { _meta: { [PV]: V, [CC]: [] } }],
    ])('%s → 400, -32602, INVALID_REQUEST_META', async (_name, params) => {
      const { status, json } = await send(req(30, 'server/discover', params), modern('server/discover'));
      expect(status).toBe(400);
      expect(json.id).toBe(30);
      expect(json.error.code).toBe(-32602);
      expect(json.error.data.code).toBe('INVALID_REQUEST_META');
    });

    it('clientInfo is optional (a SHOULD): a request without it is served', async () => {
      const { status, json } = await send(req(31, 'server/discover', { _meta: { [PV]: V, [CC]: {} } }), modern('server/discover'));
      expect(status).toBe(200);
      expect(json.result.supportedVersions).toContain(V);
    });
  });

  describe('versions', () => {
    it('header 2026-07-28 but _meta naming another version → 400, -32020 (the mismatch, not the unsupported version)', async () => {
      const { status, json } = await send(req(40, 'server/discover', { _meta: { ...META, [PV]: 'v999.0.0' } }), modern('server/discover'));
      expect(status).toBe(400);
      expect(json.id).toBe(40);
      expect(json.error.code).toBe(-32020);
    });

    it('an unknown version in header and _meta → 400, -32022 with the supported list (what server/discover says) and the requested one', async () => {
      const { status, json } = await send(req(41, 'server/discover', { _meta: { ...META, [PV]: 'v999.0.0' } }), modern('server/discover', undefined, { 'mcp-protocol-version': 'v999.0.0' }));
      expect(status).toBe(400);
      expect(json.id).toBe(41);
      expect(json.error.code).toBe(-32022);
      expect(json.error.data.code).toBe('UNSUPPORTED_PROTOCOL_VERSION');
      expect(json.error.data.requested).toBe('v999.0.0');
      const discover = (await send(req(42, 'server/discover'), modern('server/discover'))).json.result;
      expect(json.error.data.supported).toEqual(discover.supportedVersions);
    });

    it('an unknown version from a legacy-shaped request (no _meta) gets the same -32022 answer', async () => {
      const { status, json } = await send({ jsonrpc: '2.0', id: 43, method: 'ping' }, { 'content-type': 'application/json', accept: 'application/json', 'mcp-protocol-version': '2020-01-01' });
      expect(status).toBe(400);
      expect(json.id).toBe(43);
      expect(json.error.code).toBe(-32022);
      expect(json.error.data.supported).toEqual(expect.arrayContaining([V, ...LEGACY]));
    });

    it('DRAFT-2026-v1 (the release candidate marker the conformance prerelease and SDK 2.x prereleases send) is served as 2026-07-28', async () => {
      const meta = { ...META, [PV]: 'DRAFT-2026-v1' };
      const { status, json } = await send(req(44, 'tools/list', { _meta: meta }), modern('tools/list', undefined, { 'mcp-protocol-version': 'DRAFT-2026-v1' }));
      expect(status).toBe(200);
      expect(json.result.resultType).toBe('complete');
    });
  });

  describe('methods', () => {
    it.each(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'prompts/list', 'unknown/method'])('%s at 2026-07-28 → HTTP 404 and -32601 with the id', async (method) => {
      const { status, json } = await send(req(50, method), modern(method));
      expect(status).toBe(404);
      expect(json.id).toBe(50);
      expect(json.error.code).toBe(-32601);
      expect(json.error.data.code).toBe('METHOD_NOT_FOUND');
    });

    it('the legacy revisions keep their behaviour: an unknown method is 200 with -32601; ping answers; no resultType', async () => {
      for (const version of [undefined, ...LEGACY]) {
        const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(version ? { 'mcp-protocol-version': version } : {}) };
        const unknown = await send({ jsonrpc: '2.0', id: 51, method: 'unknown/method' }, headers);
        expect(unknown.status, String(version)).toBe(200);
        expect(unknown.json.error.code).toBe(-32601);
        expect((await send({ jsonrpc: '2.0', id: 52, method: 'ping' }, headers)).json.result).toEqual({});
        const list = (await send({ jsonrpc: '2.0', id: 53, method: 'tools/list' }, headers)).json.result;
        expect(list.resultType).toBeUndefined();
        expect(list.ttlMs).toBe(60_000); // cache hints on every version: older clients ignore them
        const called = (await send({ jsonrpc: '2.0', id: 54, method: 'tools/call', params: { name: 'a_one', arguments: { id: '1' } } }, headers)).json.result;
        expect(called.resultType).toBeUndefined();
      }
    });

    it('a legacy initialize asking for 2026-07-28 gets 2025-11-25: that revision has no initialize (versioning §Backward Compatibility)', async () => {
      const { json } = await send({ jsonrpc: '2.0', id: 55, method: 'initialize', params: { protocolVersion: V, capabilities: {}, clientInfo: { name: 't', version: '1' } } }, { 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
      expect(json.result.protocolVersion).toBe('2025-11-25');
    });

    it('an SSE-only client gets the modern result as one SSE message', async () => {
      const { status, text, contentType } = await send(req(56, 'server/discover'), modern('server/discover', undefined, { accept: 'text/event-stream' }));
      expect(status).toBe(200);
      expect(contentType).toContain('text/event-stream');
      expect(JSON.parse(text.replace(/^event: message\ndata: /, '').trim()).result.resultType).toBe('complete');
    });
  });
});

describe('header names are case-insensitive on the wire (real socket, names sent as written)', () => {
  it.each(['mcp-method', 'MCP-METHOD', 'Mcp-Method'])('%s', async (name) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json', 'MCP-Protocol-Version': V, [name]: 'tools/list' };
    const { status, json } = await overSocket(req(60, 'tools/list'), headers);
    expect(status).toBe(200);
    expect(json.result.tools.length).toBeGreaterThan(0);
  });
});

describe('cache hints follow the bundle: a reload changes the digest that tools/list and server/discover carry', () => {
  const KEY = generatePemKeyPair('ed25519');
  const API = mintCredential('api_key');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tengine-mcp2026-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cfg = (extra: string): TengineConfig => ({
    version: 1,
    projects: [{ id: 'alpha', environment: 'development', integrations: [{ id: 'backend', kind: 'api_key', api_keys: [{ sha256: API.sha256 }] }], tools: [loopbackTool(upstream.url, 'a_one'), loopbackTool(upstream.url, extra)] }],
  });

  it('tools/list before and after a reload: new digest, new list, same ttlMs', async () => {
    const file = path.join(dir, 'bundle.json');
    const first = (await deploy(cfg('v_one'), { signingKey: KEY, createdAt: '2026-01-01T00:01:00Z' })).bundle;
    await writeFile(file, first);
    const rt = await startRuntime({ bundle: first, bundlePath: file, bundlePublicKeys: [KEY.publicPem], host: '127.0.0.1', port: 0, env: {}, allowDevelopment: true, drain: { delayMs: 0, timeoutMs: 5_000 } });
    try {
      const list = async () => {
        const res = await httpCall(`${rt.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${API.secret}`, ...modern('tools/list') }, body: JSON.stringify(req(1, 'tools/list')) });
        return JSON.parse(res.text).result;
      };
      const before = await list();
      expect(before._meta['tengine.dev/bundle']).toBe(rt.bundleDigest);
      const next = (await deploy(cfg('v_two'), { signingKey: KEY, createdAt: '2026-01-01T00:02:00Z' })).bundle;
      const tmp = `${file}.tmp`;
      await writeFile(tmp, next);
      await rename(tmp, file);
      expect((await rt.reload()).result).toBe('ok');
      const after = await list();
      expect(after._meta['tengine.dev/bundle']).toBe(rt.bundleDigest);
      expect(after._meta['tengine.dev/bundle']).not.toBe(before._meta['tengine.dev/bundle']);
      expect(after.tools.map((t: { name: string }) => t.name)).toContain('v_two');
      expect(after.ttlMs).toBe(before.ttlMs);
    } finally {
      await rt.close();
    }
  });
});

describe('Host check (DNS rebinding) on a runtime listening on 127.0.0.1 without a public URL', () => {
  const port = () => new URL(runtime.url).port;

  it.each(['127.0.0.1', 'localhost', '[::1]', 'LOCALHOST'])('Host %s:<port> is the same loopback origin: served', async (host) => {
    const res = await httpCall(`${runtime.url}/mcp`, { method: 'POST', headers: { host: `${host}:${port()}`, authorization: `Bearer ${socketKey}`, ...modern('server/discover') }, body: JSON.stringify(req(70, 'server/discover')) });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).result.supportedVersions).toContain(V);
  });

  it.each(['evil.example', `evil.example:PORT`, '10.0.0.7'])('Host %s is refused with 421 HOST_NOT_ALLOWED before any credential or body is looked at', async (raw) => {
    const host = raw.replace('PORT', port());
    const before = upstream.requests.length;
    const res = await httpCall(`${runtime.url}/mcp`, { method: 'POST', headers: { host, authorization: `Bearer ${socketKey}`, ...modern('tools/call', 'a_one') }, body: JSON.stringify(call(71, 'a_one')) });
    expect(res.status).toBe(421);
    expect(JSON.parse(res.text).error.data.code).toBe('HOST_NOT_ALLOWED');
    expect(upstream.requests.length).toBe(before);
    const api = await httpCall(`${runtime.url}/api/v1/mcp/session-token`, { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: '{}' });
    expect(api.status).toBe(421);
    expect(JSON.parse(api.text).code).toBe('HOST_NOT_ALLOWED');
  });
});
