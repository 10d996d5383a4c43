import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The label value of a tool name that is not a tool of the caller's project (names from clients are unbounded). */
export const UNKNOWN_LABEL = '_unknown';

/** One upstream connection pool, as the undici pool reports it (read at scrape time, never on the call path). */
export interface PoolSnapshot {
  project: string;
  origin: string;
  /** Open connections. */
  connected: number;
  /** Open connections without a request. */
  free: number;
  /** Requests being processed by a connection. */
  running: number;
  /** Requests waiting in undici's own queue (stays empty while the concurrency cap matches the pool size). */
  pending: number;
}

/** One origin guard (per project and origin): calls admitted and calls waiting for a slot. */
export interface GuardSnapshot {
  project: string;
  origin: string;
  inFlight: number;
  queued: number;
}

/** What the served bundle says about itself, for `tengine_bundle_info`. */
export interface BundleInfo {
  digest: string;
  formatVersion: number | string;
  /** Build time of the bundle (ISO 8601). */
  createdAt: string;
}

/**
 * The runtime's Prometheus metrics: one registry per process, created once by startRuntime and passed to every app
 * it builds, so a hot reload that builds a new app keeps counting into the same series. Labels are bounded: projects,
 * tools and origins come from the bundle, codes from the error tables; member and request ids never appear.
 */
export interface RuntimeMetrics {
  readonly registry: Registry;
  /** A finished tools/call: its outcome code (`OK` or the tool error code), latency and upstream latency. */
  toolCall(project: string, tool: string, code: string, seconds: number, upstreamSeconds?: number): void;
  /** A finished HTTP request to /mcp or /api/*, by route and status. */
  request(route: string, status: number): void;
  /** A refused credential, by surface (`mcp`, `session_token`, `oauth`, `metrics`) and reason code. */
  authRefusal(surface: string, reason: string): void;
  /** A token exchange: kind (`session_token`, `authorization_code`, `refresh_token`, ...) and result (`issued`, `refused`). */
  tokenExchange(kind: string, result: 'issued' | 'refused'): void;
  /** A store operation's latency and whether it failed. */
  storeOp(op: string, seconds: number, failed: boolean): void;
  /** Where the pool and guard gauges read from at scrape time (the serving model's; replaced on reload). */
  watchUpstreams(source: () => { pools: PoolSnapshot[]; guards: GuardSnapshot[] }): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Tool outcome codes that mean a limiter refused the call (usage limits, the origin's cap or breaker). */
const LIMITER_CODES: ReadonlySet<string> = new Set(['USAGE_LIMIT_EXCEEDED', 'USAGE_QUOTA_EXCEEDED', 'USAGE_CHECK_UNAVAILABLE', 'UPSTREAM_OVERLOADED', 'UPSTREAM_CIRCUIT_OPEN']);

// Tool calls span a fast local answer (validation errors) to a 30 s upstream: 5 ms .. 30 s.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

interface Internals {
  bundleInfo: Gauge<'digest' | 'format_version' | 'created_at'>;
  reloads: Counter<'result' | 'code'>;
}
const internals = new WeakMap<RuntimeMetrics, Internals>();

/** Creates the process's metrics registry with the default Node process metrics (`defaults: false` in unit tests that want a small page). */
export function createRuntimeMetrics(opts: { defaults?: boolean } = {}): RuntimeMetrics {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry });
  const r = [registry];
  const calls = new Counter({ name: 'tengine_tool_calls_total', help: 'tools/call requests answered, by project, tool and outcome code (OK or the tool error code).', labelNames: ['project', 'tool', 'code'] as const, registers: r });
  const errors = new Counter({ name: 'tengine_tool_errors_total', help: 'tools/call requests answered with a tool error, by project, tool and code.', labelNames: ['project', 'tool', 'code'] as const, registers: r });
  const toolSeconds = new Histogram({ name: 'tengine_tool_duration_seconds', help: 'Time from the tools/call arriving to its answer, by project and tool.', labelNames: ['project', 'tool'] as const, buckets: LATENCY_BUCKETS, registers: r });
  const upstreamSeconds = new Histogram({ name: 'tengine_upstream_duration_seconds', help: 'Time spent calling the upstream (all attempts), by project and tool.', labelNames: ['project', 'tool'] as const, buckets: LATENCY_BUCKETS, registers: r });
  const requests = new Counter({ name: 'tengine_http_requests_total', help: 'HTTP requests to /mcp and /api/*, by route and status.', labelNames: ['route', 'status'] as const, registers: r });
  const limiter = new Counter({ name: 'tengine_limiter_rejections_total', help: 'Tool calls refused by a limiter (usage limit, upstream concurrency cap, circuit breaker), by project, tool and code.', labelNames: ['project', 'tool', 'code'] as const, registers: r });
  const authRefusals = new Counter({ name: 'tengine_auth_refusals_total', help: 'Refused credentials, by surface and reason code.', labelNames: ['surface', 'reason'] as const, registers: r });
  const tokens = new Counter({ name: 'tengine_token_exchanges_total', help: 'Token exchanges (member session tokens, OAuth grants), by kind and result.', labelNames: ['kind', 'result'] as const, registers: r });
  const storeSeconds = new Histogram({ name: 'tengine_store_duration_seconds', help: 'Latency of store operations, by operation.', labelNames: ['op'] as const, buckets: STORE_BUCKETS, registers: r });
  const storeErrors = new Counter({ name: 'tengine_store_errors_total', help: 'Failed store operations, by operation.', labelNames: ['op'] as const, registers: r });
  const bundleInfo = new Gauge({ name: 'tengine_bundle_info', help: 'The served bundle: 1 for its digest, format version and build time.', labelNames: ['digest', 'format_version', 'created_at'] as const, registers: r });
  const reloads = new Counter({ name: 'tengine_bundle_reloads_total', help: 'Bundle reloads, by result (ok, refused) and refusal code.', labelNames: ['result', 'code'] as const, registers: r });

