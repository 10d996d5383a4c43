// Issue 9: mcp-remote, the bridge Claude Desktop and other stdio-only clients use, signs in with a real OAuth flow
// against the runtime: as a pre-registered confidential client (--static-oauth-client-info; run again after its
// access token expired, it refreshes instead of signing in), as a pre-registered public client, and knowing only the
// URL (it registers itself, RFC 7591). Its "browser" is a script (BROWSER) that does what a person does on
// the consent page: approve, entering the connect secret for the self-registered public client. mcp-remote then
// lists the tools with the access token and exits 0.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdkStage, type SdkStage } from './fixtures/sdk-stage.js';

const CLIENT = { id: 'remote-bridge-1', secret: `tng_cs_${randomBytes(32).toString('base64url')}` };
const CONNECT = `tng_cn_${randomBytes(32).toString('base64url')}`;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const MCP_REMOTE_CLIENT = path.join(path.dirname(createRequire(import.meta.url).resolve('mcp-remote/package.json')), 'dist/client.js');

/** The person at the browser: open the authorize URL, approve (with the connect secret when asked), follow back. */
const BROWSER_SCRIPT = `#!/usr/bin/env node
const url = process.argv[2];
(async () => {
  const page = await fetch(url);
  const html = await page.text();
  const field = (n) => (new RegExp('name="' + n + '" value="([^"]+)"').exec(html) || [])[1];
  if (!field('request_id')) throw new Error('no consent page: ' + page.status + ' ' + html.slice(0, 300));
  const body = new URLSearchParams({ request_id: field('request_id'), csrf_token: field('csrf_token'), decision: 'approve' });
  if (html.includes('name="connect_secret"')) body.set('connect_secret', process.env.TEST_CONNECT_SECRET);
  const answer = await fetch(new URL('/api/v1/mcp-oauth/authorize', url), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: (page.headers.get('set-cookie') || '').split(';')[0] }, body });
  const back = answer.headers.get('location');
  if (!back) throw new Error('no redirect after consent: ' + answer.status);
  await fetch(back);
})().then(() => process.exit(0), (e) => { console.error(String(e)); process.exit(1); });
`;

let stage: SdkStage;
let dir: string;
const log: Record<string, unknown>[] = [];
const issued = (clientId: string, grantType: string) => log.filter((e) => e.event === 'oauth_token_issued' && e.client_id === clientId && e.grant_type === grantType).length;
let browser: string;

beforeAll(async () => {
  stage = await startSdkStage((upstreamUrl) => ({
    version: 1,
    runtime: { access_token_ttl: '2s' },
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        scopes: [{ name: 'notes:read' }],
        integrations: [
          { id: 'backend', kind: 'api_key' },
          { id: 'bridge', kind: 'oauth', client_id: CLIENT.id, client_secret_sha256: sha(CLIENT.secret), redirect_uris: ['http://localhost/oauth/callback'], scopes: ['notes:read'] },
          {
            id: 'agents',
            kind: 'oauth',
            client_id: 'alpha-agents-1',
            connect_secret_sha256: sha(CONNECT),
            redirect_uris: ['http://localhost/oauth/callback'],
            scopes: ['notes:read'],
            dynamic_registration: { allowed_redirect_hosts: ['localhost', '127.0.0.1'] },
          },
        ],
        tools: [{ name: 'list_notes', description: 'List notes', input_schema: { type: 'object', properties: {} }, base_url: upstreamUrl, http_method: 'GET', endpoint_path: '/notes', scopes: ['notes:read'] }],
      },
    ],
  }), undefined, { log: (e) => log.push(e) });
  dir = await mkdtemp(path.join(tmpdir(), 'tengine-mcp-remote-'));
  browser = path.join(dir, 'browser.mjs');
  await writeFile(browser, BROWSER_SCRIPT);
  await chmod(browser, 0o755);
});

afterAll(async () => {
  await stage?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs mcp-remote-client to the end (bounded), with its own config dir and the scripted browser. */
function runMcpRemote(args: string[], configDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MCP_REMOTE_CLIENT, stage.runtime.mcpUrl, ...args], {
      env: { ...process.env, BROWSER: browser, MCP_REMOTE_CONFIG_DIR: configDir, TEST_CONNECT_SECRET: CONNECT, DISPLAY: '', WAYLAND_DISPLAY: '' },
      // stdin stays open: mcp-remote shuts down when its stdin ends.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('mcp-remote signs in', () => {
  it('as a pre-registered confidential client, and lists the tools; after the access token expired, a second run refreshes', async () => {
    const args = ['--static-oauth-client-info', JSON.stringify({ client_id: CLIENT.id, client_secret: CLIENT.secret })];
    const r = await runMcpRemote(args, path.join(dir, 'confidential'));
    expect(r.output).toContain('"list_notes"');
    expect(r.code).toBe(0);
    expect(issued(CLIENT.id, 'authorization_code')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the 2 s access token expires
    const again = await runMcpRemote(args, path.join(dir, 'confidential'));
    expect(again.output).toContain('"list_notes"');
    expect(again.code).toBe(0);
    expect(issued(CLIENT.id, 'authorization_code')).toBe(1); // no second sign-in
    expect(issued(CLIENT.id, 'refresh_token')).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('as a pre-registered public client (client id only): the person enters the connect secret, and it lists the tools', async () => {
    const r = await runMcpRemote(['--static-oauth-client-info', JSON.stringify({ client_id: 'alpha-agents-1' })], path.join(dir, 'public'));
    expect(r.output).toContain('"list_notes"');
    expect(r.code).toBe(0);
    expect(issued('alpha-agents-1', 'authorization_code')).toBe(1);
  }, 60_000);

  it('knowing only the URL: it registers itself, the person enters the connect secret, and it lists the tools', async () => {
    const r = await runMcpRemote([], path.join(dir, 'registered'));
    expect(r.output).toContain('"list_notes"');
    expect(r.code).toBe(0);
  }, 60_000);
});
