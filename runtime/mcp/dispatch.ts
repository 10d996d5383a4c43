import type { CallerIdentity, CompiledTool, ExecuteOptions, ExecuteTrace } from '../execute/types.js';
import { ERROR_META_KEY, toolError, type ToolResult } from '../execute/tool-errors.js';
import type { RuntimeModel, RuntimeProject } from '../load/runtime-model.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { isSupportedVersion, RPC, rpcError, rpcResult, SUPPORTED_PROTOCOL_VERSIONS, type RpcId } from './protocol.js';
import { checkParamHeaders, type ModernContext } from './modern-request.js';
import { addListCacheHints, completeList, completeToolResult, discoverResult, SERVER_INFO, SERVER_INSTRUCTIONS, SERVER_VERSION } from './modern-results.js';
import { WHOAMI_DEFINITION, WHOAMI_TOOL, whoami } from './whoami.js';
import type { Store } from '../store/store.js';
import { idempotentCall } from '../usage/idempotency.js';
import { chargeLimits } from '../usage/usage-limits.js';
import type { RequestTrace } from '../observability/request-trace.js';
import { UNKNOWN_LABEL } from '../observability/metrics.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import type { CancelSignal } from '../execute/cancel-signal.js';

export { SERVER_VERSION };
/** Deepest nesting accepted in tool arguments; deeper input is refused before validation or rendering. */
export const MAX_ARGUMENT_DEPTH = 64;

/** What dispatching one JSON-RPC message needs. */
export interface DispatchContext {
  model: RuntimeModel;
  caller: CallerIdentity;
  /** Shared counters for usage limits (absent: limits are not enforced, e.g. unit tests of other gates). */
  store?: Store;
  signal?: CancelSignal;
  /** The caller's W3C trace context (and span context, with an OpenTelemetry SDK), passed to the upstream call. */
  traceContext?: ExecuteTrace;
  log?: (entry: Record<string, unknown>) => void;
  /** The request's id (sent upstream, returned in tool errors) and audit record; absent in unit tests of dispatch. */
  trace?: RequestTrace;
  /** Usage records of tools/call (absent: records are off, or unit tests of other gates). */
  usage?: UsageRecorder;
  /** Set for a request of a modern protocol version (2026-07-28), checked by `checkModernRequest`; absent: legacy. */
  modern?: ModernContext;
  /** Progress of a tools/call whose client sent a progress token (progress-stream.ts); absent otherwise. */
  progress?: import('../execute/retry.js').RetryObserver;
}

/** An HTTP answer to one message: a JSON-RPC response body, or none (202) for notifications and responses. */
export interface DispatchOutcome {
  status: number;
  body?: string;
  /**
   * A tools/call refused for want of scopes by an OAuth caller: the scopes the tool needs that the grant lacks. The
   * HTTP layer adds an `insufficient_scope` challenge to the (200) tool error.
   */
  missingScopes?: string[];
}

/**
 * Handles one parsed JSON-RPC message for an authenticated caller. Stateless: every request carries all it needs,
 * so any instance can answer it. Never throws; unexpected failures become JSON-RPC internal errors.
 */
