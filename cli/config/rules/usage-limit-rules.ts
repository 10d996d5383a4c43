import { parseDuration } from '../../../schemas/duration.js';
import { isKnownTimeZone } from '../../../runtime/usage/calendar.js';
import { eachProject, entriesOf, isObject, type RuleContext } from './context.js';

/** Most limits in one `usage_limits` list: a call carries every level's limits to the store in one script. */
export const MAX_LIMITS_PER_LIST = 8;
const MIN_WINDOW_MS = 1000;
const MAX_WINDOW_MS = 86_400_000;
// The shortest a quota period can be (a DST day, a week or a February with a DST change): a rate that admits fewer
// calls than the quota over that time makes the quota unreachable.
const SHORTEST_PERIOD_MS = { day: 23 * 3_600_000, week: 7 * 86_400_000 - 3_600_000, month: 28 * 86_400_000 - 3_600_000 } as const;
// How many callers one counter holds, from the most to the fewest: a limit counting more callers together (and at
// least the same calls) is at least as strict.
const BREADTH = { project: 2, integration: 1, member: 0 } as const;

type Per = keyof typeof BREADTH;
type Period = keyof typeof SHORTEST_PERIOD_MS;

/** A limit as the rules compare it (only entries whose fields the schema accepted). */
interface Checked {
  pointer: string;
  per: Per;
  rate?: { windowMs: number; window: string; limit: number; burst: number };
  quota?: { period: Period; limit: number };
}

/**
 * Usage limits that cannot mean what they say: a rate and a quota at once or neither (TNG239), a burst above the
 * limit (TNG240), the same limit twice in one list (TNG241), a limit another one always refuses first (TNG242,
 * warning), an unknown time zone (TNG243), a rate window outside 1s..24h (TNG244).
 */
export function checkUsageLimits(ctx: RuleContext): void {
  for (const { project, pointer } of eachProject(ctx)) {
    const policy = project.usage_policy;
    if (isObject(policy) && typeof policy.time_zone === 'string' && ctx.isClean(`${pointer}/usage_policy/time_zone`) && !isKnownTimeZone(policy.time_zone)) {
      ctx.report('TNG243', `usage_policy.time_zone "${policy.time_zone.slice(0, 64)}" is not an IANA time zone this runtime knows`, `${pointer}/usage_policy/time_zone`);
    }
    const projectLimits = checkList(ctx, project.usage_limits, `${pointer}/usage_limits`);
    for (const [ii, integ] of entriesOf(project.integrations)) {
      if (isObject(integ)) checkList(ctx, integ.usage_limits, `${pointer}/integrations/${ii}/usage_limits`, true);
    }
    for (const [ti, tool] of entriesOf(project.tools)) {
      if (!isObject(tool)) continue;
      const own = checkList(ctx, tool.usage_limits, `${pointer}/tools/${ti}/usage_limits`);
      // A tool's limit under a project limit that counts at least the same calls and is at least as strict never refuses.
      for (const t of own) {
        const stricter = projectLimits.find((p) => BREADTH[p.per] >= BREADTH[t.per] && covers(p, t));
        if (stricter) {
          ctx.report('TNG242', `this limit never refuses a call: the project limit at ${stricter.pointer.slice(pointer.length + 1).replaceAll('/', '.')} (${describe(stricter)}) is stricter and counts at least the same calls`, t.pointer);
        }
      }
    }
  }
}

