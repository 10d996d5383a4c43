// Idempotent retries (issue 11 §3, docs/usage.md "Idempotent retries"), in-process over the memory store with a real
// loopback upstream that counts its hits: a retry of the same call by the same caller within the window is answered
// from the first result (same request id, no upstream call), concurrent duplicates wait for the first, errors and
// results over the size cap are not kept, a client key reused with other arguments is refused, safe and opted-out
// tools are not cached, and a store outage proceeds (automatic key) or refuses (client key).
import type { Hono } from 'hono';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { createMemoryStore, type MemoryStore } from '../runtime/store/memory-store.js';
import { inProcessApp, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** What one tools/call answered, as a client sees it. */
interface Answer {
  requestId: string;
  result: { content: { text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean; _meta?: Record<string, any> };
}

function tool(name: string, method: Tool['http_method'], extra: Partial<Tool> = {}): Tool {
  return {
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties: { item: { type: 'string' }, qty: { type: 'integer' }, nested: { type: 'object' } } },
    base_url: 'http://placeholder',
    http_method: method,
    endpoint_path: `/${name}`,
    ...(method === 'GET' ? { query_template: { item: '{item}' } } : { body_template: { item: '{item}', qty: '{qty}' } }),
    ...extra,
  };
}

function config(upstreamUrl: string): TengineConfig {
  const tools = [
    tool('create_order', 'POST'),
    tool('slow_order', 'POST'),
    tool('flaky', 'POST'),
    tool('big', 'POST', { idempotency: { max_result_bytes: 200 } }),
    tool('short_window', 'POST', { idempotency: { window: '5s' } }),
    tool('read_order', 'GET'),
    tool('read_cached', 'GET', { idempotency: { enabled: true } }),
    tool('put_order', 'PUT', { annotations: { idempotentHint: true } }),
    tool('opted_out', 'POST', { idempotency: { enabled: false } }),
  ].map((t) => ({ ...t, base_url: upstreamUrl }));
  return {
    version: 1,
    projects: [
      { id: 'shop', environment: 'development', integrations: [{ id: 'backend', kind: 'api_key' }, { id: 'other', kind: 'api_key' }], tools },
      // Its project default turns idempotency off for every tool that does not say otherwise.
      { id: 'quiet', environment: 'development', idempotency: { enabled: false }, integrations: [{ id: 'backend', kind: 'api_key' }], tools: [{ ...tool('create_order', 'POST'), base_url: upstreamUrl }] },
    ],
  };
}

let upstream: TestUpstream;
let flakyFailures = 0;
let orderNumber = 0;

/** Each answer is unique (an increasing order number), so a replay is told apart from a second call. */
function handler(req: IncomingMessage, body: string, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  const send = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  if (path === '/flaky' && flakyFailures > 0) {
    flakyFailures--;
    return send(500, { error: 'boom' });
  }
  if (path === '/big') return send(200, { order: ++orderNumber, padding: 'x'.repeat(500) });
  if (path === '/slow_order') {
    const n = ++orderNumber;
    setTimeout(() => send(200, { order: n }), 150);
    return;
  }
  send(200, { order: ++orderNumber, path, body: body ? (JSON.parse(body) as unknown) : null });
}

const hits = (path: string) => upstream.requests.filter((r) => r.url.split('?')[0] === path).length;

beforeAll(async () => {
  upstream = await startUpstream(handler);
});
afterAll(async () => {
  await upstream?.close();
});

/** An in-process runtime over `store` (a fresh memory store by default) with its API keys and a log sink. */
async function runtime(store?: MemoryStore) {
  const logs: Record<string, unknown>[] = [];
  const built = await inProcessApp(config(upstream.url), {}, { allowDevelopment: true, log: (e) => logs.push(e), ...(store ? { store } : {}) });
  return { ...built, logs };
}

async function call(app: Hono, apiKey: string, name: string, args: unknown, meta?: Record<string, unknown>): Promise<Answer> {
  const params = { name, arguments: args, ...(meta ? { _meta: meta } : {}) };
  const res = await app.request('/mcp', { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${apiKey}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params }) });
  expect(res.status).toBe(200);
  const json = (await res.json()) as { result: Answer['result'] };
  return { requestId: res.headers.get('x-tengine-request-id') ?? '', result: json.result };
}

const errorCode = (a: Answer) => a.result._meta?.['tengine.dev/error']?.code as string | undefined;
const replayOf = (a: Answer) => a.result._meta?.['tengine.dev/replay']?.request_id as string | undefined;
const withoutReplay = (a: Answer) => {
  const { ['tengine.dev/replay']: _, ...meta } = a.result._meta ?? {};
  return { ...a.result, _meta: Object.keys(meta).length ? meta : undefined };
};

