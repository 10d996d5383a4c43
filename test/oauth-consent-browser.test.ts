// Issue 9: the consent page in a real browser (headless Chromium through playwright-core): a person approves a
// confidential client, enters the connect secret for a public one, declines, and does all of it with JavaScript
// off; another site cannot frame the page. The runtime and the client's loopback callback are real servers.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, CHROMIUM } from './fixtures/browser.js';
import { assertionKeyConfig, generateAssertionKey, mintAssertion, type TestAssertionKey } from './fixtures/member-fixtures.js';
import { startSdkStage, type SdkStage } from './fixtures/sdk-stage.js';

const skip = browserSkipReason();
if (skip) console.warn(`Skipping the consent page browser tests: ${skip}. Set CI=1 to fail instead.`);

const CONFIDENTIAL = { id: 'desk-browser-1', secret: 'tng_cs_browser-test-secret-0123456789abcdefghijk' };
const PUBLIC = { id: 'cli-browser-2', connect: 'tng_cn_browser-connect-secret-0123456789abcdefgh' };
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');

describe.skipIf(skip !== undefined)('the consent page in Chromium', () => {
  let stage: SdkStage;
  let browser: Browser;
  let callback: Server;
  let callbackUrl: string;
  const received: URL[] = [];

  beforeAll(async () => {
    stage = await startSdkStage(() => ({
      version: 1,
      projects: [
        {
          id: 'alpha',
          environment: 'development',
          scopes: [{ name: 'notes:read' }],
          integrations: [
            { id: 'backend', kind: 'api_key' },
            { id: 'desk', kind: 'oauth', name: 'Desk <connector>', client_id: CONFIDENTIAL.id, client_secret_sha256: sha(CONFIDENTIAL.secret), redirect_uris: ['http://127.0.0.1/callback'], scopes: ['notes:read'] },
            { id: 'cli', kind: 'oauth', name: 'Team CLI', client_id: PUBLIC.id, connect_secret_sha256: sha(PUBLIC.connect), redirect_uris: ['http://127.0.0.1/callback'], scopes: ['notes:read'] },
          ],
          tools: [],
        },
      ],
    }));
    // The MCP client's loopback receiver: records where the browser lands.
    callback = createServer((req, res) => {
      received.push(new URL(req.url!, 'http://127.0.0.1'));
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<title>done</title>signed in');
    });
    await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
    callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (callback ? callback.close(() => r()) : r()));
    await stage?.close();
  });

  const authorizeUrl = (clientId: string, state: string) =>
    `${new URL(stage.runtime.mcpUrl).origin}/api/v1/mcp-oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: callbackUrl, code_challenge: challenge, code_challenge_method: 'S256', state })}`;

  it.each([true, false])('approve a confidential client (JavaScript %s): the browser lands on the callback with a code', async (javaScriptEnabled) => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const response = await page.goto(authorizeUrl(CONFIDENTIAL.id, `s-${javaScriptEnabled}`));
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    // The client's name is shown as text, never as markup.
    await expect(page.locator('h1').textContent()).resolves.toContain('Desk <connector>');
    expect(await page.locator('code', { hasText: 'notes:read' }).count()).toBe(1);
    await Promise.all([page.waitForURL(/\/callback\?/), page.getByRole('button', { name: 'Approve' }).click()]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('code')).toMatch(/^tng_ac_/);
    expect(landed.searchParams.get('state')).toBe(`s-${javaScriptEnabled}`);
    await context.close();
  });

  it('a public client: the connect secret is asked for; a wrong one ends on an error page, the right one signs in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl(PUBLIC.id, 'p1'));
    await page.getByLabel('Connect secret').fill('tng_cn_wrong');
    const refused = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Approve' }).click()]).then(([r]) => r);
    expect(refused?.status()).toBe(403);
    await expect(page.locator('body').textContent()).resolves.toContain('connect secret is wrong');
    await page.goto(authorizeUrl(PUBLIC.id, 'p2'));
    await page.getByLabel('Connect secret').fill(PUBLIC.connect);
    await Promise.all([page.waitForURL(/\/callback\?/), page.getByRole('button', { name: 'Approve' }).click()]);
    expect(new URL(page.url()).searchParams.get('code')).toMatch(/^tng_ac_/);
    await context.close();
  });

  it('deny: the browser lands on the callback with access_denied', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl(CONFIDENTIAL.id, 'd1'));
    await Promise.all([page.waitForURL(/\/callback\?/), page.getByRole('button', { name: 'Deny' }).click()]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('code')).toBeNull();
    await context.close();
  });

  it('another site cannot frame the consent page (clickjacking), while a frameable page loads in the same frame', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A page of another origin (the callback server's) that frames a page of its own and the consent page.
    await page.goto(callbackUrl.replace('/callback', '/framer'));
    await page.setContent(`<iframe name="own" src="${callbackUrl.replace('/callback', '/own')}"></iframe><iframe name="consent" src="${authorizeUrl(CONFIDENTIAL.id, 'f1')}"></iframe>`);
    await page.waitForTimeout(750);
    const body = async (name: string) => {
      const frame = page.frame({ name });
      return frame ? frame.locator('body').innerText({ timeout: 1000 }).catch(() => '') : '';
    };
    expect(await body('own')).toContain('signed in');
    expect(await body('consent')).not.toContain('Approve');
    await context.close();
  });
});

