import type { AddressPolicy } from '../../schemas/address-policy.js';
import type { Tool } from '../../schemas/config-types.js';
import type { ToolResult } from './tool-errors.js';
import type { CancelSignal } from './cancel-signal.js';

/** Who is calling, as established by the auth step; reserved template variables come only from here. */
export interface CallerIdentity {
  kind: 'api_key' | 'member' | 'oauth';
  projectId: string;
  integrationId: string;
  member?: { id: string; email?: string; roles?: string[] };
  /** Scopes granted to an OAuth caller; undefined for API keys and member sessions (not scope-limited). */
  scopes?: string[];
  /** An OAuth caller's integration ceiling: what signing in again could grant (the scope challenge names no more). */
  ceiling?: readonly string[];
  /** An OAuth caller's refresh-token family: one sign-in, whose idempotent results are its own (not a credential). */
  family?: string;
}

/** The MCP tool description served by `tools/list`. */
export interface McpToolDefinition {
  name: string;
  title?: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  /** Extra metadata for clients (the deprecation of a tool with a sunset). */
  _meta?: Record<string, unknown>;
}

/** Per-call options from the MCP layer. */
export interface ExecuteOptions {
  /** Aborted when the MCP client goes away; the upstream call is cancelled. */
  signal?: CancelSignal;
  /** The HTTP request's id, sent upstream as `X-Tengine-Request-Id` (absent: a fresh one per call). */
  requestId?: string;
  /** Receives what the upstream answered, for the audit line and metrics (written once per call, never read back). */
  report?: { upstream_status?: number; upstream_ms?: number; upstream_bytes?: number };
  /** The caller's W3C trace context and the request's span context, carried to the upstream call. */
  traceContext?: ExecuteTrace;
  /** Told of each attempt and retry wait, for progress notifications; absent unless the client asked for progress. */
  progress?: import('./retry.js').RetryObserver;
}

/** Tracing of one call: what the client sent, and the OpenTelemetry context to parent spans on (when an SDK runs). */
export interface ExecuteTrace {
  incoming?: import('../observability/tracing.js').TraceContext;
  /** Set only when tracing is enabled (an OpenTelemetry SDK is registered). */
  parent?: import('@opentelemetry/api').Context;
}

/** A tool compiled once at bundle load: validators and templates are ready, nothing is compiled per call. */
export interface CompiledTool {
  name: string;
  projectId: string;
  enabled: boolean;
  requireMember: boolean;
  scopes: readonly string[];
  /** The project's, integrations' and tool's own `usage_limits`, compiled at load; absent when none applies. */
  limits?: import('../usage/compile-limits.js').ToolLimits;
  definition: McpToolDefinition;
  /** Idempotent retries (tool `idempotency` over the project's, defaults applied); absent when off. */
  idempotency?: import('../usage/idempotency.js').CompiledIdempotency;
  /** `log_arguments`: the arguments as the audit line may show them (absent: argument values are never logged). */
  logArguments?: (args: unknown) => import('./argument-log.js').LoggedArguments;
  /** Validates arguments, renders the request, calls the upstream and maps the result. Never throws. */
  execute(args: unknown, caller: CallerIdentity, opts?: ExecuteOptions): Promise<ToolResult>;
}

/** Runtime-wide settings a tool needs, with defaults applied and durations in milliseconds. */
export interface ExecutionSettings {
  defaultTimeoutMs: number;
  defaultMaxResponseBytes: number;
}

/** What compiling a tool needs besides its config. */
export interface CompileToolContext {
  settings: ExecutionSettings;
  /** The decrypted upstream secret (static_bearer / hmac_signature), or undefined for `none`. */
  secret?: string;
  /** Shared across all tools of a bundle so identical schemas are compiled once. */
  schemas: SchemaCompiler;
  /** The pooled keep-alive HTTP client shared by all tools. */
  http: UpstreamClient;
  /** Per-origin concurrency cap and retry budget, per project and origin circuit breaker, shared by the bundle's tools. */
  upstreams: import('./upstream-guard.js').UpstreamGuards;
  /** Which upstream addresses the tool's project may connect to (`addressPolicyFor(project)`). */
  addressPolicy: AddressPolicy;
  /** Clock in milliseconds since the epoch (injected for tests). */
  now(): number;
  /** New request id (UUID v4). */
  newRequestId(): string;
  /** Signs the `X-Tengine-Identity` token of tools with `identity_token: true` (absent: such tools fail the call). */
  signIdentity?: (claims: Record<string, unknown>) => string;
  /** The project's `idempotency` default, which the tool's own overrides field by field. */
  projectIdempotency?: import('../../schemas/config-types.js').Idempotency;
}

/** Compiles JSON Schemas into validators, once per distinct schema. */
export interface SchemaCompiler {
  /** `tooComplex` when checking would take more work than the data's size allows (schemas/validation-fuel.ts). */
  compile(schema: Record<string, unknown>): (data: unknown) => { ok: true } | { ok: false; tooComplex?: true; errors: { path: string; message: string }[] };
}

/** The outbound HTTP request after rendering and signing. */
export interface UpstreamRequest {
  origin: string;
  /** Checked on every address connected to; a request without one (a JS caller) gets `public`. */
  addressPolicy: AddressPolicy;
  /**
   * Requests of different partitions never share a connection pool. The runtime passes the project id, so one
   * project's hung calls cannot hold the connections another project's calls to the same origin need.
   */
  partition?: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path plus query exactly as sent on the wire (already percent-encoded). */
  pathAndQuery: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  timeoutMs: number;
  maxResponseBytes: number;
  signal?: CancelSignal;
}

/** What came back from the upstream, or why nothing usable did. */
export type UpstreamResponse = { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array } | UpstreamFailure;

/** Why no usable response came back: from the client, or from the origin's guard (then nothing was sent). */
export type UpstreamFailure =
  | {
      ok: false;
      /** `blocked`: the address policy refused every address of the host; nothing was sent. */
      reason: 'timeout' | 'unreachable' | 'too_large' | 'aborted' | 'blocked';
      detail: string;
      /** The TLS handshake failed (certificate not trusted, expired, wrong name): it fails the same way again, so it is never retried. */
      tls?: true;
    }
  | { ok: false; reason: 'circuit_open' | 'overloaded'; detail: string; retryAfterMs: number };

/** The pooled HTTP client: only ever contacts the origin it is given, never follows redirects. */
export interface UpstreamClient {
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
  /** The connection pools and their counters, for metrics at scrape time (optional: test clients have none). */
  stats?(): import('../observability/metrics.js').PoolSnapshot[];
}

/** Signature of the tool compiler (implemented in runtime/execute/compile-tool.ts). */
export type CompileTool = (tool: Tool, projectId: string, ctx: CompileToolContext) => CompiledTool;
