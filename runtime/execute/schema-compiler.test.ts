import { describe, expect, it } from 'vitest';
import { PatternNotLinearError } from '../../schemas/linear-regexp.js';
import { createSchemaCompiler } from './schema-compiler.js';

describe('createSchemaCompiler', () => {
  it('compiles each distinct schema once, whatever its key order', () => {
    const c = createSchemaCompiler();
    const a = c.compile({ type: 'object', properties: { x: { type: 'string' } } });
    const b = c.compile({ properties: { x: { type: 'string' } }, type: 'object' });
    const d = c.compile({ type: 'object', properties: { x: { type: 'integer' } } });
    expect(b).toBe(a);
    expect(d).not.toBe(a);
  });

  it('never coerces types: "5" is not an integer', () => {
    const v = createSchemaCompiler().compile({ type: 'object', properties: { n: { type: 'integer' } } });
    expect(v({ n: 5 })).toEqual({ ok: true });
    expect(v({ n: '5' })).toEqual({ ok: false, errors: [{ path: '/n', message: 'must be integer' }] });
  });

  it('reports errors as {path (instancePath), message}, naming an unexpected property', () => {
    const v = createSchemaCompiler().compile({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false });
    expect(v({})).toEqual({ ok: false, errors: [{ path: '', message: "must have required property 'a'" }] });
    expect(v({ a: 'x', b: 1 })).toEqual({ ok: false, errors: [{ path: '', message: 'must NOT have additional properties: "b"' }] });
  });

  it('uses draft 2020-12 by default (prefixItems) and draft-07 when $schema says so (items as array)', () => {
    const c = createSchemaCompiler();
    const v2020 = c.compile({ type: 'object', properties: { t: { type: 'array', prefixItems: [{ type: 'string' }], items: false } } });
    expect(v2020({ t: ['a'] }).ok).toBe(true);
    expect(v2020({ t: ['a', 'b'] }).ok).toBe(false);
    const v07 = c.compile({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { t: { type: 'array', items: [{ type: 'string' }], additionalItems: false } } });
    expect(v07({ t: ['a'] }).ok).toBe(true);
    expect(v07({ t: ['a', 'b'] })).toEqual({ ok: false, errors: [{ path: '/t', message: 'must NOT have more than 1 items' }] });
  });

  it('validates formats', () => {
    const v = createSchemaCompiler().compile({ type: 'object', properties: { e: { type: 'string', format: 'email' } } });
    expect(v({ e: 'a@example.com' }).ok).toBe(true);
    expect(v({ e: 'nope' })).toEqual({ ok: false, errors: [{ path: '/e', message: 'must match format "email"' }] });
  });

  it('compiles two different schemas that reuse one $id (tools copied from each other)', () => {
    const c = createSchemaCompiler();
    const a = c.compile({ $id: 'https://example.com/args', type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
    const b = c.compile({ $id: 'https://example.com/args', type: 'object', properties: { b: { type: 'string' } }, required: ['b'] });
    expect(a({ a: 'x' }).ok).toBe(true);
    expect(b({ a: 'x' }).ok).toBe(false);
  });

  it('resolves local $refs', () => {
    const v = createSchemaCompiler().compile({ type: 'object', $defs: { id: { type: 'string', pattern: '^ct_' } }, properties: { id: { $ref: '#/$defs/id' } } });
    expect(v({ id: 'ct_1' }).ok).toBe(true);
    expect(v({ id: 'x' })).toEqual({ ok: false, errors: [{ path: '/id', message: 'must match pattern "^ct_"' }] });
  });

  it('runs patterns on the linear engine in both dialects: the issue 8 ReDoS argument is refused at once', () => {
    const c = createSchemaCompiler();
    const attack = { q: 'a'.repeat(100_000) + '!' };
    for (const head of [{}, { $schema: 'http://json-schema.org/draft-07/schema#' }]) {
      const v = c.compile({ ...head, type: 'object', properties: { q: { type: 'string', pattern: '^(\\w+\\s?)*$' } } });
      expect(v(attack)).toEqual({ ok: false, errors: [{ path: '/q', message: 'must match pattern "^(\\w+\\s?)*$"' }] });
      expect(v({ q: 'hello world' })).toEqual({ ok: true });
    }
  });

  it('throws PatternNotLinearError on a pattern the linear engine refuses (the boot turns it into BUNDLE_PAYLOAD_INVALID)', () => {
    expect(() => createSchemaCompiler().compile({ type: 'object', properties: { q: { type: 'string', pattern: '^(a)\\1$' } } })).toThrow(PatternNotLinearError);
  });
});
