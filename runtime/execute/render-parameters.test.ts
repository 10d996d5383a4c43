import { describe, expect, it } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { parseParameterPath } from '../../schemas/request-parameters.js';
import {
  appendParameterHeaders,
  compileBodyArgument,
  compileParameters,
  MissingParameterError,
  readArgument,
  renderBodyArgument,
  renderParameterPath,
  renderParameterQuery,
} from './render-parameters.js';
import { RenderError } from './render-url.js';
import { compileTool } from './compile-tool.js';
import { createUpstreamClient } from './http-client.js';
import { API_KEY_CALLER, errorOf, sendJson, startUpstream, testContext, testTool, useUpstream } from './test-support.js';

type Param = NonNullable<Tool['parameters']>[number];

// The values of the OpenAPI 3.1 style examples table (§4.8.12.4.1): `color` as an empty string, a string, an array
// and an object.
const EMPTY = '';
const STRING = 'blue';
const ARRAY = ['blue', 'black', 'brown'];
const OBJECT = { R: 100, G: 200, B: 150 };

function path(param: Omit<Param, 'argument' | 'name' | 'in'>, value: unknown, endpoint = '/users/{color}'): string {
  const c = compileParameters({ endpoint_path: endpoint, parameters: [{ name: 'color', in: 'path', argument: ['color'], ...param }] });
  return renderParameterPath(c, { color: value });
}

function query(param: Omit<Param, 'argument' | 'name' | 'in'>, value: unknown, name = 'color'): string {
  const c = compileParameters({ endpoint_path: '/x', parameters: [{ name, in: 'query', argument: ['v'], ...param }] });
  return renderParameterQuery(c, value === undefined ? {} : { v: value }).join('&');
}

function headers(params: Param[], args: Record<string, unknown>, start: [string, string][] = []): [string, string][] {
  const c = compileParameters({ endpoint_path: '/x', parameters: params });
  const out: [string, string][] = [...start];
  appendParameterHeaders(c, args, out);
  return out;
}

describe('path parameters: the OpenAPI style examples table', () => {
  // [style, explode, empty, string, array, object]; the empty string is shown after a literal prefix so the
  // segment is not a bare "." (which is refused as a dot segment).
  const table: [string, boolean, string, string, string, string][] = [
    ['simple', false, '', 'blue', 'blue,black,brown', 'R,100,G,200,B,150'],
    ['simple', true, '', 'blue', 'blue,black,brown', 'R=100,G=200,B=150'],
    ['label', false, '.', '.blue', '.blue,black,brown', '.R,100,G,200,B,150'],
    ['label', true, '.', '.blue', '.blue.black.brown', '.R=100.G=200.B=150'],
    ['matrix', false, ';color', ';color=blue', ';color=blue,black,brown', ';color=R,100,G,200,B,150'],
    ['matrix', true, ';color', ';color=blue', ';color=blue;color=black;color=brown', ';R=100;G=200;B=150'],
  ];
  it.each(table)('style %s, explode %s', (style, explode, empty, string, array, object) => {
    const p = { style: style as Param['style'], explode };
    expect(path(p, STRING)).toBe(`/users/${string}`);
    expect(path(p, ARRAY)).toBe(`/users/${array}`);
    expect(path(p, OBJECT)).toBe(`/users/${object}`);
    if (empty === '') expect(() => path(p, EMPTY)).toThrow(/is empty and the path needs a value/);
    else expect(path(p, EMPTY, '/users/p{color}')).toBe(`/users/p${empty}`);
  });

  it('defaults to simple, explode false', () => {
    expect(path({}, ARRAY)).toBe('/users/blue,black,brown');
    expect(path({}, OBJECT)).toBe('/users/R,100,G,200,B,150');
  });

  it('numbers and booleans are their text; null items and members are left out', () => {
    expect(path({}, [1, 2.5, true, null])).toBe('/users/1,2.5,true');
    expect(path({ explode: true }, { a: null, b: false })).toBe('/users/b=false');
  });
});

