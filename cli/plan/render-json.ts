import type { Plan } from './types.js';

/**
 * `--format json`: the plan value, versioned by `format_version`, with always-present arrays (`changes`,
 * `warnings`, and in each change `fields` and `rules`) and a `summary`. Values are already masked. Keys come in
 * a fixed order so the output is stable for golden files and diffs.
 */
export function renderPlanJson(plan: Plan): string {
  const value = {
    format_version: plan.format_version,
    today: plan.today,
    sources: plan.sources,
    summary: plan.summary,
    changes: plan.changes.map((c) => ({
      project: c.project,
      subject: c.subject,
      action: c.action,
      name: c.name,
      previous_name: c.previous_name,
      identity: c.identity,
      parent: c.parent,
      severity: c.severity,
      accepted: c.accepted,
      rules: c.rules.map((h) => ({ rule: h.rule, severity: h.severity, message: h.message, field: h.field, pointer: h.pointer, accepted: h.accepted, reason: h.reason })),
      fields: c.fields.map((f) => ({ field: f.field, pointer: f.pointer, kind: f.kind, keyword: f.keyword ?? null, before: f.before, after: f.after, note: f.note ?? null })),
    })),
    warnings: plan.warnings.map((w) => ({ code: w.code, message: w.message })),
  };
  return `${JSON.stringify(value, null, 2)}\n`;
}
