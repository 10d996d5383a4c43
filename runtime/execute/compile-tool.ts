import type { Tool } from '../../schemas/config-types.js';
import { parseDuration } from '../../schemas/duration.js';
import { compileIdempotency } from '../usage/idempotency.js';
import { compileArgumentLog } from './argument-log.js';
import { mapUpstreamResponse } from './map-result.js';
import { applyOutboundAuth, hmacKeyOf, type AuthStrategy } from './outbound-auth.js';
import { buildOutboundHeaders, IdentityHeaderError } from './outbound-headers.js';
import { createRedactor } from './redact.js';
import { compileResultMapping } from './result-mapping.js';
import { compileRequestTemplates, renderRequest } from './render-request.js';
import { sendWithRetry, type AttemptWrapper, type RetryDeps } from './retry.js';
import { inSpan, outboundTraceHeaders } from '../observability/tracing.js';
import { findReservedArgument } from './template-values.js';
import { toolError, type ToolResult } from './tool-errors.js';
import type { CallerIdentity, CompiledTool, CompileTool, CompileToolContext, ExecuteOptions, ExecuteTrace, McpToolDefinition } from './types.js';
import { DEPRECATION_META_KEY, deprecationNote } from './deprecation.js';

/** Config durations (`10s`, `500ms`) in milliseconds; re-exported for the runtime's settings. */
export { parseDuration } from '../../schemas/duration.js';

/** Upper bound on a tool's deadline, so a misconfigured `timeout: 30d` cannot pin sockets for days (Node timers cap at 2^31-1 ms). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Test hooks on top of the CompileTool context (jitter source); not part of the runtime contract. */
export interface CompileToolTestHooks {
  random?: () => number;
}

/**
 * Compiles a tool once at bundle load: MCP definition, validators, templates, timeout and size cap. Throws only
 * for a tool that `tengine validate` would have refused (a programmer error); `execute` never throws.
 * is_enabled, require_member and scopes are the MCP layer's to check before it calls `execute`.
 */
