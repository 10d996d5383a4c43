import type { UsageLimit } from '../../schemas/config-types.js';
import { parseDuration } from '../../schemas/duration.js';
import type { CallerIdentity } from '../execute/types.js';
import { StoreUnavailableError, type Store } from '../store/store.js';

/** A limit compiled at bundle load: window in ms and what it counts. */
export interface CompiledLimit {
  limit: number;
  windowMs: number;
  per: 'project' | 'integration' | 'member';
  /** Set for a tool's own limit (its calls only); undefined for a project limit (all tools together). */
  tool?: string;
}

/** Compiles `usage_limits` entries once, when the bundle loads. */
export function compileLimits(limits: UsageLimit[] | undefined, tool?: string): CompiledLimit[] {
  return (limits ?? []).map((l) => ({ limit: l.limit, windowMs: parseDuration(l.window), per: l.per ?? 'member', ...(tool ? { tool } : {}) }));
}

/** Seconds a caller refused for an overloaded store is told to wait: a burst drains within about that. */
export const OVERLOAD_RETRY_SECONDS = 1;

/** Outcome of charging one call against its limits; a refusal carries the tool error to answer with. */
export type UsageDecision =
  | { ok: true }
  | { ok: false; code: 'USAGE_LIMIT_EXCEEDED'; limit: CompiledLimit; retryAfterSeconds: number; detail: string }
  | { ok: false; code: 'USAGE_CHECK_UNAVAILABLE'; retryAfterSeconds: number; detail: string };

/**
 * Counts one call against every limit that applies (the project's and the tool's) in fixed windows held in the
 * store, so all instances share the counts; each window runs on the store's clock, never this instance's, so
 * instances with skewed clocks cannot open separate windows. A call over any limit is refused; the windows it was
 * counted in are not refunded (a refused call still spent a request).
 *
 * When a count cannot be had, what happens depends on why. An overloaded store (reachable and answering, but too
 * busy to take or answer the count in its bound) refuses the call with USAGE_CHECK_UNAVAILABLE: overload is exactly
 * when a limit matters, so a call is never admitted unchecked while the store answers. A store outage (no live
 * connection, an error reply) allows the call and logs `usage_store_unavailable`: limits protect upstreams from
 * overuse, and an outage of the store should not stop every tool (docs/storage.md, "Failure behaviour").
 */
export async function chargeUsage(
  limits: readonly CompiledLimit[],
  caller: CallerIdentity,
  store: Store,
  log?: (entry: Record<string, unknown>) => void,
): Promise<UsageDecision> {
  if (limits.length === 0) return { ok: true };
  const counted = await Promise.allSettled(limits.map((l) => store.countInWindow(windowKey(l, caller), l.windowMs)));
  let overload: StoreUnavailableError | undefined;
  let outage: StoreUnavailableError | undefined;
  for (const [i, result] of counted.entries()) {
    const l = limits[i]!;
    if (result.status === 'fulfilled') {
      if (result.value.count <= l.limit) continue;
      const retryAfterSeconds = Math.max(1, Math.ceil(result.value.remainingMs / 1000));
      return { ok: false, code: 'USAGE_LIMIT_EXCEEDED', limit: l, retryAfterSeconds, detail: `${describeLimit(l)}; retry in ${retryAfterSeconds} s` };
    }
    const e: unknown = result.reason;
    if (!(e instanceof StoreUnavailableError)) throw e;
    if (e.failure === 'overload') overload ??= e;
    else outage ??= e;
  }
  if (overload !== undefined) {
    log?.({ level: 'warn', event: 'usage_store_overloaded', message: overload.message });
    return {
      ok: false,
      code: 'USAGE_CHECK_UNAVAILABLE',
      retryAfterSeconds: OVERLOAD_RETRY_SECONDS,
      detail: `the usage counters are overloaded; retry in ${OVERLOAD_RETRY_SECONDS} s`,
    };
  }
  if (outage !== undefined) log?.({ level: 'warn', event: 'usage_store_unavailable', message: outage.message });
  return { ok: true };
}

/** The counter of one limit for one caller: one key per subject, tool and window length, with no window start in it. */
function windowKey(l: CompiledLimit, caller: CallerIdentity): string {
  return `usage:${subjectKey(l, caller)}:${l.tool ?? '*'}:${l.windowMs}`;
}

function subjectKey(l: CompiledLimit, c: CallerIdentity): string {
  if (l.per === 'project') return `p:${c.projectId}`;
  if (l.per === 'member' && c.member) return `m:${c.projectId}/${c.member.id}`;
  // `member` without a member session falls back to the integration, as documented.
  return `i:${c.projectId}/${c.integrationId}`;
}

/** Human description of a limit, for the error the model sees. */
export function describeLimit(l: CompiledLimit): string {
  const who = l.per === 'project' ? 'this project' : l.per === 'integration' ? 'this integration' : 'this member';
  return `${l.limit} call${l.limit === 1 ? '' : 's'} per ${formatWindow(l.windowMs)} for ${who}${l.tool ? ` on ${l.tool}` : ''}`;
}

function formatWindow(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
