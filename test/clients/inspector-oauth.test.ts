// Issue 9: the MCP Inspector's CLI (Node 22, installed by scripts/client-tools.sh) signs in to the runtime with a
// real OAuth flow: as a pre-registered confidential client, as a client that knows only the URL (it registers
// itself, RFC 7591), and as a client identified by its metadata document URL (CIMD). The person at the browser is
// this test: it reads the authorize URL the Inspector prints, answers the consent page and follows the redirect to
// the Inspector's loopback callback. A second run, after the access token has expired, uses only the stored
// credentials (--stored-auth-only): the Inspector refreshes and keeps working.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSignIn } from '../fixtures/oauth-helpers.js';
import { startSdkStage, type SdkStage } from '../fixtures/sdk-stage.js';

const TOOLS = path.resolve(process.env.TENGINE_CLIENT_TOOLS ?? '.cache/client-tools');
const NODE22 = path.join(TOOLS, 'node_modules/node/bin/node');
const INSPECTOR = path.join(TOOLS, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');

const CLIENT = { id: 'inspector-desk-1', secret: `tng_cs_${randomBytes(32).toString('base64url')}` };
const CONNECT = `tng_cn_${randomBytes(32).toString('base64url')}`;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

let stage: SdkStage;
let dir: string;
let documents: Server;
let documentsBase: string;
const served = new Map<string, string>();
const log: Record<string, unknown>[] = [];

beforeAll(async () => {
  if (!existsSync(NODE22) || !existsSync(INSPECTOR)) throw new Error(`the MCP Inspector is not installed in ${TOOLS}: run npm run test:clients (it installs it first)`);
  stage = await startSdkStage(
    (upstreamUrl) => ({
      version: 1,
      runtime: { access_token_ttl: '2s' },
      projects: [
        {
          id: 'alpha',
          environment: 'development',
          scopes: [{ name: 'notes:read' }],
          integrations: [
            { id: 'backend', kind: 'api_key' },
            { id: 'desk', kind: 'oauth', client_id: CLIENT.id, client_secret_sha256: sha(CLIENT.secret), redirect_uris: ['http://127.0.0.1/oauth/callback'], scopes: ['notes:read'] },
            {
              id: 'agents',
              kind: 'oauth',
              client_id: 'alpha-agents-1',
              connect_secret_sha256: sha(CONNECT),
              redirect_uris: ['http://127.0.0.1/oauth/callback'],
              scopes: ['notes:read'],
              dynamic_registration: { allowed_redirect_hosts: ['127.0.0.1', 'localhost'], metadata_documents: true },
            },
          ],
          tools: [{ name: 'list_notes', description: 'List notes', input_schema: { type: 'object', properties: {} }, base_url: upstreamUrl, http_method: 'GET', endpoint_path: '/notes', scopes: ['notes:read'] }],
        },
      ],
    }),
    undefined,
    { log: (entry) => log.push(entry) },
  );
  dir = await mkdtemp(path.join(tmpdir(), 'tengine-inspector-'));
  // The client's metadata document (its client_id is this URL); plain http on loopback is what development projects allow.
  documents = createServer((req, res) => {
    const doc = served.get(req.url ?? '');
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' });
    res.end(doc ?? '{}');
  });
  await new Promise<void>((r) => documents.listen(0, '127.0.0.1', r));
  documentsBase = `http://127.0.0.1:${(documents.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => documents?.close(r));
  await stage?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A loopback port nobody listens on right now, for the Inspector's OAuth callback listener. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface InspectorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The authorize URLs the Inspector asked a person to open. */
  prompts: string[];
}

/**
 * Runs the Inspector CLI to the end (bounded) with its own home directory (its OAuth state lives there, in files).
 * When it prints an authorize URL, this plays the person: approves, entering `connectSecret` when asked.
 */
function runInspector(home: string, args: string[], connectSecret?: string): Promise<InspectorRun> {
  return new Promise((resolve) => {
    const child = spawn(NODE22, [INSPECTOR, '--cli', stage.runtime.mcpUrl, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        // No TTY here: let the CLI run its interactive sign-in anyway, keep secrets in files, and open no real browser.
        MCP_AUTO_OPEN_ENABLED: 'true',
        MCP_INSPECTOR_SECRET_STORE: 'file',
        BROWSER: '/bin/true',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: InspectorRun = { code: null, stdout: '', stderr: '', prompts: [] };
    const answered: Promise<unknown>[] = [];
    child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      run.stderr += d.toString();
      for (const m of d.toString().matchAll(/navigate to: (\S+)/g)) {
        run.prompts.push(m[1]!);
        answered.push(
          approveSignIn(fetch, m[1]!, { base: new URL(m[1]!).origin, ...(connectSecret === undefined ? {} : { connectSecret }) })
            .then((back) => fetch(back))
            .catch((e: unknown) => {
              run.stderr += `\n[test] consent failed: ${String(e)}`;
              child.kill('SIGKILL');
            }),
        );
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      run.code = code;
      void Promise.allSettled(answered).then(() => resolve(run));
    });
  });
}

/** The tool names in the Inspector's JSON output of tools/list (`{result: {tools}}`), sorted. */
function toolNames(run: InspectorRun): string[] {
  const out = JSON.parse(run.stdout) as { result?: { tools?: { name: string }[] } };
  return (out.result?.tools ?? []).map((t) => t.name).sort();
}

const issued = (clientId: string, grantType: string) => log.filter((e) => e.event === 'oauth_token_issued' && e.client_id === clientId && e.grant_type === grantType);

describe('the MCP Inspector CLI signs in', () => {
  it('as a pre-registered confidential client, then refreshes on its own when the access token has expired', async () => {
    const home = path.join(dir, 'confidential');
    const callback = `http://127.0.0.1:${await freePort()}/oauth/callback`;
    const common = ['--method', 'tools/list', '--format', 'json', '--client-id', CLIENT.id, '--client-secret', CLIENT.secret, '--callback-url', callback];

    const first = await runInspector(home, common);
    expect(first.prompts, first.stderr).toHaveLength(1);
    const asked = new URL(first.prompts[0]!);
    expect(asked.searchParams.get('code_challenge_method')).toBe('S256');
    expect(asked.searchParams.get('resource')).toBe(stage.runtime.mcpUrl);
    expect(first.code, first.stderr).toBe(0);
    expect(toolNames(first)).toEqual(['list_notes', 'mcp_whoami']);
    expect(issued(CLIENT.id, 'authorization_code')).toHaveLength(1);

    await new Promise((r) => setTimeout(r, 2_500)); // the 2 s access token expires
    const second = await runInspector(home, [...common, '--stored-auth-only']);
    expect(second.prompts).toHaveLength(0);
    expect(second.code, second.stderr).toBe(0);
    expect(toolNames(second)).toEqual(['list_notes', 'mcp_whoami']);
    expect(issued(CLIENT.id, 'refresh_token').length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('knowing only the URL: it registers itself, the person enters the connect secret, and it calls a tool', async () => {
    const home = path.join(dir, 'registered');
    const callback = `http://127.0.0.1:${await freePort()}/oauth/callback`;
    const before = stage.hits('/notes').length;
    const run = await runInspector(home, ['--method', 'tools/call', '--tool-name', 'list_notes', '--format', 'json', '--callback-url', callback], CONNECT);
    expect(run.prompts, run.stderr).toHaveLength(1);
    const clientId = new URL(run.prompts[0]!).searchParams.get('client_id')!;
    expect(clientId).toMatch(/^tng-dcr\./);
    expect(run.code, run.stderr).toBe(0);
    const result = (JSON.parse(run.stdout) as { result: { isError?: boolean; content: unknown[] } }).result;
    expect(result.isError).not.toBe(true);
    expect(result.content.length).toBeGreaterThan(0);
    expect(stage.hits('/notes').length).toBe(before + 1);
    const grants = issued(clientId, 'authorization_code');
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ project: 'alpha', integration: 'agents' });
  }, 120_000);

  it('with a client ID metadata document (--client-metadata-url): no registration, the document names the client, and it lists the tools', async () => {
    const home = path.join(dir, 'cimd');
    const callback = `http://127.0.0.1:${await freePort()}/oauth/callback`;
    const clientId = `${documentsBase}/inspector-client.json`;
    served.set('/inspector-client.json', JSON.stringify({ client_id: clientId, client_name: 'Inspector (CIMD)', redirect_uris: [callback], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }));
    const registered = () => log.filter((e) => e.event === 'oauth_client_registered').length;
    const registeredBefore = registered();
    const run = await runInspector(home, ['--method', 'tools/list', '--format', 'json', '--client-metadata-url', clientId, '--callback-url', callback], CONNECT);
    expect(run.prompts, run.stderr).toHaveLength(1);
    expect(new URL(run.prompts[0]!).searchParams.get('client_id')).toBe(clientId);
    expect(run.code, run.stderr).toBe(0);
    expect(toolNames(run)).toEqual(['list_notes', 'mcp_whoami']);
    expect(issued(clientId, 'authorization_code')).toHaveLength(1);
    expect(registered()).toBe(registeredBefore);
  }, 120_000);
});
