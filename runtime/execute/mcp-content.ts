import { CallToolResultSchema, type ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/** An upstream's own MCP result after checking: its content blocks and, when it sent them, structured content and isError. */
export type UpstreamMcpResult =
  | { ok: true; content: ContentBlock[]; structuredContent?: Record<string, unknown>; isError?: boolean }
  | { ok: false; errors: { path: string; message: string }[] };

/**
 * Checks what a `format: mcp` upstream answered against the MCP SDK's own schema of a tool result (the spec's
 * content blocks: text, image, audio, resource_link, resource): a `content` array, or an object with `content`
 * and optionally `structuredContent` and `isError`. Unknown members are dropped (the SDK schema strips them), so
 * nothing the spec does not define reaches the client.
 */
export function checkMcpResult(value: unknown): UpstreamMcpResult {
  const shaped = Array.isArray(value) ? { content: value } : value;
  if (shaped === null || typeof shaped !== 'object' || !Array.isArray((shaped as { content?: unknown }).content)) {
    return { ok: false, errors: [{ path: '', message: 'must be a content array or an object with a content array' }] };
  }
  const parsed = CallToolResultSchema.safeParse(shaped);
  if (!parsed.success) {
    const errors = parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''), message: i.message.slice(0, 200) }));
    return { ok: false, errors };
  }
  const r = parsed.data;
  return {
    ok: true,
    content: r.content,
    ...(r.structuredContent !== undefined ? { structuredContent: r.structuredContent } : {}),
    ...(r.isError === true ? { isError: true } : {}),
  };
}
