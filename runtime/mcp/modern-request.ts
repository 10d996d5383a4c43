import { ALL_PROTOCOL_VERSIONS, isModernVersion, RPC, rpcError, type RpcId } from './protocol.js';

/**
 * The checks a request of a modern protocol version (2026-07-28: no `initialize`, every request self-describing)
 * passes before dispatch: the request-metadata headers against the body (Streamable HTTP §Server Validation) and
 * the per-request `_meta` fields (basic/index §_meta). Legacy requests (no `MCP-Protocol-Version`, or 2025-03-26
 * through 2025-11-25) never come here, so their path costs one string comparison more than before.
 */

/** `_meta` key of the request's protocol version. */
export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
/** `_meta` key of the client's capabilities for this request. */
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
/** `_meta` key of the server's identity on every modern result. */
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

/** What a modern request declared about itself, for dispatch. */
export interface ModernContext {
  version: string;
  /** The client's capabilities for this request (nothing served today needs one; kept for the first that will). */
  clientCapabilities: Record<string, unknown>;
  /** The request's headers, for the `Mcp-Param-*` checks of tools/call. */
  header: (name: string) => string | undefined;
}

/** The outcome: serve the request (with its modern context, absent for a message dispatch answers on its own), or refuse it. */
export type ModernCheck = { ok: true; modern?: ModernContext } | { ok: false; status: number; body: string; code: string };

/** Methods whose `Mcp-Name` header mirrors `params.name` (or `params.uri` for resources/read). */
const NAMED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** RFC 9110 §5.5 field-value characters once optional whitespace is trimmed: visible ASCII, space and tab. */
const PLAIN_HEADER_VALUE = /^[\x20-\x7e\t]*$/;
/** The Base64 sentinel of `Mcp-Name` and `Mcp-Param-*` values (Streamable HTTP §Value Encoding); markers case-sensitive. */
const BASE64_SENTINEL = /^=\?base64\?(.*)\?=$/s;
const BASE64_BODY = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks a request whose `MCP-Protocol-Version` header is not a legacy version: an unknown version is refused with
 * the supported list (or as a header mismatch when the body names another version); a modern one must carry
 * `Mcp-Method` (and `Mcp-Name` where the method has a name) matching the body, and `_meta` with its protocol
 * version (equal to the header) and client capabilities.
 */
export function checkModernRequest(message: unknown, version: string, header: (name: string) => string | undefined): ModernCheck {
  const msg = typeof message === 'object' && message !== null && !Array.isArray(message) ? (message as Record<string, unknown>) : undefined;
  const id = msg !== undefined && (typeof msg.id === 'string' || (typeof msg.id === 'number' && Number.isFinite(msg.id))) ? (msg.id as RpcId) : null;
  const params = msg !== undefined && typeof msg.params === 'object' && msg.params !== null && !Array.isArray(msg.params) ? (msg.params as Record<string, unknown>) : undefined;
  const meta = params !== undefined && typeof params._meta === 'object' && params._meta !== null && !Array.isArray(params._meta) ? (params._meta as Record<string, unknown>) : undefined;
  const metaVersion = meta?.[META_PROTOCOL_VERSION];

  if (!isModernVersion(version)) {
    // A body naming another version than the header is a mismatch first (the client contradicts itself); only a
    // consistent request for an unknown version gets the list to choose from (versioning §Protocol Version Negotiation).
    if (typeof metaVersion === 'string' && metaVersion !== version) return mismatch(id, `MCP-Protocol-Version header "${clip(version)}" does not match _meta ${META_PROTOCOL_VERSION} "${clip(metaVersion)}"`);
    return {
      ok: false,
      status: 400,
      code: 'UNSUPPORTED_PROTOCOL_VERSION',
      body: rpcError(id, { code: RPC.UnsupportedProtocolVersion, message: 'Unsupported protocol version', data: { code: 'UNSUPPORTED_PROTOCOL_VERSION', supported: [...ALL_PROTOCOL_VERSIONS], requested: clip(version) } }),
    };
  }
  // Malformed JSON-RPC gets dispatch's answer, and notifications have no header rules in this revision (§Sending Messages).
  if (msg === undefined || typeof msg.method !== 'string' || !('id' in msg)) return { ok: true };

  const method = header('mcp-method')?.trim();
  if (method === undefined) return mismatch(id, 'missing required header Mcp-Method');
  if (method !== msg.method) return mismatch(id, `Mcp-Method header "${clip(method)}" does not match the body's method "${clip(msg.method)}"`);
  if (NAMED_METHODS.has(msg.method)) {
    const source = msg.method === 'resources/read' ? params?.uri : params?.name;
    // Without a name in the body dispatch answers the invalid params; there is nothing for the header to match.
    if (typeof source === 'string') {
      const raw = header('mcp-name')?.trim();
      if (raw === undefined) return mismatch(id, 'missing required header Mcp-Name');
      const name = decodeHeaderValue(raw);
      if (name === undefined) return mismatch(id, 'Mcp-Name header holds invalid characters or invalid Base64');
      if (name !== source) return mismatch(id, `Mcp-Name header "${clip(name)}" does not match the body's ${msg.method === 'resources/read' ? 'params.uri' : 'params.name'} "${clip(source)}"`);
    }
  }

  // A request missing a required per-request field is malformed: -32602 and, on HTTP, 400 (basic/index §_meta).
  if (meta === undefined) return invalidMeta(id, `params._meta is required at protocol version ${version} (with ${META_PROTOCOL_VERSION} and ${META_CLIENT_CAPABILITIES})`);
  if (typeof metaVersion !== 'string') return invalidMeta(id, `params._meta["${META_PROTOCOL_VERSION}"] must be the request's protocol version`);
  const caps = meta[META_CLIENT_CAPABILITIES];
  if (typeof caps !== 'object' || caps === null || Array.isArray(caps)) return invalidMeta(id, `params._meta["${META_CLIENT_CAPABILITIES}"] must be an object (empty when the client has none)`);
  if (metaVersion !== version) return mismatch(id, `MCP-Protocol-Version header "${version}" does not match _meta ${META_PROTOCOL_VERSION} "${clip(metaVersion)}"`);
  return { ok: true, modern: { version, clientCapabilities: caps as Record<string, unknown>, header } };
}

