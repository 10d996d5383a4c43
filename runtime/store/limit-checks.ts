import type { LimitCheck, QuotaWindow } from './store.js';

/** Most checks one call may carry (every level of limit, rate and quota, with room to spare). */
export const MAX_LIMIT_CHECKS = 32;

/**
 * Rejects checks no store can apply: both stores call it first, so a programming error is a RangeError in memory and
 * on Redis alike (never a StoreUnavailableError, which callers would treat as an outage).
 */
export function checkLimitChecks(checks: readonly LimitCheck[]): void {
  if (checks.length === 0 || checks.length > MAX_LIMIT_CHECKS) throw new RangeError(`chargeLimits takes 1..${MAX_LIMIT_CHECKS} checks, got ${checks.length}`);
  const keys = new Set<string>();
  const distinct = (key: string) => {
    if (keys.has(key)) throw new RangeError('chargeLimits keys must be distinct');
    keys.add(key);
  };
  for (const c of checks) {
    if (c.kind === 'rate') {
      if (!(Number.isFinite(c.intervalMs) && c.intervalMs > 0)) throw new RangeError(`rate interval must be > 0 ms, got ${String(c.intervalMs)}`);
      if (!(Number.isInteger(c.burst) && c.burst >= 1)) throw new RangeError(`rate burst must be an integer >= 1, got ${String(c.burst)}`);
      distinct(c.key);
    } else {
      if (!(Number.isInteger(c.limit) && c.limit >= 1)) throw new RangeError(`quota limit must be an integer >= 1, got ${String(c.limit)}`);
      for (const w of c.windows) {
        if (!(Number.isFinite(w.startMs) && Number.isFinite(w.endMs) && w.endMs > w.startMs)) throw new RangeError('quota window must end after it starts');
        distinct(w.key);
      }
    }
  }
}

/** The proposed window that holds `now` (the store's time); the first (the caller's own) when neither does. */
export function pickQuotaWindow(windows: readonly [QuotaWindow, QuotaWindow], now: number): QuotaWindow {
  const [a, b] = windows;
  if (now >= a.startMs && now < a.endMs) return a;
  if (now >= b.startMs && now < b.endMs) return b;
  return a;
}
