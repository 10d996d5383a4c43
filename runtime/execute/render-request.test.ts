import { describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { compileTool } from './compile-tool.js';
import { compileRequestTemplates, renderRequest } from './render-request.js';
import { API_KEY_CALLER, errorOf, MEMBER_CALLER, sendJson, testContext, testTool, useUpstream } from './test-support.js';
import type { CallerIdentity } from './types.js';

const shared = useUpstream((_req, res) => sendJson(res, 200, { ok: true }));

const anyArgs = { type: 'object', properties: {}, additionalProperties: true };

/** Runs the tool against the loopback upstream and returns what the upstream received (or the error). */
async function call(fields: Partial<Tool>, args: unknown, caller: CallerIdentity = API_KEY_CALLER) {
  const tool = compileTool(testTool(shared.up.origin, { input_schema: anyArgs, ...fields }), 'acme', testContext(shared.client));
  const result = await tool.execute(args, caller);
  return { result, error: errorOf(result), req: shared.up.received.at(-1) };
}

async function expectNotRenderable(fields: Partial<Tool>, args: unknown, caller?: CallerIdentity): Promise<string> {
  const { error, req } = await call(fields, args, caller);
  expect(error).toMatchObject({ code: 'ARGUMENT_NOT_RENDERABLE', status: 400 });
  expect(req).toBeUndefined();
  return String(error?.detail);
}

describe('endpoint_path: each value is one percent-encoded segment (docs/config.md §4.3)', () => {
  it('encodes every character but the RFC 3986 unreserved set, including / ? # % and sub-delims', async () => {
    const { error, req } = await call({ endpoint_path: '/v1/files/{name}/meta' }, { name: "a/b?c#d%e f!'()*~._-Zz9" });
    expect(error).toBeUndefined();
    expect(req?.url).toBe('/v1/files/a%2Fb%3Fc%23d%25e%20f%21%27%28%29%2A~._-Zz9/meta');
  });

  it('encodes unicode as UTF-8 and renders numbers and booleans as text', async () => {
    const { req } = await call({ endpoint_path: '/v1/{a}/{b}/{c}' }, { a: 'café ☕', b: 42.5, c: false });
    expect(req?.url).toBe('/v1/caf%C3%A9%20%E2%98%95/42.5/false');
  });

  it.each([['..'], ['.'], ['%2e%2e'], ['%2E.'], ['%252e%252e'], ['../admin'], ['a/../../etc'], ['..\\x'], ['%2e%2e%2fadmin']])(
    'refuses the dot-segment value %j (encoded or not) with ARGUMENT_NOT_RENDERABLE',
    async (value) => {
      expect(await expectNotRenderable({ endpoint_path: '/v1/files/{name}' }, { name: value })).toContain('"name"');
    },
  );

  // UTS #15 NFKC folds these into "." and "/" (U+FF0E fullwidth full stop, U+2024 one dot leader, U+2025 two dot
  // leader, U+FE52 small full stop, U+FF0F fullwidth solidus, U+FF3C fullwidth reverse solidus); an upstream or proxy
  // that normalizes decoded paths would see a traversal.
  it.each([['\uFF0E\uFF0E'], ['\u2025'], ['\u2024'], ['\uFE52\uFE52'], ['\uFF0E\uFF0E\uFF0Fadmin'], ['..\uFF0Fadmin'], ['a\uFF3C\u2025\uFF3Cb'], ['%EF%BC%8E%EF%BC%8E']])(
    'refuses %j, which Unicode compatibility normalization turns into a dot segment',
    async (value) => {
      expect(await expectNotRenderable({ endpoint_path: '/v1/files/{name}' }, { name: value })).toContain('"name"');
    },
  );

  it('accepts ordinary non-ASCII values and lookalikes that stay inside one segment', async () => {
    const { req } = await call({ endpoint_path: '/v1/{a}/{b}' }, { a: 'ｆｉｌｅ．txt', b: 'naïve' });
    expect(req?.url).toBe(`/v1/${encodeURIComponent('ｆｉｌｅ．txt')}/na%C3%AFve`);
  });

  it('accepts values that only look like dots inside a segment (a..b, ..., .env)', async () => {
    const { req } = await call({ endpoint_path: '/v1/{a}/{b}/{c}' }, { a: 'a..b', b: '...', c: '.env' });
    expect(req?.url).toBe('/v1/a..b/.../.env');
  });

  it('refuses a rendered path with a dot segment built from a literal and a value', async () => {
    await expectNotRenderable({ endpoint_path: '/v1/.{x}/y' }, { x: '.' });
  });

  it('refuses an empty, missing, null, object or array value', async () => {
    await expectNotRenderable({ endpoint_path: '/v1/{id}' }, { id: '' });
    await expectNotRenderable({ endpoint_path: '/v1/{id}' }, {});
    await expectNotRenderable({ endpoint_path: '/v1/{id}' }, { id: null });
    await expectNotRenderable({ endpoint_path: '/v1/{id}' }, { id: { a: 1 } });
    await expectNotRenderable({ endpoint_path: '/v1/{id}' }, { id: ['a'] });
  });

  it('refuses a string with a lone surrogate (no UTF-8 form)', async () => {
    await expectNotRenderable({ endpoint_path: '/v1/{id}' }, { id: 'a\uD800b' });
  });

  it('fills reserved variables only from the caller: project_id, integration_id, member_id', async () => {
    const { req } = await call({ endpoint_path: '/p/{project_id}/i/{integration_id}/m/{member_id}' }, {}, MEMBER_CALLER);
    expect(req?.url).toBe('/p/acme/i/backend/m/mem_42');
  });

  it('a member variable without a member session cannot render the path', async () => {
    await expectNotRenderable({ endpoint_path: '/m/{member_id}' }, {}, API_KEY_CALLER);
  });
});

describe('query_template', () => {
  it('URL-encodes values, keeps template order, sends static numbers and booleans as text', async () => {
    const { req } = await call({ query_template: { q: 'name:{q}', per_page: 50, archived: false, lit: 'a&b={{x}}' } }, { q: 'Ana & Bo=1+2 é' });
    expect(req?.url).toBe('/v1/thing?q=name%3AAna%20%26%20Bo%3D1%2B2%20%C3%A9&per_page=50&archived=false&lit=a%26b%3D%7Bx%7D');
  });

  it('a whole-placeholder array becomes repeated parameters; an empty array adds none', async () => {
    expect((await call({ query_template: { id: '{ids}' } }, { ids: ['a', 2, true] })).req?.url).toBe('/v1/thing?id=a&id=2&id=true');
    expect((await call({ query_template: { id: '{ids}', x: '1' } }, { ids: [] })).req?.url).toBe('/v1/thing?x=1');
  });

  it('omits a parameter whose argument is missing or null', async () => {
    const { req } = await call({ query_template: { a: '{a}', b: 'x-{b}', c: '{c}' } }, { c: null });
    expect(req?.url).toBe('/v1/thing');
  });

  it('refuses objects, nested lists and lists inside text', async () => {
    await expectNotRenderable({ query_template: { f: '{f}' } }, { f: { a: 1 } });
    await expectNotRenderable({ query_template: { f: '{f}' } }, { f: [['a']] });
    await expectNotRenderable({ query_template: { f: 'x{f}' } }, { f: ['a'] });
  });

  it('member_roles is comma-joined in a query value', async () => {
    const { req } = await call({ query_template: { roles: '{member_roles}' } }, {}, MEMBER_CALLER);
    expect(req?.url).toBe('/v1/thing?roles=admin%2Csales');
  });
});

describe('headers_template (RFC 9110 §5.5 field values)', () => {
  it('renders values, sends static numbers as text, omits a header whose argument is missing', async () => {
    const { req } = await call({ headers_template: { 'X-Trace': 't-{trace}', 'X-Page': 3, 'X-Gone': '{nope}', 'X-Latin': '{l}' } }, { trace: 'abc', l: 'café' });
    expect(req?.headers['x-trace']).toBe('t-abc');
    expect(req?.headers['x-page']).toBe('3');
    expect(req?.headers['x-gone']).toBeUndefined();
    // obs-text: one byte per character; Node's server reads it back as latin1.
    expect(req?.headers['x-latin']).toBe('café');
  });

  it.each([['a\r\nX-Evil: 1'], ['a\nb'], ['a\u0000b'], ['a\u007fb'], ['a\u0001b'], ['日本']])('refuses the header value %j with ARGUMENT_NOT_RENDERABLE', async (v) => {
    expect(await expectNotRenderable({ headers_template: { 'X-Note': '{v}' } }, { v })).toContain('X-Note');
  });

  it('a template cannot set runtime-owned headers such as X-Tengine-Member-Id or Host', async () => {
    const { req } = await call({ headers_template: { 'X-Tengine-Member-Id': '{who}', Host: 'evil.example' } }, { who: 'mem_admin' });
    expect(req?.headers['x-tengine-member-id']).toBeUndefined();
    expect(req?.headers.host).toBe(`127.0.0.1:${shared.up.port}`);
  });
});

describe('body_template: typed substitution (docs/config.md §4.3)', () => {
  it('a string that is exactly {name} keeps the JSON type; other strings interpolate; static parts are untouched', async () => {
    const { req, error } = await call(
      {
        http_method: 'POST',
        body_template: {
          amount: '{amount}',
          tags: '{tags}',
          next: '{next}',
          flag: '{flag}',
          note: 'Moved to {stage} by {member_email}',
          label: '{{assistant}} {stage}',
          static: { n: 1.5, t: true, z: null, s: 'plain' },
          obj_text: 'v={next}',
          roles: '{member_roles}',
          roles_text: 'r={member_roles}',
        },
      },
      { amount: 1250.5, tags: ['vip', 'eu'], next: { step: 'call', at: 3 }, flag: false, stage: 'won' },
      MEMBER_CALLER,
    );
    expect(error).toBeUndefined();
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body.toString('utf8'))).toEqual({
      amount: 1250.5,
      tags: ['vip', 'eu'],
      next: { step: 'call', at: 3 },
      flag: false,
      note: 'Moved to won by ana@example.com',
      label: '{assistant} won',
      static: { n: 1.5, t: true, z: null, s: 'plain' },
      obj_text: 'v={"step":"call","at":3}',
      roles: ['admin', 'sales'],
      roles_text: 'r=admin,sales',
    });
  });

  it('omits object members and list items whose placeholder has no value; keeps null values', async () => {
    const { req } = await call({ http_method: 'POST', body_template: { a: '{a}', b: 'x {b}', c: '{c}', list: ['{a}', 'k', '{c}'], deep: { d: '{d}' } } }, { c: null });
    expect(JSON.parse(req!.body.toString('utf8'))).toEqual({ c: null, list: ['k', null], deep: {} });
  });

  it('sends no body (and no Content-Type) without body_template, or when a whole-body placeholder is missing', async () => {
    let r = await call({ http_method: 'POST' }, {});
    expect(r.req?.body.length).toBe(0);
    expect(r.req?.headers['content-type']).toBeUndefined();
    // RFC 9110 §8.6: a POST without content says so with Content-Length: 0 rather than leaving it ambiguous.
    expect(r.req?.headers['content-length']).toBe('0');
    r = await call({ http_method: 'POST', body_template: '{payload}' as unknown as Tool['body_template'] }, {});
    expect(r.req?.body.length).toBe(0);
    r = await call({ http_method: 'POST', body_template: '{payload}' as unknown as Tool['body_template'] }, { payload: [1, 2] });
    expect(r.req?.body.toString('utf8')).toBe('[1,2]');
  });

  it('a body member named __proto__ is a member, not a prototype change', async () => {
    const { req } = await call({ http_method: 'POST', body_template: JSON.parse('{"__proto__": {"x": "{v}"}, "a": 1}') as Tool['body_template'] }, { v: 'y' });
    expect(req!.body.toString('utf8')).toBe('{"__proto__":{"x":"y"},"a":1}');
  });
});

