import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderPlanHuman } from '../../cli/plan/render-human.js';
import { renderPlanJson } from '../../cli/plan/render-json.js';
import { PLAN_COMMENT_MARKER, renderPlanMarkdown } from '../../cli/plan/render-markdown.js';
import { RULE_IDS, RULES } from '../../cli/plan/rules.js';
import { planScenario, SCENARIOS_DIR, scenarioNames } from './scenario-fixtures.js';

/**
 * Golden scenarios of `tengine plan` (design §4.8, issue 5 "each rule has a golden scenario"): every folder of
 * test/plan/scenarios holds before.yaml and after.yaml and the expected human, JSON and markdown output. A folder
 * named after a rule ID (optionally with a `.variant` suffix) must trigger that rule. Run with UPDATE_GOLDEN=1
 * to rewrite the expected files after an intended change, then review them by eye.
 */
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const OUTPUTS = [
  { file: 'expected.human.txt', render: (p: Parameters<typeof renderPlanJson>[0]) => renderPlanHuman(p, false) },
  { file: 'expected.json', render: renderPlanJson },
  { file: 'expected.md', render: renderPlanMarkdown },
] as const;

describe('golden plan scenarios', () => {
  for (const name of scenarioNames()) {
    it(`${name}: before.yaml → after.yaml matches expected.human.txt, expected.json and expected.md`, async () => {
      const plan = await planScenario(name);
      const rule = name.split('.')[0]!;
      if (Object.hasOwn(RULES, rule)) expect(plan.changes.flatMap((c) => c.rules.map((h) => h.rule))).toContain(rule);
      // Every change is classified by at least one rule: nothing reaches a reviewer unexplained.
      for (const c of plan.changes) expect(c.rules.length, `${c.subject} ${c.name}`).toBeGreaterThan(0);
      for (const o of OUTPUTS) {
        const file = path.join(SCENARIOS_DIR, name, o.file);
        const text = o.render(plan);
        if (UPDATE) await writeFile(file, text);
        expect(text).toBe(await readFile(file, 'utf8'));
      }
    });
  }

  it('every rule ID of rules.ts has a scenario folder named after it', () => {
    const names = new Set(scenarioNames());
    expect(RULE_IDS.filter((r) => !names.has(r))).toEqual([]);
  });

  it('docs/plan-rules.md documents every rule ID under its severity, and no other', async () => {
    const doc = await readFile(path.join(SCENARIOS_DIR, '../../../docs/plan-rules.md'), 'utf8');
    const sections = { breaking: '### 4.1 Breaking', security: '### 4.2 Security', benign: '### 4.3 Benign' } as const;
    const documented = new Map<string, string>();
    let current = '';
    for (const line of doc.split('\n')) {
      for (const [sev, heading] of Object.entries(sections)) if (line === heading) current = sev;
      if (line.startsWith('## ')) current = '';
      const m = /^#### `([A-Z_]+)`$/.exec(line);
      if (m) documented.set(m[1]!, current);
    }
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(RULE_IDS.map((r) => [r, RULES[r].severity])));
  });

  it('the JSON outputs are versioned, with always-present arrays and a summary', async () => {
    for (const name of scenarioNames()) {
      const json = JSON.parse(await readFile(path.join(SCENARIOS_DIR, name, 'expected.json'), 'utf8')) as Record<string, unknown>;
      expect(json.format_version).toBe(1);
      expect(Array.isArray(json.changes)).toBe(true);
      expect(Array.isArray(json.warnings)).toBe(true);
      expect(json.summary).toMatchObject({ add: expect.any(Number), change: expect.any(Number), remove: expect.any(Number), rename: expect.any(Number), breaking: expect.any(Number), security: expect.any(Number), benign: expect.any(Number), accepted: expect.any(Number) });
      for (const c of json.changes as Array<Record<string, unknown>>) {
        expect(Array.isArray(c.fields)).toBe(true);
        expect(Array.isArray(c.rules)).toBe(true);
      }
    }
  });

  it('the markdown outputs carry the hidden comment marker on their first line', async () => {
    for (const name of scenarioNames()) {
      const md = await readFile(path.join(SCENARIOS_DIR, name, 'expected.md'), 'utf8');
      expect(md.split('\n')[0]).toBe(PLAN_COMMENT_MARKER);
    }
  });

  it('scenario folders hold only the known files', async () => {
    for (const name of scenarioNames()) {
      for (const f of ['before.yaml', 'after.yaml', ...OUTPUTS.map((o) => o.file)]) expect(existsSync(path.join(SCENARIOS_DIR, name, f)), `${name}/${f}`).toBe(true);
    }
  });
});
