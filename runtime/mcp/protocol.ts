/**
 * Legacy protocol versions (negotiated by `initialize`), newest first; a requested one is echoed, otherwise the newest
 * is offered. 2026-07-28 is not among them: that revision has no `initialize` (versioning §Backward Compatibility: an
 * `initialize` selects legacy semantics), so a client asking for it there gets 2025-11-25.
 */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
/**
 * Modern protocol versions (per-request `_meta`, no `initialize`): 2026-07-28, and `DRAFT-2026-v1`, the marker its
 * release candidate carried, which the conformance prerelease and the SDK 2.x prereleases still send.
 */
export const MODERN_PROTOCOL_VERSIONS = ['2026-07-28', 'DRAFT-2026-v1'] as const;
/** Every version served, as `server/discover` and UnsupportedProtocolVersionError list them (the draft marker last). */
export const ALL_PROTOCOL_VERSIONS: readonly string[] = [MODERN_PROTOCOL_VERSIONS[0], ...SUPPORTED_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS[1]];
/** Version assumed when a request carries no `MCP-Protocol-Version` header (spec: 2025-06-18 §Transports). */
export const DEFAULT_PROTOCOL_VERSION = '2025-03-26';

/**
 * JSON-RPC error codes used on the MCP surface. The first five are JSON-RPC 2.0's own (§5.1), equal to the SDK's
 * ErrorCode (protocol.test.ts checks it); written out so that serving does not load the SDK and zod.
 */
export const RPC = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  // 2026-07-28 (basic/index §Error Codes: the -32020..-32099 range is the specification's). The SDK of this
  // generation (1.32) knows none of them, and its -32001 (RequestTimeout) is what an earlier draft used for HeaderMismatch.
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;

/** A JSON-RPC id. */
export type RpcId = string | number;

/** A JSON-RPC error object; `data.code` carries Tengine's stable machine code. */
export interface RpcError {
  code: number;
  message: string;
  data?: { code: string; [k: string]: unknown };
}

/** Serializes a JSON-RPC success response. */
export function rpcResult(id: RpcId, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(result)}}`;
}

/** Serializes a JSON-RPC error response (id null when the request's id could not be read). */
export function rpcError(id: RpcId | null, error: RpcError): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error });
}

/** True when `v` is a legacy (initialize-negotiated) protocol version this server speaks. */
export function isSupportedVersion(v: string): boolean {
  return (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(v);
}

/** True when `v` is a modern (per-request `_meta`) protocol version this server speaks. */
export function isModernVersion(v: string): boolean {
  return v === MODERN_PROTOCOL_VERSIONS[0] || v === MODERN_PROTOCOL_VERSIONS[1];
}
