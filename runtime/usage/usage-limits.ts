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

/** Outcome of charging one call against its limits. */
export type UsageDecision = { ok: true } | { ok: false; limit: CompiledLimit; retryAfterSeconds: number };

/**
 * Counts one call against every limit that applies (the project's and the tool's) in fixed windows held in the
 * store, so all instances share the counts. A call over any limit is refused; the windows it was counted in are
 * not refunded (a refused call still spent a request). When the store does not answer, calls are allowed and the
 * failure is logged: limits protect upstreams from overuse, and an outage of the store should not stop every tool.
 */
export async function chargeUsage(
  limits: readonly CompiledLimit[],
  caller: CallerIdentity,
  store: Store,
  nowMs: number,
  log?: (entry: Record<string, unknown>) => void,
): Promise<UsageDecision> {
  if (limits.length === 0) return { ok: true };
  try {
    const counts = await Promise.all(
      limits.map((l) => {
        const windowStart = Math.floor(nowMs / l.windowMs) * l.windowMs;
        return store.increment(`usage:${subjectKey(l, caller)}:${l.tool ?? '*'}:${l.windowMs}:${windowStart}`, l.windowMs);
      }),
    );
    for (const [i, l] of limits.entries()) {
      if (counts[i]! > l.limit) {
        const windowEnd = (Math.floor(nowMs / l.windowMs) + 1) * l.windowMs;
        return { ok: false, limit: l, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - nowMs) / 1000)) };
      }
    }
    return { ok: true };
  } catch (e) {
    if (!(e instanceof StoreUnavailableError)) throw e;
    log?.({ level: 'warn', event: 'usage_store_unavailable', message: e.message });
    return { ok: true };
  }
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
