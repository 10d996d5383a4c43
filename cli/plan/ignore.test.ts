import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../../schemas/config-types.js';
import { parseIgnoreFile, readIgnoreFile } from './ignore.js';
import { computePlan, failsOn } from './plan.js';

const tool = (name: string, extra: Partial<Tool> = {}): Tool => ({
  name,
  description: `The ${name} tool.`,
  input_schema: { type: 'object', properties: {} },
  base_url: 'https://api.example.com',
  http_method: 'GET',
  endpoint_path: `/v1/${name}`,
  ...extra,
});
const config = (tools: Tool[], runtime: TengineConfig['runtime'] = {}): TengineConfig => ({ version: 1, runtime, projects: [{ id: 'shop', tools }] });
const before = config([tool('orders-list'), tool('orders-get')]);
const after = config([tool('orders-list')]);

function entries(text: string) {
  const r = parseIgnoreFile(text, '.tengine-plan-ignore.yaml');
  expect(r.errors).toEqual([]);
  return r.entries;
}

describe('ignore file parsing', () => {
  it('accepts the documented format', () => {
    const e = entries(`version: 1\naccept:\n  - rule: TOOL_REMOVED\n    project: shop\n    tool: orders-get\n    reason: No callers left.\n    expires: 2025-09-01\n`);
    expect(e).toEqual([{ rule: 'TOOL_REMOVED', project: 'shop', tool: 'orders-get', reason: 'No callers left.', expires: '2025-09-01', where: '.tengine-plan-ignore.yaml:3' }]);
  });

  it('an empty file, or an empty accept list, accepts nothing and is no error', () => {
    expect(parseIgnoreFile('', 'f')).toEqual({ entries: [], errors: [] });
    expect(parseIgnoreFile('version: 1\naccept: []\n', 'f')).toEqual({ entries: [], errors: [] });
  });

  it.each([
    ['missing', '  - rule: TOOL_REMOVED\n    project: shop\n'],
    ['empty', '  - rule: TOOL_REMOVED\n    project: shop\n    reason: ""\n'],
    ['blank', '  - rule: TOOL_REMOVED\n    project: shop\n    reason: "   "\n'],
  ])('an entry without a reason (%s) is PLAN_IGNORE_INVALID with the line and a clear message', (_, entry) => {
    const r = parseIgnoreFile(`accept:\n${entry}`, 'ignore.yaml');
    expect(r.entries).toEqual([]);
    expect(r.errors).toEqual([{ code: 'PLAN_IGNORE_INVALID', message: expect.stringMatching(/^ignore\.yaml:2: accept\[0\]: reason is required/) }]);
  });

  it('one bad entry voids the whole file: a half-read file could hide a change', () => {
    const r = parseIgnoreFile('accept:\n  - {rule: TOOL_REMOVED, project: shop, reason: ok}\n  - {rule: TOOL_REMOVED, project: shop}\n', 'f');
    expect(r.entries).toEqual([]);
    expect(r.errors).toHaveLength(1);
  });

  it.each([
    ['an unknown rule', '  - {rule: TOOL_GONE, project: shop, reason: x}', /rule "TOOL_GONE" is not a rule ID/],
    ['no project', '  - {rule: TOOL_REMOVED, reason: x}', /project is required/],
    ['a date that is not in the calendar', '  - {rule: TOOL_REMOVED, project: shop, reason: x, expires: 2025-02-30}', /expires 2025-02-30 is not a calendar date/],
    ['a date in another format', '  - {rule: TOOL_REMOVED, project: shop, reason: x, expires: 01/07/2025}', /expires must be a date written YYYY-MM-DD/],
    ['a misspelt rule, with the closest rule ID', '  - {rule: TOOL_REMOVD, project: shop, reason: x}', /rule "TOOL_REMOVD" is not a rule ID of docs\/plan-rules\.md \(did you mean TOOL_REMOVED\?\)/],
    ['an unknown key', '  - {rule: TOOL_REMOVED, project: shop, reason: x, until: 2025-01-01}', /unknown key "until"/],
    ['an empty tool', '  - {rule: TOOL_REMOVED, project: shop, tool: "", reason: x}', /tool must be a tool name or id/],
  ])('rejects %s', (_, entry, message) => {
    const r = parseIgnoreFile(`accept:\n${entry}\n`, 'f');
    expect(r.errors.map((e) => e.code)).toEqual(['PLAN_IGNORE_INVALID']);
    expect(r.errors[0]!.message).toMatch(message);
  });

  it('rejects YAML errors, duplicate keys, a non-mapping root, unknown top-level keys and another version', () => {
    expect(parseIgnoreFile('accept: [\n', 'f').errors[0]!.code).toBe('PLAN_IGNORE_INVALID');
    expect(parseIgnoreFile('accept: []\naccept: []\n', 'f').errors[0]!.code).toBe('PLAN_IGNORE_INVALID');
    expect(parseIgnoreFile('- rule: TOOL_REMOVED\n', 'f').errors[0]!.message).toMatch(/must be a mapping/);
    expect(parseIgnoreFile('ignore: []\n', 'f').errors[0]!.message).toMatch(/unknown key "ignore"/);
    expect(parseIgnoreFile('version: 2\n', 'f').errors[0]!.message).toMatch(/version must be 1/);
    expect(parseIgnoreFile('accept: {rule: TOOL_REMOVED}\n', 'f').errors[0]!.message).toMatch(/must be a list/);
  });

  it('reads a file; a missing optional file is no entries, a missing named file is PLAN_IGNORE_UNREADABLE', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tengine-ignore-'));
    try {
      const file = path.join(dir, '.tengine-plan-ignore.yaml');
      expect(await readIgnoreFile(file, { optional: true })).toEqual({ entries: [], errors: [] });
      const missing = await readIgnoreFile(file, { display: '.tengine-plan-ignore.yaml' });
      expect(missing.errors).toEqual([{ code: 'PLAN_IGNORE_UNREADABLE', message: '.tengine-plan-ignore.yaml: no such file (ENOENT)' }]);
      await writeFile(file, 'accept:\n  - {rule: TOOL_REMOVED, project: shop, reason: gone}\n');
      expect((await readIgnoreFile(file)).entries).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ignore file applied to a plan', () => {
  const plan = (text: string, today = '2025-06-01', b = before, a = after) => computePlan(b, a, { today, ignore: entries(text) });

  it('a matching entry marks the hit accepted with its reason; it no longer counts for --fail-on', () => {
    const p = plan('accept:\n  - {rule: TOOL_REMOVED, project: shop, tool: orders-get, reason: Nobody calls it.}\n');
    const c = p.changes[0]!;
    expect(c.accepted).toBe(true);
    expect(c.severity).toBe('benign');
    expect(c.rules[0]).toMatchObject({ rule: 'TOOL_REMOVED', severity: 'breaking', accepted: true, reason: 'Nobody calls it.' });
    expect(p.summary).toMatchObject({ remove: 1, breaking: 0, accepted: 1 });
    expect(failsOn(p, 'breaking')).toBe(false);
    expect(p.warnings).toEqual([]);
  });

  it('an entry for another project, tool or rule does not apply, and is reported as unused', () => {
    for (const e of ['{rule: TOOL_REMOVED, project: billing, reason: x}', '{rule: TOOL_REMOVED, project: shop, tool: orders-list, reason: x}', '{rule: TOOL_RENAMED, project: shop, reason: x}']) {
      const p = plan(`accept:\n  - ${e}\n`);
      expect(p.changes[0]!.accepted).toBe(false);
      expect(failsOn(p, 'breaking')).toBe(true);
      expect(p.warnings.map((w) => w.code)).toEqual(['PLAN_IGNORE_UNUSED']);
    }
  });

  it('an entry applies up to and including its expiry date, and after it is only a warning', () => {
    const text = 'accept:\n  - {rule: TOOL_REMOVED, project: shop, reason: x, expires: 2025-06-01}\n';
    expect(plan(text, '2025-06-01').changes[0]!.accepted).toBe(true);
    const expired = plan(text, '2025-06-02');
    expect(expired.changes[0]!.accepted).toBe(false);
    expect(failsOn(expired, 'breaking')).toBe(true);
    expect(expired.warnings).toEqual([{ code: 'PLAN_IGNORE_EXPIRED', message: expect.stringContaining('expired on 2025-06-01 and no longer applies') }]);
  });

  it('a tool entry matches the old name, the new name or the id of a rename', () => {
    const b = config([tool('orders-list')]);
    const a = config([tool('orders-search', { id: 'orders-list' })]);
    for (const name of ['orders-list', 'orders-search']) {
      expect(plan(`accept:\n  - {rule: TOOL_RENAMED, project: shop, tool: ${name}, reason: x}\n`, '2025-06-01', b, a).changes[0]!.accepted).toBe(true);
    }
  });

  it('project "*" also matches runtime settings, which belong to no project', () => {
    const p = plan('accept:\n  - {rule: TOOL_REMOVED, project: "*", reason: x}\n  - {rule: TOKEN_TTL_RAISED, project: "*", reason: y}\n', '2025-06-01', before, config([tool('orders-list')], { access_token_ttl: '2h' }));
    expect(p.changes.every((c) => c.accepted)).toBe(true);
    expect(failsOn(p, ['breaking', 'security'])).toBe(false);
  });

  it('a change stays unaccepted while one of its breaking or security hits is not accepted', () => {
    const b = config([tool('orders-list')]);
    const a = config([tool('orders-list', { require_member: true, base_url: 'https://other.example.net' })]);
    const p = plan('accept:\n  - {rule: BASE_URL_CHANGED, project: shop, reason: moved}\n', '2025-06-01', b, a);
    const c = p.changes[0]!;
    expect(c.accepted).toBe(false);
    expect(c.severity).toBe('breaking');
    expect(failsOn(p, 'security')).toBe(false);
    expect(failsOn(p, 'breaking')).toBe(true);
  });
});
