import type { CallerIdentity } from '../execute/types.js';
import { toolError, type ToolResult } from '../execute/tool-errors.js';
import { createMemoryStore, type MemoryStore } from '../store/memory-store.js';
import { type LimitCheck, type LimitVerdict, type Store, StoreUnavailableError } from '../store/store.js';
import { proposedWindows } from './calendar.js';
import type { LimitTemplate, ToolLimits } from './compile-limits.js';
import { subjectOf } from './limit-subject.js';

/** Seconds a caller refused for an unavailable or overloaded store is told to wait: a burst drains within about that. */
export const OVERLOAD_RETRY_SECONDS = 1;
/**
 * After an outage failure, calls skip the store for this long (local limiter or refusal) and the next one tries it
 * again: during an outage calls do not each wait on a dead store, and the runtime is back on the shared counts within
 * about this long of the store's return.
 */
export const STORE_PROBE_INTERVAL_MS = 1000;
/** `usage_store_unavailable` and `usage_store_overloaded` are logged at most once per this long per project. */
export const STORE_WARNING_INTERVAL_MS = 10_000;
/**
 * During an outage the fail_open counters are swept at most once per this long, by the calls themselves (no timer:
 * one per bundle generation would outlive it), so a long outage holds the counters of recent callers, not of every
 * member that called since it began.
 */
export const LOCAL_SWEEP_INTERVAL_MS = 30_000;

/** What to do while the store is down (`usage_policy.on_store_unavailable`). */
export type OutagePolicy = 'fail_open' | 'fail_closed';

/** A project's outage state, shared by its tools: whether the store is known down, and the local fallback. */
export interface LimitGuard {
  readonly projectId: string;
  readonly policy: OutagePolicy;
  readonly now: () => number;
  /** Until when calls skip the store (0: the store is believed up). */
  downUntil: number;
  /** Counters of the fail_open fallback; created at the first outage, kept for the bundle's lifetime. */
  local?: MemoryStore;
  /** When the fail_open counters were last swept (expired ones dropped). */
  lastLocalSweep: number;
  lastOutageLog: number;
  lastOverloadLog: number;
}

/** A project's outage state at bundle load (nothing is allocated for the fallback until an outage). */
export function createLimitGuard(opts: { projectId: string; policy: OutagePolicy; now: () => number }): LimitGuard {
  return { ...opts, downUntil: 0, lastLocalSweep: -Infinity, lastOutageLog: -Infinity, lastOverloadLog: -Infinity };
}

/**
 * Charges one call against every limit that applies (the project's, the caller's integration's and the tool's) in
 * one store round trip, all or nothing: undefined when admitted, else the tool error to answer with, naming the limit
 * that refused. A refused call consumes nothing.
 *
 * When the store cannot answer, what happens depends on why. An overloaded store (reachable, answering, but too busy
 * for this count within its bound) refuses with USAGE_CHECK_UNAVAILABLE under either policy: overload is exactly when
 * limits matter, and a call is never admitted unchecked while the store answers. An outage (no live connection, an
 * error reply) follows the project's policy: `fail_open` charges a local per-instance limiter at 1/expected_instances
 * of each limit, `fail_closed` refuses with USAGE_CHECK_UNAVAILABLE. For STORE_PROBE_INTERVAL_MS after an outage
 * failure calls go straight to that policy; the next call then tries the store again.
 */
