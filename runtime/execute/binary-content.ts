import type { ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import { toolError, type ToolErrorDetails, type ToolResult } from './tool-errors.js';

/** URI scheme of embedded results: they are not fetchable, only named (the upstream URL could carry arguments). */
export const RESULT_URI_PREFIX = 'tengine://result/';

/**
 * The largest raw body whose base64 encoding fits in `maxBytes`: a binary result is sent as base64, 4 bytes for
 * every 3, and `max_response_bytes` promises the size of what the client receives, not of what the upstream sent.
 */
export function maxBinaryBytes(maxBytes: number): number {
  return Math.floor(maxBytes / 4) * 3;
}

/**
 * A binary upstream body as MCP content: `image/*` an image block, `audio/*` an audio block, anything else an
 * embedded resource named `tengine://result/<request id>` carrying the blob and its media type. A body whose base64
 * would exceed the tool's response cap is refused with UPSTREAM_RESPONSE_TOO_LARGE instead of growing past it.
 */
export function binaryResult(body: Buffer, mediaType: string, maxBytes: number, base: ToolErrorDetails): ToolResult {
  const limit = maxBinaryBytes(maxBytes);
  if (body.length > limit) {
    const encoded = Math.ceil(body.length / 3) * 4;
    return toolError('UPSTREAM_RESPONSE_TOO_LARGE', {
      ...base,
      detail: `the ${mediaType} body of ${body.length} bytes is ${encoded} bytes in base64, more than the limit of ${maxBytes} bytes (binary results up to ${limit} bytes fit)`,
    });
  }
  const data = body.toString('base64');
  const major = mediaType.slice(0, mediaType.indexOf('/'));
  let block: ContentBlock;
  if (major === 'image' || major === 'audio') block = { type: major, data, mimeType: mediaType };
  else block = { type: 'resource', resource: { uri: `${RESULT_URI_PREFIX}${encodeURIComponent(base.request_id ?? 'unknown')}`, mimeType: mediaType, blob: data } };
  return { content: [block] };
}
