import { createCircuitBreaker, type BreakerOutcome, type BreakerSettings, type BreakerTicket, type CircuitBreaker } from './circuit-breaker.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';
import type { UpstreamFailure, UpstreamResponse } from './types.js';
import { createUpstreamLimiter, type UpstreamLimiter } from './upstream-limiter.js';
import type { CancelSignal } from './cancel-signal.js';

/** `runtime.upstreams`, durations in ms. */
export interface UpstreamSettings {
  maxConcurrent: number;
  maxQueued: number;
  retryBudgetPercent: number;
  breaker: BreakerSettings;
}

/** What a refused call is told to wait before trying again when the origin is at its concurrency cap. */
export const OVERLOADED_RETRY_AFTER_MS = 1000;

/** An admitted attempt's breaker ticket, or why it was refused (then the call was not sent). */
export type Admission = Exclude<BreakerTicket, 'refused'> | UpstreamFailure;

/**
 * The protections of one upstream origin for one project's tools in this runtime instance: a circuit breaker, a
 * retry budget and a concurrency cap. Times are monotonic ms, passed in by the caller.
 */
export interface OriginGuard {
  readonly breaker: CircuitBreaker;
  readonly budget: RetryBudget;
  readonly limiter: UpstreamLimiter;
  /**
   * Admits an attempt without waiting: its ticket when the breaker lets it through and a slot is free, a refusal
   * when the breaker is open, or `wait` when every slot is taken (then call `admitQueued`).
   */
  tryAdmit(now: number): Admission | 'wait';
  /** Waits in line for a slot (at most `waitMs`), then asks the breaker again: it may have opened meanwhile. */
  admitQueued(waitMs: number, toolTimeoutMs: number, signal: CancelSignal | undefined, mono: () => number): Promise<Admission>;
  /** Records an admitted attempt's outcome with the breaker and frees its slot. */
  settle(ticket: Exclude<BreakerTicket, 'refused'>, response: UpstreamResponse, now: number): void;
}

/** The guards of a loaded bundle, created on first use and kept for the bundle's lifetime. */
export interface UpstreamGuards {
  /**
   * The guard a project's tools use for an origin: the project's own circuit breaker, concurrency cap and retry
   * budget for that origin. Nothing is shared between projects, so callers of one project who make calls fail or
   * hang (arguments that time out, a slow endpoint) can pause or fill that origin for their own project only.
   */
  forOrigin(origin: string, projectId: string): OriginGuard;
  /** In-flight and queued calls per project and origin, for metrics at scrape time. */
  snapshot(): { project: string; origin: string; inFlight: number; queued: number }[];
}

/** Creates the guards of one loaded bundle (per runtime instance: nothing is shared between instances). */
export function createUpstreamGuards(settings: UpstreamSettings): UpstreamGuards {
  const guards = new Map<string, OriginGuard>();
  return {
    forOrigin(origin, projectId) {
      const key = `${projectId} ${origin}`;
      let guard = guards.get(key);
      if (!guard) {
        guard = createOriginGuard(settings, createRetryBudget(settings.retryBudgetPercent), createUpstreamLimiter(settings.maxConcurrent, settings.maxQueued));
        guards.set(key, guard);
      }
      return guard;
    },
    snapshot() {
      return [...guards].map(([key, g]) => ({ project: key.slice(0, key.indexOf(' ')), origin: key.slice(key.indexOf(' ') + 1), inFlight: g.limiter.inFlight, queued: g.limiter.queued }));
    },
  };
}

/**
 * What a response says about the upstream's health. A table over every failure reason, so a new reason cannot
 * be added without deciding whether it counts against the origin.
 */
const FAILURE_OUTCOME = {
  // No response in time, or none at all (refused, reset, DNS, TLS): the upstream is not serving.
  timeout: 'failure',
  unreachable: 'failure',
  // The upstream answered, only too much.
  too_large: 'success',
  // The caller went away, or the call was never sent: nothing learnt about the upstream.
  aborted: 'neutral',
  // The address policy refused the host before anything was sent: a configuration matter, not the upstream's health.
  blocked: 'neutral',
  circuit_open: 'neutral',
  overloaded: 'neutral',
} as const satisfies Record<UpstreamFailure['reason'], BreakerOutcome>;

/** Statuses that mean the upstream (or its gateway) is not serving; 500 and 429 are answers and reset the count. */
const FAILURE_STATUSES = new Set([502, 503, 504]);

/** How one response counts for the origin's circuit breaker. */
export function breakerOutcome(res: UpstreamResponse): BreakerOutcome {
  if (!res.ok) return FAILURE_OUTCOME[res.reason];
  return FAILURE_STATUSES.has(res.status) ? 'failure' : 'success';
}

function createOriginGuard(settings: UpstreamSettings, budget: RetryBudget, limiter: UpstreamLimiter): OriginGuard {
  const breaker = createCircuitBreaker(settings.breaker);
  const circuitOpen = (now: number): UpstreamFailure => {
    const last = breaker.lastFailure ? ` (last: ${breaker.lastFailure})` : '';
    const retryAfterMs = breaker.retryAfterMs(now);
    const detail =
      breaker.state === 'open'
        ? `the upstream kept failing${last}; calls to it are paused for ${Math.ceil(retryAfterMs / 1000)} s and this one was not sent`
        : `a probe call is checking whether the upstream recovered from repeated failures${last}; this call was not sent`;
    return { ok: false, reason: 'circuit_open', detail, retryAfterMs };
  };
  return {
    breaker,
    budget,
    limiter,
    tryAdmit(now) {
      const ticket = breaker.admit(now);
      if (ticket === 'refused') return circuitOpen(now);
      if (limiter.tryAcquire()) return ticket;
      // A probe is not held while waiting in line: another call may probe meanwhile.
      breaker.cancel(ticket);
      return 'wait';
    },
    async admitQueued(waitMs, toolTimeoutMs, signal, mono) {
      const got = await limiter.wait(waitMs, signal);
      if (got === 'aborted') return { ok: false, reason: 'aborted', detail: 'the call was cancelled' };
      if (got === 'full') {
        return { ok: false, reason: 'overloaded', detail: `the upstream's concurrency cap (${settings.maxConcurrent} in flight) and wait queue (${settings.maxQueued}) are full on this runtime instance; this call was not sent`, retryAfterMs: OVERLOADED_RETRY_AFTER_MS };
      }
      if (got === 'timeout') {
        return { ok: false, reason: 'overloaded', detail: `no connection to the upstream became free within the tool timeout of ${toolTimeoutMs} ms (concurrency cap ${settings.maxConcurrent}); this call was not sent`, retryAfterMs: OVERLOADED_RETRY_AFTER_MS };
      }
      const now = mono();
      const ticket = breaker.admit(now);
      if (ticket !== 'refused') return ticket;
      limiter.release();
      return circuitOpen(now);
    },
    settle(ticket, response, now) {
      const outcome = breakerOutcome(response);
      breaker.record(ticket, outcome, now, outcome !== 'failure' ? undefined : response.ok ? `HTTP ${response.status}` : response.detail);
      limiter.release();
    },
  };
}