  let upstreams: () => { pools: PoolSnapshot[]; guards: GuardSnapshot[] } = () => ({ pools: [], guards: [] });
  // Read at scrape time: the call path pays nothing for these.
  const originGauge = <T extends { project: string; origin: string }>(name: string, help: string, rows: () => T[], pick: (row: T) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['project', 'origin'] as const,
      registers: r,
      collect() {
        this.reset();
        for (const row of rows()) this.set({ project: row.project, origin: row.origin }, pick(row));
      },
    });
  const pools = () => upstreams().pools;
  const guards = () => upstreams().guards;
  originGauge('tengine_upstream_pool_connections', 'Open upstream connections, by project and origin.', pools, (p) => p.connected);
  originGauge('tengine_upstream_pool_free_connections', 'Idle upstream connections, by project and origin.', pools, (p) => p.free);
  originGauge('tengine_upstream_pool_running', 'Requests on an upstream connection, by project and origin.', pools, (p) => p.running);
  originGauge('tengine_upstream_pool_pending', 'Requests queued inside the connection pool, by project and origin.', pools, (p) => p.pending);
  originGauge('tengine_upstream_in_flight', 'Calls holding a slot of the origin concurrency cap, by project and origin.', guards, (g) => g.inFlight);
  originGauge('tengine_upstream_queued', 'Calls waiting for a slot of the origin concurrency cap, by project and origin.', guards, (g) => g.queued);

  const metrics: RuntimeMetrics = {
    registry,
    toolCall(project, tool, code, seconds, upstream) {
      calls.inc({ project, tool, code });
      toolSeconds.observe({ project, tool }, seconds);
      if (upstream !== undefined) upstreamSeconds.observe({ project, tool }, upstream);
      if (code !== 'OK') {
        errors.inc({ project, tool, code });
        if (LIMITER_CODES.has(code)) limiter.inc({ project, tool, code });
      }
    },
    request: (route, status) => requests.inc({ route, status: String(status) }),
    authRefusal: (surface, reason) => authRefusals.inc({ surface, reason }),
    tokenExchange: (kind, result) => tokens.inc({ kind, result }),
    storeOp(op, seconds, failed) {
      storeSeconds.observe({ op }, seconds);
      if (failed) storeErrors.inc({ op });
    },
    watchUpstreams(source) {
      upstreams = source;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
  internals.set(metrics, { bundleInfo, reloads });
  return metrics;
}

/**
 * Records the bundle now served: `tengine_bundle_info` holds exactly one series, this bundle's. Called at boot and
 * by a successful hot reload (only then does the digest change).
 */
export function bundleLoaded(metrics: RuntimeMetrics, info: BundleInfo): void {
  const m = internals.get(metrics)!;
  m.bundleInfo.reset();
  m.bundleInfo.set({ digest: info.digest, format_version: String(info.formatVersion), created_at: info.createdAt }, 1);
}

/** Counts a hot reload: `ok`, or `refused` with the boot error code that refused the new bundle (the old one keeps serving). */
export function reloadResult(metrics: RuntimeMetrics, result: 'ok' | 'refused', code?: string): void {
  internals.get(metrics)!.reloads.inc({ result, code: result === 'ok' ? '' : (code ?? 'UNKNOWN') });
}
