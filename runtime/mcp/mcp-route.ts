import type { Context } from 'hono';
import { authenticate } from '../auth/authenticate.js';
import type { RuntimeModel } from '../load/runtime-model.js';
import { dispatch } from './dispatch.js';
import { isSupportedVersion, RPC, rpcError } from './protocol.js';

/** What the MCP endpoint needs from the app. */
export interface McpRouteDeps {
  model: RuntimeModel;
  /** Absolute URL of the protected-resource metadata, for `WWW-Authenticate`. */
  resourceMetadataUrl: string;
  /** Origins allowed besides those configured: the runtime's own public origin. */
  selfOrigin?: string;
  log?: (entry: Record<string, unknown>) => void;
}

const JSON_TYPE = 'application/json';

/** Builds the POST handler of `/mcp` (Streamable HTTP, stateless: no `Mcp-Session-Id` is issued or required). */
export function mcpPostHandler(deps: McpRouteDeps) {
  const allowed = new Set([...deps.model.http.allowedOrigins, ...(deps.selfOrigin ? [deps.selfOrigin] : [])]);
  const challenge = (error?: string) =>
    `Bearer resource_metadata="${deps.resourceMetadataUrl}"${error ? `, error="${error}"` : ''}`;

  return async (c: Context) => {
    // DNS-rebinding defence (MCP transport spec): a browser Origin must be one we trust.
    const origin = c.req.header('origin');
    if (origin !== undefined && !allowed.has(origin)) {
      return reply(c, 403, rpcError(null, { code: RPC.InvalidRequest, message: 'Origin not allowed', data: { code: 'ORIGIN_NOT_ALLOWED' } }));
    }
    const version = c.req.header('mcp-protocol-version');
    if (version !== undefined && !isSupportedVersion(version)) {
      return reply(c, 400, rpcError(null, { code: RPC.InvalidRequest, message: `Unsupported MCP-Protocol-Version: ${version.slice(0, 40)}`, data: { code: 'UNSUPPORTED_PROTOCOL_VERSION' } }));
    }
    const accept = c.req.header('accept');
    const wantsJson = accept === undefined || accept.includes(JSON_TYPE) || accept.includes('*/*') || accept.includes('application/*');
    const wantsSse = accept !== undefined && accept.includes('text/event-stream');
    if (!wantsJson && !wantsSse) {
      return reply(c, 406, rpcError(null, { code: RPC.InvalidRequest, message: 'Accept must allow application/json or text/event-stream', data: { code: 'NOT_ACCEPTABLE' } }));
    }
    const contentType = c.req.header('content-type');
    if (contentType !== undefined && !contentType.toLowerCase().startsWith(JSON_TYPE)) {
      return reply(c, 415, rpcError(null, { code: RPC.InvalidRequest, message: 'Content-Type must be application/json', data: { code: 'UNSUPPORTED_MEDIA_TYPE' } }));
    }

    const auth = authenticate(c.req.header('authorization'), deps.model);
    if (!auth.ok) {
      c.header('WWW-Authenticate', challenge(auth.reason === 'invalid' ? 'invalid_token' : undefined));
      return reply(c, 401, rpcError(null, { code: RPC.InvalidRequest, message: auth.message, data: { code: auth.reason === 'invalid' ? 'INVALID_TOKEN' : 'MISSING_TOKEN' } }));
    }

    let message: unknown;
    try {
      message = JSON.parse(await c.req.text());
    } catch {
      return reply(c, 400, rpcError(null, { code: RPC.ParseError, message: 'Parse error: the body is not valid JSON', data: { code: 'PARSE_ERROR' } }));
    }
    const outcome = await dispatch(message, { model: deps.model, caller: auth.caller, signal: c.req.raw.signal, log: deps.log });
    if (outcome.body === undefined) return c.body(null, 202);
    if (!wantsJson) {
      // Client accepts only SSE: one `message` event carrying the response, then the stream ends.
      return c.body(`event: message\ndata: ${outcome.body}\n\n`, outcome.status as 200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    }
    return reply(c, outcome.status, outcome.body);
  };
}

function reply(c: Context, status: number, body: string) {
  return c.body(body, status as 200, { 'Content-Type': JSON_TYPE });
}
