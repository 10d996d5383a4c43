import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TengineConfig } from '../schemas/config-types.js';
import { createServer, type RequestListener, type Server } from 'node:http';
import { loadTrustedKeys, TrustedKeyError, verifyBundle, type TrustedKey } from '../schemas/bundle-verify.js';
import { createApp, hostPolicyOf, mcpHandlerDeps } from './app.js';
import { createMcpHandler } from './mcp/mcp-handler.js';
import { tracedStore, tracingEnabled } from './observability/tracing.js';
import { withMcpFastPath } from './mcp/node-fast-path.js';
import { RuntimeBootError, type RunningRuntime, type RuntimeOptions } from './boot-types.js';
import { compileTool } from './execute/compile-tool.js';
import { createUpstreamClient } from './execute/http-client.js';
import { createSchemaCompiler } from './execute/schema-compiler.js';
import { loadRuntimeKeySet, RuntimeKeyError, type RuntimeKeySet } from './keys/runtime-keys.js';
import { BOOT_EXIT } from './load/boot-exit-codes.js';
import { checkDevelopmentProjects } from './load/development-check.js';
import { checkStoreEviction } from './load/eviction-check.js';
import { checkRollback, recordServedBundle, type ServedBundle } from './load/rollback-check.js';
import { resolveSecrets } from './load/resolve-secrets.js';
import { checkSecretEnvNames } from './load/secret-env-check.js';
import { buildRuntimeModel, upstreamSettings, type RuntimeModel } from './load/runtime-model.js';
import { resolveTokenKeys, withTokenServices } from './members/attach-identity.js';
import { DEFAULT_DRAIN, Drain } from './lifecycle/drain.js';
import { Generations, type Generation } from './lifecycle/generations.js';
import { Reloader, type ReloadOutcome } from './lifecycle/reloader.js';
import { watchBundle } from './lifecycle/watch-bundle.js';
import { IDENTITY_TOKEN_TYP } from './members/session-tokens.js';
import { createMemoryStore } from './store/memory-store.js';
import { describeEndpoints, type RedisEndpoints } from './store/redis-endpoints.js';
import { StoreUnavailableError, type Store } from './store/store.js';
import { bundleLoaded, createRuntimeMetrics, reloadResult } from './observability/metrics.js';
import { instrumentStore } from './observability/instrumented-store.js';
import { usageRecordSettings } from './usage/record-settings.js';
import { UsageRecorder } from './usage/usage-recorder.js';
import { listenMetrics } from './observability/metrics-listener.js';

export { RuntimeBootError, type RunningRuntime, type RuntimeOptions } from './boot-types.js';
export { resolveRuntimeOptions, type RuntimeFlags } from './options.js';

/**
 * The composition root. Verifies the bundle, resolves secrets, compiles every tool, checks the store and starts
 * listening. Everything that can be wrong with a deploy is found before the port opens (only a rollback raced by a
 * newer deploy is found just after, while requests are still answered 503 "starting"); each cause is a
 * RuntimeBootError with its own exit code. Boot order: bundle signature, development projects, secret variable
 * names, runtime keys, secrets, store, eviction, rollback, listen. A reload runs the same checks on the new bundle
 * and swaps it in only when all pass.
 */