describe('query parameters: the OpenAPI style examples table', () => {
  const table: [string, boolean, string | undefined, string | undefined, string, string][] = [
    ['form', false, 'color=', 'color=blue', 'color=blue,black,brown', 'color=R,100,G,200,B,150'],
    ['form', true, 'color=', 'color=blue', 'color=blue&color=black&color=brown', 'R=100&G=200&B=150'],
    ['spaceDelimited', false, undefined, undefined, 'color=blue%20black%20brown', 'color=R%20100%20G%20200%20B%20150'],
    ['pipeDelimited', false, undefined, undefined, 'color=blue%7Cblack%7Cbrown', 'color=R%7C100%7CG%7C200%7CB%7C150'],
  ];
  it.each(table)('style %s, explode %s', (style, explode, empty, string, array, object) => {
    const p = { style: style as Param['style'], explode };
    if (empty !== undefined) expect(query(p, EMPTY)).toBe(empty);
    if (string !== undefined) expect(query(p, STRING)).toBe(string);
    expect(query(p, ARRAY)).toBe(array);
    expect(query(p, OBJECT)).toBe(object);
  });

  it('deepObject: color[R]=100&color[G]=200&color[B]=150 (brackets percent-encoded, as OpenAPI 3.1.1 shows)', () => {
    const q = query({ style: 'deepObject', explode: true }, OBJECT);
    expect(q).toBe('color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150');
    expect([...new URLSearchParams(q)]).toEqual([['color[R]', '100'], ['color[G]', '200'], ['color[B]', '150']]);
  });

  it('deepObject is always exploded, nests objects and repeats lists: filter[name]=x', () => {
    const q = query({ style: 'deepObject' }, { name: 'x y', tags: ['a', 'b'], range: { from: 1, to: 2 }, none: null }, 'filter');
    expect([...new URLSearchParams(q)]).toEqual([
      ['filter[name]', 'x y'],
      ['filter[tags]', 'a'],
      ['filter[tags]', 'b'],
      ['filter[range][from]', '1'],
      ['filter[range][to]', '2'],
    ]);
  });

  it('space- and pipe-delimited with explode true repeat the key like form', () => {
    expect(query({ style: 'pipeDelimited', explode: true }, ARRAY)).toBe('color=blue&color=black&color=brown');
    expect(query({ style: 'spaceDelimited', explode: true }, ARRAY)).toBe('color=blue&color=black&color=brown');
  });

  it('defaults to form, explode true; absent, null and empty lists/objects are left out', () => {
    expect(query({}, ARRAY)).toBe('color=blue&color=black&color=brown');
    expect(query({}, undefined)).toBe('');
    expect(query({}, null)).toBe('');
    expect(query({}, [])).toBe('');
    expect(query({}, {})).toBe('');
  });

  it('a missing required query value is a MissingParameterError naming the argument pointer', () => {
    const c = compileParameters({ endpoint_path: '/x', parameters: [{ name: 'q', in: 'query', argument: ['query', 'q/x~y'], required: true }] });
    let err: unknown;
    try {
      renderParameterQuery(c, { query: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingParameterError);
    expect((err as MissingParameterError).pointer).toBe('/query/q~1x~0y');
    expect((err as Error).message).toContain('query parameter "q"');
  });

  it('refuses nested values it cannot serialize outside deepObject', () => {
    expect(() => query({}, [{ a: 1 }])).toThrow(RenderError);
    expect(() => query({}, { a: { b: 1 } })).toThrow(RenderError);
    expect(() => query({ style: 'deepObject' }, { a: [{ b: 1 }] })).toThrow(RenderError);
  });

  it('refuses a deepObject nesting deeper than 8', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 9; i++) deep = { n: deep };
    expect(() => query({ style: 'deepObject' }, deep)).toThrow(/nests too deeply/);
  });
});

describe('percent-encoding', () => {
  const tricky = "a b/c?d#e%f&g=h+i~j._-k!'()*,;:@[]$";
  it('path values: everything but unreserved is encoded; the value stays inside its segment', () => {
    expect(path({}, tricky)).toBe('/users/a%20b%2Fc%3Fd%23e%25f%26g%3Dh%2Bi~j._-k%21%27%28%29%2A%2C%3B%3A%40%5B%5D%24');
    expect(path({}, 'café ☕ 𝄞')).toBe('/users/caf%C3%A9%20%E2%98%95%20%F0%9D%84%9E');
  });

  it('path: list items keep their commas encoded, the separators are literal', () => {
    expect(path({}, ['a,b', 'c'])).toBe('/users/a%2Cb,c');
  });

  it('path: refuses dot segments, encoded or not, with the argument named', () => {
    for (const bad of ['..', '.', '%2e%2e', '../admin', 'a/../b', '\uFF0E\uFF0E']) {
      expect(() => path({}, bad)).toThrow(/"\/color" cannot be or contain a "\." or "\.\." segment/);
    }
    expect(() => path({}, ['ok', '..'])).toThrow(RenderError);
    expect(() => path({ style: 'label' }, EMPTY)).toThrow(/"\." or "\.\." segment/);
  });

  it('query values and names: form values with everything but unreserved encoded', () => {
    expect(query({}, tricky, 'we ird&name')).toBe('we%20ird%26name=a%20b%2Fc%3Fd%23e%25f%26g%3Dh%2Bi~j._-k%21%27%28%29%2A%2C%3B%3A%40%5B%5D%24');
    expect(new URLSearchParams(query({}, tricky, 'we ird&name')).get('we ird&name')).toBe(tricky);
    expect(query({}, 'ü€𝄞')).toBe('color=%C3%BC%E2%82%AC%F0%9D%84%9E');
  });

  it('allow_reserved keeps RFC 3986 reserved characters except those that would break the query (# & = +) and %', () => {
    expect(query({ allow_reserved: true }, tricky)).toBe("color=a%20b/c?d%23e%25f%26g%3Dh%2Bi~j._-k!'()*,;:@[]$");
    expect(query({ allow_reserved: true }, 'x:y/z')).toBe('color=x:y/z');
  });

  it('a string with a lone surrogate has no UTF-8 form and is refused', () => {
    expect(() => query({}, 'a\uD800b')).toThrow(RenderError);
    expect(() => path({}, 'a\uDC00')).toThrow(RenderError);
  });
});

