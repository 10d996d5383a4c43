// The conformance job's verdict: a suite's scenario results against the expected-failures list. A listed failure is
// expected; an unlisted one fails the job; a listed scenario or check that no longer fails is stale and fails the
// job too, so the list only ever names what still fails.

/** A suite release the job runs (scripts/conformance.sh pins them). */
export type SuiteId = 'stable' | 'next';

/** One check of a scenario as the suite recorded it (`status`: SUCCESS, FAILURE, WARNING, INFO, SKIPPED). */
export interface CheckResult {
  id: string;
  status: string;
  message?: string;
}

/** The checks one scenario recorded. */
export interface ScenarioResult {
  scenario: string;
  checks: CheckResult[];
}

/**
 * An entry of expected-failures.yaml: the whole scenario (no `check`) or one check id of it may fail, in the listed
 * suites (default: both), for the stated reason.
 */
export interface Expectation {
  scenario: string;
  check?: string;
  suites?: SuiteId[];
  reason: string;
}

/** Counts by scenario (passed, expected, unexpected) and by expectation (stale), plus one line per scenario. */
export interface Verdict {
  passed: number;
  expected: number;
  unexpected: number;
  stale: number;
  lines: string[];
}

/** Throws on an entry without a scenario or a reason, or a scenario listed both whole and per check. */
export function checkExpectations(list: Expectation[]): void {
  for (const e of list) {
    if (!e.scenario || !e.reason?.trim()) throw new Error(`expected failure ${JSON.stringify(e)} needs a scenario and a reason`);
    for (const s of e.suites ?? []) if (s !== 'stable' && s !== 'next') throw new Error(`expected failure ${e.scenario}: unknown suite ${s}`);
  }
  for (const e of list) {
    if (e.check) continue;
    const both = list.find((o) => o.check && o.scenario === e.scenario && overlap(o, e));
    if (both) throw new Error(`expected failure ${e.scenario} is listed both as a whole and per check (${both.check})`);
  }
}

/** Failing checks shown per unexpected scenario; the rest are in the suite's checks.json. */
const MAX_SHOWN = 5;

const suitesOf = (e: Expectation): SuiteId[] => e.suites ?? ['stable', 'next'];
const overlap = (a: Expectation, b: Expectation) => suitesOf(a).some((s) => suitesOf(b).includes(s));

/** Judges one suite's results against the expectations that apply to it. */
export function judge(suite: SuiteId, results: ScenarioResult[], all: Expectation[]): Verdict {
  checkExpectations(all);
  const list = all.filter((e) => suitesOf(e).includes(suite));
  const v: Verdict = { passed: 0, expected: 0, unexpected: 0, stale: 0, lines: [] };
  for (const r of results) {
    const failing = [...new Set(r.checks.filter((c) => c.status === 'FAILURE').map((c) => c.id))];
    const succeeded = r.checks.filter((c) => c.status === 'SUCCESS').length;
    const warnings = r.checks.filter((c) => c.status === 'WARNING').length;
    const tally = `${succeeded}/${r.checks.length} checks passed${warnings ? `, ${warnings} warnings` : ''}`;
    const whole = list.find((e) => e.scenario === r.scenario && !e.check);
    const perCheck = new Set(list.filter((e) => e.scenario === r.scenario && e.check).map((e) => e.check!));
    if (whole) {
      if (failing.length > 0) {
        v.expected++;
        v.lines.push(`expected ${r.scenario} (${tally})`);
      } else {
        v.stale++;
        v.lines.push(`STALE    ${r.scenario} (${tally}): listed as an expected failure but passes; remove it from the list`);
      }
      continue;
    }
    const unexpected = failing.filter((id) => !perCheck.has(id));
    const staleChecks = [...perCheck].filter((id) => !failing.includes(id));
    v.stale += staleChecks.length;
    for (const id of staleChecks) v.lines.push(`STALE    ${r.scenario}:${id}: listed as an expected failure but does not fail; remove it from the list`);
    if (unexpected.length > 0) {
      v.unexpected++;
      v.lines.push(`FAIL     ${r.scenario} (${tally})`);
      for (const id of unexpected.slice(0, MAX_SHOWN)) {
        const message = r.checks.find((c) => c.id === id && c.status === 'FAILURE')?.message ?? '';
        v.lines.push(`           ${id}: ${message.split('\n')[0]!.slice(0, 240)}`);
      }
      if (unexpected.length > MAX_SHOWN) v.lines.push(`           … and ${unexpected.length - MAX_SHOWN} more failing checks (checks.json in the results directory)`);
    } else if (failing.length > 0) {
      v.expected++;
      v.lines.push(`expected ${r.scenario} (${tally}; only the listed checks fail: ${failing.join(', ')})`);
    } else {
      v.passed++;
      v.lines.push(`pass     ${r.scenario} (${tally})`);
    }
  }
  for (const e of list) {
    if (results.some((r) => r.scenario === e.scenario)) continue;
    v.stale++;
    v.lines.push(`STALE    ${e.scenario}${e.check ? `:${e.check}` : ''}: listed as an expected failure but the suite did not run it`);
  }
  return v;
}
