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
   * Up to `limit` live keys that start with `prefix`, in no particular order (operator listings such as
   * `tengine connections`; never on a request path: on Redis it walks the keyspace with SCAN).
   */
  keysWithPrefix(prefix: string, limit: number): Promise<string[]>;
  /**
   * Checks every limit of one call against the store's own clock and charges them all, or none: when any refuses,
   * nothing is charged and the verdict names the refusing check with the longest wait (retrying sooner is pointless).
   * One round trip, atomic (one script on Redis). Rate checks are GCRA; quota checks count in the calendar window
   * that holds the store's time, of the two the caller proposes. Keys must be distinct, and on Redis Cluster all keys
   * of one call must share a hash tag (`{…}`), as the usage module's keys do.
   */
  chargeLimits(checks: readonly LimitCheck[]): Promise<LimitVerdict>;
  /**
   * Raises a watermark atomically: when `value` is above the stored one (or none is stored) it stores `value` with
   * `label`; either way it returns the pair stored afterwards and restarts its expiry of `ttlMs`. Instances booting
   * at the same moment can never lower it (the basis of bundle rollback protection).
   */
  advance(key: string, value: number, label: string, ttlMs: number): Promise<Watermark>;
  /**
   * Adds each of `increments` (field → amount, integer or not) to the counter fields of the hash at `key`, creating
   * the hash and fields as needed, and restarts the hash's expiry of `ttlMs`, atomically and in one round trip (the
   * basis of usage records: many counters of one bucket in one write).
   */
  incrementFields(key: string, increments: Readonly<Record<string, number>>, ttlMs: number): Promise<void>;
  /** Every field of the hash at `key` with its value ({} when absent or expired). Operator reads only (`tengine usage`). */
  readFields(key: string): Promise<Record<string, string>>;
  /** Deletes these fields of the hash at `key` (the hash goes when none is left); returns how many existed. */
  deleteFields(key: string, fields: readonly string[]): Promise<number>;
  /** Facts about the backing server an operator must know at boot (Redis eviction settings); none for memory. */
  inspect(): Promise<StoreFacts>;
  /** Checks that the store answers (readiness). */
  ping(): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;
  /** `memory` or `redis`, for logs and /readyz. */
  readonly kind: 'memory' | 'redis';
}

/**
 * A rate limit as the store checks it, GCRA (the generic cell rate algorithm): the key holds the theoretical arrival
 * time (TAT) of the next call at the sustained rate. A call at `now` conforms when `now >= TAT - (burst - 1) ×
 * intervalMs`, and then moves the TAT to `max(TAT, now) + intervalMs`. So `burst` calls may come back to back, and
 * over any span of length L at most `burst + L / intervalMs` calls conform: no double burst at a window edge.
 */
export interface RateCheck {
  kind: 'rate';
  key: string;
  /** Milliseconds between calls at the sustained rate: the limit's window divided by its limit (> 0). */
  intervalMs: number;
  /** Calls that may arrive at once (an integer ≥ 1). */
  burst: number;
}

/** One calendar window of a quota (a day or a month in some time zone), as epoch milliseconds. */
export interface QuotaWindow {
  key: string;
  startMs: number;
  /** Exclusive end; the key expires shortly after it. */
  endMs: number;
}

/**
 * A quota: at most `limit` calls per calendar window. The caller proposes the window holding its own clock and the
 * nearer of its neighbours; the store charges the one that holds the store's time, so instances whose clocks are
 * skewed (by less than half a window) still count into one window at its edge.
 */
export interface QuotaCheck {
  kind: 'quota';
  limit: number;
  windows: readonly [QuotaWindow, QuotaWindow];
}

/** One limit of a call. */
export type LimitCheck = RateCheck | QuotaCheck;

/** What `chargeLimits` decided: all charged, or none and which check refused (index into the checks) and for how long. */
export type LimitVerdict = { admitted: true } | { admitted: false; refused: number; retryAfterMs: number };

/** A stored watermark: the highest value seen and the label it was stored with. */
export interface Watermark {
  value: number;
  label: string;
}

/** Reads a watermark stored as `<value> <label>`; undefined when the text is not one. */
export function parseWatermark(text: string): Watermark | undefined {
  const space = text.indexOf(' ');
  const value = Number(space < 0 ? text : text.slice(0, space));
  if (!Number.isFinite(value)) return undefined;
  return { value, label: space < 0 ? '' : text.slice(space + 1) };
}

/** What `inspect` could learn about the server. */
export interface StoreFacts {
  /** Redis `maxmemory-policy` (`noeviction`, `allkeys-lru`, ...). */
  evictionPolicy?: string;
  /** Redis `maxmemory` in bytes (0: no limit, so nothing is evicted whatever the policy). */
  maxmemoryBytes?: number;
  /** Why the settings could not be read (CONFIG disabled or not permitted, as on some managed services). */
  unreadable?: string;
}

/**
 * Why a store operation failed: `outage` when the store cannot serve it (no live connection, closed, an error
 * reply), `overload` when the store is reachable and answering but this operation could not be queued or answered
 * within its bound. Usage limits admit a call on an outage and refuse it on an overload (docs/storage.md).
 */
export type StoreFailure = 'outage' | 'overload';

/** A store operation failed or timed out; callers answer 503 rather than guessing. */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE' as const;
  /** Wraps the cause's message (never a value or key holding a secret). */
  constructor(
    message: string,
    readonly failure: StoreFailure = 'outage',
  ) {
    super(message);
  }
}