describe('header and cookie parameters', () => {
  it('header simple style: scalars as is, lists comma-joined, objects k,v or k=v with explode, no percent-encoding', () => {
    const params: Param[] = [
      { name: 'X-Trace', in: 'header', argument: ['t'] },
      { name: 'X-List', in: 'header', argument: ['l'] },
      { name: 'X-Obj', in: 'header', argument: ['o'] },
      { name: 'X-Obj-Exploded', in: 'header', argument: ['o'], explode: true },
      { name: 'X-Absent', in: 'header', argument: ['nope'] },
    ];
    expect(headers(params, { t: 'a b/c%20', l: ARRAY, o: OBJECT })).toEqual([
      ['X-Trace', 'a b/c%20'],
      ['X-List', 'blue,black,brown'],
      ['X-Obj', 'R,100,G,200,B,150'],
      ['X-Obj-Exploded', 'R=100,G=200,B=150'],
    ]);
  });

  it.each([['a\r\nX-Evil: 1'], ['a\nb'], ['a\0b'], ['€']])('refuses the header value %j (CR, LF, NUL, outside ISO-8859-1)', (value) => {
    expect(() => headers([{ name: 'X-Trace', in: 'header', argument: ['t'] }], { t: value })).toThrow(/the value of header "X-Trace" contains a control character/);
  });

  it.each([['Authorization'], ['host'], ['Content-Length'], ['X-Tengine-Member-Id'], ['Cookie'], ['User-Agent'], ['Accept'], ['content-type'], ['Transfer-Encoding']])(
    'never sends a header parameter named %s (dropped at compile time)',
    (name) => {
      expect(headers([{ name, in: 'header', argument: ['v'] }], { v: 'x' })).toEqual([]);
    },
  );

  it('a header name that is not a token is a programmer error at compile time', () => {
    expect(() => compileParameters({ endpoint_path: '/x', parameters: [{ name: 'X Bad', in: 'header', argument: ['v'] }] })).toThrow(/not a valid header name/);
    expect(() => compileParameters({ endpoint_path: '/x', parameters: [{ name: 'a;b', in: 'cookie', argument: ['v'] }] })).toThrow(/not a valid cookie name/);
  });

  it('cookies: form style, percent-encoded values, joined into one Cookie header', () => {
    const params: Param[] = [
      { name: 'session', in: 'cookie', argument: ['s'] },
      { name: 'ids', in: 'cookie', argument: ['ids'], explode: false },
      { name: 'more', in: 'cookie', argument: ['ids'] },
      { name: 'prefs', in: 'cookie', argument: ['p'] },
      { name: 'absent', in: 'cookie', argument: ['none'] },
    ];
    expect(headers(params, { s: 'a b;c', ids: [1, 2], p: { lang: 'fr' } })).toEqual([['Cookie', 'session=a%20b%3Bc; ids=1,2; more=1; more=2; lang=fr']]);
    expect(headers(params, {})).toEqual([]);
  });

  it('cookie parameters join a templated Cookie header instead of replacing it', () => {
    expect(headers([{ name: 'b', in: 'cookie', argument: ['b'] }], { b: '2' }, [['cookie', 'a=1']])).toEqual([['cookie', 'a=1; b=2']]);
  });
});

