import { describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../../schemas/config-types.js';
import { computePlan } from './plan.js';
import { PLAN_COMMENT_MARKER, renderPlanMarkdown } from './render-markdown.js';

const tool = (name: string, description = `The ${name} tool.`): Tool => ({
  name,
  description,
  input_schema: { type: 'object', properties: {} },
  base_url: 'https://api.example.com',
  http_method: 'GET',
  endpoint_path: `/v1/${name}`,
});
const config = (tools: Tool[]): TengineConfig => ({ version: 1, projects: [{ id: 'shop', tools }] });

describe('markdown output for a pull-request comment', () => {
  it('stays under GitHub’s 65,536-character comment limit and says what it left out', () => {
    const many = Array.from({ length: 3000 }, (_, i) => tool(`tool-${i}`, 'x'.repeat(400)));
    const md = renderPlanMarkdown(computePlan(config([]), config(many), { today: '2025-06-01' }));
    expect(md.length).toBeLessThan(65_536);
    expect(md.startsWith(`${PLAN_COMMENT_MARKER}\n`)).toBe(true);
    expect(md).toContain('Plan: 3000 to add, 0 to change, 0 to remove (0 breaking, 3000 security)');
    expect(md).toMatch(/… \d+ more/);
    expect(md).toMatch(/Details of \d+ more changes are left out/);
  });

  it('fences text with a longer fence than any backtick run in it, and escapes HTML outside code', () => {
    const before = config([tool('a', 'Use ```code``` blocks.')]);
    const after = config([tool('a', 'Use ````code```` <script>alert(1)</script> blocks.')]);
    const md = renderPlanMarkdown(computePlan(before, after, { today: '2025-06-01' }));
    expect(md).toContain('`````diff\n');
    const outsideCode = md.replace(/`````diff\n[\s\S]*?\n`````/g, '');
    expect(md).toContain('<script>');
    expect(outsideCode).not.toContain('<script>');
  });

  it('lists breaking changes before security changes, and those before benign ones', () => {
    const before = config([tool('a'), tool('b'), tool('c')]);
    const after = config([tool('a', 'New text.'), tool('c'), tool('d')]);
    const md = renderPlanMarkdown(computePlan(before, after, { today: '2025-06-01' }));
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| |'));
    expect(rows.map((r) => r.split('|')[3]!.trim())).toEqual(['`b`', '`d`', '`a`']);
  });
});
