/** The window retries are measured against, in ms (as Finagle's and Envoy's retry budgets: recent traffic only). */
export const RETRY_BUDGET_WINDOW_MS = 10_000;
/** Retries allowed in a window on top of the percentage, so a quiet upstream can still get an occasional retry. */
export const RETRY_BUDGET_FLOOR = 3;

// The window is counted in whole 1-second buckets: a sliding window without a timestamp per call.
const BUCKET_MS = 1000;
const BUCKETS = RETRY_BUDGET_WINDOW_MS / BUCKET_MS;

/** How many retries one origin may still make: a share of the calls sent to it recently. */
export interface RetryBudget {
  /** Counts a call sent to the origin (its first attempt). `now` is monotonic ms. */
  deposit(now: number): void;
  /** Takes one retry when the budget allows it; false means the failure is returned without retrying. */
  tryWithdraw(now: number): boolean;
}

/**
 * A retry budget: retries in the last 10 s may be at most `percent` % of the calls sent in the same 10 s, plus
 * RETRY_BUDGET_FLOOR. Under a failing upstream, retries then add at most that share of load instead of multiplying
 * it by `max_attempts`. Constant work per call: two counters per 1-second bucket, summed only when a retry asks.
 */
export function createRetryBudget(percent: number): RetryBudget {
  const calls = new Uint32Array(BUCKETS);
  const retries = new Uint32Array(BUCKETS);
  // The absolute bucket number (now / 1 s) the ring was last advanced to.
  let current = -1;
  const advance = (now: number): number => {
    const bucket = Math.floor(now / BUCKET_MS);
    if (bucket !== current) {
      // Clear the buckets that slid out of the window since the last event (all of them after a long pause).
      const stale = current < 0 ? BUCKETS : Math.min(BUCKETS, bucket - current);
      for (let i = 1; i <= stale; i++) {
        const slot = (current + i) % BUCKETS;
        calls[slot] = 0;
        retries[slot] = 0;
      }
      current = bucket;
    }
    return bucket % BUCKETS;
  };
  return {
    deposit(now) {
      calls[advance(now)]!++;
    },
    tryWithdraw(now) {
      const slot = advance(now);
      let c = 0;
      let r = 0;
      for (let i = 0; i < BUCKETS; i++) {
        c += calls[i]!;
        r += retries[i]!;
      }
      // Integer arithmetic (percent is whole): 0.2 × 15 must be exactly 3, not 3.0000000000000004.
      if ((r + 1) * 100 > RETRY_BUDGET_FLOOR * 100 + percent * c) return false;
      retries[slot]!++;
      return true;
    },
  };
}