describe('reading arguments', () => {
  it('follows own properties of objects only, never the prototype or list indexes', () => {
    const args = JSON.parse('{"a":{"b":1},"__proto__":{"x":2},"list":["z"]}') as Record<string, unknown>;
    expect(readArgument(args, ['a', 'b'])).toBe(1);
    expect(readArgument(args, ['__proto__', 'x'])).toBe(2);
    expect(readArgument({}, ['constructor'])).toBeUndefined();
    expect(readArgument({ a: {} }, ['a', 'toString'])).toBeUndefined();
    expect(readArgument(args, ['list', '0'])).toBeUndefined();
    expect(readArgument(args, ['a', 'b', 'c'])).toBeUndefined();
  });

  it('a missing path value is a MissingParameterError; present values are read by their path', () => {
    const c = compileParameters({ endpoint_path: '/pets/{pet-id}/toys/{toy.id}', parameters: [
      { name: 'pet-id', in: 'path', argument: ['pathParams', 'pet-id'] },
      { name: 'toy.id', in: 'path', argument: ['pathParams', 'toy.id'] },
    ] });
    expect(renderParameterPath(c, { pathParams: { 'pet-id': 7, 'toy.id': 'b' } })).toBe('/pets/7/toys/b');
    expect(() => renderParameterPath(c, { pathParams: { 'pet-id': 7 } })).toThrow(MissingParameterError);
    expect(() => renderParameterPath(c, { pathParams: { 'pet-id': 7, 'toy.id': null } })).toThrow(MissingParameterError);
  });

  it('a path placeholder without a parameter, or a malformed path, is a programmer error at compile time', () => {
    expect(() => compileParameters({ endpoint_path: '/pets/{id}', parameters: [] })).toThrow(/has no path parameter/);
    expect(() => compileParameters({ endpoint_path: '/pets/{a/b}', parameters: [] })).toThrow(/unclosed/);
  });
});

describe('parseParameterPath', () => {
  it('names are any characters but { } and /', () => {
    const p = parseParameterPath('/a/{pet-id}/{filter[name]}/x{page.size}y');
    expect(p).toEqual({
      ok: true,
      names: ['pet-id', 'filter[name]', 'page.size'],
      parts: [{ text: '/a/' }, { parameter: 'pet-id' }, { text: '/' }, { parameter: 'filter[name]' }, { text: '/x' }, { parameter: 'page.size' }, { text: 'y' }],
    });
  });
  it.each([['/a/{}', 'empty'], ['/a/{b', 'unclosed'], ['/a/b}', 'unmatched'], ['/a/{b{c}}', 'unclosed'], ['/{a/b}', 'unclosed']])('refuses %s', (src, msg) => {
    const p = parseParameterPath(src);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.message).toContain(msg);
  });
});

describe('body', () => {
  const form = compileBodyArgument({ argument: ['body'], content_type: 'application/x-www-form-urlencoded' });
  const json = compileBodyArgument({ argument: ['body'] });
  const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('latin1'));

  it('JSON: the argument value serialized once, any JSON type; absent: no body', () => {
    expect(text(renderBodyArgument(json, { body: { a: [1, 'é'], b: null } }))).toBe(Buffer.from('{"a":[1,"é"],"b":null}', 'utf8').toString('latin1'));
    expect(text(renderBodyArgument(json, { body: [1] }))).toBe('[1]');
    expect(renderBodyArgument(json, {})).toBeUndefined();
  });

  it('form: scalar properties, lists repeated, null left out, spaces as +', () => {
    const b = text(renderBodyArgument(form, { body: { name: 'Ann Lee', tags: ['a', 'b&c'], n: 3, ok: true, skip: null, 'k=y': 'é/?' } }));
    expect(b).toBe('name=Ann+Lee&tags=a&tags=b%26c&n=3&ok=true&k%3Dy=%C3%A9%2F%3F');
    expect([...new URLSearchParams(b)]).toEqual([['name', 'Ann Lee'], ['tags', 'a'], ['tags', 'b&c'], ['n', '3'], ['ok', 'true'], ['k=y', 'é/?']]);
  });

  it('form: refuses a non-object body and nested values', () => {
    expect(() => renderBodyArgument(form, { body: 'x' })).toThrow(/"\/body" must be an object/);
    expect(() => renderBodyArgument(form, { body: { a: { b: 1 } } })).toThrow(/"\/body\/a" must be/);
    expect(() => renderBodyArgument(form, { body: { a: [[1]] } })).toThrow(RenderError);
  });
});