describe('idempotent retries: automatic key (caller + tool + arguments)', () => {
  let app: Hono;
  let key: string;
  let otherKey: string;
  let logs: Record<string, unknown>[];
  let close: () => Promise<void>;
  beforeAll(async () => {
    const r = await runtime();
    ({ app, logs, close } = r);
    key = r.apiKeys['shop/backend']!;
    otherKey = r.apiKeys['shop/other']!;
  });
  afterAll(() => close());

  it('a POST called twice with the same arguments reaches the upstream once; the retry gets the same result and names the first request id', async () => {
    const before = hits('/create_order');
    const first = await call(app, key, 'create_order', { item: 'book', qty: 1 });
    const retry = await call(app, key, 'create_order', { item: 'book', qty: 1 });
    expect(hits('/create_order') - before).toBe(1);
    expect(first.result.isError).toBeUndefined();
    expect(replayOf(first)).toBeUndefined();
    expect(replayOf(retry)).toBe(first.requestId);
    // The upstream saw the first call's request id, the one the replay names.
    expect(upstream.requests.at(-1)!.headers['x-tengine-request-id']).toBe(first.requestId);
    expect(withoutReplay(retry)).toEqual(first.result);
    // Its own audit line says it was a replay, and of which request.
    const audit = logs.find((l) => l.request_id === retry.requestId && l.tool === 'create_order');
    expect(audit).toMatchObject({ code: 'OK', idempotent_replay: true, replay_of: first.requestId });
  });

  it('the same arguments with keys in another order are the same call (canonical JSON)', async () => {
    const before = hits('/create_order');
    const a = await call(app, key, 'create_order', { item: 'pen', qty: 2, nested: { b: 1, a: [1, { d: 1, c: 2 }] } });
    const b = await call(app, key, 'create_order', { nested: { a: [1, { c: 2, d: 1 }], b: 1 }, qty: 2, item: 'pen' });
    expect(hits('/create_order') - before).toBe(1);
    expect(replayOf(b)).toBe(a.requestId);
  });

  it('different arguments are different calls: two upstream hits, two results', async () => {
    const before = hits('/create_order');
    const a = await call(app, key, 'create_order', { item: 'cup', qty: 1 });
    const b = await call(app, key, 'create_order', { item: 'cup', qty: 2 });
    expect(hits('/create_order') - before).toBe(2);
    expect(replayOf(b)).toBeUndefined();
    expect(b.result.structuredContent!.order).not.toBe(a.result.structuredContent!.order);
  });

  it('another caller (another integration) with the same arguments does not get the first caller’s result', async () => {
    const before = hits('/create_order');
    await call(app, key, 'create_order', { item: 'lamp', qty: 1 });
    const other = await call(app, otherKey, 'create_order', { item: 'lamp', qty: 1 });
    expect(hits('/create_order') - before).toBe(2);
    expect(replayOf(other)).toBeUndefined();
  });

  it('two members of one integration do not share results; each member’s own retry is a replay', async () => {
    const token = async (member: string) => {
      const res = await app.request('/api/v1/mcp/session-token', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ member_external_id: member }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { token: string }).token;
    };
    const [alice, bob] = [await token('alice'), await token('bob')];
    const before = hits('/create_order');
    const a = await call(app, alice, 'create_order', { item: 'desk', qty: 1 });
    const b = await call(app, bob, 'create_order', { item: 'desk', qty: 1 });
    expect(hits('/create_order') - before).toBe(2);
    expect(replayOf(b)).toBeUndefined();
    expect(b.result.structuredContent!.order).not.toBe(a.result.structuredContent!.order);
    expect(replayOf(await call(app, alice, 'create_order', { item: 'desk', qty: 1 }))).toBe(a.requestId);
    expect(hits('/create_order') - before).toBe(2);
  });

  it('10 concurrent duplicates: one upstream hit, and all ten get the same result', async () => {
    const before = hits('/slow_order');
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(app, key, 'slow_order', { item: 'chair', qty: 4 })));
    expect(hits('/slow_order') - before).toBe(1);
    const originals = answers.filter((a) => replayOf(a) === undefined);
    expect(originals).toHaveLength(1);
    for (const a of answers) {
      expect(a.result.isError).toBeUndefined();
      expect(withoutReplay(a)).toEqual(originals[0]!.result);
      if (a !== originals[0]) expect(replayOf(a)).toBe(originals[0]!.requestId);
    }
  });

  it('an error result is not kept: the retry calls the upstream again and gets its own answer', async () => {
    flakyFailures = 1;
    const before = hits('/flaky');
    const first = await call(app, key, 'flaky', { item: 'x', qty: 1 });
    expect(errorCode(first)).toBe('UPSTREAM_HTTP_ERROR');
    const retry = await call(app, key, 'flaky', { item: 'x', qty: 1 });
    expect(retry.result.isError).toBeUndefined();
    expect(replayOf(retry)).toBeUndefined();
    // The default retry policy does not repeat a POST, so each call is one hit.
    expect(hits('/flaky') - before).toBe(2);
    // The success is kept from then on.
    const third = await call(app, key, 'flaky', { item: 'x', qty: 1 });
    expect(replayOf(third)).toBe(retry.requestId);
    expect(hits('/flaky') - before).toBe(2);
  });

  it('a concurrent duplicate of a call that fails runs the call itself instead of returning the failure', async () => {
    flakyFailures = 1;
    const before = hits('/flaky');
    const [a, b] = await Promise.all([call(app, key, 'flaky', { item: 'y', qty: 1 }), call(app, key, 'flaky', { item: 'y', qty: 1 })]);
    const codes = [errorCode(a), errorCode(b)].sort();
    expect(codes).toEqual(['UPSTREAM_HTTP_ERROR', undefined].sort());
    expect(hits('/flaky') - before).toBe(2);
  });

  it('a result larger than max_result_bytes is returned whole but not kept (logged idempotency_result_too_large)', async () => {
    const before = hits('/big');
    const first = await call(app, key, 'big', { item: 'piano', qty: 1 });
    const retry = await call(app, key, 'big', { item: 'piano', qty: 1 });
    expect(hits('/big') - before).toBe(2);
    expect((first.result.structuredContent!.padding as string).length).toBe(500);
    expect(replayOf(retry)).toBeUndefined();
    expect(retry.result.structuredContent!.order).not.toBe(first.result.structuredContent!.order);
    const logged = logs.filter((l) => l.event === 'idempotency_result_too_large');
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(logged[0]).toMatchObject({ level: 'warn', tool: 'big', max_result_bytes: 200 });
    expect(logged[0]!.bytes).toBeGreaterThan(500);
  });

  it('GET tools are not cached by default; a GET tool with idempotency.enabled: true is', async () => {
    const beforeRead = hits('/read_order');
    await call(app, key, 'read_order', { item: 'a' });
    await call(app, key, 'read_order', { item: 'a' });
    expect(hits('/read_order') - beforeRead).toBe(2);
    const beforeCached = hits('/read_cached');
    const first = await call(app, key, 'read_cached', { item: 'a' });
    const retry = await call(app, key, 'read_cached', { item: 'a' });
    expect(hits('/read_cached') - beforeCached).toBe(1);
    expect(replayOf(retry)).toBe(first.requestId);
  });

  it('a tool annotated idempotentHint: true is not cached; neither is one with enabled: false, nor a project default of enabled: false', async () => {
    const beforePut = hits('/put_order');
    await call(app, key, 'put_order', { item: 'a', qty: 1 });
    await call(app, key, 'put_order', { item: 'a', qty: 1 });
    expect(hits('/put_order') - beforePut).toBe(2);
    const beforeOut = hits('/opted_out');
    const a = await call(app, key, 'opted_out', { item: 'a', qty: 1 });
    const b = await call(app, key, 'opted_out', { item: 'a', qty: 1 });
    expect(hits('/opted_out') - beforeOut).toBe(2);
    expect(replayOf(b)).toBeUndefined();
    expect(b.result.structuredContent!.order).not.toBe(a.result.structuredContent!.order);
  });
});