describe('arguments and reserved variables', () => {
  it('refuses a reserved variable passed as an argument with RESERVED_ARGUMENT (400), before anything is sent', async () => {
    for (const name of ['member_id', 'member_email', 'member_roles', 'project_id', 'integration_id']) {
      const { error, req } = await call({ endpoint_path: '/m/{member_id}' }, { [name]: 'mem_admin' }, MEMBER_CALLER);
      expect(error).toMatchObject({ code: 'RESERVED_ARGUMENT', status: 400 });
      expect(req).toBeUndefined();
    }
  });

  it('__proto__ and inherited names in arguments are harmless', async () => {
    const args = JSON.parse('{"__proto__": {"member_id": "mem_admin", "polluted": true}, "id": "x"}') as Record<string, unknown>;
    const { error, req } = await call({ endpoint_path: '/m/{member_id}/{id}', query_template: { c: '{constructor}', t: '{toString}' } }, args, MEMBER_CALLER);
    expect(error).toBeUndefined();
    expect(req?.url).toBe('/m/mem_42/x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an argument named __proto__ can be used when the schema declares it', async () => {
    const args = JSON.parse('{"__proto__": "p"}') as Record<string, unknown>;
    const { req } = await call({ endpoint_path: '/x/{__proto__}' }, args);
    expect(req?.url).toBe('/x/p');
  });
});

describe('renderRequest (pure)', () => {
  it('parses templates at compile time and renders without re-parsing', () => {
    const tpl = compileRequestTemplates({ endpoint_path: '/v1/{id}', query_template: { q: '{q}' } });
    expect(tpl.path.parts).toEqual([{ text: '/v1/' }, { variable: 'id' }]);
    expect(renderRequest(tpl, { id: 'a b', q: 'c' }, API_KEY_CALLER)).toEqual({ ok: true, pathAndQuery: '/v1/a%20b?q=c', headers: [], body: undefined });
  });

  it('throws at compile time for a template tengine validate would refuse', () => {
    expect(() => compileRequestTemplates({ endpoint_path: '/v1/{id' })).toThrow(/unclosed/);
  });
});
