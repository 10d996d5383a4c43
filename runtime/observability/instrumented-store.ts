import type { Store } from '../store/store.js';
import type { RuntimeMetrics } from './metrics.js';

// Operations timed per call; `close` and `inspect` are once per process and not worth a series.
const TIMED = ['get', 'set', 'setIfAbsent', 'take', 'delete', 'keysWithPrefix', 'chargeLimits', 'advance', 'incrementFields', 'readFields', 'deleteFields', 'ping'] as const satisfies readonly (keyof Store)[];

/**
 * The store with each operation's latency and failures counted (`tengine_store_duration_seconds`,
 * `tengine_store_errors_total`, label `op`). Same semantics: results and errors pass through unchanged.
 */
export function instrumentStore(store: Store, metrics: RuntimeMetrics): Store {
  const wrapped: Record<string, unknown> = {
    kind: store.kind,
    inspect: () => store.inspect(),
    close: () => store.close(),
  };
  for (const op of TIMED) {
    const fn = (store[op] as (...a: unknown[]) => Promise<unknown>).bind(store);
    wrapped[op] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        const result = await fn(...args);
        metrics.storeOp(op, (performance.now() - started) / 1000, false);
        return result;
      } catch (e) {
        metrics.storeOp(op, (performance.now() - started) / 1000, true);
        throw e;
      }
    };
  }
  return wrapped as unknown as Store;
}
