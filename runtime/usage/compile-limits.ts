import type { Project, UsageLimit } from '../../schemas/config-types.js';
import { parseDuration } from '../../schemas/duration.js';
import { createCalendar, type CalendarSpan, type QuotaPeriod } from './calendar.js';
import { createLimitGuard, type LimitGuard } from './usage-limits.js';

/** Where a limit is configured: on the project (all its calls), an integration (calls through it) or a tool. */
export type LimitLevel = 'project' | 'integration' | 'tool';
/** Whose calls one counter holds. */
export type LimitPer = 'project' | 'integration' | 'member';

/** The limit a refusal names, as `_meta["tengine.dev/error"].limit` shows it. */
export interface LimitMeta {
  name?: string;
  level: LimitLevel;
  per: LimitPer;
  kind: 'rate' | 'quota';
  limit: number;
  window?: string;
  quota?: QuotaPeriod;
  burst?: number;
  /** The integration whose limit this is (integration level only). */
  integration?: string;
  /** The tool whose limit this is (tool level only). */
  tool?: string;
}

/**
 * One configured limit compiled at bundle load, ready to become a store check with nothing left to compute per
 * call but the caller's subject: key strings are `head + subject + tail`.
 */
export interface LimitTemplate {
  readonly meta: Readonly<LimitMeta>;
  readonly per: LimitPer;
  /** `lim:{<project>}:<level>:<tool or *>:<per>:`, the Redis Cluster hash tag being the project. */
  readonly head: string;
  /** What the model reads about this limit (`100 calls per 1m per member on get_item`). */
  readonly description: string;
  readonly rate?: { readonly tail: string; readonly intervalMs: number; readonly burst: number; readonly localIntervalMs: number; readonly localBurst: number };
  readonly quota?: { readonly limit: number; readonly localLimit: number; readonly calendar: (now: number) => CalendarSpan };
}

/** The limits a call of one tool must pass, compiled at load; absent on a tool no limit applies to. */
export interface ToolLimits {
  /** The project's limits and the tool's own. */
  readonly common: readonly LimitTemplate[];
  /** The limits of the integrations that have any, by integration id. */
  readonly byIntegration?: ReadonlyMap<string, readonly LimitTemplate[]>;
  /** The project's outage policy and local fallback (shared by its tools). */
  readonly guard: LimitGuard;
}

/** Defaults of `usage_policy`. */
export const DEFAULT_EXPECTED_INSTANCES = 2;

/** The limit kinds of one project, compiled once: the templates of each tool are built from these. */
export interface ProjectLimits {
  project: readonly LimitTemplate[];
  byIntegration?: ReadonlyMap<string, readonly LimitTemplate[]>;
  guard: LimitGuard;
  /** Templates of one tool's own `usage_limits` (none: an empty list). */
  tool(name: string, limits: readonly UsageLimit[] | undefined): readonly LimitTemplate[];
  /** The compiled limits of a tool, or undefined when none can ever apply (nothing to do per call). */
  forTool(own: readonly LimitTemplate[]): ToolLimits | undefined;
}

