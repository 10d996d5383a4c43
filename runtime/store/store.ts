/**
 * The shared state of all runtime instances: replay guards, single-use codes, refresh-token families and usage
 * counters. Two implementations behave identically: in-memory (one instance, the default) and Redis (any number
 * of instances). Keys are namespaced by the implementation; callers pass logical keys such as `jti:<hash>`.
 * Values are strings; only hashes of secrets are ever stored (docs/storage.md).
 */
export interface Store {
  /** The value, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Sets a value that expires after `ttlMs` (> 0). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets the value only when the key is absent; true when this call set it (the basis of replay guards). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Atomically reads and deletes (single-use values: authorization codes); undefined when absent. */
  take(key: string): Promise<string | undefined>;
  /** Deletes a key (no error when absent). */
  delete(key: string): Promise<void>;
  /**
   * Atomically increments a counter and returns the new value; the first increment starts its expiry of
   * `ttlMs` (a fixed window), later ones keep it.
   */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Checks that the store answers (readiness). */
  ping(): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;
  /** `memory` or `redis`, for logs and /readyz. */
  readonly kind: 'memory' | 'redis';
}

/** A store operation failed or timed out; callers answer 503 rather than guessing. */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE' as const;
  /** Wraps the cause's message (never a value or key holding a secret). */
  constructor(message: string) {
    super(message);
  }
}