/** Checks one `usage_limits` list and returns its well-formed entries. */
function checkList(ctx: RuleContext, list: unknown, at: string, onIntegration = false): Checked[] {
  const out: Checked[] = [];
  let count = 0;
  for (const [i, entry] of entriesOf(list)) {
    if (++count === MAX_LIMITS_PER_LIST + 1) {
      ctx.report('TNG239', `more than ${MAX_LIMITS_PER_LIST} usage limits in one list`, `${at}/${i}`, { hint: `keep at most ${MAX_LIMITS_PER_LIST} limits per project, integration and tool; merge limits that count the same calls` });
    }
    if (!isObject(entry)) continue;
    const pointer = `${at}/${i}`;
    if (!ctx.isClean(pointer)) continue;
    const hasWindow = entry.window !== undefined;
    const hasQuota = entry.quota !== undefined;
    if (hasWindow === hasQuota) {
      ctx.report('TNG239', hasWindow ? 'a usage limit with both `window` (a rate) and `quota` (a calendar quota)' : 'a usage limit with neither `window` nor `quota`', pointer, {
        hint: 'write two limits for a rate and a quota: `{limit: 10, window: 1m}` spreads calls over time, `{limit: 1000, quota: day}` caps each calendar day',
      });
      continue;
    }
    if (hasQuota && entry.burst !== undefined) {
      ctx.report('TNG239', 'a quota with a `burst`: a burst belongs to a rate (`window`)', `${pointer}/burst`, { key: true, hint: 'remove `burst`, or make the limit a rate with `window`' });
      continue;
    }
    const limit = entry.limit as number;
    const rawPer = (entry.per ?? 'member') as Per;
    const per: Per = onIntegration && rawPer === 'project' ? 'integration' : rawPer;
    if (hasQuota) {
      out.push({ pointer, per, quota: { period: entry.quota as Period, limit } });
      continue;
    }
    const window = entry.window as string;
    const windowMs = parseDuration(window);
    if (windowMs < MIN_WINDOW_MS || windowMs > MAX_WINDOW_MS) {
      ctx.report('TNG244', `rate window ${window} is outside 1s–24h`, `${pointer}/window`, {
        hint: windowMs > MAX_WINDOW_MS ? 'for a limit per day, week or month use a calendar quota: `quota: day | week | month`' : 'use a window of at least 1s (`{limit: 10, window: 1s}` rather than `{limit: 1, window: 100ms}`)',
      });
      continue;
    }
    const burst = typeof entry.burst === 'number' ? entry.burst : limit;
    if (burst > limit) {
      ctx.report('TNG240', `burst ${burst} is above the limit ${limit}: at most ${limit} calls per ${window} can ever pass`, `${pointer}/burst`, {
        hint: `set burst to at most ${limit}, or raise limit: a burst is how many of the window's ${limit} calls may come at once`,
      });
      continue;
    }
    out.push({ pointer, per, rate: { windowMs, window, limit, burst } });
  }
  // The same limit twice (same per, and the same window length or quota period) holds two contradicting values.
  for (const [i, a] of out.entries()) {
    const twin = out.slice(0, i).find((b) => b.per === a.per && (a.rate ? b.rate?.windowMs === a.rate.windowMs : b.quota?.period === a.quota!.period));
    if (twin) {
      ctx.report('TNG241', `a second limit per ${a.per} ${a.rate ? `per ${a.rate.window}` : `per ${a.quota!.period}`} in this list`, a.pointer, {
        hint: 'keep one limit per window (or quota period) and per; they would share one counter',
      });
    }
  }
  // Within one list: a quota no sequence of calls can reach because a rate of the same list refuses first.
  for (const q of out) {
    if (!q.quota) continue;
    const rate = out.find((r) => r.rate && BREADTH[r.per] >= BREADTH[q.per] && r.rate.burst + Math.floor((SHORTEST_PERIOD_MS[q.quota!.period] * r.rate.limit) / r.rate.windowMs) <= q.quota!.limit);
    if (rate) ctx.report('TNG242', `this quota never refuses a call: the rate ${describe(rate)} admits fewer than ${q.quota.limit} calls per ${q.quota.period}`, q.pointer);
  }
  return out;
}

/** True when limit `a` always refuses before `b` would, for calls both count. */
function covers(a: Checked, b: Checked): boolean {
  if (a.rate && b.rate) return a.rate.windowMs / a.rate.limit >= b.rate.windowMs / b.rate.limit && a.rate.burst <= b.rate.burst;
  if (a.quota && b.quota) return a.quota.period === b.quota.period && a.quota.limit <= b.quota.limit;
  return false;
}

function describe(c: Checked): string {
  return c.rate ? `${c.rate.limit} per ${c.rate.window}${c.rate.burst < c.rate.limit ? `, burst ${c.rate.burst}` : ''}, per ${c.per}` : `${c.quota!.limit} per ${c.quota!.period}, per ${c.per}`;
}
