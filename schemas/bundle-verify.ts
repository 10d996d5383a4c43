import { verify as cryptoVerify } from 'node:crypto';
import { canonicalJson, canonicalMembers } from './canonical-json.js';
import { tengineValidator, BUNDLE_SCHEMA_ID } from './ajv.js';
import type { BundlePayload } from './config-types.js';
import {
  BUNDLE_ENVELOPE_MEMBERS,
  BUNDLE_HEADER_MEMBERS,
  BUNDLE_JWS_TYPE,
  SUPPORTED_BUNDLE_FORMAT_VERSIONS,
  bundleAlgForKey,
  computeConfigDigest,
  decodeBase64UrlStrict,
  sha256Hex,
} from './bundle-format.js';
import type { TrustedKey } from './bundle-keys.js';

export { loadTrustedKeys, TrustedKeyError, type TrustedKey } from './bundle-keys.js';

/** Why a bundle was refused. Codes are stable: never rename, only add. */
export type BundleErrorCode =
  | 'BUNDLE_MALFORMED'
  | 'BUNDLE_NOT_CANONICAL'
  | 'BUNDLE_KEY_UNKNOWN'
  | 'BUNDLE_ALG_MISMATCH'
  | 'BUNDLE_SIGNATURE_INVALID'
  | 'BUNDLE_FORMAT_UNSUPPORTED'
  | 'BUNDLE_PAYLOAD_INVALID'
  | 'BUNDLE_DIGEST_MISMATCH';

/** The one-line fix for each bundle error code (also the table in docs/bundle.md). */
export const BUNDLE_ERROR_HINTS: Readonly<Record<BundleErrorCode, string>> = {
  BUNDLE_MALFORMED: 'the file is not a Tengine bundle or was damaged; rebuild it with `tengine build` and copy it unchanged (binary-safe)',
  BUNDLE_NOT_CANONICAL: 'the file was edited or re-formatted after signing; rebuild it with `tengine build` instead of editing it',
  BUNDLE_KEY_UNKNOWN: 'configure the public key matching the signing key (bundle-signing.pub.pem), or a JWKS holding it during a rotation',
  BUNDLE_ALG_MISMATCH: 'the header names a different algorithm than the trusted key allows; rebuild the bundle with the matching signing key',
  BUNDLE_SIGNATURE_INVALID: 'the bundle was modified after signing or signed by another key with the same id; rebuild it with `tengine build`',
  BUNDLE_FORMAT_UNSUPPORTED: 'upgrade the runtime to a version that reads this bundle format, or build the bundle with a matching tengine CLI',
  BUNDLE_PAYLOAD_INVALID: 'run `tengine validate` on the config and rebuild the bundle with the same tengine version as the runtime',
  BUNDLE_DIGEST_MISMATCH: 'the config and its config_digest disagree; rebuild the bundle with `tengine build`',
};

/** A verified bundle: its payload, the key that signed it and the SHA-256 of the payload bytes. */
export interface BundleVerified {
  ok: true;
  /** The payload; schema defaults are applied in place (a no-op for bundles `tengine build` wrote). */
  payload: BundlePayload;
  kid: string;
  alg: TrustedKey['alg'];
  /** Lower-case hex SHA-256 of the signed payload bytes: the "bundle digest" the runtime reports. */
  digest: string;
}

/** A refused bundle: a stable code, what is wrong, and how to fix it. */
export interface BundleRejected {
  ok: false;
  code: BundleErrorCode;
  message: string;
  hint: string;
}

/** The outcome of `verifyBundle`. */
export type BundleVerifyResult = BundleVerified | BundleRejected;

/**
 * Verifies a bundle file against the trusted keys. Strict on purpose: the file must be the one canonical
 * serialization of its content, so any changed byte fails with a code, and nothing unauthenticated is parsed
 * past the header. Never throws for bad input.
 */
export async function verifyBundle(bytes: Uint8Array, trusted: readonly TrustedKey[]): Promise<BundleVerifyResult> {
  try {
    return await verify(bytes, trusted);
  } catch (e) {
    // Every check below returns; reaching here means a library refused odd input, which is still a bad bundle.
    return reject('BUNDLE_MALFORMED', `the bundle could not be read: ${(e as Error)?.message ?? String(e)}`);
  }
}

