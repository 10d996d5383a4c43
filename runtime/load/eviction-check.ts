import { RuntimeBootError } from '../boot-types.js';
import { StoreUnavailableError, type Store, type StoreFacts } from '../store/store.js';
import { BOOT_EXIT } from './boot-exit-codes.js';

/**
 * True when the server may evict Tengine's keys: a memory limit (`maxmemory` > 0, or unknown) with any policy but
 * `noeviction`. Every Tengine key carries a TTL, so the `volatile-*` policies evict them as readily as `allkeys-*`
 * (`volatile-ttl` evicts the keys closest to expiry first, the short-lived replay guards among them). An evicted replay guard accepts its assertion
 * a second time; an evicted served-bundle record forgets what rollback protection compares against.
 */
export function evictsKeys(facts: StoreFacts): boolean {
  if (facts.evictionPolicy === undefined || facts.evictionPolicy === 'noeviction') return false;
  return facts.maxmemoryBytes === undefined || facts.maxmemoryBytes > 0;
}

/**
 * Reads the store's eviction settings at boot. A store that can evict keys is refused (STORE_EVICTS_KEYS) when the
 * bundle holds production projects, unless the operator overrides it; otherwise it is a warning. Settings that
 * cannot be read (managed services often disable CONFIG) are a warning telling the operator what to check.
 */
export async function checkStoreEviction(store: Store, productionProjects: readonly string[], allow: boolean | undefined, log: ((entry: Record<string, unknown>) => void) | undefined): Promise<void> {
  let facts: StoreFacts;
  try {
    facts = await store.inspect();
  } catch (e) {
    if (e instanceof StoreUnavailableError) {
      throw new RuntimeBootError('STORE_UNAVAILABLE', `cannot read the store's settings: ${e.message}`, BOOT_EXIT.STORE_UNAVAILABLE, 'check that Redis is reachable and answers, then start again');
    }
    throw e;
  }
  if (facts.unreadable !== undefined) {
    log?.({
      level: 'warn',
      event: 'store_eviction_unknown',
      reason: facts.unreadable,
      message: `cannot read Redis maxmemory-policy (${facts.unreadable}): check in your provider's settings that it is noeviction (or that maxmemory is 0); a Redis that evicts keys forgets replay guards, and a replayed member assertion is then accepted`,
    });
    return;
  }
  if (!evictsKeys(facts)) return;
  const settings = `maxmemory-policy ${facts.evictionPolicy} with maxmemory ${facts.maxmemoryBytes ?? 'unknown'}`;
  if (productionProjects.length > 0 && !allow) {
    throw new RuntimeBootError(
      'STORE_EVICTS_KEYS',
      `Redis runs with ${settings}: when full it evicts keys, and an evicted replay guard accepts a replayed member assertion`,
      BOOT_EXIT.STORE_EVICTS_KEYS,
      'set maxmemory-policy noeviction on this Redis (a full Redis then answers OOM and Tengine answers 503 instead of forgetting), or pass --allow-evicting-store (TENGINE_ALLOW_EVICTING_STORE=true) to accept the risk',
    );
  }
  log?.({
    level: 'warn',
    event: 'store_evicts_keys',
    eviction_policy: facts.evictionPolicy,
    maxmemory_bytes: facts.maxmemoryBytes ?? null,
    message: `Redis runs with ${settings}: when full it evicts keys, and an evicted replay guard accepts a replayed member assertion; set maxmemory-policy noeviction${productionProjects.length > 0 ? ' (booting because --allow-evicting-store is set)' : ''}`,
  });
}
