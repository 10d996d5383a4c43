import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { RuntimeJwt } from '../members/runtime-jwt.js';
import type { SessionTokens } from '../members/session-tokens.js';
import { addressPolicyFor } from '../../schemas/address-policy.js';
import type { BundlePayload, Project, RuntimeSettings, Tool } from '../../schemas/config-types.js';
import type { CompiledTool, CompileTool, CompileToolContext, McpToolDefinition } from '../execute/types.js';
import { parseDuration } from '../execute/compile-tool.js';
import { RuntimeBootError } from '../boot-types.js';
import { compileProjectLimits } from '../usage/compile-limits.js';
import { createUpstreamGuards, type UpstreamSettings } from '../execute/upstream-guard.js';
import { BOOT_EXIT } from './boot-exit-codes.js';
import type { AccessTokens } from '../oauth/access-tokens.js';
import { oauthClientsOf, type OAuthClient } from '../oauth/clients.js';
import { compileEndpointLimits, type EndpointLimitSettings } from '../usage/endpoint-limits.js';
import { compileClientAddressPolicy, type ClientAddressPolicy } from '../usage/client-address.js';

/** An integration as the auth step needs it. */
export interface RuntimeIntegration {
  projectId: string;
  integrationId: string;
  kind: 'api_key' | 'oauth';
}

/** A configured API key: its full SHA-256 and the integration it authenticates as. */
export interface ApiKeyEntry extends RuntimeIntegration {
  digest: Buffer;
}

/** One project ready to serve: its tools by name and in list order. */
export interface RuntimeProject {
  id: string;
  environment: 'production' | 'development';
  tools: ReadonlyMap<string, CompiledTool>;
  /** Enabled tools in declaration order, as `tools/list` shows them (built-ins excluded). */
  listed: readonly McpToolDefinition[];
}

/** Settings the HTTP layer needs, defaults applied and durations in milliseconds. */
export interface HttpSettings {
  publicUrl?: string;
  allowedOrigins: readonly string[];
  /** `runtime.allowed_hosts`: names besides the public URL's host that `/mcp` and `/api/` answer to. */
  allowedHosts: readonly string[];
  pageSize: number;
  maxRequestBytes: number;
  /** `runtime.endpoint_limits` with defaults: per-client and per-IP limits of the session-token and OAuth endpoints. */
  endpointLimits: EndpointLimitSettings;
  /** `runtime.trusted_proxies` and `forwarded_header`: how a request's client address is found. */
  clientAddress: ClientAddressPolicy;
  /** `runtime.progress_interval` in ms: when a call with a progress token turns into an event stream (absent: 1 s). */
  progressIntervalMs?: number;
}

/** A customer's assertion key, parsed once; its `alg` is the only algorithm accepted for it. */
export interface RuntimeAssertionKey {
  kid: string;
  alg: 'ES256' | 'ES384' | 'EdDSA' | 'RS256';
  key: KeyObject;
}

/** The bundle compiled for serving: everything a request needs is looked up, never computed. */
export interface RuntimeModel {
  bundleDigest: string;
  createdAt: string;
  /** The bundle's `format_version`, for `tengine_bundle_info`. */
  formatVersion: number;
  revision?: string;
  projects: ReadonlyMap<string, RuntimeProject>;
  /** `${projectId}/${integrationId}` of every integration in the bundle: tokens of removed ones stop working. */
  integrations: ReadonlySet<string>;
  /** Assertion keys by project, then kid. */
  assertionKeys: ReadonlyMap<string, ReadonlyMap<string, RuntimeAssertionKey>>;
  /** Member session token lifetime in seconds (runtime.member_session_ttl). */
  memberSessionTtlSeconds: number;
  /** Member sessions and identity tokens; absent in a model not yet given its token services (withTokenServices). */
  readonly sessions?: SessionTokens;
  readonly jwt?: RuntimeJwt;
  /** The JWKS published at /.well-known/jwks.json (current and not yet retired signing keys). */
  readonly publicJwks?: () => { keys: unknown[] };
  /** API keys by the hex of their SHA-256's first 8 bytes → candidates holding the full digest. */
  apiKeys: ReadonlyMap<string, readonly ApiKeyEntry[]>;
  /** The `kind: oauth` integrations by client_id. */
  oauthClients: ReadonlyMap<string, OAuthClient>;
  /** OAuth token lifetimes in seconds (runtime.access_token_ttl, runtime.refresh_token_ttl). */
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** OAuth access tokens; absent in a model not yet given its token services. */
  readonly accessTokens?: AccessTokens;
  http: HttpSettings;
  /** This bundle's upstream pools and origin guards, read by metrics at scrape time. */
  upstreamStats(): { pools: import('../observability/metrics.js').PoolSnapshot[]; guards: import('../observability/metrics.js').GuardSnapshot[] };
}

/** Secrets of the tools, resolved at boot (decrypted or read from the environment). */
export type ToolSecrets = ReadonlyMap<Tool, string>;

