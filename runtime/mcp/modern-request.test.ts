// The 2026-07-28 request checks without HTTP: the order of the rules and the Base64 sentinel of mirrored headers.
import { describe, expect, it } from 'vitest';
import { checkModernRequest, decodeHeaderValue } from './modern-request.js';

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const headers = (h: Record<string, string>) => (name: string) => h[name];
const codeOf = (r: ReturnType<typeof checkModernRequest>) => (r.ok ? 'OK' : JSON.parse(r.body).error.code);

describe('decodeHeaderValue (Streamable HTTP §Value Encoding)', () => {
  it.each([
    ['us-west1', 'us-west1'],
    [`=?base64?${Buffer.from('Hello, 世界').toString('base64')}?=`, 'Hello, 世界'],
    ['=?base64?IHBhZGRlZCA=?=', ' padded '],
    ['SGVsbG8=', 'SGVsbG8='], // no sentinel: literal
    ['=?base64?SGVsbG8=', '=?base64?SGVsbG8='], // no closing marker: literal
  ])('%s → %s', (value, expected) => {
    expect(decodeHeaderValue(value)).toBe(expected);
  });

  it.each([
    ['=?base64?SGVsbG8?=', 'missing padding'],
    ['=?base64?SGVs!!!bG8=?=', 'characters outside the alphabet'],
    [`=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`, 'not UTF-8'],
    ['na\u00efve', 'a character outside visible ASCII'],
  ])('%s is refused (%s)', (value) => {
    expect(decodeHeaderValue(value)).toBeUndefined();
  });
});

describe('checkModernRequest: the order of the rules', () => {
  it('headers first (-32020), then the required _meta fields (-32602), then the _meta version against the header (-32020)', () => {
    const msg = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    expect(codeOf(checkModernRequest(msg, '2026-07-28', headers({})))).toBe(-32020);
    expect(codeOf(checkModernRequest(msg, '2026-07-28', headers({ 'mcp-method': 'tools/list' })))).toBe(-32602);
    const other = { ...msg, params: { _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': 'DRAFT-2026-v1' } } };
    expect(codeOf(checkModernRequest(other, '2026-07-28', headers({ 'mcp-method': 'tools/list' })))).toBe(-32020);
    const good = { ...msg, params: { _meta: META } };
    expect(checkModernRequest(good, '2026-07-28', headers({ 'mcp-method': 'tools/list' }))).toEqual({ ok: true, modern: { version: '2026-07-28', clientCapabilities: {}, header: expect.any(Function) } });
  });

  it('an unknown header version: -32022 with the list, unless the body names another version (-32020)', () => {
    const msg = (v?: string) => ({ jsonrpc: '2.0', id: 'x', method: 'server/discover', params: v ? { _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': v } } : {} });
    const unsupported = checkModernRequest(msg('v9'), 'v9', headers({}));
    expect(codeOf(unsupported)).toBe(-32022);
    expect(unsupported.ok ? undefined : JSON.parse(unsupported.body)).toMatchObject({ id: 'x', error: { data: { requested: 'v9', supported: expect.arrayContaining(['2026-07-28', '2025-11-25']) } } });
    expect(codeOf(checkModernRequest(msg(), 'v9', headers({})))).toBe(-32022);
    expect(codeOf(checkModernRequest(msg('v8'), 'v9', headers({})))).toBe(-32020);
  });

  it('malformed messages and notifications pass through to dispatch, which answers them as always', () => {
    expect(checkModernRequest([1, 2], '2026-07-28', headers({}))).toEqual({ ok: true });
    expect(checkModernRequest({ jsonrpc: '2.0', method: 'notifications/cancelled' }, '2026-07-28', headers({}))).toEqual({ ok: true });
  });

  it('Mcp-Name mirrors params.uri for resources/read and params.name for prompts/get', () => {
    const read = { jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri: 'file:///a', _meta: META } };
    expect(codeOf(checkModernRequest(read, '2026-07-28', headers({ 'mcp-method': 'resources/read', 'mcp-name': 'file:///b' })))).toBe(-32020);
    expect(codeOf(checkModernRequest(read, '2026-07-28', headers({ 'mcp-method': 'resources/read', 'mcp-name': 'file:///a' })))).toBe('OK');
    const get = { jsonrpc: '2.0', id: 3, method: 'prompts/get', params: { name: 'p', _meta: META } };
    expect(codeOf(checkModernRequest(get, '2026-07-28', headers({ 'mcp-method': 'prompts/get' })))).toBe(-32020);
  });
});
