import { checkLimitChecks, pickQuotaWindow } from './limit-checks.js';
import { parseWatermark, type Store, StoreUnavailableError } from './store.js';
import { checkAmount, checkTtl } from './ttl.js';

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /** The clock in epoch milliseconds (tests inject one); defaults to `Date.now`. */
  now?: () => number;
  /** How often expired keys are swept (default 30 s; 0 disables the timer, expiry stays lazy). */
  sweepIntervalMs?: number;
}

/** The in-memory store, with two extras for tests and metrics. */
export interface MemoryStore extends Store {
  readonly kind: 'memory';
  /** Entries held, live or expired but not yet swept. */
  size(): number;
  /** Drops every expired entry now (the timer calls this). */
  sweep(): void;
}

interface Entry {
  value: string;
  expiresAt: number;
  /** Present for a hash (usage records); `value` is then unused. */
  fields?: Map<string, string>;
}

const DEFAULT_SWEEP_INTERVAL_MS = 30_000;
// A quota window's count outlives the window by this much (as on Redis), so a late charge never reopens it at 0.
const QUOTA_GRACE_MS = 60_000;
// The integer syntax Redis HINCRBY accepts in a field it adds to (no sign on zero, no leading zeros, no spaces).
const INTEGER = /^(0|-?[1-9][0-9]*)$/;

/**
 * A store for a single runtime instance, with the Redis store's semantics: TTLs in milliseconds, a key is gone from
 * the moment its TTL has elapsed (lazy expiry on access), and a periodic unref'd sweep bounds memory by the number
 * of live keys. Every operation runs synchronously inside its promise, which is what makes take, setIfAbsent and
 * chargeLimits atomic here, as their Redis counterparts are on the server.
 */
export function createMemoryStore(opts: MemoryStoreOptions = {}): MemoryStore {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let closed = false;

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function open(op: string): void {
    if (closed) throw new StoreUnavailableError(`memory store ${op} failed: store is closed`);
  }

  /** The live string at `key`; like Redis (WRONGTYPE), a hash is not one. */
  function scalar(op: string, key: string): Entry | undefined {
    const entry = live(key);
    if (entry?.fields !== undefined) throw new StoreUnavailableError(`memory store ${op} failed: the key holds a hash`);
    return entry;
  }

  /** The live hash at `key`, or undefined when absent; like Redis (WRONGTYPE), a string is not one. */
  function hash(op: string, key: string): Map<string, string> | undefined {
    const entry = live(key);
    if (entry !== undefined && entry.fields === undefined) throw new StoreUnavailableError(`memory store ${op} failed: the key does not hold a hash`);
    return entry?.fields;
  }

  function sweep(): void {
    const t = now();
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= t) entries.delete(key);
    }
  }

  const interval = opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  // unref: a sweep timer must never keep a process (or a test run) alive.
  const timer = interval > 0 ? setInterval(sweep, interval).unref() : undefined;

  return {
    kind: 'memory',
    async keysWithPrefix(prefix, limit) {
      open('keysWithPrefix');
      const out: string[] = [];
      for (const key of [...entries.keys()]) {
        if (out.length >= limit) break;
        if (key.startsWith(prefix) && live(key)) out.push(key);
      }
      return out;
    },
    async get(key) {
      open('get');
      return scalar('get', key)?.value;
    },
    async set(key, value, ttlMs) {
      const ttl = checkTtl(ttlMs);
      open('set');
      entries.set(key, { value, expiresAt: now() + ttl });
    },
    async setIfAbsent(key, value, ttlMs) {
      const ttl = checkTtl(ttlMs);
      open('setIfAbsent');
      if (live(key) !== undefined) return false;
      entries.set(key, { value, expiresAt: now() + ttl });
      return true;
    },
    async take(key) {
      open('take');
      const entry = scalar('take', key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      return entry.value;
    },
    async delete(key) {
      open('delete');
      entries.delete(key);
    },
    async chargeLimits(checks) {
      checkLimitChecks(checks);
      open('chargeLimits');
      const t = now();
      // Decide every check first and commit only when all conform, as the Redis script does.
      const commits: (() => void)[] = [];
      let refused = -1;
      let wait = 0;
      for (const [i, c] of checks.entries()) {
        if (c.kind === 'rate') {
          const stored = Number(live(c.key)?.value);
          const tat = Number.isFinite(stored) && stored > t ? stored : t;
          const allowedAt = tat - (c.burst - 1) * c.intervalMs;
          if (t < allowedAt) {
            if (allowedAt - t > wait) [refused, wait] = [i, allowedAt - t];
            continue;
          }
          const next = tat + c.intervalMs;
          commits.push(() => entries.set(c.key, { value: String(next), expiresAt: next }));
        } else {
          const w = pickQuotaWindow(c.windows, t);
          const entry = live(w.key);
          const count = entry === undefined ? 0 : Number(entry.value) || 0;
          if (count + 1 > c.limit) {
            const left = Math.max(w.endMs - t, 1);
            if (left > wait) [refused, wait] = [i, left];
            continue;
          }
          commits.push(() => entries.set(w.key, { value: String(count + 1), expiresAt: Math.max(w.endMs, t + 1) + QUOTA_GRACE_MS }));
        }
      }
      if (refused >= 0) return { admitted: false, refused, retryAfterMs: Math.ceil(wait) };
      for (const commit of commits) commit();
      return { admitted: true };
    },
    async advance(key, value, label, ttlMs) {
      const ttl = checkTtl(ttlMs);
      open('advance');
      const entry = scalar('advance', key);
      const current = entry === undefined ? undefined : parseWatermark(entry.value);
      const stored = current !== undefined && current.value >= value ? current : { value, label };
      entries.set(key, { value: `${stored.value} ${stored.label}`, expiresAt: now() + ttl });
      return stored;
    },
    async incrementFields(key, increments, ttlMs) {
      const ttl = checkTtl(ttlMs);
      open('incrementFields');
      const amounts = Object.entries(increments).map(([field, amount]) => [field, checkAmount(amount)] as const);
      if (amounts.length === 0) return;
      let fields = hash('incrementFields', key);
      // Checked before any change, as HINCRBY refuses a non-integer field: nothing is half applied.
      for (const [field] of amounts) {
        const held = fields?.get(field);
        if (held !== undefined && !INTEGER.test(held)) throw new StoreUnavailableError('memory store incrementFields failed: hash value is not an integer');
      }
      if (fields === undefined) {
        fields = new Map();
        entries.set(key, { value: '', expiresAt: 0, fields });
      }
      for (const [field, amount] of amounts) fields.set(field, String(Number(fields.get(field) ?? '0') + amount));
      entries.get(key)!.expiresAt = now() + ttl;
    },
    async readFields(key) {
      open('readFields');
      return Object.fromEntries(hash('readFields', key) ?? []);
    },
    async deleteFields(key, names) {
      open('deleteFields');
      const fields = hash('deleteFields', key);
      if (fields === undefined) return 0;
      let n = 0;
      for (const name of new Set(names)) if (fields.delete(name)) n++;
      // Like Redis, a hash without fields does not exist.
      if (fields.size === 0) entries.delete(key);
      return n;
    },
    async inspect() {
      open('inspect');
      return {};
    },
    async ping() {
      open('ping');
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      entries.clear();
    },
    size: () => entries.size,
    sweep,
  };
}