export function compileTool(tool: Tool, projectId: string, ctx: CompileToolContext & CompileToolTestHooks): CompiledTool {
  const input = ctx.schemas.compile(tool.input_schema as Record<string, unknown>);
  const output = tool.output_schema ? ctx.schemas.compile(tool.output_schema as Record<string, unknown>) : undefined;
  const templates = compileRequestTemplates(tool);
  const origin = new URL(tool.base_url).origin;
  const timeoutMs = Math.min(MAX_TIMEOUT_MS, tool.timeout ? parseDuration(tool.timeout) : ctx.settings.defaultTimeoutMs);
  const maxResponseBytes = tool.max_response_bytes ?? ctx.settings.defaultMaxResponseBytes;
  const result = tool.result ? compileResultMapping(tool.result) : undefined;
  // The token is signed once per call and reused by retries, so it must outlive the whole deadline.
  const identityTtlS = Math.max(IDENTITY_TOKEN_TTL_S, Math.ceil(timeoutMs / 1000) + 5);
  const strategy: AuthStrategy = tool.auth_strategy ?? 'none';
  const secretProblem = checkSecret(strategy, ctx.secret);
  const redact = createRedactor(strategy === 'none' ? undefined : ctx.secret);
  const hmacKey = strategy === 'hmac_signature' && !secretProblem && ctx.secret !== undefined ? hmacKeyOf(ctx.secret) : undefined;
  const policy = { maxAttempts: tool.retry?.max_attempts ?? 2, nonIdempotent: tool.retry?.non_idempotent ?? false };
  // Looked up once here, not per call: the breaker, budget and cap of the origin, shared with its other tools.
  const guard = ctx.upstreams.forOrigin(origin, projectId);
  const retryDeps: RetryDeps = { now: () => ctx.now(), ...(ctx.random ? { random: ctx.random } : {}) };
  const idempotency = compileIdempotency(tool, ctx.projectIdempotency, timeoutMs);

  async function run(args: unknown, caller: CallerIdentity, opts: ExecuteOptions | undefined, requestId: string): Promise<ToolResult> {
    const startedAt = ctx.now();
    // MCP makes `arguments` optional: a client calling a tool without arguments sends none.
    const a = args === undefined ? {} : args;
    if (!isPlainObject(a)) return toolError('INVALID_ARGUMENTS', { request_id: requestId, detail: 'the arguments must be a JSON object', errors: [{ path: '', message: 'must be object' }] });
    const reserved = findReservedArgument(a);
    if (reserved) return toolError('RESERVED_ARGUMENT', { request_id: requestId, detail: `"${reserved}" is filled from the caller's identity` });
    const valid = input(a);
    if (!valid.ok && valid.tooComplex) return toolError('ARGUMENTS_TOO_COMPLEX', { request_id: requestId, detail: 'checking these arguments against the input_schema would take more work than their size allows; send smaller or flatter arguments' });
    if (!valid.ok) return toolError('INVALID_ARGUMENTS', { request_id: requestId, errors: valid.errors });
    if (secretProblem) return toolError('AUTH_SECRET_UNAVAILABLE', { request_id: requestId, detail: secretProblem });

    const rendered = renderRequest(templates, a, caller);
    if (!rendered.ok) {
      // A value the request needs is absent (input_schema's `required` normally catches it first).
      if (rendered.missing !== undefined) return toolError('INVALID_ARGUMENTS', { request_id: requestId, errors: [{ path: rendered.missing, message: rendered.detail }] });
      return toolError('ARGUMENT_NOT_RENDERABLE', { request_id: requestId, detail: rendered.detail });
    }
    let headers: Record<string, string>;
    const timestamp = Math.floor(startedAt / 1000);
    try {
      headers = buildOutboundHeaders({ caller, inject: tool.inject_member_identity, requestId, timestamp, hasBody: rendered.body !== undefined, templateHeaders: rendered.headers });
    } catch (e) {
      if (e instanceof IdentityHeaderError) return toolError('INTERNAL_ERROR', { request_id: requestId, detail: e.message });
      throw e;
    }
    if (tool.identity_token) {
      if (!ctx.signIdentity) return toolError('INTERNAL_ERROR', { request_id: requestId, detail: 'identity tokens need the runtime signing key' });
      headers['X-Tengine-Identity'] = ctx.signIdentity(identityClaims(caller, projectId, tool.name, requestId, timestamp, identityTtlS));
    }
    applyOutboundAuth(strategy, ctx.secret, headers, { timestamp, requestId, method: tool.http_method, pathAndQuery: rendered.pathAndQuery, body: rendered.body }, tool.signature_version, hmacKey);

    const sentAt = opts?.report ? performance.now() : 0;
    const { response, attempts, retrySkipped } = await sendWithRetry(
      ctx.http,
      guard,
      { origin, addressPolicy: ctx.addressPolicy, partition: projectId, method: tool.http_method, pathAndQuery: rendered.pathAndQuery, headers, body: rendered.body, maxResponseBytes, ...(opts?.signal ? { signal: opts.signal } : {}) },
      timeoutMs,
      policy,
      retryDeps,
      opts?.traceContext ? traceAttempts(opts.traceContext, tool.name, tool.http_method, origin) : undefined,
      opts?.progress,
    );
    if (opts?.report) {
      opts.report.upstream_ms = Math.round((performance.now() - sentAt) * 10) / 10;
      if (response.ok) {
        opts.report.upstream_status = response.status;
        opts.report.upstream_bytes = response.body.byteLength;
      }
    }
    return mapUpstreamResponse(response, { requestId, timeoutMs, attempts, redact, now: ctx.now(), maxResponseBytes, ...(output ? { output } : {}), ...(result ? { result } : {}), ...(retrySkipped ? { retrySkipped } : {}) });
  }

  return {
    name: tool.name,
    projectId,
    enabled: tool.is_enabled ?? true,
    requireMember: tool.require_member ?? false,
    scopes: Object.freeze([...(tool.scopes ?? [])]),
    definition: definitionOf(tool),
    ...(idempotency ? { idempotency } : {}),
    ...(tool.log_arguments ? { logArguments: compileArgumentLog(tool.log_arguments.redact) } : {}),
    async execute(args, caller, opts) {
      let requestId = '';
      try {
        requestId = opts?.requestId ?? ctx.newRequestId();
        return await run(args, caller, opts, requestId);
      } catch {
        // The message of an unexpected error may hold anything (a header value, a secret); the code is enough.
        return toolError('INTERNAL_ERROR', requestId ? { request_id: requestId } : {});
      }
    },
  };
}

