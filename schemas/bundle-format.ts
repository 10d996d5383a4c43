import { createHash, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** The bundle format version this code writes. */
export const BUNDLE_FORMAT_VERSION = 1 as const;

/** Every bundle format version this code can read; the runtime refuses the others after checking the signature. */
export const SUPPORTED_BUNDLE_FORMAT_VERSIONS: readonly number[] = [1];

/** The `typ` of the protected header, so that no other JWS (a token, an assertion) can pass for a bundle. */
export const BUNDLE_JWS_TYPE = 'tengine-bundle+jws';

/** JWS algorithms a bundle may be signed with: Ed25519 (the default), ECDSA P-256 and P-384. */
export type BundleSigningAlg = 'EdDSA' | 'ES256' | 'ES384';

/** The bundle signing algorithms, in order of preference. */
export const BUNDLE_SIGNING_ALGS: readonly BundleSigningAlg[] = ['EdDSA', 'ES256', 'ES384'];

/** The protected header of a bundle JWS: exactly these members, serialized canonically. */
export interface BundleProtectedHeader {
  alg: BundleSigningAlg;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the signing public key. */
  kid: string;
  typ: typeof BUNDLE_JWS_TYPE;
}

/** A bundle file: a flattened JWS JSON serialization (RFC 7515 §7.2.2) with exactly these three members. */
export interface BundleEnvelope {
  /** base64url of the canonical JSON of the `BundlePayload`. */
  payload: string;
  /** base64url of the canonical JSON of the `BundleProtectedHeader`. */
  protected: string;
  /** base64url of the signature over `protected + "." + payload`. */
  signature: string;
}

/** Names of the members of an envelope and of a header, sorted as canonical JSON sorts them. */
export const BUNDLE_ENVELOPE_MEMBERS = ['payload', 'protected', 'signature'] as const;
/** Names of the protected header members, sorted. */
export const BUNDLE_HEADER_MEMBERS = ['alg', 'kid', 'typ'] as const;

/** Serializes an envelope to the exact bytes of a bundle file: canonical JSON plus one trailing newline. */
export function encodeBundleFile(envelope: BundleEnvelope): Uint8Array {
  return new TextEncoder().encode(`${canonicalJson(envelope)}\n`);
}

/** The `config_digest` of a config: `sha256:` + hex SHA-256 of its canonical JSON. */
export function computeConfigDigest(config: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(config))}`;
}

/** Lower-case hex SHA-256 of a string (as UTF-8) or of bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The JWS algorithm that goes with a key, or undefined when the key type cannot sign bundles. */
export function bundleAlgForKey(key: KeyObject): BundleSigningAlg | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return 'ES256';
    if (curve === 'secp384r1' || curve === 'P-384') return 'ES384';
  }
  return undefined;
}

/**
 * Decodes base64url strictly: only the URL-safe alphabet, no padding, and the text must be the one canonical
 * encoding of its bytes. Node's decoder skips bad characters and ignores unused trailing bits, so without these
 * checks two different files could carry the same signature or payload. Canonical means: no length of 4k + 1 (a
 * dangling character) and the unused low bits of the last character zero, which is exactly when re-encoding the
 * bytes gives the text back (checked that way before; this avoids re-encoding a payload of megabytes).
 */
export function decodeBase64UrlStrict(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const rest = text.length % 4;
  if (rest === 1) return undefined;
  if (rest !== 0) {
    const unused = rest === 2 ? 0x0f : 0x03;
    if ((BASE64URL_ALPHABET.indexOf(text[text.length - 1]!) & unused) !== 0) return undefined;
  }
  const bytes = Buffer.from(text, 'base64url');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
