import { afterEach, describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { toolError, type ToolResult } from '../execute/tool-errors.js';
import type { CallerIdentity } from '../execute/types.js';
import { createMemoryStore, type MemoryStore } from '../store/memory-store.js';
import { compileIdempotency, idempotencyEnabled, idempotentCall, PENDING_MARGIN_MS, type IdempotentTool } from './idempotency.js';

const tool = (extra: Partial<Tool>): Tool => ({ name: 't', description: 'd', input_schema: { type: 'object' }, base_url: 'https://api.example.com', http_method: 'POST', endpoint_path: '/t', ...extra });

describe('compileIdempotency: defaults by method and annotation, project default merged field by field', () => {
  it.each<[string, Partial<Tool>, boolean]>([
    ['POST', { http_method: 'POST' }, true],
    ['PUT', { http_method: 'PUT' }, true],
    ['PATCH', { http_method: 'PATCH' }, true],
    ['DELETE', { http_method: 'DELETE' }, true],
    ['GET (a safe method)', { http_method: 'GET' }, false],
    ['POST annotated idempotentHint: true', { annotations: { idempotentHint: true } }, false],
    ['POST annotated idempotentHint: false', { annotations: { idempotentHint: false } }, true],
    ['GET with enabled: true', { http_method: 'GET', idempotency: { enabled: true } }, true],
    ['POST with enabled: false', { idempotency: { enabled: false } }, false],
  ])('%s → %s', (_, extra, on) => {
    expect(idempotencyEnabled(tool(extra), undefined)).toBe(on);
    expect(compileIdempotency(tool(extra), undefined, 10_000) !== undefined).toBe(on);
  });

  it('defaults: 60 s window, 64 KiB cap, a claim of the timeout plus the margin', () => {
    expect(compileIdempotency(tool({}), undefined, 10_000)).toEqual({ windowMs: 60_000, maxResultBytes: 65_536, pendingMs: 10_000 + PENDING_MARGIN_MS });
  });

  it("the tool's fields override the project's one by one; the project's enabled applies where the tool says nothing", () => {
    const project = { window: '5m', max_result_bytes: 1000 };
    expect(compileIdempotency(tool({ idempotency: { max_result_bytes: 2000 } }), project, 1000)).toMatchObject({ windowMs: 300_000, maxResultBytes: 2000 });
    expect(compileIdempotency(tool({}), { enabled: false }, 1000)).toBeUndefined();
    expect(compileIdempotency(tool({ idempotency: { enabled: true } }), { enabled: false }, 1000)).toBeDefined();
    // A project's enabled: true is explicit, so it covers GET tools too.
    expect(compileIdempotency(tool({ http_method: 'GET' }), { enabled: true }, 1000)).toBeDefined();
  });
});

describe('idempotentCall on the memory store (claims, waiting, release)', () => {
  const caller: CallerIdentity = { kind: 'api_key', projectId: 'p', integrationId: 'i' };
  const ok = (n: number): ToolResult => ({ content: [{ type: 'text', text: String(n) }], structuredContent: { n } });
  let store: MemoryStore;
  afterEach(() => store?.close());

  it('a claim left by a call that never finishes (an instance that died) expires: a retry then runs the call itself', async () => {
    store = createMemoryStore();
    const t: IdempotentTool = { name: 't', idempotency: { windowMs: 60_000, maxResultBytes: 1000, pendingMs: 60 } };
    void idempotentCall(t, { a: 1 }, undefined, { caller, store }, () => new Promise<ToolResult>(() => undefined));
    const started = performance.now();
    let runs = 0;
    const result = await idempotentCall(t, { a: 1 }, undefined, { caller, store }, async () => ok(++runs));
    expect(result.structuredContent).toEqual({ n: 1 });
    expect(runs).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('a duplicate waiting for a claim stops when its client goes away (CANCELLED), without running the call', async () => {
    store = createMemoryStore();
    const t: IdempotentTool = { name: 't', idempotency: { windowMs: 60_000, maxResultBytes: 1000, pendingMs: 60_000 } };
    let release!: (r: ToolResult) => void;
    const first = idempotentCall(t, {}, undefined, { caller, store }, () => new Promise<ToolResult>((r) => (release = r)));
    const abort = new AbortController();
    let ran = false;
    const waiting = idempotentCall(t, {}, undefined, { caller, store, signal: abort.signal }, async () => ((ran = true), ok(2)));
    setTimeout(() => abort.abort(), 30);
    const answer = await waiting;
    expect((answer._meta?.['tengine.dev/error'] as { code: string }).code).toBe('CANCELLED');
    expect(ran).toBe(false);
    release(ok(1));
    expect((await first).structuredContent).toEqual({ n: 1 });
  });

  it('an error result releases the claim at once: the key is gone from the store', async () => {
    store = createMemoryStore();
    const t: IdempotentTool = { name: 't', idempotency: { windowMs: 60_000, maxResultBytes: 1000, pendingMs: 60_000 } };
    const failed = await idempotentCall(t, { x: 1 }, undefined, { caller, store }, async () => toolError('UPSTREAM_TIMEOUT'));
    expect(failed.isError).toBe(true);
    expect(await store.keysWithPrefix('idem:', 10)).toEqual([]);
  });

  it('a member through another integration, or with other roles or email, is another caller: never served the result', async () => {
    store = createMemoryStore();
    const t: IdempotentTool = { name: 't', idempotency: { windowMs: 60_000, maxResultBytes: 1000, pendingMs: 60_000 } };
    const alice = (integrationId: string, roles: string[], email = 'a@example.com'): CallerIdentity => ({ kind: 'member', projectId: 'p', integrationId, member: { id: 'alice', email, roles } });
    let runs = 0;
    const call = (caller: CallerIdentity) => idempotentCall(t, { a: 1 }, { 'tengine.dev/idempotency_key': 'k1' }, { caller, store }, async () => ok(++runs));
    expect((await call(alice('partner', ['admin']))).structuredContent).toEqual({ n: 1 });
    // The upstream sees the integration and the roles (X-Tengine-Identity): an admin's result is not a viewer's.
    expect((await call(alice('partner', ['viewer']))).structuredContent).toEqual({ n: 2 });
    expect((await call(alice('web', ['admin']))).structuredContent).toEqual({ n: 3 });
    expect((await call(alice('partner', ['admin'], 'b@example.com'))).structuredContent).toEqual({ n: 4 });
    // The same member, integration, email and roles: a replay of the first call.
    const again = await call(alice('partner', ['admin']));
    expect(again.structuredContent).toEqual({ n: 1 });
    expect(again._meta?.['tengine.dev/replay']).toBeDefined();
    expect(runs).toBe(4);
  });

  it('a kept result is keyed by hashes only: no argument value, tool name or client key in the key', async () => {
    store = createMemoryStore();
    const t: IdempotentTool = { name: 'secret_tool_name', idempotency: { windowMs: 60_000, maxResultBytes: 1000, pendingMs: 60_000 } };
    await idempotentCall(t, { card: '4111111111111111' }, { 'tengine.dev/idempotency_key': 'client-key-xyz' }, { caller, store }, async () => ok(1));
    const keys = await store.keysWithPrefix('idem:', 10);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^idem:p:[0-9a-f]{64}$/);
    expect(await store.get(keys[0]!)).not.toContain('4111111111111111');
  });
});