describe.skipIf(skip !== undefined)('member sign-in through a login page on another site, in Chromium', () => {
  let stage: SdkStage;
  let browser: Browser;
  let loginServer: Server;
  let receiver: Server;
  let receiverUrl: string;
  let key: TestAssertionKey;

  beforeAll(async () => {
    key = generateAssertionKey('ES256', 'login-page');
    // The customer's login page, on another site (localhost, while the runtime is 127.0.0.1): it "signs alice in"
    // and posts a member assertion bound to the request back to the runtime by an auto-submitted form.
    loginServer = createServer((req, res) => {
      const u = new URL(req.url!, 'http://localhost');
      const nonce = u.searchParams.get('tengine_request') ?? '';
      const callback = u.searchParams.get('tengine_callback') ?? '';
      void mintAssertion(key, u.searchParams.get('tengine_project') ?? '', { claims: { sub: 'alice', email: 'alice@example.com', nonce } }).then((assertion) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<form method="post" action="${callback}"><input type="hidden" name="tengine_request" value="${nonce}"><input type="hidden" name="assertion" value="${assertion}"></form><script>document.forms[0].submit()</script>`);
      });
    });
    await new Promise<void>((r) => loginServer.listen(0, '127.0.0.1', r));
    const loginPort = (loginServer.address() as AddressInfo).port;
    receiver = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('signed in');
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/callback`;
    stage = await startSdkStage(() => ({
      version: 1,
      projects: [
        {
          id: 'alpha',
          environment: 'development',
          assertion_keys: [assertionKeyConfig(key)],
          integrations: [
            { id: 'backend', kind: 'api_key' },
            { id: 'team', kind: 'oauth', name: 'Team agents', client_id: 'team-agents-1', login_url: `http://localhost:${loginPort}/login`, redirect_uris: ['http://127.0.0.1/callback'] },
          ],
          tools: [],
        },
      ],
    }));
    // `localhost` is another site than 127.0.0.1 for cookies; map it so Chromium does not try ::1.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of [loginServer, receiver]) await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    await stage?.close();
  });

  const authorizeUrl = () =>
    `${new URL(stage.runtime.mcpUrl).origin}/api/v1/mcp-oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'team-agents-1', redirect_uri: receiverUrl, code_challenge: challenge, code_challenge_method: 'S256', state: 'm1' })}`;

  it('authorize → login page (cross-site) → consent naming the member → code', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl());
    await page.waitForURL(/login-continue/);
    await expect(page.locator('body').textContent()).resolves.toContain('alice@example.com');
    await Promise.all([page.waitForURL(/\/callback\?/), page.getByRole('button', { name: 'Approve' }).click()]);
    expect(new URL(page.url()).searchParams.get('code')).toMatch(/^tng_ac_/);
    await context.close();
  });

  it('the login finished in one browser cannot be continued in another (login CSRF)', async () => {
    // The attacker signs in to the login page themselves, and keeps the link the callback sends them on to.
    const attacker = await browser.newContext();
    const a = await attacker.newPage();
    let ticket = '';
    await a.route(/login-callback/, async (route) => {
      const answer = await route.fetch({ maxRedirects: 0 });
      ticket = answer.headers().location ?? '';
      await route.abort();
    });
    await a.goto(authorizeUrl()).catch(() => undefined);
    await expect.poll(() => ticket).toContain('/login-continue?login=');
    await attacker.close();
    // The victim's browser opens it: it did not start this sign-in, so it gets no consent page.
    const victim = await browser.newContext();
    const v = await victim.newPage();
    const res = await v.goto(ticket);
    expect(res?.status()).toBe(403);
    await expect(v.locator('body').textContent()).resolves.toContain('started in another browser');
    expect(await v.locator('button', { hasText: 'Approve' }).count()).toBe(0);
    await victim.close();
  });
});