describe('through compileTool against a loopback upstream', () => {
  const shared = useUpstream((_req, res) => sendJson(res, 200, { ok: true }));
  const input = { type: 'object', properties: { id: { type: 'string' }, q: { type: 'string' }, body: {} }, additionalProperties: true };

  async function call(fields: Partial<Tool>, args: unknown) {
    const tool = compileTool(testTool(shared.up.origin, { input_schema: input, ...fields }), 'acme', testContext(shared.client));
    const result = await tool.execute(args, API_KEY_CALLER);
    return { error: errorOf(result), req: shared.up.received.at(-1) };
  }

  it('a missing path value the input_schema did not require is INVALID_ARGUMENTS at its pointer; nothing is sent', async () => {
    const { error, req } = await call({ endpoint_path: '/items/{item-id}', parameters: [{ name: 'item-id', in: 'path', argument: ['id'] }] }, {});
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENTS', status: 400, errors: [{ path: '/id', message: 'is missing and the path needs it (path parameter "item-id")' }] });
    expect(req).toBeUndefined();
  });

  it('a missing required query value is INVALID_ARGUMENTS too', async () => {
    const { error, req } = await call({ parameters: [{ name: 'q', in: 'query', argument: ['q'], required: true }] }, {});
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENTS', errors: [{ path: '/q' }] });
    expect(req).toBeUndefined();
  });

  it('`body` without `parameters` keeps endpoint_path a template; a JSON body of any type is sent once', async () => {
    const { error, req } = await call({ http_method: 'PUT', endpoint_path: '/items/{id}', body: { argument: ['body'] } }, { id: 'a b', body: ['x', 1] });
    expect(error).toBeUndefined();
    expect(req?.url).toBe('/items/a%20b');
    expect(req?.body.toString('utf8')).toBe('["x",1]');
    expect(req?.headers['content-type']).toBe('application/json');
  });

  it('a headers_template Content-Type overrides the form default (the template wins, as for JSON)', async () => {
    const { req } = await call({ http_method: 'POST', body: { argument: ['body'], content_type: 'application/x-www-form-urlencoded' }, headers_template: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } }, { body: { a: 'é' } });
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(req?.body.toString('latin1')).toBe('a=%C3%A9');
  });

  it('a form body that is not an object is ARGUMENT_NOT_RENDERABLE', async () => {
    const { error, req } = await call({ http_method: 'POST', body: { argument: ['body'], content_type: 'application/x-www-form-urlencoded' } }, { body: 'x' });
    expect(error).toMatchObject({ code: 'ARGUMENT_NOT_RENDERABLE', status: 400 });
    expect(req).toBeUndefined();
  });

  it('a header parameter named Authorization or X-Tengine-Member-Id never reaches the upstream', async () => {
    const { error, req } = await call(
      { parameters: [{ name: 'Authorization', in: 'header', argument: ['q'] }, { name: 'X-Tengine-Member-Id', in: 'header', argument: ['id'] }, { name: 'Host', in: 'header', argument: ['id'] }] },
      { q: 'Bearer forged', id: 'mem_forged' },
    );
    expect(error).toBeUndefined();
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.headers['x-tengine-member-id']).toBeUndefined();
    expect(req?.headers.host).toBe(new URL(shared.up.origin).host);
  });
});

describe('retries of a tool with parameters', () => {
  it('a GET retried after a 503 resends the same path, query, headers and signature', async () => {
    let n = 0;
    const up = await startUpstream((_req, res) => sendJson(res, n++ === 0 ? 503 : 200, { n }));
    const client = createUpstreamClient();
    try {
      const tool = compileTool(
        testTool(up.origin, {
          input_schema: { type: 'object', properties: { id: { type: 'string' }, tags: { type: 'array' }, tag: { type: 'string' } }, required: ['id'] },
          endpoint_path: '/items/{item-id}',
          parameters: [
            { name: 'item-id', in: 'path', argument: ['id'] },
            { name: 'tags', in: 'query', argument: ['tags'], explode: false },
            { name: 'X-Tag', in: 'header', argument: ['tag'] },
          ],
          auth_strategy: 'hmac_signature',
          retry: { max_attempts: 2 },
        }),
        'acme',
        testContext(client, { secret: 'hmac-secret-0123456789' }),
      );
      const result = await tool.execute({ id: 'a b', tags: ['x', 'y,z'], tag: 't' }, API_KEY_CALLER);
      expect(errorOf(result)).toBeUndefined();
      expect(up.received).toHaveLength(2);
      const [first, second] = up.received;
      expect(first!.url).toBe('/items/a%20b?tags=x,y%2Cz');
      expect(second!.url).toBe(first!.url);
      expect(second!.headers['x-tag']).toBe('t');
      expect(second!.headers['x-tengine-signature']).toBe(first!.headers['x-tengine-signature']);
    } finally {
      await client.close();
      await up.close();
    }
  });
});
