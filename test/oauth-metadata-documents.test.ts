// Issue 9: Client ID Metadata Documents. A client whose client_id is the URL of its metadata document signs in
// without registering: the runtime fetches the document (through the upstream address guard, no redirects, size
// and time capped, cached) and checks it. Loopback documents are reachable only from a development project; a
// production project refuses them at connect time. In-process app, real loopback document server.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { answerConsent } from './fixtures/oauth-helpers.js';
import { inProcessApp } from './fixtures/runtime-harness.js';

const CONNECT = `tng_cn_${randomBytes(32).toString('base64url')}`;
const REDIRECT = 'http://127.0.0.1:40200/callback';

let docs: Server;
let base: string;
let fetches = 0;
const served: Record<string, { status?: number; body: string; headers?: Record<string, string> }> = {};

function config(environment: 'development' | 'production'): TengineConfig {
  return {
    version: 1,
    projects: [
      {
        id: 'alpha',
        environment,
        scopes: [{ name: 'notes:read' }],
        integrations: [
          {
            id: 'agents',
            kind: 'oauth',
            client_id: 'alpha-agents-md',
            connect_secret_sha256: createHash('sha256').update(CONNECT).digest('hex'),
            redirect_uris: ['http://127.0.0.1/callback'],
            scopes: ['notes:read'],
            dynamic_registration: { allowed_redirect_hosts: ['127.0.0.1', 'localhost'], metadata_documents: true },
          },
        ],
        tools: [],
      },
    ],
  };
}

let dev: Awaited<ReturnType<typeof inProcessApp>>;
let prod: Awaited<ReturnType<typeof inProcessApp>>;

beforeAll(async () => {
  docs = createServer((req, res) => {
    fetches++;
    const doc = served[req.url ?? ''];
    if (!doc) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(doc.status ?? 200, { 'content-type': 'application/json', ...doc.headers });
    res.end(doc.body);
  });
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(docs.address() as AddressInfo).port}`;
  const doc = (path: string, extra: Record<string, unknown> = {}) => (served[path] = { body: JSON.stringify({ client_id: `${base}${path}`, client_name: 'Doc Agent', redirect_uris: [REDIRECT], ...extra }) });
  doc('/good.json');
  doc('/other-id.json', { client_id: `${base}/somebody-else.json` });
  doc('/secret.json', { client_secret: 'x' });
  doc('/bad-redirect.json', { redirect_uris: ['https://evil.example/cb'] });
  served['/big.json'] = { body: JSON.stringify({ client_id: `${base}/big.json`, redirect_uris: [REDIRECT], pad: 'x'.repeat(20_000) }) };
  served['/moved.json'] = { status: 302, body: '', headers: { location: `${base}/good.json` } };
  served['/not-json.json'] = { body: '<html>' };
  dev = await inProcessApp(config('development'), {}, { allowDevelopment: true });
  prod = await inProcessApp(config('production'));
});

afterAll(async () => {
  await dev?.close();
  await prod?.close();
  await new Promise<void>((r) => (docs ? docs.close(() => r()) : r()));
});

const authorize = (t: typeof dev, clientId: string, redirect = REDIRECT) =>
  t.app.request(`/api/v1/mcp-oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirect, code_challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'), code_challenge_method: 'S256' })}`);

describe('client ID metadata documents', () => {
  it('metadata advertises them', async () => {
    const meta = (await (await dev.app.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    expect(meta.client_id_metadata_document_supported).toBe(true);
  });

  it('a good document: the consent page names the client; the code redeems as a public client; the document is cached', async () => {
    const before = fetches;
    const page = await authorize(dev, `${base}/good.json`);
    expect(page.status).toBe(200);
    expect(await page.clone().text()).toContain('Doc Agent');
    const answer = await answerConsent((u, i) => dev.app.request(u, i), page, { connectSecret: CONNECT });
    expect(answer.status).toBe(302);
    const code = new URL(answer.headers.get('location')!).searchParams.get('code')!;
    const token = await dev.app.request('/api/v1/mcp-oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: 'v'.repeat(43), client_id: `${base}/good.json`, redirect_uri: REDIRECT }).toString(),
    });
    expect(token.status).toBe(200);
    const { access_token: access } = (await token.json()) as { access_token: string };
    const who = await dev.app.request('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${access}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'mcp_whoami', arguments: {} } }) });
    expect(who.status).toBe(200);
    expect(fetches - before).toBe(1);
  });

  it.each([
    ['a document naming another client_id', '/other-id.json', 'another client_id'],
    ['a document with a client secret', '/secret.json', 'client secret'],
    ['a redirect URI on a host not allowed', '/bad-redirect.json', 'redirect_uris'],
    ['a document over 16 KiB', '/big.json', 'larger than'],
    ['a redirect (not followed)', '/moved.json', 'redirects are not followed'],
    ['not JSON', '/not-json.json', 'not JSON'],
    ['a missing document', '/missing.json', 'HTTP 404'],
  ])('%s: an error page, no consent form', async (_name, path, message) => {
    const res = await authorize(dev, `${base}${path}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain(message);
    expect(html).not.toContain('csrf_token');
  });

  it('a redirect URI the document does not list: refused', async () => {
    const res = await authorize(dev, `${base}/good.json`, 'http://127.0.0.1:40200/other');
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it.each([
    ['a query', '/good.json?x=1'],
    ['no path', ''],
    ['a dot segment', '/a/../good.json'],
  ])('a client_id URL with %s: refused before any fetch', async (_name, suffix) => {
    const before = fetches;
    const res = await authorize(dev, `${base}${suffix}`);
    expect(res.status).toBe(400);
    expect(fetches).toBe(before);
  });

  it('a production project fetches no document from loopback: refused at connect time (the address guard)', async () => {
    const before = fetches;
    const res = await authorize(prod, `https://127.0.0.1:${new URL(base).port}/good.json`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('address this server does not fetch from');
    expect(fetches).toBe(before);
    const http = await authorize(prod, `${base}/good.json`);
    expect(await http.text()).toContain('must be https');
  });
});
