import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

/** Protocol versions this server speaks, newest first; a requested one is echoed, otherwise the newest is offered. */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
/** Version assumed when a request carries no `MCP-Protocol-Version` header (spec: 2025-06-18 §Transports). */
export const DEFAULT_PROTOCOL_VERSION = '2025-03-26';

/** JSON-RPC error codes used on the MCP surface (from the SDK's ErrorCode). */
export const RPC = {
  ParseError: ErrorCode.ParseError,
  InvalidRequest: ErrorCode.InvalidRequest,
  MethodNotFound: ErrorCode.MethodNotFound,
  InvalidParams: ErrorCode.InvalidParams,
  InternalError: ErrorCode.InternalError,
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

/** True when `v` is a supported protocol version string. */
export function isSupportedVersion(v: string): boolean {
  return (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(v);
}
