import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildOutboundHeaders, IdentityHeaderError, type OutboundHeaderInput } from './outbound-headers.js';
import type { CallerIdentity } from './types.js';

// The no-template fast path must give what the HeaderSet path gives: same names, values, order and refusals.
// A template that sets Accept to its default changes nothing, so it routes the same input through the HeaderSet path.

function both(input: OutboundHeaderInput): [unknown, unknown] {
  const run = (i: OutboundHeaderInput): unknown => {
    try {
      const r = buildOutboundHeaders(i);
      return { proto: Object.getPrototypeOf(r), entries: Object.entries(r) };
    } catch (e) {
      return { threw: e instanceof IdentityHeaderError ? 'IdentityHeaderError' : String(e) };
    }
  };
  return [run({ ...input, templateHeaders: [] }), run({ ...input, templateHeaders: [['Accept', 'application/json']] })];
}

describe('outbound headers without a template (fast path)', () => {
  it('property: identical to the HeaderSet path for any member, inject flags and body, control characters included', () => {
    const text = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('', 'a\r\nX-Evil: 1', 'tab\there', 'nul\u0000', 'del\u007f', 'josé', '用户'));
    const member = fc.option(fc.record({ id: text, email: fc.option(text, { nil: undefined }), roles: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }) }, { requiredKeys: ['id'] }), { nil: undefined });
    const inject = fc.option(fc.record({ id: fc.boolean(), email: fc.boolean(), roles: fc.boolean() }, { requiredKeys: [] }), { nil: undefined });
    fc.assert(
      fc.property(member, inject, fc.boolean(), (m, inj, hasBody) => {
        const caller: CallerIdentity = { kind: m ? 'member' : 'api_key', projectId: 'acme', integrationId: 'backend', ...(m ? { member: m } : {}) } as CallerIdentity;
        const [fast, reference] = both({ caller, inject: inj, requestId: 'req-1', timestamp: 1700000000, hasBody, templateHeaders: [] });
        expect(fast).toEqual(reference);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a member id, email or role with CR/LF exactly as the HeaderSet path does', () => {
    for (const member of [{ id: 'a\r\nX-Evil: 1' }, { id: 'ok', email: 'e\n' }, { id: 'ok', roles: ['r', 'x\u0000'] }]) {
      const [fast, reference] = both({ caller: { kind: 'member', projectId: 'acme', integrationId: 'backend', member } as CallerIdentity, inject: { id: true, email: true, roles: true }, requestId: 'r', timestamp: 1, hasBody: false, templateHeaders: [] });
      expect(fast).toEqual({ threw: 'IdentityHeaderError' });
      expect(reference).toEqual(fast);
    }
  });
});
