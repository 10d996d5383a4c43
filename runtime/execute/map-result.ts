import { binaryResult } from './binary-content.js';
import { redactJson, redactText, type Redactor } from './redact.js';
import { applyResultMapping, type CompiledResultMapping } from './result-mapping.js';
import { parseRetryAfter, type RetrySkip } from './retry.js';
import type { SchemaValidator } from './schema-compiler.js';
import { toolError, type ToolErrorDetails, type ToolResult } from './tool-errors.js';
import type { UpstreamResponse } from './types.js';

/** How much of an upstream error body is shown as `detail`. */
export const ERROR_DETAIL_BYTES = 1024;
/** How much of a non-JSON error body is decoded and masked before the detail is cut to ERROR_DETAIL_BYTES. */
const ERROR_TEXT_WINDOW = 64 * 1024;

/** What mapping one response needs besides the response. */
export interface MapResultOptions {
  requestId: string;
  /** The tool's overall timeout, named in the timeout error. */
  timeoutMs: number;
  /** How many attempts were made (named in failures after retries). */
  attempts: number;
  /** The compiled `output_schema`, when the tool declares one. */
  output?: SchemaValidator;
  /** Masks the upstream secret in any text an upstream echoes back. */
  redact: Redactor;
  /** Wall clock in ms, for `Retry-After` dates. */
  now: number;
  /** Why a due retry was not made (the failure is then returned as is). */
  retrySkipped?: RetrySkip;
  /** The tool's `result` mapping, when it declares one. */
  result?: CompiledResultMapping;
  /** The tool's response cap: a binary result's base64 must fit in it (binary-content.ts). */
  maxResponseBytes: number;
}

/**
 * Turns an upstream response into the MCP result (docs/http-api.md#results-by-content-type): JSON becomes
 * `structuredContent` (objects as they are, other values as `{"result": value}`, since MCP structured content is an
 * object) plus its text, or goes through the tool's `result` mapping; `image/*` and `audio/*` become image and
 * audio blocks; other text a text block; other binary an embedded resource. Failures become error results with a
 * stable code.
 */
export function mapUpstreamResponse(res: UpstreamResponse, opts: MapResultOptions): ToolResult {
  const base: ToolErrorDetails = opts.retrySkipped ? { request_id: opts.requestId, retry_skipped: opts.retrySkipped } : { request_id: opts.requestId };
  const after = opts.attempts > 1 ? ` (after ${opts.attempts} attempts)` : '';
  if (!res.ok) {
    switch (res.reason) {
      case 'circuit_open':
        return toolError('UPSTREAM_CIRCUIT_OPEN', { ...base, detail: res.detail, retry_after_seconds: Math.max(1, Math.ceil(res.retryAfterMs / 1000)) });
      case 'overloaded':
        return toolError('UPSTREAM_OVERLOADED', { ...base, detail: res.detail, retry_after_seconds: Math.max(1, Math.ceil(res.retryAfterMs / 1000)) });
      case 'timeout':
        return toolError('UPSTREAM_TIMEOUT', { ...base, detail: `no complete response within the tool timeout of ${opts.timeoutMs} ms${after}` });
      case 'too_large':
        return toolError('UPSTREAM_RESPONSE_TOO_LARGE', { ...base, detail: res.detail });
      case 'aborted':
        return toolError('CANCELLED', { ...base, detail: res.detail });
      case 'unreachable':
        return toolError('UPSTREAM_UNREACHABLE', { ...base, detail: `${res.detail}${after}` });
      case 'blocked':
        return toolError('UPSTREAM_ADDRESS_BLOCKED', { ...base, detail: res.detail });
    }
  }
  const body = Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength);
  const media = mediaType(header(res.headers['content-type']));
  if (res.status >= 300 && res.status < 400) {
    const location = header(res.headers.location);
    const to = location ? ` to ${clean(opts.redact(location)).slice(0, 200)}` : '';
    return toolError('UPSTREAM_REDIRECT', { ...base, upstream_status: res.status, detail: `the upstream redirected${to}; redirects are not followed, point base_url and endpoint_path at the final URL` });
  }
  if (res.status < 200 || res.status >= 300) {
    const retryAfter = parseRetryAfter(res.headers['retry-after'], opts.now);
    const details: ToolErrorDetails = { ...base, upstream_status: res.status };
    // Masked before it is cut to 1 KiB: a cut first could keep the first half of a secret that straddles the limit.
    // A JSON body is masked through its parse, so whole; other text only needs a window well past the cut.
    const shown = media.json && opts.redact.active ? body : body.subarray(0, ERROR_TEXT_WINDOW);
    const text = body.length === 0 ? '' : isText(media, body) ? cutUtf8(opts.redact(clean(redactText(decode(shown, media.charset), media.json, opts.redact))), ERROR_DETAIL_BYTES) : describeBinary(body.length, media.type);
    if (text) details.detail = text;
    if (retryAfter !== undefined) details.retry_after_seconds = Math.ceil(retryAfter / 1000);
    return toolError('UPSTREAM_HTTP_ERROR', details);
  }
  if (opts.result) {
    // A mapping reads JSON fields: any other body cannot be mapped, and showing it as is would break what the mapping promises.
    const parsed = media.json && body.length > 0 ? redactJson(decode(body, media.charset), opts.redact) : undefined;
    if (!parsed) {
      const what = body.length === 0 ? 'an empty body' : media.json ? 'a body that is not valid JSON' : `${media.type || 'an untyped body'}, not JSON`;
      return toolError('UPSTREAM_RESULT_UNMAPPABLE', { ...base, upstream_status: res.status, detail: `the tool's result mapping needs a JSON body; the upstream returned ${what}` });
    }
    return applyResultMapping(opts.result, parsed.value, { base, status: res.status, ...(opts.output ? { output: opts.output } : {}) });
  }
  if (media.json && body.length > 0) {
    // Not JSON despite the content type: shown as text below, unless an output schema promises structured content.
    const parsed = redactJson(decode(body, media.charset), opts.redact);
    if (parsed) {
      const { text, value } = parsed;
      const structured = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { result: value };
      if (opts.output) {
        const check = opts.output(structured);
        if (!check.ok) return toolError('UPSTREAM_OUTPUT_INVALID', { ...base, upstream_status: res.status, detail: 'the upstream result does not match the output_schema', errors: check.errors.slice(0, 10) });
      }
      // An object body is shown as the upstream sent it; re-serializing it would only cost CPU.
      return { content: [{ type: 'text', text: structured === value ? text : JSON.stringify(structured) }], structuredContent: structured };
    }
  }
  if (opts.output) {
    // MCP: a tool with an outputSchema must return structured content that conforms; a page of HTML cannot.
    const what = body.length === 0 ? 'an empty body' : media.json ? 'a body that is not valid JSON' : `${media.type || 'an untyped body'}, not JSON`;
    return toolError('UPSTREAM_OUTPUT_INVALID', { ...base, upstream_status: res.status, detail: `the upstream returned ${what}` });
  }
  if (body.length === 0) return { content: [{ type: 'text', text: `The upstream returned HTTP ${res.status} with an empty body.` }] };
  // Before the text check: `image/svg+xml` is text by its syntax but an image by what it is.
  if (media.type.startsWith('image/') || media.type.startsWith('audio/')) return binaryResult(body, media.type, opts.maxResponseBytes, base);
  if (!isText(media, body)) return binaryResult(body, media.type || 'application/octet-stream', opts.maxResponseBytes, base);
  return { content: [{ type: 'text', text: opts.redact(decode(body, media.charset)) }] };
}

