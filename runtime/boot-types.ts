/** Everything the runtime needs to boot; `runtime/main.ts` fills it from flags and `TENGINE_*` variables. */
export interface RuntimeOptions {
  /** Bytes of the bundle file written by `tengine build`. */
  bundle: Uint8Array;
  /** The file the bundle was read from: a reload (SIGHUP, `reload()`, the watch) reads it again. */
  bundlePath?: string;
  /** Reload when the bundle file changes (--watch-bundle, TENGINE_WATCH_BUNDLE). */
  watchBundle?: boolean;
  /** Shutdown drain timings (--drain-delay/--drain-timeout, TENGINE_DRAIN_DELAY/TENGINE_DRAIN_TIMEOUT). */
  drain?: import('./lifecycle/drain.js').DrainSettings;
  /** Trusted bundle public keys: texts of PEM, JWK or JWKS files (several for rotation). */
  bundlePublicKeys: string[];
  /** Text of `runtime-keys.json` (token signing and secret decryption keys); required when a tool has an encrypted secret. */
  runtimeKeys?: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The URL clients use; defaults to `http://<host>:<port>`. */
  publicUrl?: string;
  /** Environment for `auth_secret_env` lookups. */
  env: Record<string, string | undefined>;
  /** Redis URL for shared state (REDIS_URL / TENGINE_REDIS_URL); without one the in-memory store serves one instance. */
  redisUrl?: string;
  /**
   * A Redis Cluster (TENGINE_REDIS_CLUSTER_NODES) or Sentinel group (TENGINE_REDIS_SENTINELS,
   * TENGINE_REDIS_SENTINEL_NAME) for shared state, instead of `redisUrl`.
   */
  redisEndpoints?: import('./store/redis-endpoints.js').RedisEndpoints;
  /** Prefix of every Redis key (TENGINE_REDIS_KEY_PREFIX, default `tengine:`), to share one Redis between deployments. */
  redisKeyPrefix?: string;
  /** A ready store, instead of `redisUrl` (tests). */
  store?: import('./store/store.js').Store;
  /** The admin token (TENGINE_ADMIN_TOKEN); only its SHA-256 is kept. Enables GET /api/v1/admin/surface. */
  adminToken?: string;
  /**
   * Serve a bundle holding `environment: development` projects (--allow-development, TENGINE_ALLOW_DEVELOPMENT;
   * `tengine dev` sets it). Without it such a bundle is refused: DEVELOPMENT_BUNDLE, exit 19.
   */
  allowDevelopment?: boolean;
  /**
   * `sha256:<hex>` digest of the one older bundle this instance may serve although a newer one was already served
   * (--allow-rollback-to, TENGINE_ALLOW_ROLLBACK_TO). Without it an older bundle is refused: BUNDLE_ROLLBACK, exit 18.
   */
  allowRollbackTo?: string;
  /**
   * Boot on a Redis that can evict keys although the bundle holds production projects (--allow-evicting-store,
   * TENGINE_ALLOW_EVICTING_STORE). Without it: STORE_EVICTS_KEYS, exit 25.
   */
  allowEvictingStore?: boolean;
  /** Structured log sink (one JSON object per line in production; pino from `createLogger`). */
  log?: import('./observability/logger.js').Log;
  /** The process's metrics registry; startRuntime creates one when absent. */
  metrics?: import('./observability/metrics.js').RuntimeMetrics;
  /**
   * Port of a separate listener serving only `GET /metrics` (--metrics-port, TENGINE_METRICS_PORT; 0 picks one).
   * Absent: `/metrics` is served on the main port to the admin token only.
   */
  metricsPort?: number;
  /** Interface of the metrics listener (--metrics-host, TENGINE_METRICS_HOST); default `host`. */
  metricsHost?: string;
  /**
   * Programmatic only, never set from flags or the environment: the resolver of upstream host names (default
   * `dns.lookup`; DNS is not ours to test), and a policy that replaces every project's (suites about something
   * else whose production projects call a loopback upstream).
   */
  upstream?: Pick<import('./execute/http-client.js').UpstreamClientOptions, 'lookup' | 'policyOverride'>;
  /** Programmatic only: the clock of usage records' buckets and their write interval (tests pin both). */
  usageRecords?: Pick<import('./usage/usage-recorder.js').UsageRecorderOptions, 'now' | 'flushIntervalMs'>;
}

/** A runtime that is listening. */
export interface RunningRuntime {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The MCP endpoint, e.g. `http://127.0.0.1:8080/mcp`. */
  mcpUrl: string;
  /** `sha256:<hex>` of the signed payload being served (changes with a successful reload). */
  readonly bundleDigest: string;
  /** Requests being answered right now (by every loaded bundle). */
  inFlight(): number;
  /**
   * Reads the bundle file again and, when it verifies and passes every boot check, serves it: calls in flight finish
   * on the old bundle, new ones use the new one. A refused bundle leaves the old one serving. Concurrent requests
   * coalesce into one more reload of the file as it is by then.
   */
  reload(): Promise<import('./lifecycle/reloader.js').ReloadOutcome>;
  /** The graceful stop: readiness 503, serve through the drain delay, stop accepting, let calls finish, close. */
  shutdown(): Promise<import('./lifecycle/drain.js').DrainOutcome>;
  /** Where this process listens (`http://host:port`), which differs from `url` behind a public URL. */
  listenUrl?: string;
  /** The metrics listener's base URL (`http://host:port`), when `metricsPort` was given. */
  metricsUrl?: string;
  /** The process's metrics registry (the hot reload records `bundleLoaded` / `reloadResult` into it). */
  metrics?: import('./observability/metrics.js').RuntimeMetrics;
  /** Stops at once: open connections are cut (tests, and a second signal). */
  close(): Promise<void>;
}

/** Why the runtime refused to boot; `exitCode` is distinct per cause (documented in docs/operations.md). */
export class RuntimeBootError extends Error {
  /** Creates a boot error with a stable code, process exit code and one-line fix. */
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
    readonly hint: string,
  ) {
    super(message);
  }
}
