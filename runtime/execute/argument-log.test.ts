import { describe, expect, it } from 'vitest';
import { compileArgumentLog, MAX_LOGGED_ARGUMENT_BYTES } from './argument-log.js';

describe('compileArgumentLog', () => {
  it('masks pointer targets (with ~1 and ~0 escapes) and secret-named keys at any depth, and leaves the input as it was', () => {
    const log = compileArgumentLog(['/a/b', '/x~1y', '/t~0u', '/missing/path', '/list/0']);
    const input = { a: { b: 'masked', c: 'kept' }, 'x/y': 1, 't~u': 2, list: ['first', 'second'], nested: { deeper: { Auth_Header: 'h', sessionId: 's', name: 'n' } } };
    const before = JSON.stringify(input);
    expect(log(input)).toEqual({
      tool_arguments: { a: { b: '[REDACTED]', c: 'kept' }, 'x/y': '[REDACTED]', 't~u': '[REDACTED]', list: ['[REDACTED]', 'second'], nested: { deeper: { Auth_Header: '[REDACTED]', sessionId: '[REDACTED]', name: 'n' } } },
    });
    expect(JSON.stringify(input)).toBe(before);
  });

  it('cuts at the byte limit (multi-byte characters counted as bytes) to the top-level keys', () => {
    const log = compileArgumentLog([]);
    const fits = { q: 'é'.repeat(Math.floor((MAX_LOGGED_ARGUMENT_BYTES - 20) / 2)) };
    expect(log(fits)).not.toHaveProperty('tool_arguments_truncated');
    expect(log({ q: 'é'.repeat(MAX_LOGGED_ARGUMENT_BYTES), r: 1 })).toEqual({ tool_arguments: { _keys: ['q', 'r'] }, tool_arguments_truncated: true });
  });
});