describe('idempotent retries: a project default', () => {
  it('a project with idempotency.enabled: false does not cache its POST tools', async () => {
    const r = await runtime();
    try {
      const before = hits('/create_order');
      await call(r.app, r.apiKeys['quiet/backend']!, 'create_order', { item: 'q', qty: 1 });
      const b = await call(r.app, r.apiKeys['quiet/backend']!, 'create_order', { item: 'q', qty: 1 });
      expect(hits('/create_order') - before).toBe(2);
      expect(replayOf(b)).toBeUndefined();
    } finally {
      await r.close();
    }
  });
});

describe('idempotent retries: the window', () => {
  it('a retry within the window is a replay; after it (memory store clock moved on) the call reaches the upstream again', async () => {
    let t = Date.parse('2026-03-01T00:00:00Z');
    const store = createMemoryStore({ now: () => t, sweepIntervalMs: 0 });
    const r = await runtime(store);
    try {
      const key = r.apiKeys['shop/backend']!;
      const before = hits('/short_window');
      const first = await call(r.app, key, 'short_window', { item: 'w', qty: 1 });
      t += 4_900;
      expect(replayOf(await call(r.app, key, 'short_window', { item: 'w', qty: 1 }))).toBe(first.requestId);
      expect(hits('/short_window') - before).toBe(1);
      t += 200; // 5.1 s after the first call: its window of 5 s is over
      const after = await call(r.app, key, 'short_window', { item: 'w', qty: 1 });
      expect(replayOf(after)).toBeUndefined();
      expect(hits('/short_window') - before).toBe(2);
    } finally {
      await r.close();
      await store.close();
    }
  });
});