/** Compiles a project's limits and outage policy at bundle load; `now` is the runtime's clock. */
export function compileProjectLimits(project: Project, now: () => number): ProjectLimits {
  const policy = project.usage_policy ?? {};
  const instances = policy.expected_instances ?? DEFAULT_EXPECTED_INSTANCES;
  const timeZone = policy.time_zone ?? 'UTC';
  // One calendar per period, shared by every quota of the project, so Intl runs once per window for all of them.
  const calendars = new Map<QuotaPeriod, (now: number) => CalendarSpan>();
  const calendar = (p: QuotaPeriod) => {
    let c = calendars.get(p);
    if (c === undefined) calendars.set(p, (c = createCalendar(p, timeZone)));
    return c;
  };
  const compile = (limits: readonly UsageLimit[] | undefined, level: LimitLevel, owner?: string): LimitTemplate[] => {
    const out: LimitTemplate[] = [];
    const heads = new Set<string>();
    for (const l of limits ?? []) {
      const t = compileLimit(l, { projectId: project.id, level, owner, instances, calendar });
      // Exact duplicates are refused by `tengine validate` (TNG241); a bundle built without it still must not send
      // the store one key twice.
      const id = t.head + (t.rate?.tail ?? t.meta.quota);
      if (heads.has(id)) continue;
      heads.add(id);
      out.push(t);
    }
    return out;
  };
  const guard = createLimitGuard({ projectId: project.id, policy: policy.on_store_unavailable ?? 'fail_open', now });
  const projectTemplates = compile(project.usage_limits, 'project');
  let byIntegration: Map<string, readonly LimitTemplate[]> | undefined;
  for (const integ of project.integrations ?? []) {
    const templates = compile(integ.usage_limits, 'integration', integ.id);
    if (templates.length > 0) (byIntegration ??= new Map()).set(integ.id, templates);
  }
  return {
    project: projectTemplates,
    ...(byIntegration ? { byIntegration } : {}),
    guard,
    tool: (name, limits) => compile(limits, 'tool', name),
    forTool(own) {
      if (own.length === 0 && projectTemplates.length === 0 && byIntegration === undefined) return undefined;
      return { common: [...projectTemplates, ...own], ...(byIntegration ? { byIntegration } : {}), guard };
    },
  };
}

interface CompileContext {
  projectId: string;
  level: LimitLevel;
  /** The integration id (integration level) or tool name (tool level). */
  owner?: string;
  instances: number;
  calendar: (p: QuotaPeriod) => (now: number) => CalendarSpan;
}

/** One limit as a template (see LimitTemplate); exported for unit tests. */
export function compileLimit(l: UsageLimit, ctx: CompileContext): LimitTemplate {
  // On an integration, `project` would count the same calls as `integration`: the integration's own.
  const per: LimitPer = ctx.level === 'integration' && l.per === 'project' ? 'integration' : (l.per ?? 'member');
  const levelPart = ctx.level === 'integration' ? `integration.${ctx.owner}` : ctx.level;
  const head = `lim:{${ctx.projectId}}:${levelPart}:${ctx.level === 'tool' ? ctx.owner : '*'}:${per}:`;
  const where = ctx.level === 'tool' ? ` on ${ctx.owner}` : ctx.level === 'integration' ? ` through integration ${ctx.owner}` : '';
  const who = per === 'project' ? 'for the whole project' : per === 'integration' ? 'per integration' : 'per member';
  const calls = `${l.limit} call${l.limit === 1 ? '' : 's'}`;
  const base = {
    ...(l.name ? { name: l.name } : {}),
    level: ctx.level,
    per,
    ...(ctx.level === 'integration' ? { integration: ctx.owner! } : ctx.level === 'tool' ? { tool: ctx.owner! } : {}),
  };
  const named = (text: string) => (l.name ? `"${l.name}" (${text})` : text);
  if (l.quota !== undefined) {
    return {
      meta: Object.freeze({ ...base, kind: 'quota' as const, limit: l.limit, quota: l.quota }),
      per,
      head,
      description: named(`${calls} per ${l.quota} ${who}${where}`),
      quota: { limit: l.limit, localLimit: Math.max(1, Math.floor(l.limit / ctx.instances)), calendar: ctx.calendar(l.quota) },
    };
  }
  // Validation requires exactly one of window and quota (TNG239); a bundle without either has a window of 1 s.
  const window = l.window ?? '1s';
  const windowMs = parseDuration(window);
  const burst = Math.min(l.burst ?? l.limit, l.limit);
  const intervalMs = windowMs / l.limit;
  return {
    meta: Object.freeze({ ...base, kind: 'rate' as const, limit: l.limit, window, burst }),
    per,
    head,
    description: named(`${calls} per ${window}${burst < l.limit ? ` (burst ${burst})` : ''} ${who}${where}`),
    rate: {
      // The key names the window, not the limit: changing a limit or burst keeps the caller's state; a new window starts afresh.
      tail: `:r${windowMs}`,
      intervalMs,
      burst,
      localIntervalMs: intervalMs * ctx.instances,
      localBurst: Math.max(1, Math.floor(burst / ctx.instances)),
    },
  };
}
