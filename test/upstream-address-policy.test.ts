// The upstream address policy end to end (docs/outbound.md §7, issue 8 defect 8): `tengine validate` refuses what
// it can see without DNS (TNG231, TNG232), and the running runtime, driven by the MCP SDK client, refuses at
// connect time whatever a hand-built bundle (signed without the CLI rules) still points at. The loopback upstream
// counts TCP connections: a refused call must not even open one.
import type { LookupAddress } from 'node:dns';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UpstreamLookup } from '../runtime/execute/address-guard.js';
import { sendJson, startUpstream, type LoopbackUpstream } from '../runtime/execute/test-support.js';
import type { RunningRuntime } from '../runtime/start.js';
import type { Project, TengineConfig, Tool } from '../schemas/config-types.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { loadDir, writeTree } from './fixtures/config-files.js';
import { startTestRuntimeWith } from './fixtures/runtime-harness.js';

type CallResult = Awaited<ReturnType<Client['callTool']>>;

let upstream: LoopbackUpstream;
let dir: string;
let cleanup: () => Promise<void>;
const runtimes: RunningRuntime[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  upstream = await startUpstream((req, res) => sendJson(res, 200, { reached: req.url }));
  ({ dir, cleanup } = await tempDir('tengine-address-policy-'));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await Promise.all(runtimes.map((r) => r.close()));
  await upstream?.close();
  await cleanup?.();
});

function tool(name: string, baseUrl: string): Tool {
  return { name, description: `Calls ${baseUrl}`, input_schema: { type: 'object' }, base_url: baseUrl, http_method: 'GET', endpoint_path: `/${name}`, timeout: '2s' };
}

/** The refused spellings of the issue, all aimed at the loopback upstream (or the metadata service). */
function refusedTools(): Tool[] {
  const port = upstream.port;
  return [tool('metadata', 'https://169.254.169.254'), tool('hex_loopback', `https://0x7f000001:${port}`), tool('localhost', `https://localhost:${port}`), tool('mapped_loopback', `https://[::ffff:127.0.0.1]:${port}`)];
}

/** Starts a runtime serving `projects` (each with an API-key integration) and connects an SDK client per project. */
async function serve(projects: Project[], lookup?: UpstreamLookup): Promise<Record<string, Client>> {
  const config: TengineConfig = { version: 1, projects: projects.map((p) => ({ ...p, integrations: [{ id: 'backend', kind: 'api_key' }] })) };
  // Some runs put a development project next to the production ones, to show it still reaches loopback.
  const allowDevelopment = projects.some((p) => p.environment === 'development');
  const { runtime, apiKeys } = await startTestRuntimeWith(config, { allowDevelopment, ...(lookup ? { upstream: { lookup } } : {}) });
  runtimes.push(runtime);
  const out: Record<string, Client> = {};
  for (const p of projects) {
    const client = new Client({ name: 'address-policy', version: '1.0.0' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(runtime.mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${apiKeys[`${p.id}/backend`]}` } } }));
    out[p.id] = client;
  }
  return out;
}

function errorCode(result: CallResult): string | undefined {
  return (result._meta?.['tengine.dev/error'] as { code?: string } | undefined)?.code;
}

function detail(result: CallResult): string {
  return (result._meta?.['tengine.dev/error'] as { detail?: string } | undefined)?.detail ?? '';
}

beforeEach(() => {
  upstream.received.length = 0;
});

describe('tengine validate: TNG231 for base URLs a production project may not call', () => {
  it('169.254.169.254, 0x7f000001, localhost and [::ffff:127.0.0.1] in a production project → TNG231 each; the same in a development project → none', async () => {
    const yaml = (environment: string) => ['version: 1', 'projects:', '  - id: shop', `    environment: ${environment}`, '    tools:', ...refusedTools().map((t) => `      - ${JSON.stringify(t)}`)].join('\n');
    await writeTree(dir, { 'prod/tengine.config.yaml': yaml('production'), 'dev/tengine.config.yaml': yaml('development') });
    const prod = await loadDir(`${dir}/prod`);
    // One per tool, each at its base_url (tools are one flow mapping per line, from line 6).
    expect(prod.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}`)).toEqual([6, 7, 8, 9].map((line) => `TNG231 tengine.config.yaml:${line}`));
    expect(prod.diagnostics.map((d) => d.message.match(/(?:is|names) an? ([\w -]+) (?:address|host)/)?.[1])).toEqual(['cloud metadata', 'loopback', 'loopback', 'loopback']);
    expect(prod.config).toBeUndefined();
    const dev = await loadDir(`${dir}/dev`);
    expect(dev.diagnostics).toEqual([]);
  });

  it('a private IP literal needs allow_private_networks: TNG231 with the hint to opt in, and none once the project opts in', async () => {
    const yaml = (optIn: boolean) => ['version: 1', 'projects:', '  - id: shop', ...(optIn ? ['    allow_private_networks: true'] : []), '    tools:', `      - ${JSON.stringify(tool('internal', 'https://10.20.30.40'))}`].join('\n');
    await writeTree(dir, { 'private/tengine.config.yaml': yaml(false), 'private-opt-in/tengine.config.yaml': yaml(true) });
    const refused = await loadDir(`${dir}/private`);
    expect(refused.diagnostics.map((d) => d.code)).toEqual(['TNG231']);
    expect(refused.diagnostics[0]!.hint).toContain('allow_private_networks: true');
    expect((await loadDir(`${dir}/private-opt-in`)).diagnostics).toEqual([]);
  });
});

