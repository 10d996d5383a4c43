import type { LookupAddress } from 'node:dns';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AddressPolicy } from '../../schemas/address-policy.js';
import { guardedLookup, UpstreamAddressBlockedError, type UpstreamLookup } from './address-guard.js';
import { compileTool } from './compile-tool.js';
import { createUpstreamClient } from './http-client.js';
import { API_KEY_CALLER, errorOf, sendJson, startUpstream, testContext, testTool, type LoopbackUpstream } from './test-support.js';
import type { UpstreamClient, UpstreamRequest } from './types.js';

/** A resolver standing in for DNS: answers from `table` (host → addresses) and counts the questions. */
function fakeResolver(table: Record<string, string[]>): UpstreamLookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    asked.push(hostname);
    const answer = table[hostname];
    if (!answer) return process.nextTick(() => callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), '', 0));
    const all = answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    process.nextTick(() => (options.all ? callback(null, all) : callback(null, all[0]!.address, all[0]!.family)));
  }) as unknown as UpstreamLookup;
  return Object.assign(lookup, { asked });
}

const clients: UpstreamClient[] = [];
const upstreams: LoopbackUpstream[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function echo(): Promise<LoopbackUpstream> {
  const up = await startUpstream((_req, res) => sendJson(res, 200, { ok: true }));
  upstreams.push(up);
  return up;
}

function client(table: Record<string, string[]> = {}): { client: UpstreamClient; resolver: ReturnType<typeof fakeResolver> } {
  const resolver = fakeResolver(table);
  const c = createUpstreamClient({ lookup: resolver });
  clients.push(c);
  return { client: c, resolver };
}

function request(origin: string, addressPolicy: AddressPolicy): UpstreamRequest {
  return { origin, addressPolicy, method: 'GET', pathAndQuery: '/', headers: {}, timeoutMs: 2000, maxResponseBytes: 1 << 20 };
}

describe('connect-time address policy (undici connector)', () => {
  it('an IP-literal loopback origin is refused for a production project before any connection is opened', async () => {
    const up = await echo();
    const { client: c } = client();
    for (const policy of ['public', 'public_or_private'] as const) {
      const r = await c.send(request(up.origin, policy));
      expect(r).toMatchObject({ ok: false, reason: 'blocked' });
      expect(!r.ok && r.detail).toMatch(/^the upstream host is a loopback address; this project may call public/);
    }
    expect(up.connections()).toBe(0);
    expect(up.received).toHaveLength(0);
  });

  it('the IPv4-mapped spelling [::ffff:127.0.0.1] is refused as loopback', async () => {
    const up = await echo();
    const { client: c } = client();
    // As compile-tool derives it: the origin of the parsed base_url.
    const origin = new URL(`http://[::ffff:127.0.0.1]:${up.port}`).origin;
    expect(origin).toBe(`http://[::ffff:7f00:1]:${up.port}`);
    const r = await c.send(request(origin, 'public'));
    expect(r).toMatchObject({ ok: false, reason: 'blocked' });
    expect(!r.ok && r.detail).toContain('loopback');
    expect(up.connections()).toBe(0);
  });

  it('a host name is checked on the address it resolves to at connect time (loopback → blocked, nothing sent)', async () => {
    const up = await echo();
    const { client: c, resolver } = client({ 'api.internal.test': ['127.0.0.1'] });
    const r = await c.send(request(`http://api.internal.test:${up.port}`, 'public'));
    expect(r).toMatchObject({ ok: false, reason: 'blocked' });
    // The detail names the class, never the resolution.
    expect(!r.ok && r.detail).not.toContain('127.0.0.1');
    expect(resolver.asked).toEqual(['api.internal.test']);
    expect(up.connections()).toBe(0);
  });

  it('an answer mixing a public and a loopback address is refused as a whole', async () => {
    const up = await echo();
    const { client: c } = client({ 'mixed.test': ['93.184.215.14', '127.0.0.1'] });
    const r = await c.send(request(`http://mixed.test:${up.port}`, 'public'));
    expect(r).toMatchObject({ ok: false, reason: 'blocked' });
    expect(up.connections()).toBe(0);
  });

  it('a development project reaches the same host name; its kept-alive connection is never lent to a production project', async () => {
    const up = await echo();
    const { client: c, resolver } = client({ 'shared.test': ['127.0.0.1'] });
    const origin = `http://shared.test:${up.port}`;
    const dev = await c.send(request(origin, 'unrestricted'));
    expect(dev.ok && dev.status).toBe(200);
    const prod = await c.send(request(origin, 'public'));
    expect(prod).toMatchObject({ ok: false, reason: 'blocked' });
    expect(up.received).toHaveLength(1);
    expect(up.connections()).toBe(1);
    // Each pool resolved for its own connection.
    expect(resolver.asked).toEqual(['shared.test', 'shared.test']);
  });

  it('a blocked call is the tool error UPSTREAM_ADDRESS_BLOCKED and is not retried (one resolution for a GET with 3 attempts)', async () => {
    const up = await echo();
    const { client: c, resolver } = client({ 'metadata.test': ['169.254.169.254'] });
    const tool = compileTool(testTool(`http://metadata.test:${up.port}`, { retry: { max_attempts: 3 } }), 'acme', testContext(c, { addressPolicy: 'public' }));
    const result = await tool.execute({}, API_KEY_CALLER);
    expect(errorOf(result)).toMatchObject({ code: 'UPSTREAM_ADDRESS_BLOCKED', status: 500, detail: expect.stringContaining('cloud metadata') });
    expect(result.content[0]!.text).toContain('[UPSTREAM_ADDRESS_BLOCKED, status 500]');
    expect(resolver.asked).toHaveLength(1);
    expect(up.received).toHaveLength(0);
  });
});

describe('guardedLookup', () => {
  const ask = (policy: AddressPolicy, answer: string[], all: boolean) =>
    new Promise<{ err: Error | null; address: unknown; family?: number }>((resolve) => {
      guardedLookup(policy, fakeResolver({ 'h.test': answer }))('h.test', { all } as never, (err, address, family) => resolve({ err, address, family }));
    });

  it('hands net.connect exactly the addresses it checked: private ones pass when the project opts in', async () => {
    expect(await ask('public_or_private', ['10.0.0.7', 'fd00::7'], true)).toEqual({ err: null, address: [{ address: '10.0.0.7', family: 4 }, { address: 'fd00::7', family: 6 }], family: undefined });
    expect(await ask('public_or_private', ['10.0.0.7'], false)).toEqual({ err: null, address: '10.0.0.7', family: 4 });
    expect(await ask('public', ['93.184.215.14'], false)).toEqual({ err: null, address: '93.184.215.14', family: 4 });
  });

  it('refuses private answers without the opt-in, and loopback, link-local and metadata answers even with it', async () => {
    const blocked = async (policy: AddressPolicy, answer: string[]) => {
      const r = await ask(policy, answer, true);
      expect(r.err).toBeInstanceOf(UpstreamAddressBlockedError);
      return (r.err as UpstreamAddressBlockedError).addressClass;
    };
    expect(await blocked('public', ['10.0.0.7'])).toBe('private');
    expect(await blocked('public_or_private', ['127.0.0.1'])).toBe('loopback');
    expect(await blocked('public_or_private', ['::ffff:169.254.169.254'])).toBe('metadata');
    expect(await blocked('public_or_private', ['fe80::1'])).toBe('link_local');
    expect(await blocked('public_or_private', ['0.0.0.0'])).toBe('unspecified');
  });

  it('passes resolver failures through unchanged and treats an empty answer as ENOTFOUND', async () => {
    const missing = await new Promise<Error | null>((resolve) => guardedLookup('public', fakeResolver({}))('nope.test', { all: true } as never, (err) => resolve(err)));
    expect(missing).toMatchObject({ code: 'ENOTFOUND' });
    expect((await ask('public', [], true)).err).toMatchObject({ code: 'ENOTFOUND' });
  });
});