describe('idempotent retries: a client-supplied key in _meta["tengine.dev/idempotency_key"]', () => {
  let app: Hono;
  let key: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const r = await runtime();
    ({ app, close } = r);
    key = r.apiKeys['shop/backend']!;
  });
  afterAll(() => close());
  const meta = (k: unknown) => ({ 'tengine.dev/idempotency_key': k });

  it('the same key and arguments: one upstream hit, the retry is a replay', async () => {
    const before = hits('/create_order');
    const first = await call(app, key, 'create_order', { item: 'k1', qty: 1 }, meta('order-7f3a'));
    const retry = await call(app, key, 'create_order', { item: 'k1', qty: 1 }, meta('order-7f3a'));
    expect(hits('/create_order') - before).toBe(1);
    expect(replayOf(retry)).toBe(first.requestId);
  });

  it('the same key with other arguments is refused with IDEMPOTENCY_KEY_REUSED (422), never served the old result', async () => {
    const before = hits('/create_order');
    await call(app, key, 'create_order', { item: 'k2', qty: 1 }, meta('order-9b1c'));
    const reused = await call(app, key, 'create_order', { item: 'k2', qty: 99 }, meta('order-9b1c'));
    expect(errorCode(reused)).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(reused.result._meta!['tengine.dev/error'].status).toBe(422);
    expect(reused.result.structuredContent).toBeUndefined();
    expect(hits('/create_order') - before).toBe(1);
  });

  it('a new key with the same arguments is a new call (the key replaces the argument hash)', async () => {
    const before = hits('/create_order');
    await call(app, key, 'create_order', { item: 'k3', qty: 1 }, meta('a-1'));
    const b = await call(app, key, 'create_order', { item: 'k3', qty: 1 }, meta('a-2'));
    expect(hits('/create_order') - before).toBe(2);
    expect(replayOf(b)).toBeUndefined();
  });

  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'abc\n'],
    ['a non-ASCII character', 'clé'],
  ])('a key that is %s → INVALID_ARGUMENTS naming the rule, nothing sent upstream', async (_, bad) => {
    const before = hits('/create_order');
    const a = await call(app, key, 'create_order', { item: 'bad', qty: 1 }, meta(bad));
    expect(errorCode(a)).toBe('INVALID_ARGUMENTS');
    expect(a.result._meta!['tengine.dev/error'].detail).toMatch(/1 to 255 printable ASCII/);
    expect(hits('/create_order') - before).toBe(0);
  });

  it('a key of 255 printable characters is accepted', async () => {
    const a = await call(app, key, 'create_order', { item: 'long', qty: 1 }, meta('~'.repeat(255)));
    expect(a.result.isError).toBeUndefined();
  });
});

describe('idempotent retries when the store is unavailable (a closed store)', () => {
  it('automatic key: the call proceeds without de-duplication and idempotency_store_unavailable is logged', async () => {
    const store = createMemoryStore();
    const r = await runtime(store);
    try {
      await store.close();
      const key = r.apiKeys['shop/backend']!;
      const before = hits('/create_order');
      const a = await call(r.app, key, 'create_order', { item: 'outage', qty: 1 });
      const b = await call(r.app, key, 'create_order', { item: 'outage', qty: 1 });
      expect(a.result.isError).toBeUndefined();
      expect(b.result.isError).toBeUndefined();
      expect(hits('/create_order') - before).toBe(2);
      expect(r.logs.filter((l) => l.event === 'idempotency_store_unavailable')[0]).toMatchObject({ level: 'warn', tool: 'create_order', client_key: false });
    } finally {
      await r.close();
    }
  });

  it('client key: refused with IDEMPOTENCY_UNAVAILABLE (503, retry_after_seconds 1), nothing sent upstream', async () => {
    const store = createMemoryStore();
    const r = await runtime(store);
    try {
      await store.close();
      const before = hits('/create_order');
      const a = await call(r.app, r.apiKeys['shop/backend']!, 'create_order', { item: 'outage', qty: 2 }, { 'tengine.dev/idempotency_key': 'pay-1' });
      expect(errorCode(a)).toBe('IDEMPOTENCY_UNAVAILABLE');
      expect(a.result._meta!['tengine.dev/error']).toMatchObject({ status: 503, retry_after_seconds: 1 });
      expect(hits('/create_order') - before).toBe(0);
    } finally {
      await r.close();
    }
  });
});
