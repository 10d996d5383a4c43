import { describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../../schemas/config-types.js';
import { computePlan, failsOn, hasChanges, isoDate } from './plan.js';
import { closingLine } from './render-common.js';
import { renderPlanHuman } from './render-human.js';

const tool = (name: string, extra: Partial<Tool> = {}): Tool => ({
  name,
  description: `The ${name} tool.`,
  input_schema: { type: 'object', properties: {} },
  base_url: 'https://api.example.com',
  http_method: 'GET',
  endpoint_path: `/v1/${name}`,
  ...extra,
});
const config = (...tools: Tool[]): TengineConfig => ({ version: 1, projects: [{ id: 'shop', tools }] });

describe('deprecation and sunset', () => {
  const deprecated = tool('orders-get', { deprecated: { since: '2025-01-01', sunset: '2025-06-01', message: 'Use orders-list.' } });
  const before = config(tool('orders-list'), deprecated);
  const after = config(tool('orders-list'));
  const rulesOn = (today: string) => computePlan(before, after, { today }).changes.flatMap((c) => c.rules.map((h) => [h.rule, h.severity]));

  it('removing a deprecated tool before its sunset stays TOOL_REMOVED (breaking), with a note on the sunset', () => {
    const p = computePlan(before, after, { today: '2025-05-31' });
    expect(rulesOn('2025-05-31')).toEqual([['TOOL_REMOVED', 'breaking']]);
    expect(p.changes[0]!.rules[0]!.message).toContain('its sunset 2025-06-01 is after today (2025-05-31)');
  });

  it('on and after the sunset date the removal is DEPRECATED_TOOL_REMOVED (benign)', () => {
    expect(rulesOn('2025-06-01')).toEqual([['DEPRECATED_TOOL_REMOVED', 'benign']]);
    expect(rulesOn('2026-01-01')).toEqual([['DEPRECATED_TOOL_REMOVED', 'benign']]);
    expect(failsOn(computePlan(before, after, { today: '2025-06-01' }), 'breaking')).toBe(false);
  });

  it('the deprecation must have shipped: marking and removing in one change has nothing to compare with', () => {
    // The tool is gone in `after`, so only `before` can carry the marker; a tool without it stays breaking.
    expect(computePlan(config(tool('orders-list'), tool('orders-get')), after, { today: '2030-01-01' }).changes[0]!.rules[0]!.rule).toBe('TOOL_REMOVED');
  });

  it('marking a tool deprecated with a sunset already reached is flagged in the message', () => {
    const p = computePlan(config(tool('orders-get')), config(deprecated), { today: '2025-07-01' });
    expect(p.changes[0]!.rules[0]).toMatchObject({ rule: 'DEPRECATION_CHANGED', severity: 'benign' });
    expect(p.changes[0]!.rules[0]!.message).toContain('already reached');
  });
});

describe('plan helpers', () => {
  it('a config against itself has no changes, "No changes" as closing line, and fails on nothing', () => {
    const c = config(tool('orders-list'));
    const p = computePlan(c, structuredClone(c), { today: '2025-06-01' });
    expect(hasChanges(p)).toBe(false);
    expect(failsOn(p, ['breaking', 'security'])).toBe(false);
    expect(renderPlanHuman(p, false)).toBe('No changes. The tool surface matches.\n');
  });

  it('the closing line counts renames as changes', () => {
    const p = computePlan(config(tool('a'), tool('b')), config(tool('a2', { id: 'a' }), tool('c')), { today: '2025-06-01' });
    expect(p.summary).toMatchObject({ add: 1, change: 0, remove: 1, rename: 1 });
    expect(closingLine(p)).toBe('Plan: 1 to add, 1 to change, 1 to remove (2 breaking, 1 security)');
  });

  it('--fail-on levels are independent: a security change does not fail --fail-on breaking', () => {
    const p = computePlan(config(tool('a')), config(tool('a'), tool('b')), { today: '2025-06-01' });
    expect(hasChanges(p)).toBe(true);
    expect(failsOn(p, 'security')).toBe(true);
    expect(failsOn(p, 'breaking')).toBe(false);
  });

  it('a default written out equals the default left out', () => {
    const p = computePlan(config(tool('a')), config(tool('a', { is_enabled: true, require_member: false, auth_strategy: 'none', scopes: [], retry: { max_attempts: 2 } })), { today: '2025-06-01' });
    expect(p.changes).toEqual([]);
  });

  it('giving a tool an id that differs from its name is a changed identity, not a removal and an addition', () => {
    const p = computePlan(config(tool('orders-list')), config(tool('orders-list', { id: 'orders.v1' })), { today: '2025-06-01' });
    expect(p.changes.map((c) => [c.action, c.rules.map((h) => h.rule)])).toEqual([['change', ['TOOL_ID_CHANGED']]]);
  });

  it('colour appears only when asked for', () => {
    const p = computePlan(config(tool('a')), config(), { today: '2025-06-01' });
    expect(renderPlanHuman(p, false)).not.toContain('\u001b[');
    expect(renderPlanHuman(p, true)).toContain('\u001b[31m');
  });

  it('isoDate gives the UTC date of a clock', () => {
    expect(isoDate(new Date('2025-06-01T23:59:59Z'))).toBe('2025-06-01');
  });
});

describe('allow_private_networks', () => {
  const project = (extra: Record<string, unknown>): TengineConfig => ({ version: 1, projects: [{ id: 'shop', tools: [tool('orders-list')], ...extra }] });
  const empty: TengineConfig = { version: 1, projects: [] };
  const rules = (before: TengineConfig, after: TengineConfig) => computePlan(before, after, { today: '2025-06-01' }).changes.flatMap((c) => c.rules.filter((h) => c.subject === 'project').map((h) => [h.rule, h.severity]));

  it('turning it on is PRIVATE_NETWORKS_ALLOWED (security); false written out equals the default', () => {
    expect(rules(project({}), project({ allow_private_networks: true }))).toEqual([['PRIVATE_NETWORKS_ALLOWED', 'security']]);
    expect(rules(project({ allow_private_networks: false }), project({ allow_private_networks: true }))).toEqual([['PRIVATE_NETWORKS_ALLOWED', 'security']]);
    expect(rules(project({}), project({ allow_private_networks: false }))).toEqual([]);
  });

  it('a new project that opts in is flagged too; one that does not shows no allow_private_networks field', () => {
    expect(rules(empty, project({ allow_private_networks: true }))).toEqual([['PRIVATE_NETWORKS_ALLOWED', 'security'], ['PROJECT_ADDED', 'benign']]);
    const plain = computePlan(empty, project({}), { today: '2025-06-01' }).changes.find((c) => c.subject === 'project')!;
    expect(plain.fields.map((f) => f.field)).not.toContain('allow_private_networks');
  });

  it('turning it off is PROJECT_CHANGED (benign), naming the error tools that relied on it will get', () => {
    const p = computePlan(project({ allow_private_networks: true }), project({}), { today: '2025-06-01' });
    expect(p.changes[0]!.rules.map((h) => [h.rule, h.severity])).toEqual([['PROJECT_CHANGED', 'benign']]);
    expect(p.changes[0]!.rules[0]!.message).toContain('UPSTREAM_ADDRESS_BLOCKED');
  });
});

describe('OAuth sign-in changes are security changes', () => {
  const withClient = (extra: Record<string, unknown>): TengineConfig => ({
    version: 1,
    projects: [{ id: 'shop', integrations: [{ id: 'agents', kind: 'oauth', client_id: 'shop-agents', connect_secret_sha256: 'ab'.repeat(32), redirect_uris: ['http://localhost:3118/callback'], ...extra } as never], tools: [] }],
  });
  const rulesOf = (before: TengineConfig, after: TengineConfig) => computePlan(before, after, { today: '2026-01-01' }).changes.flatMap((c) => c.rules.map((r) => r.rule));

  it('dynamic_registration on: REDIRECT_URI_ADDED; off: REDIRECT_URI_REMOVED', () => {
    const on = withClient({ dynamic_registration: { allowed_redirect_hosts: ['localhost'] } });
    expect(rulesOf(withClient({}), on)).toEqual(['REDIRECT_URI_ADDED']);
    expect(rulesOf(on, withClient({}))).toEqual(['REDIRECT_URI_REMOVED']);
  });

  it('login_url set or changed: REDIRECT_URI_ADDED; removed: REDIRECT_URI_REMOVED', () => {
    const a = withClient({ login_url: 'https://accounts.example.com/login' });
    const b = withClient({ login_url: 'https://accounts.evil.example/login' });
    expect(rulesOf(withClient({}), a)).toEqual(['REDIRECT_URI_ADDED']);
    expect(rulesOf(a, b)).toEqual(['REDIRECT_URI_ADDED']);
    expect(rulesOf(a, withClient({}))).toEqual(['REDIRECT_URI_REMOVED']);
  });

  it('a connect secret set or rotated: SECRET_CHANGED, the hash masked', () => {
    const plan = computePlan(withClient({}), withClient({ connect_secret_sha256: 'cd'.repeat(32) }), { today: '2026-01-01' });
    expect(plan.changes.flatMap((c) => c.rules.map((r) => r.rule))).toEqual(['SECRET_CHANGED']);
    expect(JSON.stringify(plan)).not.toContain('cd'.repeat(32));
  });
});