async function verify(bytes: Uint8Array, trusted: readonly TrustedKey[]): Promise<BundleVerifyResult> {
  const text = decodeUtf8(bytes);
  if (text === undefined) return reject('BUNDLE_MALFORMED', 'the file is not valid UTF-8');
  const envelope = parseJson(text);
  if (envelope === undefined) return reject('BUNDLE_MALFORMED', 'the file is not a JSON document');
  if (!isObject(envelope) || !hasExactly(envelope, BUNDLE_ENVELOPE_MEMBERS)) {
    return reject('BUNDLE_MALFORMED', 'the file must be a JSON object with exactly the members "payload", "protected" and "signature"');
  }
  const { payload: payloadB64, protected: headerB64, signature } = envelope;
  if (typeof payloadB64 !== 'string' || typeof headerB64 !== 'string' || typeof signature !== 'string') {
    return reject('BUNDLE_MALFORMED', 'the members "payload", "protected" and "signature" must be strings');
  }
  // Compared as text: fatal UTF-8 decoding is one-to-one, so equal text means equal bytes, without encoding the
  // megabytes of the file again.
  if (!isCanonicalEnvelope(text, envelope, payloadB64, headerB64, signature)) {
    return reject('BUNDLE_NOT_CANONICAL', 'the file is not the canonical JSON of its content followed by one newline');
  }
  const payloadBytes = decodeBase64UrlStrict(payloadB64);
  const headerBytes = decodeBase64UrlStrict(headerB64);
  const signatureBytes = decodeBase64UrlStrict(signature);
  if (!payloadBytes || !headerBytes || !signatureBytes || signatureBytes.length === 0) {
    return reject('BUNDLE_MALFORMED', '"payload", "protected" and "signature" must be unpadded base64url');
  }

  const header = decodeCanonicalJson(headerBytes);
  if (header.error === 'malformed' || !isObject(header.value)) return reject('BUNDLE_MALFORMED', 'the protected header is not a JSON object');
  if (header.error === 'not-canonical') return reject('BUNDLE_NOT_CANONICAL', 'the protected header is not canonical JSON');
  const h = header.value;
  if (!hasExactly(h, BUNDLE_HEADER_MEMBERS) || typeof h.alg !== 'string' || typeof h.kid !== 'string' || h.typ !== BUNDLE_JWS_TYPE) {
    return reject('BUNDLE_MALFORMED', `the protected header must be exactly {"alg","kid","typ":"${BUNDLE_JWS_TYPE}"}`);
  }
  const key = trusted.find((k) => k.kid === h.kid);
  if (!key) {
    const known = trusted.map((k) => k.kid).join(', ') || 'none';
    return reject('BUNDLE_KEY_UNKNOWN', `the bundle was signed by key ${h.kid}, which is not trusted (trusted: ${known})`);
  }
  // The algorithm is pinned by the trusted key, never chosen by the bundle (RFC 8725 §3.1).
  if (h.alg !== key.alg) return reject('BUNDLE_ALG_MISMATCH', `the header says alg ${JSON.stringify(h.alg)} but key ${key.kid} is for ${key.alg}`);
  if (!signatureValid(headerB64, payloadB64, signatureBytes, key)) {
    return reject('BUNDLE_SIGNATURE_INVALID', `the signature does not verify with key ${key.kid}`);
  }

  const payload = decodeCanonicalJson(payloadBytes);
  if (payload.error === 'malformed') return reject('BUNDLE_MALFORMED', 'the payload is not UTF-8 JSON');
  if (payload.error === 'not-canonical') return reject('BUNDLE_NOT_CANONICAL', 'the payload is not canonical JSON');
  const p = payload.value;
  if (!isObject(p)) return reject('BUNDLE_PAYLOAD_INVALID', 'the payload must be a JSON object');
  // Checked before the schema so an old runtime says "upgrade me" rather than listing unknown fields.
  if (typeof p.format_version !== 'number' || !SUPPORTED_BUNDLE_FORMAT_VERSIONS.includes(p.format_version)) {
    const found = p.format_version === undefined ? 'no format_version' : `format_version ${canonicalJson(p.format_version)}`;
    return reject('BUNDLE_FORMAT_UNSUPPORTED', `the bundle has ${found}; this version reads ${SUPPORTED_BUNDLE_FORMAT_VERSIONS.join(', ')}`);
  }
  // Taken before validation, which fills schema defaults into the object in place; the config's canonical text is
  // the one just checked inside the payload's, so it is hashed, not serialized again.
  const configText = payload.members?.get('config');
  const digestOfConfig = configText !== undefined ? `sha256:${sha256Hex(configText)}` : 'config' in p ? computeConfigDigest(p.config) : undefined;
  const validate = tengineValidator(BUNDLE_SCHEMA_ID);
  if (!validate(p)) {
    const first = validate.errors?.[0];
    const where = first?.instancePath || '/';
    return reject('BUNDLE_PAYLOAD_INVALID', `the payload fails bundle.schema.json at ${where}: ${first?.message ?? 'invalid'}`);
  }
  const typed = p as unknown as BundlePayload;
  if (typed.config_digest !== digestOfConfig) {
    return reject('BUNDLE_DIGEST_MISMATCH', `config_digest is ${typed.config_digest} but the config hashes to ${digestOfConfig ?? 'nothing'}`);
  }
  return { ok: true, payload: typed, kid: key.kid, alg: key.alg, digest: sha256Hex(payloadBytes) };
}

