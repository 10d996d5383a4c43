import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../schemas/canonical-json.js';
import { buildPayload } from './build-payload.js';
import { sampleConfig } from '../../test/fixtures/bundle-fixtures.js';
import type { TengineConfig } from '../../schemas/config-types.js';

describe('buildPayload', () => {
  it('omits include and sets config_digest to the SHA-256 of the canonical config', () => {
    const p = buildPayload(sampleConfig(), { createdAt: '2024-05-01T12:00:00Z' });
    expect('include' in p.config).toBe(false);
    expect(p.format_version).toBe(1);
    expect(p.source).toBeUndefined();
    expect(p.config_digest).toBe(`sha256:${createHash('sha256').update(canonicalJson(p.config)).digest('hex')}`);
  });

  it('records revision and dirty only together', () => {
    const rev = 'f'.repeat(40);
    expect(buildPayload(sampleConfig(), { createdAt: 'x', revision: rev, dirty: true }).source).toEqual({ revision: rev, dirty: true });
    expect(buildPayload(sampleConfig(), { createdAt: 'x', dirty: true }).source).toBeUndefined();
  });

  it('payload bytes do not change when config keys are reordered', () => {
    const reverse = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverse) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
    const meta = { createdAt: '2024-05-01T12:00:00Z' };
    const reordered = buildPayload(reverse(sampleConfig()) as TengineConfig, meta);
    expect(canonicalJson(reordered)).toBe(canonicalJson(buildPayload(sampleConfig(), meta)));
  });
});