describe('tengine validate: TNG232 for host labels that mix scripts', () => {
  it('https://аpi.example.com (Cyrillic а) → TNG232; https://пример.рф and https://例子.测试 pass', async () => {
    const yaml = (base: string) => ['version: 1', 'projects:', '  - id: shop', '    tools:', `      - ${JSON.stringify(tool('t', base))}`].join('\n');
    await writeTree(dir, { 'mixed/tengine.config.yaml': yaml('https://аpi.example.com'), 'ru/tengine.config.yaml': yaml('https://пример.рф'), 'zh/tengine.config.yaml': yaml('https://例子.测试') });
    const mixed = await loadDir(`${dir}/mixed`);
    expect(mixed.diagnostics.map((d) => d.code)).toEqual(['TNG232']);
    expect(mixed.diagnostics[0]!.message).toContain('mixes Cyrillic and Latin');
    expect((await loadDir(`${dir}/ru`)).diagnostics).toEqual([]);
    expect((await loadDir(`${dir}/zh`)).diagnostics).toEqual([]);
  });
});

describe('the runtime refuses at connect time what a hand-built bundle points at', () => {
  let call: (project: string, name: string) => Promise<CallResult>;

  beforeAll(async () => {
    const clientsByProject = await serve([
      { id: 'shop', environment: 'production', tools: refusedTools() },
      { id: 'internal', environment: 'production', allow_private_networks: true, tools: [tool('loopback', `https://127.0.0.1:${upstream.port}`), tool('metadata', 'https://169.254.169.254')] },
      { id: 'local', environment: 'development', tools: [tool('literal', upstream.origin), tool('named', `http://localhost:${upstream.port}`)] },
    ]);
    call = (project, name) => clientsByProject[project]!.callTool({ name, arguments: {} }) as Promise<CallResult>;
  });

  it.each(['metadata', 'hex_loopback', 'localhost', 'mapped_loopback'])('production project, tool %s → UPSTREAM_ADDRESS_BLOCKED; the upstream saw no connection', async (name) => {
    const before = upstream.connections();
    const result = await call('shop', name);
    expect(result.isError).toBe(true);
    expect(errorCode(result)).toBe('UPSTREAM_ADDRESS_BLOCKED');
    expect(detail(result)).toMatch(/^the upstream host is a (cloud metadata|loopback) address; this project may call public addresses only/);
    expect(upstream.connections()).toBe(before);
    expect(upstream.received).toHaveLength(0);
  });

  it('allow_private_networks does not open loopback or metadata addresses', async () => {
    const before = upstream.connections();
    for (const name of ['loopback', 'metadata']) {
      const result = await call('internal', name);
      expect(errorCode(result)).toBe('UPSTREAM_ADDRESS_BLOCKED');
      expect(detail(result)).toContain('this project may call public and private addresses only');
    }
    expect(upstream.connections()).toBe(before);
  });

  it('a development project on the same runtime still reaches the loopback upstream, by literal and by localhost', async () => {
    for (const name of ['literal', 'named']) {
      const result = await call('local', name);
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ reached: `/${name}` });
    }
    expect(upstream.received.map((r) => r.url)).toEqual(['/literal', '/named']);
  });
});

describe('DNS rebinding: the address checked is the address connected to', () => {
  /** A resolver whose answer the test changes, counting the questions. */
  const dns = { answer: ['93.184.215.14'], asked: 0 };
  const lookup = ((_host: string, options: { all?: boolean }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dns.asked++;
    const all = dns.answer.map((address) => ({ address, family: 4 }));
    process.nextTick(() => (options.all ? cb(null, all) : cb(null, all[0]!.address, all[0]!.family)));
  }) as unknown as UpstreamLookup;
  let client: Client;

  beforeAll(async () => {
    ({ shop: client } = (await serve([{ id: 'shop', environment: 'production', tools: [tool('rebound', `https://api.rebind.example:${upstream.port}`)] }], lookup)) as { shop: Client });
  });

  it('a name that resolved to a public address when it was checked earlier, and to 127.0.0.1 when the call connects → blocked, nothing sent', async () => {
    // Whatever looked at the name before the call (a reviewer, validate, a pre-flight check) saw a public address.
    await new Promise<void>((resolve) => lookup('api.rebind.example', { all: true }, () => resolve()));
    expect(dns.asked).toBe(1);
    dns.answer = ['127.0.0.1'];
    const before = upstream.connections();
    for (let i = 1; i <= 2; i++) {
      const result = (await client.callTool({ name: 'rebound', arguments: {} })) as CallResult;
      expect(errorCode(result)).toBe('UPSTREAM_ADDRESS_BLOCKED');
      // The detail names the class, not what the name resolved to.
      expect(detail(result)).not.toContain('127.0.0.1');
      // One resolution per call, made by the connection itself: no earlier verdict is reused, nothing resolves twice.
      expect(dns.asked).toBe(1 + i);
    }
    expect(upstream.connections()).toBe(before);
    expect(upstream.received).toHaveLength(0);
  });

  it('an answer that adds a metadata address to a public one is refused as a whole', async () => {
    dns.answer = ['93.184.215.14', '169.254.169.254'];
    const result = (await client.callTool({ name: 'rebound', arguments: {} })) as CallResult;
    expect(errorCode(result)).toBe('UPSTREAM_ADDRESS_BLOCKED');
    expect(detail(result)).toContain('cloud metadata');
  });
});