/**
 * A mirrored header value as the body would hold it: plain ASCII as is, a `=?base64?…?=` value decoded (strict
 * alphabet and padding, valid UTF-8); undefined when it is neither.
 */
export function decodeHeaderValue(value: string): string | undefined {
  if (!PLAIN_HEADER_VALUE.test(value)) return undefined;
  const sentinel = BASE64_SENTINEL.exec(value);
  if (!sentinel) return value;
  const body = sentinel[1]!;
  if (!BASE64_BODY.test(body)) return undefined;
  try {
    return UTF8.decode(Buffer.from(body, 'base64'));
  } catch {
    return undefined;
  }
}

function mismatch(id: RpcId | null, detail: string): ModernCheck {
  return { ok: false, status: 400, code: 'HEADER_MISMATCH', body: rpcError(id, { code: RPC.HeaderMismatch, message: `Header mismatch: ${detail}`, data: { code: 'HEADER_MISMATCH' } }) };
}

function invalidMeta(id: RpcId | null, detail: string): ModernCheck {
  return { ok: false, status: 400, code: 'INVALID_REQUEST_META', body: rpcError(id, { code: RPC.InvalidParams, message: `Invalid params: ${detail}`, data: { code: 'INVALID_REQUEST_META' } }) };
}

/** Client-chosen text echoed in an error, bounded. */
function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}

/** One `x-mcp-header` parameter of a tool: where its value is in the arguments, and its header. */
interface ParamHeader {
  path: readonly string[];
  header: string;
}
const paramHeadersOf = new WeakMap<object, readonly ParamHeader[]>();

/** The `x-mcp-header` parameters of an input schema: properties reachable through `properties` keys only (found once per schema). */
function paramHeaders(schema: Record<string, unknown>): readonly ParamHeader[] {
  let found = paramHeadersOf.get(schema);
  if (found === undefined) {
    const list: ParamHeader[] = [];
    const walk = (node: unknown, path: string[], depth: number) => {
      const props = typeof node === 'object' && node !== null ? (node as { properties?: unknown }).properties : undefined;
      if (typeof props !== 'object' || props === null || depth > 32) return;
      for (const [key, sub] of Object.entries(props)) {
        const name = typeof sub === 'object' && sub !== null ? (sub as Record<string, unknown>)['x-mcp-header'] : undefined;
        if (typeof name === 'string') list.push({ path: [...path, key], header: `mcp-param-${name.toLowerCase()}` });
        walk(sub, [...path, key], depth + 1);
      }
    };
    walk(schema, [], 0);
    found = list;
    paramHeadersOf.set(schema, found);
  }
  return found;
}

/**
 * Checks the `Mcp-Param-{Name}` headers of a 2026-07-28 tools/call against the arguments (Streamable HTTP §Server
 * Behavior for Custom Headers): a value present in the body needs its header, decoded equal to it (integers compared
 * numerically); an absent or null value needs none. Returns the HeaderMismatch answer, or undefined. Tools whose
 * schema has no `x-mcp-header` cost one WeakMap lookup.
 */
export function checkParamHeaders(id: RpcId, inputSchema: Record<string, unknown>, args: unknown, header: (name: string) => string | undefined): ModernCheck | undefined {
  const params = paramHeaders(inputSchema);
  for (const p of params) {
    let value: unknown = args;
    for (const k of p.path) value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[k] : undefined;
    if (value === undefined || value === null) continue;
    const raw = header(p.header)?.trim();
    const shown = `Mcp-Param-${p.header.slice('mcp-param-'.length)}`;
    if (raw === undefined) return mismatch(id, `missing header ${shown} for the argument ${p.path.join('.')}`);
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) return mismatch(id, `${shown} holds invalid characters or invalid Base64`);
    const equal = typeof value === 'number' ? decoded.trim() !== '' && Number(decoded) === value : typeof value === 'boolean' ? decoded === String(value) : decoded === value;
    if (!equal) return mismatch(id, `${shown} does not match the argument ${p.path.join('.')}`);
  }
  return undefined;
}