export async function dispatch(message: unknown, ctx: DispatchContext): Promise<DispatchOutcome> {
  if (Array.isArray(message)) {
    return { status: 400, body: rpcError(null, { code: RPC.InvalidRequest, message: 'Batch requests are not supported', data: { code: 'BATCH_NOT_SUPPORTED' } }) };
  }
  if (typeof message !== 'object' || message === null) return invalid(null, 'A JSON-RPC message must be an object');
  const msg = message as Record<string, unknown>;
  const id = msg.id;
  const validId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  if (msg.jsonrpc !== '2.0') return invalid(validId ? (id as RpcId) : null, 'jsonrpc must be "2.0"');
  if (typeof msg.method !== 'string') {
    // A response from the client (to a server request we never send) needs no answer.
    if ('result' in msg || 'error' in msg) return { status: 202 };
    return invalid(validId ? (id as RpcId) : null, 'method must be a string');
  }
  if (!('id' in msg)) return { status: 202 }; // notification: initialized, cancelled, ...
  if (!validId) return invalid(null, 'id must be a string or a number');
  const params = msg.params;
  // Client-chosen text: bounded in the audit line, never a metric label.
  if (ctx.trace) ctx.trace.fields.method = msg.method.slice(0, 64);
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    return ok(rpcError(id as RpcId, { code: RPC.InvalidParams, message: 'params must be an object', data: { code: 'INVALID_PARAMS' } }));
  }
  try {
    if (msg.method === 'tools/call') {
      if (ctx.modern) {
        const refused = paramHeaderRefusal(id as RpcId, (params ?? {}) as Record<string, unknown>, ctx);
        if (refused) return refused;
      }
      const result = await callTool((params ?? {}) as Record<string, unknown>, ctx);
      const missing = ctx.caller.kind === 'oauth' ? missingScopesOf(result) : undefined;
      const body = rpcResult(id as RpcId, ctx.modern ? completeToolResult(result, ctx.model) : result);
      return missing ? { status: 200, body, missingScopes: missing } : ok(body);
    }
    if (ctx.modern) return handleModern(msg.method, id as RpcId, (params ?? {}) as Record<string, unknown>, ctx);
    return ok(await handle(msg.method, id as RpcId, (params ?? {}) as Record<string, unknown>, ctx));
  } catch (e) {
    ctx.log?.({ level: 'error', event: 'dispatch_failed', method: msg.method, error: (e as Error)?.message });
    return ok(rpcError(id as RpcId, { code: RPC.InternalError, message: 'Internal error', data: { code: 'INTERNAL_ERROR' } }));
  }
}

/** 2026-07-28: the `Mcp-Param-*` headers of a tool whose schema mirrors arguments into headers (`x-mcp-header`). */
function paramHeaderRefusal(id: RpcId, params: Record<string, unknown>, ctx: DispatchContext): DispatchOutcome | undefined {
  const tool = typeof params.name === 'string' ? projectOf(ctx)?.tools.get(params.name) : undefined;
  if (!tool || !tool.enabled) return undefined;
  const refused = checkParamHeaders(id, tool.definition.inputSchema, params.arguments ?? {}, ctx.modern!.header);
  return refused && !refused.ok ? { status: refused.status, body: refused.body } : undefined;
}

function ok(body: string): DispatchOutcome {
  return { status: 200, body };
}

function invalid(id: RpcId | null, message: string): DispatchOutcome {
  return { status: 400, body: rpcError(id, { code: RPC.InvalidRequest, message, data: { code: 'INVALID_REQUEST' } }) };
}

/** The missing scopes of an INSUFFICIENT_SCOPE result, else undefined. */
function missingScopesOf(result: ToolResult): string[] | undefined {
  if (result.isError !== true) return undefined;
  const meta = result._meta?.[ERROR_META_KEY] as { code?: string; missing_scopes?: string[] } | undefined;
  return meta?.code === 'INSUFFICIENT_SCOPE' ? meta.missing_scopes : undefined;
}

async function handle(method: string, id: RpcId, params: Record<string, unknown>, ctx: DispatchContext): Promise<string> {
  switch (method) {
    case 'tools/list':
      return listTools(id, params, ctx);
    case 'initialize':
      return initialize(id, params);
    case 'ping':
      return rpcResult(id, {});
    default:
      return methodNotFound(id, method);
  }
}

/**
 * The methods of 2026-07-28. `initialize` and `ping` are gone from it, and an unknown method is answered 404 with
 * -32601 (Streamable HTTP §Protocol Version Header), which tells a modern client apart from a legacy HTTP+SSE server.
 */
