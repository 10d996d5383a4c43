import { StoreUnavailableError, type Store } from '../../runtime/store/store.js';
import { CliError, type CliIo } from '../io.js';

/** Why a command needs the runtimes' shared store: the message and hint of its STORE_REQUIRED error. */
export interface SharedStoreNeed {
  message: string;
  hint: string;
}

/**
 * Runs `fn` on the runtimes' shared store, named by the same variables as the runtime's (TENGINE_REDIS_URL, ...), and
 * closes it. Refuses the in-memory store, which no other process can see (STORE_REQUIRED); an unreachable Redis is
 * STORE_UNAVAILABLE, and so is a store that fails once connected; settings that cannot work are USAGE.
 */
export async function withSharedStore<T>(io: CliIo, need: SharedStoreNeed, fn: (store: Store) => Promise<T>): Promise<T> {
  let store: Store;
  // The Redis client is loaded when a command needs the store, not by every `tengine` command at start-up.
  const { createStoreFromEnv, RedisSettingsError } = await import('../../runtime/store/redis-store.js');
  try {
    store = await createStoreFromEnv(io.env);
  } catch (e) {
    if (e instanceof RedisSettingsError) throw new CliError('USAGE', e.message, e.hint);
    throw new CliError('STORE_UNAVAILABLE', `cannot reach the Redis store: ${(e as Error).message}`, 'check TENGINE_REDIS_URL / REDIS_URL (or TENGINE_REDIS_CLUSTER_NODES, TENGINE_REDIS_SENTINELS) and that Redis is reachable from here');
  }
  try {
    if (store.kind === 'memory') throw new CliError('STORE_REQUIRED', need.message, need.hint);
    return await fn(store);
  } catch (e) {
    // The store failed after it connected (it went away, timed out, or a key under the prefix holds something else):
    // the store's failure, with its reason, not a bug in tengine.
    if (e instanceof StoreUnavailableError) {
      throw new CliError('STORE_UNAVAILABLE', `the Redis store failed: ${e.message}`, 'retry when Redis answers again; if it keeps failing, check that TENGINE_REDIS_KEY_PREFIX is the runtimes\' own prefix (a key under it holding another type of value answers WRONGTYPE)');
    }
    throw e;
  } finally {
    await store.close();
  }
}
