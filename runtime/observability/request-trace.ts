import { randomUUID } from 'node:crypto';
import { childLog, type Log } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';

/** The response header (and upstream request header) that carries the request id. */
export const REQUEST_ID_HEADER = 'X-Tengine-Request-Id';

/** Logs and metrics as the app receives them: both optional, both created once per process. */
export interface Telemetry {
  log?: Log;
  metrics?: RuntimeMetrics;
}

/** The route family of a request, the `route` label of `tengine_http_requests_total` and the audit line. */
export type AuditRoute = 'mcp' | 'session_token' | 'oauth' | 'admin' | 'api';

/**
 * What the audit line of one request says, filled in as the request goes: never argument values, tokens or secrets.
 * `code` is the outcome: `OK`, a tool error code, or the refusal's stable code.
 */
export interface AuditFields {
  event?: string;
  project?: string;
  integration?: string;
  member?: string;
  /** The JSON-RPC method of an MCP request. */
  method?: string;
  tool?: string;
  code?: string;
  upstream_status?: number;
  upstream_ms?: number;
  /** Bytes of the upstream's response body (a call that got one). */
  upstream_bytes?: number;
  client_id?: string;
  grant_type?: string;
  endpoint?: string;
  [more: string]: unknown;
}

/** One HTTP request as observed: its id, start, route and audit fields. Created by the adapters, finished once. */
export interface RequestTrace {
  readonly id: string;
  /** `performance.now()` at arrival. */
  readonly started: number;
  readonly route: AuditRoute;
  readonly fields: AuditFields;
  /** The metrics label of the tool (a bundle tool name or `_unknown`), set by the dispatcher. */
  toolLabel?: string;
  bytesIn?: number;
  /** A logger bound to this request's id, created on first use (most requests log only their audit line). */
  log(): Log | undefined;
  finished: boolean;
}

/** Starts observing a request: a fresh UUID v4 request id (the one sent upstream and back to the client). */
export function startTrace(route: AuditRoute, telemetry: Telemetry | undefined): RequestTrace {
  return new Trace(randomUUID(), route, telemetry);
}

/** A RequestTrace as a class: one object per request, its logger method shared rather than a closure each. */
class Trace implements RequestTrace {
  readonly started = performance.now();
  readonly fields: AuditFields = {};
  toolLabel?: string;
  bytesIn?: number;
  finished = false;
  private bound: Log | undefined;

  constructor(
    readonly id: string,
    readonly route: AuditRoute,
    private readonly telemetry: Telemetry | undefined,
  ) {}

  log(): Log | undefined {
    return (this.bound ??= childLog(this.telemetry?.log, { request_id: this.id }));
  }
}

/** Events whose entries become the request's audit line (merged into it) instead of a line of their own. */
export const AUDIT_EVENTS: ReadonlySet<string> = new Set([
  'session_token_issued',
  'session_token_refused',
  'oauth_token_issued',
  'oauth_refused',
  'oauth_code_issued',
  'oauth_client_registered',
  'oauth_revoked',
  'oauth_member_signed_in',
]);

/**
 * A `Log` for code that runs inside a request: audit events (AUDIT_EVENTS) are merged into the request's audit line,
 * anything else is written with the request id. Without a trace (handlers used directly) it is `fallback`.
 */
export function requestLog(trace: RequestTrace | undefined, fallback: Log | undefined): Log | undefined {
  if (!trace) return fallback;
  return (entry) => {
    const event = entry.event;
    if (typeof event === 'string' && AUDIT_EVENTS.has(event)) {
      const { level: _level, ...rest } = entry;
      Object.assign(trace.fields, rest);
      // Session-token refusals name their reason `code`, OAuth ones `error` (the RFC code): both are the outcome.
      if (rest.code === undefined && typeof rest.error === 'string') trace.fields.code = rest.error;
      return;
    }
    trace.log()?.(entry);
  };
}

/**
 * Ends a request: writes its one audit line and counts it. Later calls do nothing, so an adapter's error path cannot
 * write a second line.
 */
export function finishTrace(trace: RequestTrace, telemetry: Telemetry | undefined, status: number, bytesOut: number | undefined): void {
  if (trace.finished) return;
  trace.finished = true;
  const ms = performance.now() - trace.started;
  const f = trace.fields;
  const code = f.code ?? (status < 400 ? 'OK' : `HTTP_${status}`);
  const metrics = telemetry?.metrics;
  if (metrics) {
    metrics.request(trace.route, status);
    if (trace.toolLabel !== undefined && f.project !== undefined) {
      metrics.toolCall(f.project, trace.toolLabel, code, ms / 1000, f.upstream_ms === undefined ? undefined : f.upstream_ms / 1000);
    }
    if (status === 401 || f.event === 'session_token_refused' || f.event === 'oauth_refused') metrics.authRefusal(trace.route, code);
    if (f.event === 'session_token_issued' || f.event === 'session_token_refused') metrics.tokenExchange('session_token', f.event === 'session_token_issued' ? 'issued' : 'refused');
    if (f.event === 'oauth_token_issued' || (f.event === 'oauth_refused' && f.endpoint === 'token')) metrics.tokenExchange(grantKind(f.grant_type), f.event === 'oauth_token_issued' ? 'issued' : 'refused');
  }
  const log = telemetry?.log;
  if (!log) return;
  // The trace is finished: its fields become the line itself (no copy; no `level` key, so the façade passes the
  // object to pino as is, at info).
  f.audit = true;
  f.event ??= trace.route === 'mcp' ? (f.tool !== undefined ? 'tool_call' : 'mcp_request') : 'api_request';
  f.request_id = trace.id;
  f.route = trace.route;
  f.code = code;
  f.status = status;
  f.latency_ms = Math.round(ms * 10) / 10;
  f.bytes_in = trace.bytesIn ?? 0;
  if (bytesOut !== undefined) f.bytes_out = bytesOut;
  log(f);
}

// Grant types come from clients: only the ones the server implements become labels.
function grantKind(grant: unknown): string {
  return grant === 'authorization_code' || grant === 'refresh_token' ? grant : 'oauth_other';
}
