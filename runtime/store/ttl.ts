/**
 * Checks a TTL the way both stores need it: a finite number of milliseconds > 0, rounded up to whole milliseconds
 * (Redis `PX` takes an integer; rounding up never makes a guard expire early). A bad TTL is a programmer error, so
 * it throws a RangeError rather than a StoreUnavailableError (which callers turn into a 503).
 */
export function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`store TTL must be a finite number of milliseconds > 0, got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}
