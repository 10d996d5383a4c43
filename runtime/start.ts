import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import type { TengineConfig } from '../schemas/config-types.js';
import { createServer, type RequestListener, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { loadTrustedKeys, TrustedKeyError, verifyBundle, type TrustedKey } from '../schemas/bundle-verify.js';
import { createApp, hostPolicyOf, mcpHandlerDeps } from './app.js';
import { createMcpHandler } from './mcp/mcp-handler.js';
import { withMcpFastPath } from './mcp/node-fast-path.js';
import { RuntimeBootError, type RunningRuntime, type RuntimeOptions } from './boot-types.js';
import { compileTool } from './execute/compile-tool.js';
import { createUpstreamClient } from './execute/http-client.js';
import { createSchemaCompiler } from './execute/schema-compiler.js';
import { loadRuntimeKeySet, RuntimeKeyError, type RuntimeKeySet } from './keys/runtime-keys.js';
import { BOOT_EXIT } from './load/boot-exit-codes.js';
import { checkDevelopmentProjects } from './load/development-check.js';
import { checkStoreEviction } from './load/eviction-check.js';
import { checkRollback, recordServedBundle } from './load/rollback-check.js';
import { resolveSecrets } from './load/resolve-secrets.js';
import { checkSecretEnvNames } from './load/secret-env-check.js';
import { buildRuntimeModel, upstreamSettings, type RuntimeModel } from './load/runtime-model.js';
import { attachIdentity } from './members/attach-identity.js';
import { IDENTITY_TOKEN_TYP } from './members/session-tokens.js';
import { createMemoryStore } from './store/memory-store.js';
import { redactUrl } from './store/redact-url.js';
import { StoreUnavailableError, type Store } from './store/store.js';
import { bundleLoaded, createRuntimeMetrics } from './observability/metrics.js';
import { instrumentStore } from './observability/instrumented-store.js';
import { listenMetrics } from './observability/metrics-listener.js';

export { RuntimeBootError, type RunningRuntime, type RuntimeOptions } from './boot-types.js';
export { resolveRuntimeOptions, type RuntimeFlags } from './options.js';

/**
 * Verifies the bundle, resolves secrets, compiles every tool, checks the store and starts listening. Everything
 * that can be wrong with a deploy is found before the port opens (only a rollback raced by a newer deploy is found
 * just after, while requests are still answered 503 "starting"); each cause is a RuntimeBootError with its own exit
 * code. Boot order: bundle signature, development projects, secret variable names, runtime keys, secrets, store, eviction, rollback, listen.
 */
export async function startRuntime(opts: RuntimeOptions): Promise<RunningRuntime> {
  const log = opts.log;
  const { model, keySet, config, close: closeModel } = await loadModel(opts);
  const admin = { config, ...(opts.adminToken ? { tokenSha256: createHash('sha256').update(opts.adminToken).digest() } : {}) };
  // A store given by the caller (tests) is the caller's to close.
  const store = opts.store ?? (await openStore(opts.redisUrl, opts.redisKeyPrefix, log).catch(async (e: unknown) => {
    await closeModel();
    throw e;
  }));
  // One registry per process: a reload that builds a new app keeps counting into the same series.
  const metrics = opts.metrics ?? createRuntimeMetrics();
  bundleLoaded(metrics, { digest: model.bundleDigest, formatVersion: model.formatVersion, createdAt: model.createdAt });
  metrics.watchUpstreams(() => model.upstreamStats());
  const timedStore = instrumentStore(store, metrics);
  let metricsServer: Server | undefined;
  const closeAll = () => Promise.all([opts.store ? undefined : store.close(), closeModel(), metricsServer && new Promise((r) => metricsServer!.close(r))]);
  const served = { digest: model.bundleDigest, createdAt: model.createdAt };
  let publicUrl = opts.publicUrl?.replace(/\/+$/, '');

  let server: Server;
  try {
    const production = [...model.projects.values()].filter((p) => p.environment === 'production').map((p) => p.id);
    await checkStoreEviction(store, production, opts.allowEvictingStore, log);
    await checkRollback(store, served, opts.allowRollbackTo, log);
    if (opts.metricsPort !== undefined) metricsServer = await listenMetrics(opts.metricsHost ?? opts.host, opts.metricsPort, metrics);
    server = await listen(opts.host, opts.port, async (boundPort) => {
      publicUrl ??= model.http.publicUrl?.replace(/\/+$/, '') ?? `http://${formatHost(opts.host)}:${boundPort}`;
      const publicUrlConfigured = opts.publicUrl !== undefined || model.http.publicUrl !== undefined;
      const identity = await attachIdentity(model, keySet, publicUrl, Date.now);
      if (identity.ephemeral) {
        log?.({ level: 'warn', event: 'ephemeral_token_key', message: 'no runtime key set: member session tokens use a key that dies with this process; pass --runtime-keys when running more than one instance' });
      }
      // Last, once every other check has passed: a bundle that cannot boot must not raise the record and so lock
      // out the bundle before it. Requests wait for this (503 "starting"); a refusal here serves nothing.
      await recordServedBundle(store, served, opts.allowRollbackTo);
      const deps = { model, store: timedStore, publicUrl, publicUrlConfigured, listenHost: opts.host, log, admin, metrics, metricsOnMainPort: metricsServer === undefined };
      if (hostPolicyOf(deps).open) {
        log?.({ level: 'warn', event: 'host_check_off', message: `listening on ${opts.host} without a public URL: /mcp answers any Host header; set TENGINE_PUBLIC_URL (and runtime.allowed_hosts) to refuse DNS-rebinding requests` });
      }
      return withMcpFastPath(createMcpHandler(mcpHandlerDeps(deps)), model.http.maxRequestBytes, getRequestListener(createApp(deps).fetch), { ...(log ? { log } : {}), metrics });
    });
  } catch (e) {
    await closeAll();
    throw e;
  }
  const address = server.address() as AddressInfo;
  const url = publicUrl ?? `http://${formatHost(opts.host)}:${address.port}`;
  log?.({ level: 'info', event: 'listening', url, mcp: `${url}/mcp`, bundle_digest: model.bundleDigest, projects: model.projects.size, store: store.kind });
  return {
    url,
    mcpUrl: `${url}/mcp`,
    bundleDigest: model.bundleDigest,
    metrics,
    listenUrl: `http://${formatHost(opts.host)}:${address.port}`,
    ...(metricsServer ? { metricsUrl: `http://${formatHost(opts.metricsHost ?? opts.host)}:${(metricsServer.address() as AddressInfo).port}` } : {}),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      await closeAll();
      log?.flush?.();
    },
  };
}

