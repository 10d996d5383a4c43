import { createHash, createHmac } from 'node:crypto';

/** How the runtime authenticates to the upstream (`auth_strategy`). */
export type AuthStrategy = 'none' | 'static_bearer' | 'hmac_signature';

/** The version token that starts the canonical line and prefixes the signature value. */
export const SIGNATURE_VERSION = 'tng2';

/** The header that carries the HMAC signature. */
export const SIGNATURE_HEADER = 'X-Tengine-Signature';

/** What an HMAC signature covers: the request exactly as it goes on the wire. */
export interface SignedParts {
  /** Unix seconds; the value of `X-Tengine-Timestamp`. */
  timestamp: number;
  /** The value of `X-Tengine-Request-Id`. */
  requestId: string;
  method: string;
  /** Path plus query exactly as sent (percent-encoding included, no normalization). */
  pathAndQuery: string;
  /** The body bytes, or undefined when no body is sent (hashed as the empty string). */
  body: Uint8Array | undefined;
}

/**
 * The canonical line: `tng2 <timestamp> <request_id> <METHOD> <path_and_query> <hex sha256(body)>`, single spaces,
 * no trailing newline. None of the fields can contain a space (the path is percent-encoded, the id is a UUID), so
 * the line parses back unambiguously and a field cannot be shifted into its neighbour.
 */
export function canonicalLine(p: SignedParts): string {
  const bodyHash = createHash('sha256')
    .update(p.body ?? new Uint8Array(0))
    .digest('hex');
  return `${SIGNATURE_VERSION} ${p.timestamp} ${p.requestId} ${p.method.toUpperCase()} ${p.pathAndQuery} ${bodyHash}`;
}

/** The `X-Tengine-Signature` value: `tng2=` + lower-case hex HMAC-SHA256 of the line, keyed with the secret's UTF-8 bytes. */
export function signatureValue(secret: string, line: string): string {
  return `${SIGNATURE_VERSION}=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(line, 'utf8').digest('hex')}`;
}

/**
 * Adds the credential of the tool's strategy to the outbound headers (after the runtime's own, so a template can
 * never replace it). Signing happens once per execution: retries resend the same bytes, so the same signature
 * is valid for each attempt and an upstream de-duplicating on the request id sees identical requests.
 */
export function applyOutboundAuth(strategy: AuthStrategy, secret: string | undefined, headers: Record<string, string>, parts: SignedParts): void {
  if (strategy === 'none') return;
  if (secret === undefined) throw new Error('applyOutboundAuth: no secret for ' + strategy);
  if (strategy === 'static_bearer') {
    setHeader(headers, 'Authorization', `Bearer ${secret}`);
  } else {
    setHeader(headers, SIGNATURE_HEADER, signatureValue(secret, canonicalLine(parts)));
  }
}

function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
  headers[name] = value;
}