export async function startRuntime(opts: RuntimeOptions): Promise<RunningRuntime> {
  const log = opts.log;
  const first = await loadModel(opts);
  // A store given by the caller (tests) is the caller's to close.
  const endpoints = opts.redisEndpoints ?? (opts.redisUrl ? { mode: 'standalone' as const, url: opts.redisUrl } : undefined);
  const store = opts.store ?? (await openStore(endpoints, opts.redisKeyPrefix, log).catch(async (e: unknown) => {
    await first.close();
    throw e;
  }));
  const closeStore = () => (opts.store ? Promise.resolve() : store.close());
  // One registry per process: a reload that builds a new app keeps counting into the same series.
  const metrics = opts.metrics ?? createRuntimeMetrics();
  const timedStore = instrumentStore(store, metrics);
  // With an OpenTelemetry SDK registered (node --import it), each store round trip is a span too.
  const servingStore = tracingEnabled() ? tracedStore(timedStore) : timedStore;
  let metricsServer: Server | undefined;
  // Token keys are the process's, not the bundle's: a reload keeps every session and access token already issued.
  const tokenKeys = await resolveTokenKeys(first.keySet);
  let publicUrl = opts.publicUrl?.replace(/\/+$/, '');
  const publicUrlConfigured = opts.publicUrl !== undefined || first.model.http.publicUrl !== undefined;
  let drain: Drain | undefined;
  const lifecycle = { draining: () => drain?.draining() ?? false };
  // One per process, across reloads: a reload neither loses nor needs to flush what the old generation recorded. None
  // on the in-memory store, where records would only fill this process's memory: no other process could read them.
  const usage = store.kind !== 'redis' ? undefined : new UsageRecorder({ store: servingStore, settings: usageRecordSettings(first.config.runtime), ...(log ? { log } : {}), ...opts.usageRecords });

  /** The listener serving one loaded bundle, and what to close when it is retired. */
  const generationOf = (loaded: LoadedBundle, base: string): Generation => {
    const model = loaded.serving(tokenKeys.keySet, base, Date.now);
    const admin = { config: loaded.config, ...(opts.adminToken ? { tokenSha256: createHash('sha256').update(opts.adminToken).digest() } : {}) };
    const records = usageRecordSettings(loaded.config.runtime);
    usage?.configure(records);
    const deps = { model, store: servingStore, publicUrl: base, publicUrlConfigured, listenHost: opts.host, log, admin, lifecycle, metrics, metricsOnMainPort: metricsServer === undefined, ...(usage && records.enabled ? { usage } : {}) };
    return {
      digest: model.bundleDigest,
      listener: withMcpFastPath(createMcpHandler(mcpHandlerDeps(deps)), model.http.maxRequestBytes, honoListener(createApp(deps).fetch, log), { ...(log ? { log } : {}), metrics }),
      release: loaded.close,
    };
  };
  /** Points the bundle gauges and the upstream pool gauges at the bundle now serving. */
  const serving = (model: RuntimeModel) => {
    bundleLoaded(metrics, { digest: model.bundleDigest, formatVersion: model.formatVersion, createdAt: model.createdAt });
    metrics.watchUpstreams(() => model.upstreamStats());
  };

  let generations: Generations | undefined;
  let server: Server;
  try {
    await bootChecks(store, first.model, opts, log);
    if (opts.metricsPort !== undefined) metricsServer = await listenMetrics(opts.metricsHost ?? opts.host, opts.metricsPort, metrics);
    server = await listen(opts.host, opts.port, async (boundPort) => {
      publicUrl ??= first.model.http.publicUrl?.replace(/\/+$/, '') ?? `http://${formatHost(opts.host)}:${boundPort}`;
      if (tokenKeys.ephemeral) {
        log?.({ level: 'warn', event: 'ephemeral_token_key', message: 'no runtime key set: member session tokens use a key that dies with this process; pass --runtime-keys when running more than one instance' });
      }
      // Last, once every other check has passed: a bundle that cannot boot must not raise the record and so lock
      // out the bundle before it. Requests wait for this (503 "starting"); a refusal here serves nothing.
      await recordServedBundle(store, servedOf(first.model), opts.allowRollbackTo);
      const boot = generationOf(first, publicUrl);
      if (hostPolicyOf({ model: first.model, store, publicUrl, publicUrlConfigured, listenHost: opts.host }).namesUnknown) {
        log?.({ level: 'warn', event: 'host_names_unknown', message: `listening on ${opts.host} without a public URL: /mcp and /api/ answer only IP-address and localhost Host headers (421 HOST_NOT_ALLOWED for names); set TENGINE_PUBLIC_URL (and runtime.allowed_hosts) to serve a DNS name` });
      }
      generations = new Generations(boot);
      serving(first.model);
      return generations.listener;
    });
  } catch (e) {
    await usage?.close();
    await Promise.all([closeStore(), first.close(), metricsServer && new Promise((r) => metricsServer!.close(r))]);
    throw e;
  }
  const live = generations!;
  drain = new Drain(server, live, opts.drain ?? DEFAULT_DRAIN, () => live.closeConnections());

  const reloader = new Reloader(async (): Promise<ReloadOutcome> => {
    if (drain?.draining()) return { result: 'refused', code: 'DRAINING', message: 'the runtime is shutting down' };
    if (opts.bundlePath === undefined) return { result: 'refused', code: 'RELOAD_UNAVAILABLE', message: 'this runtime was started with bundle bytes, not a file', hint: 'start it with --bundle FILE' };
    let loaded: LoadedBundle | undefined;
    try {
      loaded = await loadModel({ ...opts, bundle: await readBundleFile(opts.bundlePath) });
      const previous = live.digest;
      if (loaded.model.bundleDigest === previous) {
        await loaded.close();
        return { result: 'unchanged', digest: previous };
      }
      await bootChecks(store, loaded.model, opts, log);
      await recordServedBundle(store, servedOf(loaded.model), opts.allowRollbackTo);
      const base = opts.publicUrl?.replace(/\/+$/, '') ?? loaded.model.http.publicUrl?.replace(/\/+$/, '') ?? publicUrl!;
      live.swap(generationOf(loaded, base));
      serving(loaded.model);
      reloadResult(metrics, 'ok');
      log?.({ level: 'info', event: 'bundle_reloaded', bundle_digest: loaded.model.bundleDigest, previous_digest: previous, projects: loaded.model.projects.size });
      return { result: 'ok', digest: loaded.model.bundleDigest, previous };
    } catch (e) {
      await loaded?.close();
      const refusal = e instanceof RuntimeBootError ? { code: e.code, message: e.message, hint: e.hint } : { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
      reloadResult(metrics, 'refused', refusal.code);
      log?.({ level: 'error', event: 'bundle_reload_refused', ...refusal, serving: live.digest });
      return { result: 'refused', ...refusal };
    }
  });
  const watcher = opts.watchBundle && opts.bundlePath !== undefined ? watchBundle(opts.bundlePath, () => void reloader.request()) : undefined;

  const address = server.address() as AddressInfo;
  const url = publicUrl ?? `http://${formatHost(opts.host)}:${address.port}`;
  log?.({ level: 'info', event: 'listening', url, mcp: `${url}/mcp`, bundle_digest: live.digest, projects: first.model.projects.size, store: store.kind, watch_bundle: watcher !== undefined });
  let closed: Promise<void> | undefined;
  const finish = () => (closed ??= (async () => {
    watcher?.close();
    // After the drain (no call in flight) and before the store closes: the last second of usage records is written.
    await Promise.all([live.releaseAll(), usage?.close()]);
    await Promise.all([closeStore(), metricsServer && new Promise((r) => { metricsServer!.closeAllConnections(); metricsServer!.close(r); })]);
    log?.flush?.();
  })());
  return {
    url,
    mcpUrl: `${url}/mcp`,
    get bundleDigest() {
      return live.digest;
    },
    inFlight: () => live.inFlight(),
    reload: () => reloader.request(),
    shutdown: async () => {
      const outcome = await drain!.run(log);
      await finish();
      return outcome;
    },
    metrics,
    listenUrl: `http://${formatHost(opts.host)}:${address.port}`,
    ...(metricsServer ? { metricsUrl: `http://${formatHost(opts.metricsHost ?? opts.host)}:${(metricsServer.address() as AddressInfo).port}` } : {}),
    close: async () => {
      watcher?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await finish();
    },
  };
}

/** The checks a bundle must pass against the store before it serves, at boot and at every reload. */
async function bootChecks(store: Store, model: RuntimeModel, opts: RuntimeOptions, log: RuntimeOptions['log']): Promise<void> {
  const production = [...model.projects.values()].filter((p) => p.environment === 'production').map((p) => p.id);
  await checkStoreEviction(store, production, opts.allowEvictingStore, log);
  await checkRollback(store, servedOf(model), opts.allowRollbackTo, log);
}

function servedOf(model: RuntimeModel): ServedBundle {
  return { digest: model.bundleDigest, createdAt: model.createdAt };
}

/** Reads the bundle file for a reload; a missing or unreadable file is a refusal, like at boot. */
async function readBundleFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new RuntimeBootError('BUNDLE_UNREADABLE', `cannot read the bundle ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, BOOT_EXIT.BUNDLE_UNREADABLE, 'check the path and that the file is readable by the runtime');
  }
}

/** Opens Redis when endpoints are given (failing boot when it cannot be reached), else the in-memory store. */
async function openStore(endpoints: RedisEndpoints | undefined, keyPrefix: string | undefined, log: RuntimeOptions['log']): Promise<Store> {
  if (!endpoints) return createMemoryStore();
  const where = describeEndpoints(endpoints);
  try {
    const { createRedisStore } = await import('./store/redis-store.js');
    return await createRedisStore({ endpoints, ...(keyPrefix ? { keyPrefix } : {}), onError: (message) => log?.({ level: 'warn', event: 'store_error', message }) });
  } catch (e) {
    // Only our own errors are quoted: they are already free of credentials. Anything else (the URL parser's) is not.
    const why = e instanceof StoreUnavailableError ? e.message : (e as { code?: unknown })?.code === 'ERR_INVALID_URL' ? 'the URL cannot be parsed (percent-encode "/", "@", ":" and "#" in the user and password)' : 'unexpected error';
    const variables = endpoints.mode === 'cluster' ? 'TENGINE_REDIS_CLUSTER_NODES' : endpoints.mode === 'sentinel' ? 'TENGINE_REDIS_SENTINELS / TENGINE_REDIS_SENTINEL_NAME' : 'REDIS_URL / TENGINE_REDIS_URL';
    throw new RuntimeBootError('STORE_UNAVAILABLE', `cannot use Redis at ${where}: ${why}`, BOOT_EXIT.STORE_UNAVAILABLE, `check ${variables} and that Redis (>= 6.2) is reachable`);
  }
}

/** A verified, compiled bundle, not yet serving: `serving()` gives it its token services. */
export interface LoadedBundle {
  /** The compiled model without token services (for checks; requests are served by `serving()`'s model). */
  model: RuntimeModel;
  /** The runtime key set given (`--runtime-keys`), if any. */
  keySet?: RuntimeKeySet;
  config: TengineConfig;
  /** Closes the bundle's own resources (upstream connection pools). */
  close: () => Promise<void>;
  /** The serving model, whose tokens are issued as `issuer` and signed with `keys`; identity tokens of tools too. */
  serving(keys: RuntimeKeySet, issuer: string, now: () => number): RuntimeModel;
}

/** Verifies and compiles the bundle (exported for in-process tests of the app). */
export async function loadModel(opts: Pick<RuntimeOptions, 'bundle' | 'bundlePublicKeys' | 'runtimeKeys' | 'env' | 'upstream' | 'allowDevelopment' | 'log'>): Promise<LoadedBundle> {
  const trusted: TrustedKey[] = [];
  for (const text of opts.bundlePublicKeys) {
    try {
      trusted.push(...(await loadTrustedKeys(text)));
    } catch (e) {
      if (e instanceof TrustedKeyError) throw new RuntimeBootError('KEY_FILE_INVALID', `bundle public key: ${e.message}`, BOOT_EXIT.KEY_FILE_INVALID, e.hint);
      throw e;
    }
  }
  if (trusted.length === 0) {
    throw new RuntimeBootError('BUNDLE_KEY_MISSING', 'no bundle public key was given', BOOT_EXIT.USAGE, 'pass --bundle-public-key FILE (or TENGINE_BUNDLE_PUBLIC_KEYS)');
  }
  const verified = await verifyBundle(opts.bundle, trusted);
  if (!verified.ok) throw new RuntimeBootError(verified.code, verified.message, BOOT_EXIT[verified.code], verified.hint);
  checkDevelopmentProjects(verified.payload.config, opts.allowDevelopment, opts.log);
  checkSecretEnvNames(verified.payload.config);

  let keySet: RuntimeKeySet | undefined;
  if (opts.runtimeKeys !== undefined) {
    try {
      keySet = loadRuntimeKeySet(opts.runtimeKeys);
    } catch (e) {
      if (e instanceof RuntimeKeyError) throw new RuntimeBootError(e.code, e.message, BOOT_EXIT.RUNTIME_KEYS_INVALID, e.hint);
      throw e;
    }
  }
  // A runtime host holds runtime-keys.json; if its token key were also trusted for bundles, that host could sign
  // its own configuration. Keys are compared by RFC 7638 thumbprint, which both sides use as kid.
  const overlap = keySet?.signing.find((k) => trusted.some((t) => t.kid === k.kid));
  if (overlap) {
    throw new RuntimeBootError('KEY_FILE_INVALID', `the runtime token key ${overlap.kid} is also trusted as a bundle key`, BOOT_EXIT.KEY_FILE_INVALID, 'pass the bundle public key (bundle-signing.pub.pem), not runtime-keys.pub.json, as --bundle-public-key');
  }
  const secrets = await resolveSecrets(verified.payload, keySet, opts.env);
  // As many pooled connections per origin as calls may be in flight to it: undici's own queue then stays empty.
  const http = createUpstreamClient({ maxSockets: upstreamSettings(verified.payload.config.runtime).maxConcurrent, ...opts.upstream });
  // Tools are compiled before the token services exist (they need the public URL), so signing looks them up late.
  const holder: { model?: RuntimeModel } = {};
  const model = buildRuntimeModel(verified.payload, `sha256:${verified.digest}`, secrets, compileTool, {
    schemas: createSchemaCompiler(),
    http,
    now: () => Date.now(),
    newRequestId: () => crypto.randomUUID(),
    signIdentity: (claims) => {
      const m = holder.model;
      if (!m?.jwt || !m.sessions) throw new Error('identity signing key not attached');
      return m.jwt.sign(IDENTITY_TOKEN_TYP, { iss: m.sessions.issuer, ...claims });
    },
  });
  return {
    model,
    keySet,
    config: verified.payload.config,
    close: () => http.close(),
    serving(keys, issuer, now) {
      holder.model = withTokenServices(model, keys, issuer, now);
      return holder.model;
    },
  };
}

/**
 * The Hono app as a Node listener, with Hono's Node adapter loaded at the first request that is not `POST /mcp`:
 * the adapter (and the WHATWG Request/Response classes it pulls in) took a fifth of a boot, and tool calls never
 * use it. The request waits for the import; its body stays unread, so nothing is lost.
 */
function honoListener(fetch: Parameters<typeof import('@hono/node-server').getRequestListener>[0], log: RuntimeOptions['log']): RequestListener {
  let listener: RequestListener | undefined;
  let loading: Promise<RequestListener> | undefined;
  return (req, res) => {
    if (listener) return listener(req, res);
    loading ??= import('@hono/node-server').then((m) => (listener = m.getRequestListener(fetch)));
    loading.then(
      (l) => l(req, res),
      (e: unknown) => {
        // Logged (code only: a message may hold a path) and tried again at the next request, so a passing failure
        // (out of file descriptors) does not leave every later request without an answer.
        loading = undefined;
        log?.({ level: 'error', event: 'module_load_failed', module: '@hono/node-server', code: (e as { code?: unknown } | null)?.code ?? 'unknown' });
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"error":"internal_error","message":"Internal server error"}');
      },
    );
  };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listen(host: string, port: number, makeListener: (port: number) => Promise<RequestListener>): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    // The app needs the bound port for its absolute URLs, so the listener is created once listening; until then
    // (a few milliseconds) requests are told to retry.
    let listener: RequestListener = (_req, res) => {
      res.writeHead(503, { 'Retry-After': '1', 'Content-Type': 'application/json' });
      res.end('{"error":"starting"}');
    };
    const server = createServer((req, res) => listener(req, res));
    // Behind load balancers, idle keep-alive connections must outlive the balancer's own timeout (often 60 s).
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 120_000;
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new RuntimeBootError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${e.code ?? e.message}`, BOOT_EXIT.LISTEN_FAILED, e.code === 'EADDRINUSE' ? 'the port is in use: stop the other process or pick another port' : 'check the host and port')),
    );
    server.listen(port, host, () => {
      makeListener((server.address() as AddressInfo).port).then(
        (l) => {
          listener = l;
          resolve(server);
        },
        (e) => {
          server.close();
          reject(e);
        },
      );
    });
  });
}