function handleModern(method: string, id: RpcId, params: Record<string, unknown>, ctx: DispatchContext): DispatchOutcome {
  switch (method) {
    case 'server/discover':
      return ok(rpcResult(id, discoverResult(ctx.model)));
    case 'tools/list':
      return ok(listTools(id, params, ctx));
    default:
      return { status: 404, body: methodNotFound(id, method) };
  }
}

function methodNotFound(id: RpcId, method: string): string {
  return rpcError(id, { code: RPC.MethodNotFound, message: `Method not found: ${method.slice(0, 100)}`, data: { code: 'METHOD_NOT_FOUND' } });
}

function initialize(id: RpcId, params: Record<string, unknown>): string {
  const requested = params.protocolVersion;
  const version = typeof requested === 'string' && isSupportedVersion(requested) ? requested : SUPPORTED_PROTOCOL_VERSIONS[0];
  return rpcResult(id, {
    protocolVersion: version,
    capabilities: { tools: { listChanged: false } },
    serverInfo: SERVER_INFO,
    instructions: SERVER_INSTRUCTIONS,
  });
}

function projectOf(ctx: DispatchContext): RuntimeProject | undefined {
  return ctx.model.projects.get(ctx.caller.projectId);
}

function listTools(id: RpcId, params: Record<string, unknown>, ctx: DispatchContext): string {
  let offset = 0;
  if (params.cursor !== undefined) {
    const decoded = decodeCursor(params.cursor);
    if (decoded === undefined) return rpcError(id, { code: RPC.InvalidParams, message: 'Invalid cursor', data: { code: 'INVALID_CURSOR' } });
    offset = decoded;
  }
  const project = projectOf(ctx);
  const all = [WHOAMI_DEFINITION, ...visibleTools(project, ctx.caller)];
  const size = ctx.model.http.pageSize;
  const page = all.slice(offset, offset + size);
  const result: Record<string, unknown> = { tools: page };
  if (offset + size < all.length) result.nextCursor = encodeCursor(offset + size);
  addListCacheHints(result);
  if (ctx.modern) completeList(result, ctx.model);
  return rpcResult(id, result);
}

function visibleTools(project: RuntimeProject | undefined, caller: CallerIdentity) {
  if (!project) return [];
  if (caller.scopes === undefined) return project.listed;
  const granted = new Set(caller.scopes);
  return project.listed.filter((t) => (project.tools.get(t.name)?.scopes ?? []).every((s) => granted.has(s)));
}

async function callTool(params: Record<string, unknown>, ctx: DispatchContext): Promise<ToolResult> {
  const result = await callToolUnaudited(params, ctx);
  const trace = ctx.trace;
  if (trace) {
    const meta = result.isError ? (result._meta?.[ERROR_META_KEY] as { code?: string; upstream_status?: number } | undefined) : undefined;
    trace.fields.code = meta?.code ?? 'OK';
    if (meta?.upstream_status !== undefined) trace.fields.upstream_status ??= meta.upstream_status;
    // Refusals before execution (unknown tool, missing member, limits) carry the request id too.
    if (meta && (meta as Record<string, unknown>).request_id === undefined) (meta as Record<string, unknown>).request_id = trace.id;
  }
  // Usage records (docs/usage.md): tools of the caller's project only (refusals included), so a name the client
  // made up never becomes a row; mcp_whoami is not a tool of the bundle.
  const usage = ctx.usage;
  if (usage !== undefined && typeof params.name === 'string' && projectOf(ctx)?.tools.has(params.name)) {
    const caller = ctx.caller;
    const code = result.isError ? ((result._meta?.[ERROR_META_KEY] as { code?: string } | undefined)?.code ?? 'INTERNAL_ERROR') : 'OK';
    const f = trace?.fields;
    usage.record(caller.projectId, caller.integrationId, caller.member?.id, params.name, code, f?.upstream_ms, trace?.bytesIn ?? 0, f?.upstream_bytes ?? 0);
  }
  return result;
}