export async function chargeLimits(limits: ToolLimits, caller: CallerIdentity, store: Store, log?: (entry: Record<string, unknown>) => void): Promise<ToolResult | undefined> {
  const integration = limits.byIntegration?.get(caller.integrationId);
  const common = limits.common;
  const n = common.length + (integration?.length ?? 0);
  if (n === 0) return undefined;
  const guard = limits.guard;
  const now = guard.now();
  const templates = integration === undefined ? common : [...common, ...integration];
  const checks = new Array<LimitCheck>(n);
  for (let i = 0; i < n; i++) checks[i] = sharedCheck(templates[i]!, caller, now);
  let verdict: LimitVerdict;
  if (now < guard.downUntil) {
    const local = whileDown(guard, templates, checks, now);
    if (local === undefined) return unavailable('the usage counters are unavailable');
    verdict = await local;
  } else {
    try {
      verdict = await store.chargeLimits(checks);
      if (guard.downUntil !== 0) {
        guard.downUntil = 0;
        guard.local?.sweep();
        log?.({ level: 'info', event: 'usage_store_recovered', project: guard.projectId });
      }
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      if (e.failure === 'overload') {
        if (now - guard.lastOverloadLog >= STORE_WARNING_INTERVAL_MS) {
          guard.lastOverloadLog = now;
          log?.({ level: 'warn', event: 'usage_store_overloaded', project: guard.projectId, message: e.message });
        }
        return unavailable('the usage counters are overloaded');
      }
      guard.downUntil = now + STORE_PROBE_INTERVAL_MS;
      if (now - guard.lastOutageLog >= STORE_WARNING_INTERVAL_MS) {
        guard.lastOutageLog = now;
        log?.({ level: 'warn', event: 'usage_store_unavailable', project: guard.projectId, policy: guard.policy, message: e.message });
      }
      const local = whileDown(guard, templates, checks, now);
      if (local === undefined) return unavailable('the usage counters are unavailable');
      verdict = await local;
    }
  }
  return verdict.admitted ? undefined : refusal(templates[verdict.refused]!, verdict.retryAfterMs);
}

/** The check of one limit for one caller against the shared store. */
function sharedCheck(t: LimitTemplate, caller: CallerIdentity, now: number): LimitCheck {
  const key = t.head + subjectOf(t.per, caller);
  if (t.rate !== undefined) return { kind: 'rate', key: key + t.rate.tail, intervalMs: t.rate.intervalMs, burst: t.rate.burst };
  const [own, neighbour] = proposedWindows(t.quota!.calendar(now), now);
  return {
    kind: 'quota',
    limit: t.quota!.limit,
    windows: [
      { key: `${key}:${own.label}`, startMs: own.startMs, endMs: own.endMs },
      { key: `${key}:${neighbour.label}`, startMs: neighbour.startMs, endMs: neighbour.endMs },
    ],
  };
}

/** fail_open: the same checks on this instance's counters at its share of each limit; fail_closed: undefined. */
function whileDown(guard: LimitGuard, templates: readonly LimitTemplate[], checks: LimitCheck[], now: number): Promise<LimitVerdict> | undefined {
  if (guard.policy === 'fail_closed') return undefined;
  // No sweep timer (see LOCAL_SWEEP_INTERVAL_MS); expired counters are also dropped when the store returns.
  guard.local ??= createMemoryStore({ now: guard.now, sweepIntervalMs: 0 });
  if (now - guard.lastLocalSweep >= LOCAL_SWEEP_INTERVAL_MS) {
    guard.lastLocalSweep = now;
    guard.local.sweep();
  }
  const local = checks.map((c, i): LimitCheck => {
    const t = templates[i]!;
    return c.kind === 'rate' ? { ...c, intervalMs: t.rate!.localIntervalMs, burst: t.rate!.localBurst } : { ...c, limit: t.quota!.localLimit };
  });
  return guard.local.chargeLimits(local);
}

function unavailable(why: string): ToolResult {
  return toolError('USAGE_CHECK_UNAVAILABLE', { detail: `${why}; retry after ${OVERLOAD_RETRY_SECONDS} s`, retry_after_seconds: OVERLOAD_RETRY_SECONDS });
}

/** The tool error of a refusal: which limit, and when a retry can pass (the store's wait, rounded up to seconds). */
function refusal(t: LimitTemplate, retryAfterMs: number): ToolResult {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return toolError(t.quota !== undefined ? 'USAGE_QUOTA_EXCEEDED' : 'USAGE_LIMIT_EXCEEDED', {
    detail: `${t.description}; retry after ${seconds} s`,
    retry_after_seconds: seconds,
    limit: t.meta,
  });
}
