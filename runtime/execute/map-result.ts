import { parseRetryAfter } from './retry.js';
import type { SchemaValidator } from './schema-compiler.js';
import { toolError, type ToolErrorDetails, type ToolResult } from './tool-errors.js';
import type { UpstreamResponse } from './types.js';

/** How much of an upstream error body is shown as `detail`. */
export const ERROR_DETAIL_BYTES = 1024;

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
  redact: (text: string) => string;
  /** Wall clock in ms, for `Retry-After` dates. */
  now: number;
}

/**
 * Turns an upstream response into the MCP result: JSON becomes `structuredContent` (objects as they are, other
 * values as `{"result": value}`, since MCP structured content is an object) plus its text; other text becomes a
 * text block; binary is described, not dumped. Failures become error results with a stable code.
 */
export function mapUpstreamResponse(res: UpstreamResponse, opts: MapResultOptions): ToolResult {
  const base: ToolErrorDetails = { request_id: opts.requestId };
  const after = opts.attempts > 1 ? ` (after ${opts.attempts} attempts)` : '';
  if (!res.ok) {
    switch (res.reason) {
      case 'timeout':
        return toolError('UPSTREAM_TIMEOUT', { ...base, detail: `no complete response within the tool timeout of ${opts.timeoutMs} ms${after}` });
      case 'too_large':
        return toolError('UPSTREAM_RESPONSE_TOO_LARGE', { ...base, detail: res.detail });
      case 'aborted':
        return toolError('CANCELLED', { ...base, detail: res.detail });
      case 'unreachable':
        return toolError('UPSTREAM_UNREACHABLE', { ...base, detail: `${res.detail}${after}` });
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
    const text = body.length === 0 ? '' : isText(media, body) ? clean(opts.redact(decode(body.subarray(0, ERROR_DETAIL_BYTES), media.charset).replace(/\uFFFD+$/, ''))) : describeBinary(body.length, media.type);
    if (text) details.detail = text;
    if (retryAfter !== undefined) details.retry_after_seconds = Math.ceil(retryAfter / 1000);
    return toolError('UPSTREAM_HTTP_ERROR', details);
  }
  if (media.json && body.length > 0) {
    let value: unknown;
    let parsed = false;
    const text = opts.redact(decode(body, media.charset));
    try {
      value = JSON.parse(text);
      parsed = true;
    } catch {
      // Not JSON despite the content type: shown as text, unless an output schema promises structured content.
    }
    if (parsed) {
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
  if (!isText(media, body)) return { content: [{ type: 'text', text: describeBinary(body.length, media.type || 'application/octet-stream') }] };
  return { content: [{ type: 'text', text: opts.redact(decode(body, media.charset)) }] };
}

/** Replaces the secret (and its JSON-escaped form) with `[REDACTED]`; a no-op for secrets under 8 characters. */
export function createRedactor(secret: string | undefined): (text: string) => string {
  // A very short secret would match ordinary text everywhere; such a secret is weak anyway.
  if (secret === undefined || secret.length < 8) return (t) => t;
  const forms = [...new Set([secret, JSON.stringify(secret).slice(1, -1)])];
  return (text) => forms.reduce((t, f) => (t.includes(f) ? t.split(f).join('[REDACTED]') : t), text);
}

interface Media {
  type: string;
  charset: string | undefined;
  json: boolean;
}

function mediaType(value: string | undefined): Media {
  const [type = '', ...params] = (value ?? '').split(';');
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

function decode(body: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
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