/** Compiles a verified payload into the serving model. Throws only for programmer errors. */
export function buildRuntimeModel(
  payload: BundlePayload,
  bundleDigest: string,
  secrets: ToolSecrets,
  compileTool: CompileTool,
  base: Omit<CompileToolContext, 'secret' | 'settings' | 'upstreams' | 'addressPolicy'>,
): RuntimeModel {
  const runtime: RuntimeSettings = payload.config.runtime ?? {};
  const settings = {
    defaultTimeoutMs: parseDuration(runtime.default_timeout ?? '10s'),
    defaultMaxResponseBytes: runtime.default_max_response_bytes ?? 1024 * 1024,
  };
  // One set per loaded bundle: every tool of an origin shares its breaker, retry budget and concurrency cap.
  const upstreams = createUpstreamGuards(upstreamSettings(runtime));
  const projects = new Map<string, RuntimeProject>();
  const apiKeys = new Map<string, ApiKeyEntry[]>();
  const integrations = new Set<string>();
  const assertionKeys = new Map<string, Map<string, RuntimeAssertionKey>>();
  for (const project of payload.config.projects ?? []) {
    projects.set(project.id, compileProject(project, secrets, compileTool, { ...base, settings, upstreams }));
    const keys = new Map<string, RuntimeAssertionKey>();
    for (const k of project.assertion_keys ?? []) {
      keys.set(k.kid, { kid: k.kid, alg: k.alg === 'Ed25519' ? 'EdDSA' : k.alg, key: createPublicKey(k.public_key) });
    }
    assertionKeys.set(project.id, keys);
    for (const integ of project.integrations ?? []) {
      integrations.add(`${project.id}/${integ.id}`);
      if (integ.kind !== 'api_key') continue;
      for (const key of integ.api_keys ?? []) {
        const digest = Buffer.from(key.sha256, 'hex');
        const selector = key.sha256.slice(0, 16);
        const list = apiKeys.get(selector) ?? [];
        list.push({ projectId: project.id, integrationId: integ.id, kind: 'api_key', digest });
        apiKeys.set(selector, list);
      }
    }
  }
  return {
    bundleDigest,
    createdAt: payload.created_at,
    formatVersion: payload.format_version,
    upstreamStats: () => ({ pools: base.http.stats?.() ?? [], guards: upstreams.snapshot() }),
    revision: payload.source?.revision,
    projects,
    apiKeys,
    integrations,
    assertionKeys,
    memberSessionTtlSeconds: Math.floor(parseDuration(runtime.member_session_ttl ?? '15m') / 1000),
    oauthClients: oauthClientsOf(payload.config),
    accessTokenTtlSeconds: Math.floor(parseDuration(runtime.access_token_ttl ?? '1h') / 1000),
    refreshTokenTtlSeconds: Math.floor(parseDuration(runtime.refresh_token_ttl ?? '30d') / 1000),
    http: {
      publicUrl: runtime.public_url,
      allowedOrigins: runtime.allowed_origins ?? [],
      allowedHosts: runtime.allowed_hosts ?? [],
      pageSize: runtime.page_size ?? 100,
      maxRequestBytes: runtime.max_request_bytes ?? 1024 * 1024,
      endpointLimits: compileEndpointLimits(runtime.endpoint_limits),
      clientAddress: clientAddressPolicy(runtime),
      progressIntervalMs: parseDuration(runtime.progress_interval ?? '1s'),
    },
  };
}

function compileProject(project: Project, secrets: ToolSecrets, compileTool: CompileTool, ctx: Omit<CompileToolContext, 'secret' | 'addressPolicy'>): RuntimeProject {
  const tools = new Map<string, CompiledTool>();
  const listed: McpToolDefinition[] = [];
  const limits = compileProjectLimits(project, ctx.now);
  for (const tool of project.tools ?? []) {
    let compiled: CompiledTool;
    try {
      compiled = compileTool(tool, project.id, { ...ctx, secret: secrets.get(tool), addressPolicy: addressPolicyFor(project), projectIdempotency: project.idempotency });
    } catch (e) {
      // Only reachable for a bundle `tengine validate` would have refused (e.g. built by a patched CLI).
      throw new RuntimeBootError('BUNDLE_PAYLOAD_INVALID', `tool "${tool.name}" of project "${project.id}" cannot be compiled: ${(e as Error).message}`, BOOT_EXIT.BUNDLE_PAYLOAD_INVALID, 'rebuild the bundle with `tengine build`, which validates every tool');
    }
    const toolLimits = limits.forTool(limits.tool(tool.name, tool.usage_limits));
    if (toolLimits !== undefined) compiled = { ...compiled, limits: toolLimits };
    tools.set(tool.name, compiled);
    if (compiled.enabled) listed.push(compiled.definition);
  }
  return { id: project.id, environment: project.environment ?? 'production', tools, listed };
}

function clientAddressPolicy(runtime: RuntimeSettings): ClientAddressPolicy {
  const policy = compileClientAddressPolicy(runtime.trusted_proxies, runtime.forwarded_header);
  // Only reachable for a bundle `tengine validate` would have refused (TNG251).
  if (!policy) throw new RuntimeBootError('BUNDLE_PAYLOAD_INVALID', 'runtime.trusted_proxies holds an entry that is not an address or CIDR range', BOOT_EXIT.BUNDLE_PAYLOAD_INVALID, 'rebuild the bundle with `tengine build`, which validates the config');
  return policy;
}

/** `runtime.upstreams` with defaults applied and durations in ms (the bundle normally carries the defaults already). */
export function upstreamSettings(runtime: RuntimeSettings | undefined): UpstreamSettings {
  const u = runtime?.upstreams ?? {};
  const b = u.circuit_breaker ?? {};
  return {
    maxConcurrent: u.max_concurrent ?? 256,
    maxQueued: u.max_queued ?? 256,
    retryBudgetPercent: u.retry_budget_percent ?? 20,
    breaker: { failureThreshold: b.failure_threshold ?? 5, openForMs: parseDuration(b.open_for ?? '30s'), halfOpenProbes: b.half_open_probes ?? 1 },
  };
}

/** Lower-case hex SHA-256 of an API key, the form stored in the config. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
