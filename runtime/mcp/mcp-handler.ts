import { trace as trace_api, type Context } from '@opentelemetry/api';
import { AUTH_FAILURE_CODES, authenticate, quotedParam } from '../auth/authenticate.js';
import { incomingContext, inSpanSync, inSpan, parseTraceContext, tracingEnabled } from '../observability/tracing.js';
import type { FamilyStatus } from '../oauth/family-status.js';
import type { RuntimeModel } from '../load/runtime-model.js';
import { createCorsPolicy } from './cors.js';
import type { HostPolicy } from './host-policy.js';
import { dispatch, type DispatchContext, type DispatchOutcome } from './dispatch.js';
import { progressTokenOf, runWithProgress, type ProgressStreamBody } from './progress-stream.js';
import { isSupportedVersion, RPC, rpcError } from './protocol.js';
import { checkModernRequest } from './modern-request.js';
import type { Store } from '../store/store.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { requestLog, type RequestTrace } from '../observability/request-trace.js';
import type { CancelSignal } from '../execute/cancel-signal.js';

/** What the MCP endpoint needs from the app. */
export interface McpHandlerDeps {
  model: RuntimeModel;
  /** Absolute URL of the protected-resource metadata, for `WWW-Authenticate`. */
  resourceMetadataUrl: string;
  /** The `scope` of the challenge: what normal use needs (every scope of the OAuth clients); absent without OAuth. */
  challengeScope?: string;
  /** The revocation list of OAuth access tokens (absent without OAuth clients). */
  familyStatus?: FamilyStatus;
  /** Origins allowed besides those configured: the runtime's own public origin. */
  selfOrigin?: string;
  /** The Host check (DNS rebinding); absent: every Host is served (unit tests of other gates). */
  hosts?: HostPolicy;
  /** Counters for usage limits (their windows run on the store's clock). */
  store?: Store;
  /** Usage records of tools/call (absent: off). */
  usage?: UsageRecorder;
  log?: (entry: Record<string, unknown>) => void;
}

/** A POST to `/mcp` as the handler sees it, independent of the HTTP framework. */
export interface McpHttpRequest {
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** The body as text; resolves to undefined when it exceeded the size limit. */
  body(): Promise<string | undefined>;
  /** Aborted when the client goes away. */
  signal?: CancelSignal;
  /** The HTTP method; absent means POST (the native fast path serves POST only). */
  method?: string;
  /** The request's id and audit record, owned by the adapter (which writes the audit line and the response header). */
  trace?: RequestTrace;
}

/** The answer to send. */
export interface McpHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
  /** The stable code of a refusal (`data.code` of the JSON-RPC error), for the audit line. */
  code?: string;
  /** A call that outlived `runtime.progress_interval` (body null): the adapter sends the head, then lets this write the event stream. */
  stream?: ProgressStreamBody;
}

const JSON_TYPE = 'application/json';
/** The text of a refused Host, on /mcp and /api/ alike. */
export const HOST_NOT_ALLOWED_MESSAGE = 'Host not allowed: this runtime answers only to its public URL and runtime.allowed_hosts';
const JSON_HEADERS = { 'Content-Type': JSON_TYPE };
// nginx buffers proxied responses unless told not to, which would hold the progress events back.
const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' };

/**
 * Handles a POST to the MCP endpoint (Streamable HTTP, stateless: no `Mcp-Session-Id` is issued or required).
 * Framework-free so the Hono route and the native fast path in start.ts run exactly the same checks.
 */
