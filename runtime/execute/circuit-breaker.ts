/** `runtime.upstreams.circuit_breaker`, durations in ms. */
export interface BreakerSettings {
  /** Consecutive failed requests that open the breaker. */
  failureThreshold: number;
  /** How long it stays open before probes are let through. */
  openForMs: number;
  /** Probe requests let through while half-open; all must succeed to close. */
  halfOpenProbes: number;
}

/** Closed: requests flow. Open: refused until `open_for` has passed. Half-open: only probes flow. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What `admit` decided: a normal request, a probe (half-open), or refused (not sent). */
export type BreakerTicket = 'pass' | 'probe' | 'refused';

/** How a request went, as far as the upstream's health is concerned. */
export type BreakerOutcome = 'success' | 'failure' | 'neutral';

/** A circuit breaker for one upstream origin. Times are monotonic ms. */
export interface CircuitBreaker {
  readonly state: BreakerState;
  /** Decides whether a request may be sent now; a `probe` ticket uses one of the half-open probes. */
  admit(now: number): BreakerTicket;
  /** Gives an admitted ticket back unused (the request was never sent). */
  cancel(ticket: BreakerTicket): void;
  /** Records how an admitted request went; `detail` describes a failure (shown while the breaker is open). */
  record(ticket: BreakerTicket, outcome: BreakerOutcome, now: number, detail?: string): void;
  /** For a refused request: ms until a probe may be let through (at least 1 s while probes are out). */
  retryAfterMs(now: number): number;
  /** Why the breaker opened: the threshold and the last failure, for the error a refused call gets. */
  readonly lastFailure: string | undefined;
}

/**
 * Creates a breaker in the closed state. It counts consecutive failures (any success resets the count); at
 * `failureThreshold` it opens and refuses every request for `openForMs`; then it lets `halfOpenProbes` requests
 * through, closes when all of them succeeded and reopens as soon as one fails. A neutral outcome (the caller went
 * away) neither counts nor resets, and gives a probe back. Results of requests admitted in an earlier state are
 * ignored, so a slow request that was sent before the breaker opened cannot close it.
 */
export function createCircuitBreaker(settings: BreakerSettings): CircuitBreaker {
  let state: BreakerState = 'closed';
  let failures = 0;
  let openUntil = 0;
  let probesOut = 0;
  let probeSuccesses = 0;
  let lastFailure: string | undefined;
  const open = (now: number): void => {
    state = 'open';
    openUntil = now + settings.openForMs;
    failures = 0;
  };
  return {
    get state() {
      return state;
    },
    get lastFailure() {
      return lastFailure;
    },
    admit(now) {
      if (state === 'closed') return 'pass';
      if (state === 'open') {
        if (now < openUntil) return 'refused';
        state = 'half_open';
        probesOut = 0;
        probeSuccesses = 0;
      }
      if (probesOut + probeSuccesses >= settings.halfOpenProbes) return 'refused';
      probesOut++;
      return 'probe';
    },
    cancel(ticket) {
      if (ticket === 'probe' && state === 'half_open' && probesOut > 0) probesOut--;
    },
    record(ticket, outcome, now, detail) {
      if (outcome === 'failure' && detail !== undefined) lastFailure = detail;
      if (ticket === 'probe') {
        if (state !== 'half_open') return;
        if (probesOut > 0) probesOut--;
        if (outcome === 'failure') open(now);
        else if (outcome === 'success' && ++probeSuccesses >= settings.halfOpenProbes) {
          state = 'closed';
          failures = 0;
        }
        return;
      }
      if (ticket !== 'pass' || state !== 'closed') return;
      if (outcome === 'success') failures = 0;
      else if (outcome === 'failure' && ++failures >= settings.failureThreshold) open(now);
    },
    retryAfterMs(now) {
      return state === 'open' && now < openUntil ? openUntil - now : 1000;
    },
  };
}
