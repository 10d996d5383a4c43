import type { TengineConfig, Tool } from '../../schemas/config-types.js';
import { severityRank } from './rule-catalogue.js';
import { apiKeyRules, assertionKeyRules, integrationRules, projectRules, runtimeRules } from './rules-access.js';
import { toolRules } from './rules-tool.js';
import type { ClassifiedChange, PlanChange, RuleHit, Severity } from './types.js';

/** The rule catalogue, re-exported so that callers import rules from one place. */
export { LOW_PRIORITY_RULES, RULE_IDS, RULES, ruleHit, severityRank, type RuleId, type RuleInfo } from './rule-catalogue.js';

/** What classification needs besides the changes: both configs (for tool details) and the date of today. */
export interface RuleContext {
  before: TengineConfig;
  after: TengineConfig;
  /** YYYY-MM-DD; deprecation sunsets on or before it are reached. */
  today: string;
}

/** Attaches the matching rules to every change (pure; the same input gives the same hits in the same order). */
export function classifyChanges(changes: PlanChange[], ctx: RuleContext): ClassifiedChange[] {
  const projectOf = (config: TengineConfig, project: string | null) => config.projects?.find((p) => p.id === project);
  const tool = (config: TengineConfig, project: string | null, name: string | null): Tool | undefined =>
    name === null ? undefined : projectOf(config, project)?.tools?.find((t) => t.name === name);
  return changes.map((c) => {
    let hits: RuleHit[];
    switch (c.subject) {
      case 'tool': {
        const before = c.action === 'add' ? undefined : tool(ctx.before, c.project, c.previous_name ?? c.name);
        const after = c.action === 'remove' ? undefined : tool(ctx.after, c.project, c.name);
        const defaults = { before: projectOf(ctx.before, c.project)?.idempotency, after: projectOf(ctx.after, c.project)?.idempotency };
        hits = toolRules(c, before, after, ctx.today, defaults);
        break;
      }
      case 'project':
        hits = projectRules(c);
        break;
      case 'integration':
        hits = integrationRules(c);
        break;
      case 'api_key':
        hits = apiKeyRules(c);
        break;
      case 'assertion_key':
        hits = assertionKeyRules(c);
        break;
      case 'runtime':
        hits = runtimeRules(c);
        break;
    }
    return withVerdict({ ...c, rules: hits, severity: 'benign', accepted: false });
  });
}

/**
 * Recomputes a change's `severity` (the highest hit not accepted) and `accepted` (every breaking or security
 * hit accepted, and at least one of them) from its hits. Hits are ordered by severity, then as found.
 */
export function withVerdict(c: ClassifiedChange): ClassifiedChange {
  const rules = c.rules.map((h, i) => [h, i] as const).sort(([a, i], [b, j]) => severityRank(a.severity) - severityRank(b.severity) || i - j).map(([h]) => h);
  const open = rules.filter((h) => !h.accepted);
  const severity: Severity = open.reduce<Severity>((s, h) => (severityRank(h.severity) < severityRank(s) ? h.severity : s), 'benign');
  const notable = rules.filter((h) => h.severity !== 'benign');
  return { ...c, rules, severity, accepted: notable.length > 0 && notable.every((h) => h.accepted) };
}
