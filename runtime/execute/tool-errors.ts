import type { ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/**
 * The tool-execution error vocabulary: every failure a model can see, with its stable machine code, the HTTP-like
 * status and the human text of the compatible catalogue. Codes are stable; never rename, only add.
 */
export const TOOL_ERRORS = {
  TOOL_NOT_ENABLED: { status: 403, text: 'Tool not enabled for this project' },
  MEMBER_REQUIRED: { status: 403, text: 'Member context required' },
  INSUFFICIENT_SCOPE: { status: 403, text: 'Tool requires scopes' },
  INVALID_ARGUMENTS: { status: 400, text: 'Invalid tool arguments' },
  RESERVED_ARGUMENT: { status: 400, text: 'Reserved variable cannot be provided as user input' },
  /** Checking the arguments against input_schema would take more work than the runtime spends on one call (a recursive schema reaching one value many ways, a costly pattern over a long string). */
  ARGUMENTS_TOO_COMPLEX: { status: 400, text: 'Tool arguments too complex to validate' },
  ARGUMENT_NOT_RENDERABLE: { status: 400, text: 'Tool arguments cannot be used in the request' },
  AUTH_SECRET_UNAVAILABLE: { status: 500, text: 'Failed to decrypt auth secret' },
  UPSTREAM_HTTP_ERROR: { status: 502, text: 'Upstream tool call failed' },
  UPSTREAM_REDIRECT: { status: 502, text: 'Upstream tool call failed' },
  UPSTREAM_RESPONSE_TOO_LARGE: { status: 502, text: 'Upstream tool call failed' },
  UPSTREAM_OUTPUT_INVALID: { status: 502, text: 'Upstream tool call failed' },
  /** The tool's `result` mapping cannot be applied: the body is not JSON, `result.pointer` names nothing, a link field is not a URL. */
  UPSTREAM_RESULT_UNMAPPABLE: { status: 502, text: 'Upstream tool call failed' },
  /** A `format: mcp` upstream answered something that is not valid MCP content (checked against the spec's content-block schema). */
  UPSTREAM_CONTENT_INVALID: { status: 502, text: 'Upstream tool call failed' },
  /** A `format: mcp` upstream answered its own tool error (`isError: true`); its content blocks are passed on. */
  UPSTREAM_TOOL_ERROR: { status: 502, text: 'Upstream tool call failed' },
  UPSTREAM_UNREACHABLE: { status: 500, text: 'Tool execution failed' },
  UPSTREAM_TIMEOUT: { status: 500, text: 'Tool execution timed out' },
  USAGE_LIMIT_EXCEEDED: { status: 429, text: 'Usage limit exceeded' },
  /** A calendar quota (`usage_limits` with `quota`) is used up until its window ends. */
  USAGE_QUOTA_EXCEEDED: { status: 429, text: 'Usage quota exceeded' },
  /** The usage limits could not be checked: the store is overloaded, or down under `on_store_unavailable: fail_closed`. */
  USAGE_CHECK_UNAVAILABLE: { status: 503, text: 'Usage limit could not be checked' },
  /** The origin's circuit breaker is open after repeated failures: the call was not sent. */
  UPSTREAM_CIRCUIT_OPEN: { status: 503, text: 'Upstream temporarily unavailable' },
  /** The origin's concurrency cap and wait queue are full: the call was not sent. */
  UPSTREAM_OVERLOADED: { status: 503, text: 'Upstream temporarily unavailable' },
  /** The upstream host resolved to an address the project may not call (loopback, link-local, metadata, private). */
  UPSTREAM_ADDRESS_BLOCKED: { status: 500, text: 'Tool execution failed' },
  /** An idempotency key of the client came back with other arguments than its first use: refused, never served the old result. */
  IDEMPOTENCY_KEY_REUSED: { status: 422, text: 'Idempotency key reused with different arguments' },
  /** The store of idempotent results cannot be read while the client asked for at-most-once (its own key), or an identical call outlived its claim. */
  IDEMPOTENCY_UNAVAILABLE: { status: 503, text: 'Idempotent retry could not be guaranteed' },
  INTERNAL_ERROR: { status: 500, text: 'Tool execution failed' },
  /** The MCP client went away (its abort signal fired) before the upstream answered; 499 as in "client closed request". */
  CANCELLED: { status: 499, text: 'Tool call cancelled' },
} as const;

/** A stable tool-execution error code. */
export type ToolErrorCode = keyof typeof TOOL_ERRORS;

/** The `_meta` key under which error results carry their machine-readable details. */
export const ERROR_META_KEY = 'tengine.dev/error';

/**
 * One content block of a result (text, image, audio, resource_link, resource: the SDK's ContentBlock), typed loosely
 * enough that readers of text results can read `text` without narrowing first.
 */
export type ToolContent = ContentBlock | { type: 'text'; text: string; [k: string]: unknown };

/** An MCP `CallToolResult`, as this runtime produces it. */
export interface ToolResult {
  content: ({ type: string; text?: string; [k: string]: unknown } & ToolContent)[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Details attached to an error result. */
export interface ToolErrorDetails {
  /** One sentence a model or operator can act on; never a secret, never a stack trace. */
  detail?: string;
  upstream_status?: number;
  request_id?: string;
  retry_after_seconds?: number;
  /** The failure is returned as is: a retry was due but the origin's retry budget, breaker or cap did not allow it. */
  retry_skipped?: 'retry_budget' | 'circuit_open' | 'overloaded';
  /** USAGE_LIMIT_EXCEEDED / USAGE_QUOTA_EXCEEDED: the limit that refused the call. */
  limit?: Readonly<import('../usage/compile-limits.js').LimitMeta>;
  /** INSUFFICIENT_SCOPE: the scopes the tool needs that the grant lacks. */
  missing_scopes?: string[];
  /** Argument validation problems: JSON pointer and message. */
  errors?: { path: string; message: string }[];
}

/**
 * Builds an `isError` tool result. The code and status live in `_meta["tengine.dev/error"]` and in the text;
 * not in `structuredContent`, which clients validate against the tool's output schema even for errors.
 */
export function toolError(code: ToolErrorCode, details: ToolErrorDetails = {}): ToolResult {
  const def = TOOL_ERRORS[code];
  // The model reads only the text, so argument problems are spelled out there (first few), not just in _meta.
  const problems = details.errors?.length
    ? `: ${details.errors.slice(0, 5).map((e) => `${e.path || '(arguments)'} ${e.message}`).join('; ')}${details.errors.length > 5 ? '; …' : ''}`
    : '';
  const text = `${def.text}${details.detail ? `: ${details.detail}` : ''}${problems} [${code}, status ${def.status}${details.upstream_status ? `, upstream HTTP ${details.upstream_status}` : ''}]`;
  return {
    content: [{ type: 'text', text }],
    isError: true,
    _meta: { [ERROR_META_KEY]: { code, status: def.status, message: def.text, ...details } },
  };
}
