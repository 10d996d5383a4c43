import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RuntimeModel } from './load/runtime-model.js';
import { createCorsPolicy } from './mcp/cors.js';
import { createHostPolicy, type HostPolicy } from './mcp/host-policy.js';
import { declaresBody, HOST_NOT_ALLOWED_MESSAGE } from './mcp/mcp-handler.js';
import { mcpPostHandler, type McpHandlerDeps } from './mcp/mcp-route.js';
import { RPC, rpcError } from './mcp/protocol.js';
import { sessionTokenHandler } from './members/session-token-route.js';
import type { Store } from './store/store.js';
import type { UsageRecorder } from './usage/usage-recorder.js';
import { adminSurfaceHandler } from './admin/surface-route.js';
import { oauthScopes, protectedResourceMetadata, servesOAuth } from './oauth/metadata.js';
import { registerOAuthRoutes } from './oauth/routes.js';
import { FamilyStatus } from './oauth/family-status.js';
import { ClientDirectory } from './oauth/clients.js';
import type { TengineConfig } from '../schemas/config-types.js';
import type { Log } from './observability/logger.js';
import type { RuntimeMetrics } from './observability/metrics.js';
import { traceMiddleware, traceOf } from './observability/hono-trace.js';
import { metricsHandler } from './observability/metrics-route.js';
import { EndpointLimiter } from './usage/endpoint-limits.js';

/**
 * The answer to an OAuth client registration attempt. Generic on purpose (not every client forwards the header it
 * sent to /mcp), and without the word that makes mcp-remote switch to its interactive sign-in.
 */
export const NO_REGISTRATION_MESSAGE =
  "No OAuth client registration here: this Tengine runtime authenticates MCP clients with an API key header (Authorization: Bearer tengine_...). The key your client sent to /mcp was missing or refused; send the same request with curl, or use the Inspector's --stored-auth-only, to see why.";

/** The answer to a registration attempt when OAuth is served but dynamic registration is not. */
export const NO_DYNAMIC_REGISTRATION_MESSAGE =
  'Dynamic client registration is not enabled on this Tengine runtime: configure your MCP client with the client_id (and client secret) of a kind: oauth integration of the config.';

/** The dependencies of the HTTP app; it does no I/O of its own beyond answering requests. */
export interface AppDeps {
  model: RuntimeModel;
  /** Shared state (replay guards, counters): memory for one instance, Redis for many. */
  store: Store;
  /** Wall clock in milliseconds (injected for tests). */
  now?: () => number;
  /** The served config and the admin token hash, for GET /api/v1/admin/surface (404 without a token). */
  admin?: { config: TengineConfig; tokenSha256?: Buffer };
  /** Absolute base URL clients use (no trailing slash), e.g. `https://mcp.example.com`. */
  publicUrl: string;
  /** False when `publicUrl` was derived from the listen address rather than configured (default true). */
  publicUrlConfigured?: boolean;
  /** The address the server listens on, for the Host check when no public URL is configured. */
  listenHost?: string;
  /** The process's logger (pino); each request gets a child carrying its request id. */
  log?: Log;
  /**
   * The process's metrics registry, created once by startRuntime and passed to every app it builds (a reload keeps
   * counting into the same series).
   */
  metrics?: RuntimeMetrics;
  /**
   * Serve `GET /metrics` on this app, for the admin token only (404 otherwise). False when a separate metrics listener
   * serves it (`--metrics-port`). Default true.
   */
  metricsOnMainPort?: boolean;
  /** The process's shutdown state: `/readyz` answers 503 while draining. */
  lifecycle?: { draining(): boolean };
  /** Usage records of tools/call, one recorder per process (absent: off). */
  usage?: UsageRecorder;
}

/** The MCP handler's dependencies derived from the app's (shared by the Hono route and the native fast path). */
export function mcpHandlerDeps(deps: AppDeps): McpHandlerDeps {
  const base = deps.publicUrl.replace(/\/+$/, '');
  // SDK clients cannot step up while they hold a refresh token, so the challenge advertises every scope up front.
  const oauth = servesOAuth(deps.model);
  const scope = oauth ? oauthScopes(deps.model).join(' ') : '';
  return {
    model: deps.model,
    resourceMetadataUrl: `${base}/.well-known/oauth-protected-resource/mcp`,
    ...(scope ? { challengeScope: scope } : {}),
    ...(oauth ? { familyStatus: new FamilyStatus(deps.store, deps.now ?? Date.now) } : {}),
    selfOrigin: new URL(base).origin,
    hosts: hostPolicyOf(deps),
    log: deps.log,
    store: deps.store,
    ...(deps.usage ? { usage: deps.usage } : {}),
  };
}

