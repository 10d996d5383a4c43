import type { TengineConfig } from '../../schemas/config-types.js';
import { diffConfigs } from './diff.js';
import { applyIgnore, isIsoDate, type IgnoreEntry } from './ignore.js';
import { classifyChanges } from './rules.js';
import type { ClassifiedChange, Plan, PlanSummary, Severity } from './types.js';

/** Version of the plan value and of `--format json`; bumped only for incompatible changes. */
export const PLAN_FORMAT_VERSION = 1;

/** Options of `computePlan`. */
export interface PlanOptions {
  /** Today as YYYY-MM-DD (UTC), for deprecation sunsets and ignore expiries; the caller owns the clock. */
  today: string;
  /** Entries of a parsed ignore file (`parseIgnoreFile`/`readIgnoreFile`); none when absent. */
  ignore?: IgnoreEntry[];
  /** Labels of what is compared, shown in the outputs (e.g. `git:origin/main` and `.`). */
  sources?: { before?: string; after?: string };
}

/** Today's date (UTC) as YYYY-MM-DD, from a clock the caller passes. */
export function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * The plan from `before` to `after`: the classified changes, the ignore file applied, and the counts. Pure:
 * both configs must already be loaded and valid (a config that cannot be read must never become an empty plan,
 * so callers stop before calling this).
 */
export function computePlan(before: TengineConfig, after: TengineConfig, opts: PlanOptions): Plan {
  if (!isIsoDate(opts.today)) throw new Error(`computePlan: today must be a date written YYYY-MM-DD, got ${JSON.stringify(opts.today)}`);
  const classified = classifyChanges(diffConfigs(before, after), { before, after, today: opts.today });
  const { changes, warnings } = applyIgnore(classified, opts.ignore ?? [], opts.today);
  return {
    format_version: PLAN_FORMAT_VERSION,
    today: opts.today,
    sources: { before: opts.sources?.before ?? null, after: opts.sources?.after ?? null },
    changes,
    warnings,
    summary: summarize(changes),
  };
}

/** The counts of a list of classified changes. */
export function summarize(changes: ClassifiedChange[]): PlanSummary {
  const open = (c: ClassifiedChange, s: Severity) => c.rules.some((h) => h.severity === s && !h.accepted);
  const count = (f: (c: ClassifiedChange) => boolean) => changes.filter(f).length;
  return {
    add: count((c) => c.action === 'add'),
    change: count((c) => c.action === 'change'),
    remove: count((c) => c.action === 'remove'),
    rename: count((c) => c.action === 'rename'),
    breaking: count((c) => open(c, 'breaking')),
    security: count((c) => open(c, 'security')),
    benign: count((c) => !c.accepted && c.rules.every((h) => h.severity === 'benign')),
    accepted: count((c) => c.accepted),
  };
}

/** True when the plan has any change (accepted ones included): what `--detailed-exitcode` reports as 2. */
export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}

/**
 * True when the plan holds a hit of one of the given severities that the ignore file does not accept: what
 * `--fail-on breaking|security` exits 1 for. Each level is independent (`security` does not imply `breaking`).
 */
export function failsOn(plan: Plan, level: 'breaking' | 'security' | ReadonlyArray<'breaking' | 'security'>): boolean {
  const levels: ReadonlyArray<Severity> = typeof level === 'string' ? [level] : level;
  return plan.changes.some((c) => c.rules.some((h) => levels.includes(h.severity) && !h.accepted));
}
