import { describe, expect, it } from 'vitest';
import type { ResultMapping } from '../../schemas/config-types.js';
import { parsePointer, resolvePointer } from '../../schemas/json-pointer.js';
import { maxBinaryBytes } from './binary-content.js';
import { mapUpstreamResponse, type MapResultOptions } from './map-result.js';
import { createRedactor } from './redact.js';
import { compileResultMapping } from './result-mapping.js';
import { createSchemaCompiler } from './schema-compiler.js';
import { ERROR_META_KEY, type ToolResult } from './tool-errors.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const base: MapResultOptions = { requestId: 'req-1', timeoutMs: 1000, attempts: 1, redact: createRedactor(undefined), now: 0, maxResponseBytes: 1 << 20 };

function map(type: string | undefined, body: Buffer | string, opts: Partial<MapResultOptions> & { mapping?: ResultMapping } = {}): ToolResult {
  const { mapping, ...rest } = opts;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return mapUpstreamResponse(
    { ok: true, status: 200, headers: type === undefined ? {} : { 'content-type': type }, body: new Uint8Array(bytes) },
    { ...base, ...rest, ...(mapping ? { result: compileResultMapping(mapping) } : {}) },
  );
}
const json = (v: unknown, mapping?: ResultMapping, extra: Partial<MapResultOptions> = {}) => map('application/json', JSON.stringify(v), { ...extra, ...(mapping ? { mapping } : {}) });
const codeOf = (r: ToolResult) => (r._meta?.[ERROR_META_KEY] as { code?: string } | undefined)?.code;
const errorsOf = (r: ToolResult) => (r._meta?.[ERROR_META_KEY] as { errors?: { path: string }[] } | undefined)?.errors;
const output = (schema: Record<string, unknown>) => createSchemaCompiler().compile(schema);