const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

/**
 * Whether the file text is `canonicalJson(envelope)` and one newline. When the three members are base64url text (as
 * in every bundle `tengine build` writes), that serialization is known without writing it: each member quoted as is,
 * in sorted order; so the text is compared piece by piece instead of against a second copy of the megabytes.
 */
function isCanonicalEnvelope(text: string, envelope: Record<string, unknown>, payload: string, header: string, signature: string): boolean {
  if (!BASE64URL_TEXT.test(payload) || !BASE64URL_TEXT.test(header) || !BASE64URL_TEXT.test(signature)) return text === `${canonicalJson(envelope)}\n`;
  const p = '{"payload":"'.length;
  const h = p + payload.length + '","protected":"'.length;
  const s = h + header.length + '","signature":"'.length;
  return (
    text.length === s + signature.length + '"}\n'.length &&
    text.startsWith('{"payload":"') &&
    text.startsWith(payload, p) &&
    text.startsWith('","protected":"', p + payload.length) &&
    text.startsWith(header, h) &&
    text.startsWith('","signature":"', h + header.length) &&
    text.startsWith(signature, s) &&
    text.endsWith('"}\n')
  );
}

/** The digest node:crypto's verify() takes per bundle algorithm (EdDSA hashes internally). */
const VERIFY_DIGEST = { EdDSA: null, ES256: 'sha256', ES384: 'sha384' } as const;
/** The length of a JWS ECDSA signature, r || s (RFC 7518 §3.4); EdDSA signatures are 64 bytes (RFC 8037 §3.1). */
const SIGNATURE_BYTES = { EdDSA: 64, ES256: 64, ES384: 96 } as const;

/**
 * The JWS check (RFC 7515 §5.2) done with node:crypto: the signing input is the file's own `protected` and `payload`
 * text joined by ".", exactly the bytes the signer signed and the payload bytes parsed after it, so nothing is
 * decoded or serialized again to check it (jose did both, a fifth of the bundle check for a large bundle). The
 * algorithm is the trusted key's, never the header's, and the key must be of that algorithm's type.
 */
function signatureValid(headerB64: string, payloadB64: string, signature: Uint8Array, key: TrustedKey): boolean {
  if (bundleAlgForKey(key.key) !== key.alg || signature.length !== SIGNATURE_BYTES[key.alg]) return false;
  // Both parts are base64url (checked by decodeBase64UrlStrict), so latin1 is their exact ASCII bytes.
  const input = Buffer.allocUnsafe(headerB64.length + 1 + payloadB64.length);
  input.write(headerB64, 0, 'latin1');
  input[headerB64.length] = 0x2e; // "."
  input.write(payloadB64, headerB64.length + 1, 'latin1');
  try {
    return cryptoVerify(VERIFY_DIGEST[key.alg], input, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

function reject(code: BundleErrorCode, message: string): BundleRejected {
  return { ok: false, code, message, hint: BUNDLE_ERROR_HINTS[code] };
}

type Decoded = { error: 'malformed'; value?: undefined; members?: undefined } | { error: 'not-canonical'; value: unknown; members?: undefined } | { error?: undefined; value: unknown; members?: Map<string, string> };

/** Parses canonical JSON bytes; for an object, the canonical text of each member comes along. */
function decodeCanonicalJson(bytes: Uint8Array): Decoded {
  const text = decodeUtf8(bytes);
  if (text === undefined) return { error: 'malformed' };
  const value = parseJson(text);
  if (value === undefined) return { error: 'malformed' };
  // Compared as text, which for fatally decoded UTF-8 is the same as comparing the bytes.
  if (isObject(value)) {
    const canonical = canonicalMembers(value);
    return canonical.text === text ? { value, members: canonical.members } : { error: 'not-canonical', value };
  }
  return canonicalJson(value) === text ? { value } : { error: 'not-canonical', value };
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    // ignoreBOM keeps a byte-order mark in the text, so it fails the byte comparison instead of vanishing.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function hasExactly(obj: Record<string, unknown>, members: readonly string[]): boolean {
  const keys = Object.keys(obj);
  return keys.length === members.length && members.every((m) => Object.hasOwn(obj, m));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