/** The Host check of the credentialed routes, from the public URL, `runtime.allowed_hosts` and the listen address. */
export function hostPolicyOf(deps: AppDeps): HostPolicy {
  return createHostPolicy({
    publicUrl: deps.publicUrl,
    publicUrlConfigured: deps.publicUrlConfigured ?? true,
    allowedHosts: deps.model.http.allowedHosts,
    ...(deps.listenHost !== undefined ? { listenHost: deps.listenHost } : {}),
  });
}

/** Creates the runtime's Hono app: MCP endpoint, discovery metadata and health. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const base = deps.publicUrl.replace(/\/+$/, '');
  const telemetry = { ...(deps.log ? { log: deps.log } : {}), ...(deps.metrics ? { metrics: deps.metrics } : {}) };
  // First: every request to the credentialed routes gets its id and exactly one audit line, whoever answers it.
  const traced = traceMiddleware(telemetry);
  for (const path of ['/mcp', '/mcp/', '/api/*']) app.use(path, traced);
  const mcpDeps = mcpHandlerDeps(deps);
  const mcp = mcpPostHandler(mcpDeps);
  const cors = createCorsPolicy(deps.model.http.allowedOrigins, mcpDeps.selfOrigin);
  const limit = bodyLimit({
    maxSize: deps.model.http.maxRequestBytes,
    onError: (c) => {
      const trace = traceOf(c);
      if (trace) trace.fields.code = 'REQUEST_TOO_LARGE';
      return c.body(
        rpcError(null, { code: RPC.InvalidRequest, message: `Request body exceeds ${deps.model.http.maxRequestBytes} bytes`, data: { code: 'REQUEST_TOO_LARGE' } }),
        413,
        // The rest of an oversized body is not read, so the connection cannot carry another request.
        { 'Content-Type': 'application/json', Connection: 'close' },
      );
    },
  });

  // An answer that leaves a declared body unread (a refusal before reading, a route that takes none) closes the
  // connection: keeping it would mean reading whatever an unauthenticated client declared first.
  app.use('*', async (c, next) => {
    await next();
    if (!c.req.raw.bodyUsed && declaresBody(c.req.header('content-length'), c.req.header('transfer-encoding'))) c.res.headers.set('Connection', 'close');
  });

  // The other credentialed routes get the Host check /mcp has (the MCP handler applies it for both adapters).
  app.use('/api/*', async (c, next) => {
    if (!mcpDeps.hosts?.allows(c.req.header('host') ?? new URL(c.req.url).host)) {
      const trace = traceOf(c);
      if (trace) trace.fields.code = 'HOST_NOT_ALLOWED';
      return c.json({ detail: HOST_NOT_ALLOWED_MESSAGE, code: 'HOST_NOT_ALLOWED' }, 421, { 'Cache-Control': 'no-store' });
    }
    await next();
  });

  // Both /mcp and /mcp/ answer directly: clients copy either form, and a redirect would drop the POST body.
  for (const path of ['/mcp', '/mcp/']) {
    app.post(path, limit, mcp);
    // No server stream and no sessions: 405 (Allow: POST), after the same Host, Origin and credential checks as POST.
    app.on(['GET', 'DELETE', 'PUT', 'PATCH'], path, mcp);
    // CORS preflight of browser clients: granted to allowed origins only (the same list as the POST's Origin check).
    app.options(path, (c) => {
      const origin = c.req.header('origin');
      if (origin === undefined) return c.body(null, 204, { Allow: 'POST, OPTIONS' });
      if (!cors.allows(origin)) {
        return c.body(rpcError(null, { code: RPC.InvalidRequest, message: 'Origin not allowed', data: { code: 'ORIGIN_NOT_ALLOWED' } }), 403, { 'Content-Type': 'application/json' });
      }
      return c.body(null, 204, cors.preflightHeaders(origin));
    });
  }
  // Public, credential-free documents: any origin may read them (browser clients discover OAuth and keys here).
  const PUBLIC = { 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' };

  // RFC 9728 protected-resource metadata, at the root and path-inserted forms.
  const resourceMetadata = protectedResourceMetadata(base, deps.model);
  for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
    app.get(path, (c) => c.json(resourceMetadata, 200, PUBLIC));
  }

  // Per-client and per-IP limits of the session-token exchange and the OAuth endpoints (runtime.endpoint_limits).
  const limiter = new EndpointLimiter(deps.model.http.endpointLimits, deps.model.http.clientAddress, deps.store, deps.log, deps.now ?? Date.now);
  // Member session-token exchange (compatible path), authenticated by a project API key.
  app.post(
    '/api/v1/mcp/session-token',
    // As on /mcp: the rest of the body is not read, so the connection cannot carry another request.
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => {
        const trace = traceOf(c);
        if (trace) Object.assign(trace.fields, { event: 'session_token_refused', code: 'REQUEST_TOO_LARGE' });
        return c.json({ detail: 'Request body too large', code: 'REQUEST_TOO_LARGE' }, 413, { Connection: 'close' });
      },
    }),
    sessionTokenHandler({ model: deps.model, store: deps.store, now: deps.now ?? Date.now, log: deps.log, limiter }),
  );
  // The OAuth authorization server, when the bundle has `kind: oauth` integrations.
  registerOAuthRoutes(
    app,
    { model: deps.model, store: deps.store, clients: new ClientDirectory(deps.model.oauthClients, deps.store, deps.now ?? Date.now), base, resource: `${base}/mcp`, now: deps.now ?? Date.now, ...(deps.log ? { log: deps.log } : {}), limiter },
    PUBLIC,
  );
  // The runtime's public token keys, so customers can verify session and identity tokens themselves.
  app.get('/.well-known/jwks.json', (c) => c.json(deps.model.publicJwks?.() ?? { keys: [] }, 200, PUBLIC));

  app.get('/api/v1/admin/surface', adminSurfaceHandler({ model: deps.model, config: deps.admin?.config ?? { version: 1 }, ...(deps.admin?.tokenSha256 ? { adminTokenSha256: deps.admin.tokenSha256 } : {}) }));

  // Prometheus exposition: for the admin token only (404 without one), unless a separate listener serves it.
  if (deps.metrics && deps.metricsOnMainPort !== false) {
    app.get('/metrics', metricsHandler(deps.metrics, deps.admin?.tokenSha256, (reason) => deps.metrics!.authRefusal('metrics', reason)));
  }

  app.get('/livez', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    // Draining: load balancers must stop sending new requests; those already here are still answered.
    if (deps.lifecycle?.draining()) return c.json({ status: 'draining', store: deps.store.kind, bundle_digest: deps.model.bundleDigest }, 503);
    try {
      await deps.store.ping();
    } catch {
      return c.json({ status: 'unavailable', store: deps.store.kind, bundle_digest: deps.model.bundleDigest }, 503);
    }
    return c.json({ status: 'ready', store: deps.store.kind, bundle_digest: deps.model.bundleDigest });
  });

  // OAuth-capable clients (mcp-remote, the Inspector) answer a refused key by trying to register an OAuth client at
  // the default /register, and print only that reply: it must say that this server takes an API key header.
  app.post('/register', (c) =>
    c.json({ error: 'not_found', message: servesOAuth(deps.model) ? NO_DYNAMIC_REGISTRATION_MESSAGE : NO_REGISTRATION_MESSAGE }, 404, { 'Cache-Control': 'no-store' }),
  );

  app.notFound((c) => c.json({ error: 'not_found', message: 'No such endpoint' }, 404));
  app.onError((err, c) => {
    const trace = traceOf(c);
    const requestId = trace?.id ?? crypto.randomUUID();
    if (trace) trace.fields.code = 'INTERNAL_ERROR';
    deps.log?.({ level: 'error', event: 'unhandled', request_id: requestId, error: err?.message });
    return c.json({ error: 'internal_error', message: 'Internal server error', request_id: requestId }, 500);
  });
  return app;
}