describe('results by content type, without a mapping (docs/http-api.md#results-by-content-type)', () => {
  it('image/* is an image block with the base64 data and the MIME type as sent (parameters dropped)', () => {
    expect(map('image/png', PNG)).toEqual({ content: [{ type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' }] });
    expect(map('IMAGE/JPEG; quality=high', PNG).content[0]).toMatchObject({ type: 'image', mimeType: 'image/jpeg' });
  });

  it('image/svg+xml is an image too, although its bytes are text', () => {
    expect(map('image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>').content[0]).toMatchObject({ type: 'image', mimeType: 'image/svg+xml' });
  });

  it('audio/* is an audio block', () => {
    expect(map('audio/wav', Buffer.from('RIFF\0\0\0\0WAVE'))).toEqual({ content: [{ type: 'audio', data: Buffer.from('RIFF\0\0\0\0WAVE').toString('base64'), mimeType: 'audio/wav' }] });
  });

  it('other binary is an embedded resource: blob, MIME type, and a tengine://result/<request id> URI', () => {
    const pdf = Buffer.from('%PDF-1.7\n\0\x01binary');
    expect(map('application/pdf', pdf)).toEqual({ content: [{ type: 'resource', resource: { uri: 'tengine://result/req-1', mimeType: 'application/pdf', blob: pdf.toString('base64') } }] });
  });

  it('text/* stays text; JSON stays text plus structuredContent', () => {
    expect(map('text/csv', 'a,b\n1,2')).toEqual({ content: [{ type: 'text', text: 'a,b\n1,2' }] });
    expect(json({ a: 1 })).toEqual({ content: [{ type: 'text', text: '{"a":1}' }], structuredContent: { a: 1 } });
  });

  it('a tool with output_schema still refuses an image: MCP wants conforming structuredContent', () => {
    expect(codeOf(map('image/png', PNG, { output: output({ type: 'object' }) }))).toBe('UPSTREAM_OUTPUT_INVALID');
  });

  it('binary results are capped at 3/4 of max_response_bytes, so the base64 never exceeds the cap', () => {
    expect(maxBinaryBytes(12)).toBe(9);
    expect(map('image/png', Buffer.alloc(9, 1), { maxResponseBytes: 12 }).content[0]).toMatchObject({ type: 'image' });
    const over = map('image/png', Buffer.alloc(10, 1), { maxResponseBytes: 12 });
    expect(codeOf(over)).toBe('UPSTREAM_RESPONSE_TOO_LARGE');
    expect(over.content[0]!.text).toContain('16 bytes in base64, more than the limit of 12 bytes');
    // Property: for every cap and body size, an accepted binary's base64 fits the cap (seeded sweep, not random).
    for (let cap = 1; cap <= 64; cap++) {
      for (let n = 1; n <= 64; n++) {
        const r = map('application/octet-stream', Buffer.alloc(n, 7), { maxResponseBytes: cap });
        if (r.isError) expect(codeOf(r)).toBe('UPSTREAM_RESPONSE_TOO_LARGE');
        else expect(((r.content[0] as { resource: { blob: string } }).resource.blob).length).toBeLessThanOrEqual(cap);
      }
    }
  });
});

describe('result.pointer and result.text (docs/config.md#result-mapping)', () => {
  it('the pointer selects the result; the rest of the body is dropped', () => {
    expect(json({ data: { id: 'x' }, meta: { page: 1 } }, { pointer: '/data' })).toEqual({ content: [{ type: 'text', text: '{"id":"x"}' }], structuredContent: { id: 'x' } });
  });

  it('a non-object result is wrapped as {result}, like a non-object body', () => {
    expect(json({ items: [1, 2] }, { pointer: '/items' }).structuredContent).toEqual({ result: [1, 2] });
  });

  it('RFC 6901: ~1 and ~0 unescape, array indexes are decimal without leading zeros, prototypes are never reached', () => {
    expect(json({ 'a/b': { 'c~d': [10, 20] } }, { pointer: '/a~1b/c~0d/1' }).structuredContent).toEqual({ result: 20 });
    expect(codeOf(json({ l: [10, 20] }, { pointer: '/l/01' }))).toBe('UPSTREAM_RESULT_UNMAPPABLE');
    expect(codeOf(json({}, { pointer: '/constructor' }))).toBe('UPSTREAM_RESULT_UNMAPPABLE');
    expect(resolvePointer({ a: null }, parsePointer('/a')!)).toBeNull();
    expect(parsePointer('a/b')).toBeUndefined();
    expect(parsePointer('/~2')).toBeUndefined();
  });

  it('a body without the pointed value, or not JSON, is UPSTREAM_RESULT_UNMAPPABLE with the status', () => {
    const missing = json({ other: 1 }, { pointer: '/data' });
    expect(codeOf(missing)).toBe('UPSTREAM_RESULT_UNMAPPABLE');
    expect(missing._meta?.[ERROR_META_KEY]).toMatchObject({ upstream_status: 200, request_id: 'req-1' });
    expect(codeOf(map('text/html', '<p>hi</p>', { mapping: { pointer: '/data' } }))).toBe('UPSTREAM_RESULT_UNMAPPABLE');
    expect(codeOf(map('image/png', PNG, { mapping: { text: '{a}' } }))).toBe('UPSTREAM_RESULT_UNMAPPABLE');
    expect(codeOf(map('application/json', '{oops', { mapping: { text: '{a}' } }))).toBe('UPSTREAM_RESULT_UNMAPPABLE');
  });

  it('output_schema checks the extracted result, not the whole body', () => {
    const out = output({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] });
    expect(json({ data: { id: 'x' } }, { pointer: '/data' }, { output: out }).isError).toBeUndefined();
    const bad = json({ data: { id: 5 } }, { pointer: '/data' }, { output: out });
    expect(codeOf(bad)).toBe('UPSTREAM_OUTPUT_INVALID');
    expect(errorsOf(bad)?.[0]?.path).toBe('/id');
  });

  it('the text template names top-level fields: strings as they are, others as JSON, absent ones as nothing, {{ }} literal', () => {
    const r = json({ name: 'Ana', age: 30, tags: ['a'], gone: null }, { text: '{name} ({age}) {tags} {gone} [{missing}] {{x}}' });
    expect(r).toEqual({ content: [{ type: 'text', text: 'Ana (30) ["a"] null [] {x}' }], structuredContent: { name: 'Ana', age: 30, tags: ['a'], gone: null } });
    expect(json([1, 2], { text: 'got {result}' }).content[0]!.text).toBe('got [1,2]');
  });

  it('the template cannot reach inherited properties', () => {
    expect(json({ a: 1 }, { text: '[{constructor}][{__proto__}]' }).content[0]!.text).toBe('[][]');
  });

  it('the secret echoed by the upstream is masked before the template sees it', () => {
    const redact = createRedactor('sk_live_0123456789abcdef');
    expect(json({ echo: 'sk_live_0123456789abcdef' }, { text: 'said {echo}' }, { redact }).content[0]!.text).toBe('said [REDACTED]');
  });
});

describe('result.resource_links', () => {
  const mapping: ResultMapping = { pointer: '/report', resource_links: [{ pointer: '/links/pdf', name: 'report.pdf', mime_type: 'application/pdf', description: 'The report' }, { pointer: '/links/csv', name: 'data.csv' }] };

  it('adds a resource_link block per URL field, after the text; a missing or null field adds none', () => {
    const r = json({ report: { title: 'Q3' }, links: { pdf: 'https://files.example.com/q3.pdf', csv: null } }, mapping);
    expect(r).toEqual({
      content: [
        { type: 'text', text: '{"title":"Q3"}' },
        { type: 'resource_link', uri: 'https://files.example.com/q3.pdf', name: 'report.pdf', mimeType: 'application/pdf', description: 'The report' },
      ],
      structuredContent: { title: 'Q3' },
    });
  });

  it('a field that is not an absolute http(s) URL fails the call rather than hand a client javascript: or file: links', () => {
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', '/relative', 42]) {
      expect(codeOf(json({ report: {}, links: { pdf: bad } }, mapping))).toBe('UPSTREAM_RESULT_UNMAPPABLE');
    }
  });
});

describe('result.format: mcp (checked with the MCP SDK content-block schema)', () => {
  const png = PNG.toString('base64');
  const mixed = [
    { type: 'text', text: 'Here is the chart' },
    { type: 'image', data: png, mimeType: 'image/png' },
    { type: 'audio', data: png, mimeType: 'audio/wav' },
    { type: 'resource_link', uri: 'https://example.com/a.csv', name: 'a.csv' },
    { type: 'resource', resource: { uri: 'file:///r.txt', mimeType: 'text/plain', text: 'embedded' } },
  ];

  it('a content array with mixed blocks is passed on as is', () => {
    expect(json(mixed, { format: 'mcp' })).toEqual({ content: mixed });
  });

  it('an object with content and structuredContent keeps both; output_schema checks structuredContent', () => {
    const out = output({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });
    expect(json({ content: mixed.slice(0, 1), structuredContent: { n: 1 } }, { format: 'mcp' }, { output: out })).toEqual({ content: mixed.slice(0, 1), structuredContent: { n: 1 } });
    expect(codeOf(json({ content: mixed.slice(0, 1), structuredContent: { n: 'one' } }, { format: 'mcp' }, { output: out }))).toBe('UPSTREAM_OUTPUT_INVALID');
    expect(codeOf(json({ content: mixed.slice(0, 1) }, { format: 'mcp' }, { output: out }))).toBe('UPSTREAM_OUTPUT_INVALID');
  });

  it('the pointer reaches a content array nested in an envelope', () => {
    expect(json({ ok: true, mcp: { content: mixed.slice(0, 2) } }, { format: 'mcp', pointer: '/mcp' })).toEqual({ content: mixed.slice(0, 2) });
  });

  it('invalid content is refused with UPSTREAM_CONTENT_INVALID and the pointers of the problems', () => {
    const unknown = json([{ type: 'video', data: png }], { format: 'mcp' });
    expect(codeOf(unknown)).toBe('UPSTREAM_CONTENT_INVALID');
    expect(errorsOf(unknown)?.[0]?.path).toBe('/content/0');
    const noMime = json([{ type: 'text', text: 'ok' }, { type: 'image', data: png }], { format: 'mcp' });
    expect(codeOf(noMime)).toBe('UPSTREAM_CONTENT_INVALID');
    expect(errorsOf(noMime)?.[0]?.path).toMatch(/^\/content\/1/);
    expect(codeOf(json({ text: 'not content' }, { format: 'mcp' }))).toBe('UPSTREAM_CONTENT_INVALID');
    expect(codeOf(json('just a string', { format: 'mcp' }))).toBe('UPSTREAM_CONTENT_INVALID');
    expect(codeOf(json([{ type: 'image', data: '%%%not base64%%%', mimeType: 'image/png' }], { format: 'mcp' }))).toBe('UPSTREAM_CONTENT_INVALID');
  });

  it('members the spec does not define are dropped', () => {
    expect(json([{ type: 'text', text: 'hi', script: '<x>' }], { format: 'mcp' })).toEqual({ content: [{ type: 'text', text: 'hi' }] });
  });

  it("the upstream's own isError is passed on with UPSTREAM_TOOL_ERROR in _meta", () => {
    const r = json({ content: [{ type: 'text', text: 'no such city' }], isError: true }, { format: 'mcp' });
    expect(r.isError).toBe(true);
    expect(r.content).toEqual([{ type: 'text', text: 'no such city' }]);
    expect(codeOf(r)).toBe('UPSTREAM_TOOL_ERROR');
    expect(r.structuredContent).toBeUndefined();
  });
});

describe('compileResultMapping refuses what validate refuses (programmer errors at load)', () => {
  it('throws for a bad pointer, a bad template, and format mcp with text or links', () => {
    expect(() => compileResultMapping({ pointer: 'data' })).toThrow(/pointer/);
    expect(() => compileResultMapping({ text: '{a' })).toThrow(/result.text/);
    expect(() => compileResultMapping({ format: 'mcp', text: 'x' })).toThrow(/format mcp/);
    expect(() => compileResultMapping({ resource_links: [{ pointer: 'x', name: 'n' }] })).toThrow(/resource_links/);
  });
});
