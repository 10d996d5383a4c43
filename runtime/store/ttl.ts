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

/**
 * Checks a counter increment: a safe integer (Redis `HINCRBY` takes 64-bit integers; a fraction would be refused by
 * Redis and silently kept by memory). A bad amount is a programmer error, so it throws a RangeError.
 */
export function checkAmount(amount: number): number {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`store increment must be a safe integer, got ${String(amount)}`);
  return amount;
}