async function callToolUnaudited(params: Record<string, unknown>, ctx: DispatchContext): Promise<ToolResult> {
  const name = params.name;
  const trace = ctx.trace;
  if (typeof name !== 'string' || name.length === 0) return toolError('INVALID_ARGUMENTS', { detail: 'params.name must be a tool name' });
  const args = params.arguments ?? {};
  const tool = name === WHOAMI_TOOL ? undefined : projectOf(ctx)?.tools.get(name);
  if (trace) {
    // The audit line names what the client asked for (bounded); the metric label only tools of the bundle.
    trace.fields.tool = name.slice(0, 128);
    trace.toolLabel = name === WHOAMI_TOOL || tool ? name : UNKNOWN_LABEL;
  }
  if (name === WHOAMI_TOOL) return whoami(ctx.caller, ctx.model.bundleDigest);
  // An unknown name and another project's tool get the same answer, so tool names of other projects never leak.
  if (!tool || !tool.enabled) return toolError('TOOL_NOT_ENABLED', { detail: `"${name.slice(0, 64)}" is not an enabled tool of this project` });
  if (tool.requireMember && !ctx.caller.member) return toolError('MEMBER_REQUIRED', { detail: 'this tool needs a member session token (tng_mst_...)' });
  if (ctx.caller.scopes !== undefined) {
    const missing = tool.scopes.filter((s) => !ctx.caller.scopes!.includes(s));
    if (missing.length > 0) {
      // Only scopes the integration may grant are worth a new sign-in; for the others the answer is final.
      const grantable = ctx.caller.ceiling !== undefined && missing.every((s) => ctx.caller.ceiling!.includes(s));
      const advice = grantable ? `not granted to this connection: sign in again and grant ${missing.length > 1 ? 'them' : 'it'}` : `not within this integration's scopes, so no sign-in can grant ${missing.length > 1 ? 'them' : 'it'}`;
      return toolError('INSUFFICIENT_SCOPE', { detail: `${missing.join(', ')} (${advice})`, ...(grantable ? { missing_scopes: missing } : {}) });
    }
  }
  if (exceedsDepth(args, MAX_ARGUMENT_DEPTH)) {
    return toolError('INVALID_ARGUMENTS', { detail: `arguments nest deeper than ${MAX_ARGUMENT_DEPTH} levels` });
  }
  // Opted in by the tool's config (log_arguments): masked and bounded, and only for calls that reach this point.
  if (trace && tool.logArguments) Object.assign(trace.fields, tool.logArguments(args));
  // Idempotent tools only: every other call takes the plain path, with nothing hashed or looked up.
  if (tool.idempotency && ctx.store) return idempotentCall(tool, args, params._meta, { ...ctx, store: ctx.store }, () => chargeAndExecute(tool, args, ctx));
  return chargeAndExecute(tool, args, ctx);
}

/** Charges the call against the limits that apply and, when admitted, executes it upstream. */
async function chargeAndExecute(tool: CompiledTool, args: unknown, ctx: DispatchContext): Promise<ToolResult> {
  const trace = ctx.trace;
  if (tool.limits !== undefined && ctx.store) {
    const refused = await chargeLimits(tool.limits, ctx.caller, ctx.store, ctx.log);
    if (refused !== undefined) return refused;
  }
  // Built field by field: spreading optional parts allocated a temporary object per part on every call.
  const opts: ExecuteOptions = { signal: ctx.signal };
  if (trace) {
    opts.requestId = trace.id;
    opts.report = trace.fields;
  }
  if (ctx.traceContext) opts.traceContext = ctx.traceContext;
  if (ctx.progress) opts.progress = ctx.progress;
  return tool.execute(args, ctx.caller, opts);
}

/** Iterative depth check, so hostile nesting cannot exhaust the stack. */
function exceedsDepth(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return false;
}