/** Opens Redis when a URL is given (failing boot when it cannot be reached), else the in-memory store. */
async function openStore(redisUrl: string | undefined, keyPrefix: string | undefined, log: RuntimeOptions['log']): Promise<Store> {
  if (!redisUrl) return createMemoryStore();
  try {
    const { createRedisStore } = await import('./store/redis-store.js');
    return await createRedisStore({ url: redisUrl, ...(keyPrefix ? { keyPrefix } : {}), onError: (message) => log?.({ level: 'warn', event: 'store_error', message }) });
  } catch (e) {
    // Only our own errors are quoted: they are already free of credentials. Anything else (the URL parser's) is not.
    const why = e instanceof StoreUnavailableError ? e.message : (e as { code?: unknown })?.code === 'ERR_INVALID_URL' ? 'the URL cannot be parsed (percent-encode "/", "@", ":" and "#" in the user and password)' : 'unexpected error';
    throw new RuntimeBootError('STORE_UNAVAILABLE', `cannot use Redis at ${redactUrl(redisUrl)}: ${why}`, BOOT_EXIT.STORE_UNAVAILABLE, 'check REDIS_URL / TENGINE_REDIS_URL and that Redis (>= 6.2) is reachable');
  }
}

/** Verifies and compiles the bundle into the serving model (exported for in-process tests of the app). */
export async function loadModel(opts: Pick<RuntimeOptions, 'bundle' | 'bundlePublicKeys' | 'runtimeKeys' | 'env' | 'upstream' | 'allowDevelopment' | 'log'>): Promise<{ model: RuntimeModel; keySet?: RuntimeKeySet; config: TengineConfig; close: () => Promise<void> }> {
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
  // Tools are compiled before the token key is attached (it needs the public URL), so signing looks it up late.
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
  holder.model = model;
  return { model, keySet, config: verified.payload.config, close: () => http.close() };
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