compileTool satisfies CompileTool;

/**
 * Each attempt as a client span (when an OpenTelemetry SDK runs) and with the trace headers of the caller's trace,
 * so the upstream's own traces join the client's.
 */
function traceAttempts(t: ExecuteTrace, toolName: string, method: string, origin: string): AttemptWrapper {
  return (attempt, send) =>
    inSpan(t.parent !== undefined, `upstream ${toolName}`, 'client', t.parent, { 'http.request.method': method, 'server.address': origin, 'tengine.attempt': attempt }, async (span) => {
      const res = await send(outboundTraceHeaders(t.incoming, span));
      if (span) span.setAttribute(res.ok ? 'http.response.status_code' : 'tengine.failure', res.ok ? res.status : res.reason);
      return res;
    });
}

/** The tool as `tools/list` shows it: only what the model needs, nothing about the upstream. */
function definitionOf(tool: Tool): McpToolDefinition {
  const def: McpToolDefinition = { name: tool.name, description: tool.description, inputSchema: tool.input_schema as Record<string, unknown> };
  const title = tool.title ?? tool.annotations?.title;
  if (title !== undefined) def.title = title;
  if (tool.output_schema) def.outputSchema = tool.output_schema as Record<string, unknown>;
  if (tool.annotations && Object.keys(tool.annotations).length > 0) def.annotations = { ...tool.annotations };
  // Model-visible lifecycle (issue 13): the sunset is said where the model reads, and carried in _meta for clients.
  if (tool.deprecated) {
    def.description = `${deprecationNote(tool.deprecated)}\n\n${tool.description}`;
    def._meta = { [DEPRECATION_META_KEY]: { ...tool.deprecated } };
  }
  return def;
}

/** Minimum lifetime of `X-Tengine-Identity` tokens: long enough for one call with retries, short enough to be useless later. */
export const IDENTITY_TOKEN_TTL_S = 60;

/** Claims of the upstream identity token: who is calling which tool, bound to this request id. */
function identityClaims(caller: CallerIdentity, projectId: string, toolName: string, requestId: string, iat: number, ttlS: number): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    aud: `tengine:upstream:${projectId}`,
    // Member ids never start with `integration:` (refused at the exchange), so the two forms cannot collide.
    sub: caller.member ? caller.member.id : `integration:${caller.integrationId}`,
    project_id: projectId,
    integration_id: caller.integrationId,
    tool: toolName,
    jti: requestId,
    iat,
    exp: iat + ttlS,
  };
  if (caller.member) {
    claims.member_id = caller.member.id;
    if (caller.member.email !== undefined) claims.member_email = caller.member.email;
    if (caller.member.roles !== undefined) claims.member_roles = caller.member.roles;
  }
  return claims;
}

/** Why the secret cannot be used (checked once, reported per call), or undefined when it is fine. */
function checkSecret(strategy: AuthStrategy, secret: string | undefined): string | undefined {
  if (strategy === 'none') return undefined;
  if (secret === undefined || secret === '') return 'the upstream secret is not available to the runtime';
  // A bearer with CR/LF would be header injection; Node would refuse it per call, so refuse it up front.
  if (strategy === 'static_bearer' && !/^[\x21-\x7e\x80-\xff]([\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?$/.test(secret)) return 'the upstream secret cannot be sent in a header';
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