/** At most `max` UTF-8 bytes of `text`, cut at a character boundary. */
function cutUtf8(text: string, max: number): string {
  if (text.length * 3 <= max) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  // A continuation byte (10xxxxxx) at the cut means a character would be split: drop all of it.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

interface Media {
  type: string;
  charset: string | undefined;
  json: boolean;
}

// Upstreams send a handful of distinct Content-Type values: each is parsed once (bounded, so a hostile upstream
// varying it only refills the cache).
const mediaTypes = new Map<string, Media>();

function mediaType(value: string | undefined): Media {
  const v = value ?? '';
  let media = mediaTypes.get(v);
  if (media === undefined) {
    media = parseMediaType(v);
    if (mediaTypes.size >= 256) mediaTypes.clear();
    mediaTypes.set(v, media);
  }
  return media;
}

function parseMediaType(value: string): Media {
  const [type = '', ...params] = value.split(';');
  const t = type.trim().toLowerCase();
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";]+)"?\s*$/i.exec(p)?.[1]).find((c) => c !== undefined);
  return { type: t, charset, json: t === 'application/json' || /^[a-z0-9.+-]+\/[a-z0-9.+-]+\+json$/.test(t) };
}

function isText(media: Media, body: Buffer): boolean {
  const t = media.type;
  if (media.json || t.startsWith('text/') || /^application\/(xml|javascript|x-www-form-urlencoded|x-ndjson|yaml|x-yaml|graphql)$/.test(t) || t.endsWith('+xml')) return true;
  if (t !== '') return false;
  // No content type: text if the bytes are valid UTF-8 without NUL, which binary formats almost always contain.
  if (body.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

// Decoding without `stream` keeps no state between calls, so one decoder serves every UTF-8 body.
const UTF8 = new TextDecoder('utf-8');

function decode(body: Uint8Array, charset: string | undefined): string {
  if (charset === undefined || /^utf-?8$/i.test(charset)) return UTF8.decode(body);
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return UTF8.decode(body);
  }
}

/** Control characters out (an upstream body could otherwise forge lines in logs or text the model reads). */
function clean(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

function describeBinary(bytes: number, type: string): string {
  return `binary response of ${bytes} bytes (${type || 'unknown type'})`;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
