import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_META_KEY, TOOL_ERRORS, toolError, type ToolErrorCode } from './tool-errors.js';

describe('docs/errors.md "Tool execution errors"', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, { status: number; text: string }>();
  for (const m of doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| ([^|]+?) \|/gm)) rows.set(m[1]!, { status: Number(m[2]), text: m[3]! });

  it('documents every code with its exact status and text, and nothing else', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(TOOL_ERRORS).sort());
    for (const [code, def] of Object.entries(TOOL_ERRORS)) expect(rows.get(code), code).toEqual({ status: def.status, text: def.text });
  });
});

describe('toolError', () => {
  it('puts code, status and text in _meta and in the text, never in structuredContent', () => {
    const r = toolError('UPSTREAM_HTTP_ERROR', { detail: 'contact not found', upstream_status: 404, request_id: 'r1' });
    expect(r).toEqual({
      content: [{ type: 'text', text: 'Upstream tool call failed: contact not found [UPSTREAM_HTTP_ERROR, status 502, upstream HTTP 404]' }],
      isError: true,
      _meta: { [ERROR_META_KEY]: { code: 'UPSTREAM_HTTP_ERROR', status: 502, message: 'Upstream tool call failed', detail: 'contact not found', upstream_status: 404, request_id: 'r1' } },
    });
  });

  it('CANCELLED is 499 "Tool call cancelled"', () => {
    const code: ToolErrorCode = 'CANCELLED';
    expect(toolError(code)._meta?.[ERROR_META_KEY]).toEqual({ code: 'CANCELLED', status: 499, message: 'Tool call cancelled' });
  });
});
