import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** How the runtime authenticates to the upstream (`auth_strategy`). */
export type AuthStrategy = 'none' | 'static_bearer' | 'hmac_signature';

/** The signature scheme of `hmac_signature` (`signature_version`): tng3 signs identity headers, tng2 does not. */
export type SignatureVersion = 'tng3' | 'tng2';

/** The header that carries the HMAC signature. */
export const SIGNATURE_HEADER = 'X-Tengine-Signature';

/**
 * The headers tng3 signs, in the order their lines appear (docs/outbound.md §4.2): every header an upstream may act
 * on as "who is calling" (project, integration, member, identity token), and Content-Type, which decides how the
 * signed body bytes are read. Host is left out on purpose: proxies and load balancers rewrite it.
 */
export const TNG3_SIGNED_HEADERS = [
  'x-tengine-project-id',
  'x-tengine-integration-id',
  'x-tengine-member-id',
  'x-tengine-member-email',
  'x-tengine-member-roles',
  'x-tengine-identity',
  'content-type',
] as const;

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

/** Hex SHA-256 of no bytes: the body hash of every GET and DELETE, computed once. */
const EMPTY_BODY_SHA256 = createHash('sha256').digest('hex');

/**
 * The first line of both schemes: `<version> <timestamp> <request_id> <METHOD> <path_and_query> <hex sha256(body)>`,
 * single spaces. None of the fields can contain a space (the path is percent-encoded, the id is a UUID), so the
 * line parses back unambiguously and a field cannot be shifted into its neighbour.
 */
function requestLine(version: SignatureVersion, p: SignedParts): string {
  const bodyHash = p.body === undefined || p.body.byteLength === 0 ? EMPTY_BODY_SHA256 : createHash('sha256').update(p.body).digest('hex');
  return `${version} ${p.timestamp} ${p.requestId} ${p.method.toUpperCase()} ${p.pathAndQuery} ${bodyHash}`;
}

/**
 * One `name:value` line per signed header that is sent, after a LF. A header that is not sent has no line, so
 * "absent" differs from every value, the empty one included. The value is the field value a receiver sees (RFC
 * 9110 §5.5 strips surrounding spaces and tabs); no header value can hold CR or LF, so lines cannot be forged.
 */
function signedHeaderLines(headers: Readonly<Record<string, string>>): string {
  const byName = new Map<string, string>();
  for (const name of Object.keys(headers)) byName.set(name.toLowerCase(), headers[name]!);
  let lines = '';
  for (const name of TNG3_SIGNED_HEADERS) {
    const value = byName.get(name);
    if (value !== undefined) lines += `\n${name}:${value.replace(/^[ \t]+|[ \t]+$/g, '')}`;
  }
  return lines;
}

/** How each scheme builds its canonical string from the request and the headers being sent. */
const CANONICAL = {
  tng2: (p) => requestLine('tng2', p),
  tng3: (p, headers) => requestLine('tng3', p) + signedHeaderLines(headers),
} satisfies Record<SignatureVersion, (p: SignedParts, headers: Readonly<Record<string, string>>) => string>;

/**
 * The canonical string the signature is computed over. Header values are strings of one character per wire byte
 * (member values are UTF-8 bytes written that way, see outbound-headers.ts), so the string's characters are the
 * bytes the upstream receives; tng2 is all ASCII.
 */
export function canonicalString(version: SignatureVersion, parts: SignedParts, headers: Readonly<Record<string, string>>): string {
  return CANONICAL[version](parts, headers);
}

/**
 * The `X-Tengine-Signature` value: `<version>=` + lower-case hex HMAC-SHA256 of the canonical string, keyed with
 * the secret's UTF-8 bytes. tng3 hashes the string's characters as bytes (latin1), which are the wire bytes of
 * the headers; tng2 keeps its documented UTF-8, the same bytes for its ASCII line.
 */
export function signatureValue(version: SignatureVersion, secret: string | KeyObject, canonical: string): string {
  const mac = createHmac('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret)
    .update(canonical, version === 'tng3' ? 'latin1' : 'utf8')
    .digest('hex');
  return `${version}=${mac}`;
}

/**
 * Adds the credential of the tool's strategy to the outbound headers (after the runtime's own and the identity
 * token, so the signature covers them as sent, and a template can never replace the credential). Signing happens
 * once per execution: retries resend the same bytes, so the same signature is valid for each attempt and an
 * upstream de-duplicating on the request id sees identical requests.
 */
export function applyOutboundAuth(
  strategy: AuthStrategy,
  secret: string | undefined,
  headers: Record<string, string>,
  parts: SignedParts,
  version: SignatureVersion = 'tng3',
  hmacKey?: KeyObject,
): void {
  if (strategy === 'none') return;
  if (secret === undefined) throw new Error('applyOutboundAuth: no secret for ' + strategy);
  if (strategy === 'static_bearer') {
    setHeader(headers, 'Authorization', `Bearer ${secret}`);
  } else {
    setHeader(headers, SIGNATURE_HEADER, signatureValue(version, hmacKey ?? secret, canonicalString(version, parts, headers)));
  }
}

/** The HMAC key of a secret, made once per compiled tool rather than from the secret's bytes on every call. */
export function hmacKeyOf(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

function setHeader(headers: Record<string, string>, name: string, value: string): void {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
  headers[name] = value;
}