export function createMcpHandler(deps: McpHandlerDeps): (req: McpHttpRequest) => Promise<McpHttpResponse> {
  const cors = createCorsPolicy(deps.model.http.allowedOrigins, deps.selfOrigin);
  // Decided once per loaded bundle: without an OpenTelemetry SDK no span is ever started.
  const tracing = tracingEnabled();
  // RFC 6750 §3: a request without credentials gets no error information in the challenge; a bad or expired token
  // gets invalid_token and an error_description saying what is wrong (clients that show nothing else show that).
  const challenge = (error?: string, description?: string) =>
    `Bearer resource_metadata="${deps.resourceMetadataUrl}"${deps.challengeScope ? `, scope="${deps.challengeScope}"` : ''}${error ? `, error="${error}"` : ''}${description ? `, error_description="${quotedParam(description)}"` : ''}`;
  // MCP authorization (2025-11-25, scope challenges): the scope to ask for is what the connection has plus what the
  // call needs, so a client that signs in again keeps its other tools. The challenge rides on the 200 tool error, not a
  // 403: a client holding a refresh token answers a 403 by refreshing (which cannot widen a grant), gets the 403
  // again and fails the whole transport, while the tool error tells the model what happened (RFC 9110 §11.6.1 allows
  // WWW-Authenticate on any response).
  const scopeChallenge = (granted: string[], missing: string[]) =>
    `Bearer error="insufficient_scope", scope="${[...new Set([...granted, ...missing])].join(' ')}", resource_metadata="${deps.resourceMetadataUrl}", error_description="${quotedParam(`this tool needs ${missing.join(', ')}`)}"`;
  const fail = (status: number, code: number, message: string, dataCode: string, extra: Record<string, string> = {}, detail?: string): McpHttpResponse => ({
    status,
    headers: { ...JSON_HEADERS, ...extra },
    body: rpcError(null, { code, message, data: detail === undefined ? { code: dataCode } : { code: dataCode, detail } }),
    code: dataCode,
  });

  // A refusal before the body is read leaves it unread: with a body declared, the connection could carry another
  // request only after reading it (as much as an unauthenticated client cares to declare), so it is closed instead.
  const refuse = (req: McpHttpRequest, ...args: Parameters<typeof fail>): McpHttpResponse => {
    const res = fail(...args);
    if (declaresBody(req.header('content-length'), req.header('transfer-encoding'))) res.headers.Connection = 'close';
    return res;
  };

  const handle = async (req: McpHttpRequest, origin: string | undefined): Promise<McpHttpResponse> => {
    // DNS-rebinding defence (MCP transport spec): the Host must be one of our names and a browser Origin one we trust.
    if (deps.hosts && !deps.hosts.allows(req.header('host'))) return refuse(req, 421, RPC.InvalidRequest, HOST_NOT_ALLOWED_MESSAGE, 'HOST_NOT_ALLOWED');
    if (origin !== undefined && !cors.allows(origin)) return refuse(req, 403, RPC.InvalidRequest, 'Origin not allowed', 'ORIGIN_NOT_ALLOWED');
    const post = req.method === undefined || req.method === 'POST';
    const accept = req.header('accept');
    const wantsJson = accept === undefined || accept.includes(JSON_TYPE) || accept.includes('*/*') || accept.includes('application/*');
    if (post) {
      // An unknown MCP-Protocol-Version is refused once the body is read: its answer carries the request's id.
      const wantsSse = accept !== undefined && accept.includes('text/event-stream');
      if (!wantsJson && !wantsSse) return refuse(req, 406, RPC.InvalidRequest, 'Accept must allow application/json or text/event-stream', 'NOT_ACCEPTABLE');
      const contentType = req.header('content-type');
      if (contentType !== undefined && !contentType.toLowerCase().startsWith(JSON_TYPE)) {
        return refuse(req, 415, RPC.InvalidRequest, 'Content-Type must be application/json', 'UNSUPPORTED_MEDIA_TYPE');
      }
    }

    // W3C trace context: without an OpenTelemetry SDK only passed on to the upstream; with one, the parent of spans.
    const incoming = parseTraceContext(req.header('traceparent'), req.header('tracestate'));
    const parent = tracing ? incomingContext({ traceparent: req.header('traceparent'), tracestate: req.header('tracestate') }) : undefined;
    const auth = tracing ? tracedAuthenticate(req.header('authorization'), deps.model, parent) : authenticate(req.header('authorization'), deps.model);
    if (!auth.ok) {
      // No header at all: a plain challenge. A header that is not "Bearer <token>" is a malformed request (RFC 6750
      // §3.1 invalid_request), still answered 401 so that OAuth-capable clients find resource_metadata.
      const present = req.header('authorization') !== undefined;
      const challenged = auth.reason !== 'missing' ? challenge('invalid_token', auth.detail) : present ? challenge('invalid_request', auth.detail) : challenge();
      return refuse(req, 401, RPC.InvalidRequest, auth.message, AUTH_FAILURE_CODES[auth.reason], { 'WWW-Authenticate': challenged }, auth.detail);
    }
    if (req.trace) {
      const f = req.trace.fields;
      f.project = auth.caller.projectId;
      f.integration = auth.caller.integrationId;
      if (auth.caller.member) f.member = auth.caller.member.id;
    }
    if (auth.family !== undefined && deps.familyStatus) {
      const status = await deps.familyStatus.check(auth.family);
      if (status === 'revoked') {
        const detail = 'the OAuth access token was revoked (sign-out, revocation, or a refresh token used twice): sign in again';
        return refuse(req, 401, RPC.InvalidRequest, 'Access token revoked', AUTH_FAILURE_CODES.revoked, { 'WWW-Authenticate': challenge('invalid_token', detail) }, detail);
      }
      if (status === 'unknown') return refuse(req, 503, RPC.InvalidRequest, 'The token revocation list cannot be read right now; try again', 'STORE_UNAVAILABLE', { 'Retry-After': '1' });
    }
    // GET (a server stream) and DELETE (a session) are authenticated like every MCP request (MCP authorization:
    // "MUST be included in every HTTP request") before the 405: a client falling back to the old SSE transport after
    // a refused key then reports the 401 and its reason, not a misleading 405.
    if (!post) {
      return refuse(req, 405, RPC.InvalidRequest, 'Method not allowed: this server is stateless and accepts POST only', 'METHOD_NOT_ALLOWED', { Allow: 'POST' });
    }

    const text = await req.body();
    if (text === undefined) {
      return fail(413, RPC.InvalidRequest, `Request body exceeds ${deps.model.http.maxRequestBytes} bytes`, 'REQUEST_TOO_LARGE');
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return fail(400, RPC.ParseError, 'Parse error: the body is not valid JSON', 'PARSE_ERROR');
    }
    const ctx: DispatchContext = { model: deps.model, caller: auth.caller, signal: req.signal, log: requestLog(req.trace, deps.log), store: deps.store, usage: deps.usage };
    if (req.trace) ctx.trace = req.trace;
    if (incoming) ctx.traceContext = { incoming };
    // --- protocol version, per request (issue 13): absent or legacy → as before; 2026-07-28 or unknown → checked here.
    const version = req.header('mcp-protocol-version');
    if (version !== undefined && !isSupportedVersion(version)) {
      const checked = checkModernRequest(message, version, (name) => req.header(name));
      if (!checked.ok) return { status: checked.status, headers: { ...JSON_HEADERS }, body: checked.body, code: checked.code };
      if (checked.modern) ctx.modern = checked.modern;
    }
    // --- end protocol version
    let outcome: DispatchOutcome;
    // Progress (docs/http-api.md#progress): only a tools/call with a progress token, from a client that reads event
    // streams, gets a timer; every other request takes the plain path below.
    const progressToken = accept !== undefined && accept.includes('text/event-stream') ? progressTokenOf(message) : undefined;
    if (progressToken !== undefined) {
      const run = (c: DispatchContext) => (tracing ? tracedDispatch(message, c, parent!) : dispatch(message, c));
      const answered = await runWithProgress(progressToken, deps.model.http.progressIntervalMs ?? 1000, (progress) => run({ ...ctx, progress }), req.signal);
      if ('stream' in answered) return { status: 200, headers: { ...SSE_HEADERS }, body: null, stream: answered.stream };
      outcome = answered.done;
    } else {
      outcome = tracing ? await tracedDispatch(message, ctx, parent!) : await dispatch(message, ctx);
    }
    if (outcome.body === undefined) return { status: 202, headers: {}, body: null };
    const headers: Record<string, string> = wantsJson ? { ...JSON_HEADERS } : { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' };
    if (outcome.missingScopes) headers['WWW-Authenticate'] = scopeChallenge(auth.caller.scopes ?? [], outcome.missingScopes);
    // Client accepts only SSE: one `message` event carrying the response, then the stream ends.
    return { status: outcome.status, headers, body: wantsJson ? outcome.body : `event: message\ndata: ${outcome.body}\n\n` };
  };

  return (req) => {
    const origin = req.header('origin');
    // An allowed browser origin may read every answer, errors included (a 401 starts OAuth discovery). Requests
    // without an Origin (every non-browser client) take no extra promise hop.
    if (origin === undefined) return handle(req, undefined);
    return handle(req, origin).then((res) => ({ ...res, headers: { ...res.headers, ...cors.responseHeaders(origin) } }));
  };
}


/** `dispatch` inside the request's server span (tracing on only); the span is the parent of the upstream attempts. */
function tracedDispatch(message: unknown, ctx: DispatchContext, parent: Context): Promise<DispatchOutcome> {
  const method = typeof (message as { method?: unknown })?.method === 'string' ? String((message as { method: string }).method).slice(0, 64) : 'invalid';
  return inSpan(true, `mcp ${method}`, 'server', parent, { 'mcp.method': method, 'tengine.project': ctx.caller.projectId }, (span) =>
    dispatch(message, { ...ctx, traceContext: { ...ctx.traceContext, parent: trace_api.setSpan(parent, span!) } }),
  );
}

/** `authenticate` inside an `auth` span (tracing on only): the outcome is an attribute, never the credential. */
function tracedAuthenticate(header: string | undefined, model: RuntimeModel, parent: Context | undefined): ReturnType<typeof authenticate> {
  return inSpanSync('tengine.auth', parent, (span) => {
    const auth = authenticate(header, model);
    span.setAttribute('tengine.auth.outcome', auth.ok ? auth.caller.kind : auth.reason);
    return auth;
  });
}

/** True when a request announces a body: a non-zero Content-Length or any Transfer-Encoding (chunked). */
export function declaresBody(contentLength: string | undefined, transferEncoding: string | undefined): boolean {
  return transferEncoding !== undefined || (contentLength !== undefined && contentLength.trim() !== '0');
}
