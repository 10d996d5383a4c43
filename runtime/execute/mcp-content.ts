import { createRequire } from 'node:module';
import type { CallToolResultSchema as ResultSchema, ContentBlock } from '@modelcontextprotocol/sdk/types.js';

let resultSchema: typeof ResultSchema | undefined;

/**
 * Loads the MCP SDK's tool result schema (the SDK's types and zod: a fifth of a runtime boot) the first time a
 * `format: mcp` mapping is compiled, at bundle load; bundles without one never load it. Synchronous, through the
 * SDK's CommonJS build, so compiling stays synchronous and no call waits for it.
 */
export function loadMcpResultSchema(): void {
  resultSchema ??= (createRequire(import.meta.url)('@modelcontextprotocol/sdk/types.js') as { CallToolResultSchema: typeof ResultSchema }).CallToolResultSchema;
}

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
  loadMcpResultSchema();
  const parsed = resultSchema!.safeParse(shaped);
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
