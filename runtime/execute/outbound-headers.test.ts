import { describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { compileTool } from './compile-tool.js';
import { buildOutboundHeaders, HeaderSet, IdentityHeaderError } from './outbound-headers.js';
import { API_KEY_CALLER, errorOf, MEMBER_CALLER, sendJson, testContext, testTool, useUpstream } from './test-support.js';
import type { CallerIdentity } from './types.js';

const shared = useUpstream((_req, res) => sendJson(res, 200, { ok: true }));

async function headersFor(fields: Partial<Tool>, caller: CallerIdentity) {
  const tool = compileTool(testTool(shared.up.origin, fields), 'acme', testContext(shared.client));
  const result = await tool.execute({}, caller);
  expect(errorOf(result)).toBeUndefined();
  expect(shared.up.received).toHaveLength(1);
  return shared.up.received[0]!.headers;
}

const ALL = { id: true, email: true, roles: true };

describe('identity headers (docs/outbound.md, hosted product A3.4)', () => {
  it('every call carries project, integration, request id, timestamp, User-Agent and Accept', async () => {
    const h = await headersFor({}, API_KEY_CALLER);
    expect(h['x-tengine-project-id']).toBe('acme');
    expect(h['x-tengine-integration-id']).toBe('backend');
    expect(h['x-tengine-request-id']).toBe('00000000-0000-4000-8000-000000000001');
    expect(h['x-tengine-timestamp']).toBe('1700000000');
    expect(h['user-agent']).toBe('tengine/0.1');
    expect(h.accept).toBe('application/json');
    expect(h['content-type']).toBeUndefined();
    expect(h.authorization).toBeUndefined();
    expect(h['x-tengine-signature']).toBeUndefined();
  });

  it('a member caller with every inject flag gets id, email and comma-joined roles', async () => {
    const h = await headersFor({ inject_member_identity: ALL }, MEMBER_CALLER);
    expect(h['x-tengine-member-id']).toBe('mem_42');
    expect(h['x-tengine-member-email']).toBe('ana@example.com');
    expect(h['x-tengine-member-roles']).toBe('admin,sales');
  });

  it('each flag controls its own header; flags default to false', async () => {
    let h = await headersFor({}, MEMBER_CALLER);
    expect(Object.keys(h).filter((k) => k.startsWith('x-tengine-member-'))).toEqual([]);
    shared.up.received.length = 0;
    h = await headersFor({ inject_member_identity: { email: true } }, MEMBER_CALLER);
    expect(Object.keys(h).filter((k) => k.startsWith('x-tengine-member-'))).toEqual(['x-tengine-member-email']);
  });

  it('an API-key caller gets no member headers even when the tool asks (omitted, not empty)', async () => {
    const h = await headersFor({ inject_member_identity: ALL }, API_KEY_CALLER);
    expect(Object.keys(h).filter((k) => k.startsWith('x-tengine-member-'))).toEqual([]);
  });

  it('a member without email or roles gets only the id header', async () => {
    const h = await headersFor({ inject_member_identity: ALL }, { kind: 'member', projectId: 'acme', integrationId: 'backend', member: { id: 'mem_1', roles: [] } });
    expect(h['x-tengine-member-id']).toBe('mem_1');
    expect(h['x-tengine-member-email']).toBeUndefined();
    expect(h['x-tengine-member-roles']).toBeUndefined();
  });

  it('member values are sent as UTF-8 bytes', async () => {
    const h = await headersFor({ inject_member_identity: ALL }, { kind: 'member', projectId: 'acme', integrationId: 'backend', member: { id: 'josé', email: '用户@例子.com' } });
    expect(Buffer.from(h['x-tengine-member-id'] as string, 'latin1').toString('utf8')).toBe('josé');
    expect(Buffer.from(h['x-tengine-member-email'] as string, 'latin1').toString('utf8')).toBe('用户@例子.com');
  });

  it('a member id with CR/LF fails the call with INTERNAL_ERROR (500) and sends nothing', async () => {
    const tool = compileTool(testTool(shared.up.origin, { inject_member_identity: ALL }), 'acme', testContext(shared.client));
    const result = await tool.execute({}, { kind: 'member', projectId: 'acme', integrationId: 'backend', member: { id: 'a\r\nX-Evil: 1' } });
    expect(errorOf(result)).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    expect(shared.up.received).toHaveLength(0);
  });

  it('the caller credential is never forwarded; a body adds Content-Type: application/json', async () => {
    const h = await headersFor({ http_method: 'POST', body_template: { a: 1 } }, { ...MEMBER_CALLER, kind: 'oauth', scopes: ['x'] });
    expect(h.authorization).toBeUndefined();
    expect(h['content-type']).toBe('application/json');
  });
});

describe('buildOutboundHeaders', () => {
  const base = { caller: MEMBER_CALLER, inject: ALL, requestId: 'rid', timestamp: 1, hasBody: true };

  it('runtime headers (X-Tengine-*, User-Agent) win over template headers case-insensitively; Accept and Content-Type may be overridden', () => {
    const h = buildOutboundHeaders({
      ...base,
      templateHeaders: [
        ['x-tengine-project-id', 'other'],
        ['X-TENGINE-MEMBER-ID', 'mem_admin'],
        ['accept', 'text/csv'],
        ['user-agent', 'spoofed/1.0'],
        ['content-type', 'application/merge-patch+json'],
      ],
    });
    expect(h).toEqual({
      'User-Agent': 'tengine/0.1',
      accept: 'text/csv',
      'content-type': 'application/merge-patch+json',
      'X-Tengine-Project-Id': 'acme',
      'X-Tengine-Integration-Id': 'backend',
      'X-Tengine-Request-Id': 'rid',
      'X-Tengine-Timestamp': '1',
      'X-Tengine-Member-Id': 'mem_42',
      'X-Tengine-Member-Email': 'ana@example.com',
      'X-Tengine-Member-Roles': 'admin,sales',
    });
  });

  it('throws IdentityHeaderError for a control character in a member value', () => {
    expect(() => buildOutboundHeaders({ ...base, caller: { ...MEMBER_CALLER, member: { id: 'x', roles: ['a\nb'] } }, templateHeaders: [] })).toThrow(IdentityHeaderError);
  });

  it('HeaderSet gives a null-prototype record, so a header named __proto__ is just a key', () => {
    const s = new HeaderSet();
    s.set('__proto__', 'x');
    const r = s.toRecord();
    expect(Object.getPrototypeOf(r)).toBeNull();
    expect(Object.keys(r)).toEqual(['__proto__']);
  });
});
