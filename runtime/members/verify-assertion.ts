import type { decodeProtectedHeader } from 'jose';
import type { RuntimeAssertionKey } from '../load/runtime-model.js';
import type { Member } from './session-tokens.js';

/** Longest accepted assertion lifetime (`exp` − `iat`, and `exp` − now), as in the hosted product. */
export const MAX_ASSERTION_LIFETIME_S = 60;
/** Clock skew tolerated between your backend and the runtime, in seconds. */
export const ASSERTION_CLOCK_TOLERANCE_S = 5;
/** Largest accepted assertion (a compact JWS); anything bigger is refused before parsing. */
export const MAX_ASSERTION_BYTES = 8192;

/** Why an assertion was refused: the suffix of "Invalid member assertion: <CODE>". */
export type AssertionFailure =
  | 'MALFORMED'
  | 'MISSING_KID'
  | 'KEY_NOT_FOUND'
  | 'ALG_NOT_ALLOWED'
  | 'AUD_MISMATCH'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'LIFETIME_TOO_LONG'
  | 'INVALID_SIGNATURE'
  | 'INVALID_CLAIMS'
  | 'REPLAYED';

/** A verified assertion: the member and what the replay guard needs. */
export interface VerifiedAssertion {
  member: Member;
  kid: string;
  jti?: string;
  /** The `nonce` claim: binds an assertion from a login page to one OAuth authorization request. */
  nonce?: string;
  /** Expiry, Unix seconds. */
  exp: number;
  /**
   * The assertion in its one canonical spelling: the signed bytes (`<protected>.<payload>`), then the signature's
   * bytes in hex with an ECDSA `s` folded to its low form. The replay guard of an assertion without `jti` is keyed on
   * it: a re-encoded twin (`s` → n − s, or another base64url spelling) is the same assertion, while two assertions
   * minted at once with the same claims differ (ECDSA signatures are randomized).
   */
  replayId: string;
}

/** Outcome of verification; `SUB_INVALID` is the catalogue's 400 "Could not resolve member_external_id". */
export type AssertionOutcome = { ok: true; assertion: VerifiedAssertion } | { ok: false; failure: AssertionFailure | 'SUB_INVALID' };

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const KID = /^[A-Za-z0-9._:@-]{1,128}$/;
// C0 and C1 controls (header injection, log forging), bidi embeddings, overrides and isolates and the directional marks
// ("Trojan Source": an id that displays as another one), and the invisible zero-width space, word joiner and BOM.
// ZWNJ and ZWJ (U+200C, U+200D) stay: scripts such as Persian and Devanagari need them in names.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
// Header field values lose leading and trailing whitespace on the way (RFC 9110 §5.5), so " alice" would reach the
// upstream as X-Tengine-Member-Id "alice": another member. Such values are refused instead of silently changed.
const PADDED = /^\s|\s$/;

/**
 * True when `value` can travel as an identity header byte for byte and reads as what it is: no control character, no
 * bidi or invisible formatting character, no surrounding whitespace.
 */
export function isSendableIdentity(value: string): boolean {
  return !CONTROL.test(value) && !PADDED.test(value);
}

/** The `sub` of X-Tengine-Identity for a caller without a member; no member id may take that form. */
export const INTEGRATION_SUBJECT_PREFIX = 'integration:';

/**
 * True for a usable member id: 1-256 characters, sendable as a header, and not `integration:…`, which is how the
 * identity token names an API-key caller (a member "integration:backend" would pass for the integration itself).
 */
export function isMemberId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 && isSendableIdentity(value) && !value.startsWith(INTEGRATION_SUBJECT_PREFIX);
}

/**
 * Verifies a member assertion signed by the customer's backend: `kid` must name a key registered for this project,
 * the algorithm is the one pinned by that key (never `none`, never HMAC, never what the header would like), `aud`
 * must be exactly `tengine:project:<id>` (a string, or a list holding only it), and the lifetime is at most 60 s with
 * a 5 s clock tolerance.
 */
export async function verifyAssertion(jwt: string, projectId: string, keys: ReadonlyMap<string, RuntimeAssertionKey> | undefined, nowMs: number): Promise<AssertionOutcome> {
  if (jwt.length > MAX_ASSERTION_BYTES || !COMPACT.test(jwt)) return fail('MALFORMED');
  // jose loads with the first assertion (once; a cached import after that): loading it was 30 ms of every boot.
  const { decodeProtectedHeader, errors, jwtVerify } = await import('jose');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    return fail('MALFORMED');
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === 'none' || /^HS/i.test(alg)) return fail('ALG_NOT_ALLOWED');
  if (header.kid === undefined) return fail('MISSING_KID');
  if (typeof header.kid !== 'string' || !KID.test(header.kid)) return fail('KEY_NOT_FOUND');
  const key = keys?.get(header.kid);
  if (!key) return fail('KEY_NOT_FOUND');
  const accepted = key.alg === 'EdDSA' ? ['EdDSA', 'Ed25519'] : [key.alg];
  if (!accepted.includes(alg)) return fail('ALG_NOT_ALLOWED');

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(jwt, key.key, {
      algorithms: accepted,
      audience: `tengine:project:${projectId}`,
      clockTolerance: ASSERTION_CLOCK_TOLERANCE_S,
      currentDate: new Date(nowMs),
      requiredClaims: ['exp'],
    }));
  } catch (e) {
    return fail(mapJoseError(e, errors));
  }
  const now = Math.floor(nowMs / 1000);
  const exp = payload.exp as number;
  const iat = payload.iat;
  // jose checks `iat` only together with maxTokenAge; an assertion issued in the future is not valid yet.
  if (typeof iat === 'number' && iat > now + ASSERTION_CLOCK_TOLERANCE_S) return fail('NOT_YET_VALID');
  if (typeof iat === 'number' && exp - iat > MAX_ASSERTION_LIFETIME_S) return fail('LIFETIME_TOO_LONG');
  if (exp - now > MAX_ASSERTION_LIFETIME_S + ASSERTION_CLOCK_TOLERANCE_S) return fail('LIFETIME_TOO_LONG');

  // One assertion, one project: an `aud` list naming several projects would mint a session in each of them with one
  // `jti` (jose accepts a list that merely contains the expected audience).
  if (Array.isArray(payload.aud) && payload.aud.length !== 1) return fail('AUD_MISMATCH');

  const sub = payload.sub;
  if (!isMemberId(sub)) return { ok: false, failure: 'SUB_INVALID' };
  const member: Member = { id: sub };
  if (payload.email !== undefined) {
    if (typeof payload.email !== 'string' || payload.email.length > 320 || !isSendableIdentity(payload.email)) return fail('INVALID_CLAIMS');
    member.email = payload.email;
  }
  if (payload.roles !== undefined) {
    const roles = payload.roles;
    // Roles travel upstream comma-joined in X-Tengine-Member-Roles, so a comma inside one is refused here.
    if (!Array.isArray(roles) || roles.length > 64 || !roles.every((r) => typeof r === 'string' && r.length > 0 && r.length <= 128 && isSendableIdentity(r) && !r.includes(','))) {
      return fail('INVALID_CLAIMS');
    }
    member.roles = roles as string[];
  }
  const jti = payload.jti;
  if (jti !== undefined && (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)) return fail('INVALID_CLAIMS');
  const nonce = payload.nonce;
  if (nonce !== undefined && (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > 256)) return fail('INVALID_CLAIMS');
  const dot = jwt.lastIndexOf('.');
  const replayId = `${jwt.slice(0, dot)}.${canonicalSignatureHex(Buffer.from(jwt.slice(dot + 1), 'base64url'), key.alg)}`;
  return { ok: true, assertion: { member, kid: key.kid, exp, replayId, ...(jti !== undefined ? { jti } : {}), ...(nonce !== undefined ? { nonce } : {}) } };
}

/** Orders of the ECDSA groups: `s` and n − `s` both verify, so the low one is the canonical spelling. */
const CURVE_ORDER = {
  ES256: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  ES384: BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
} as const;

/**
 * A verified signature's bytes as hex, with an ECDSA `s` folded to min(s, n − s). Ed25519 signatures are canonical
 * already (verification refuses an `S` outside the group order) and RS256 (PKCS #1 v1.5) is deterministic.
 */
function canonicalSignatureHex(sig: Buffer, alg: RuntimeAssertionKey['alg']): string {
  if (alg !== 'ES256' && alg !== 'ES384') return sig.toString('hex');
  const half = sig.length / 2;
  const n = CURVE_ORDER[alg];
  const s = BigInt(`0x${sig.subarray(half).toString('hex')}`);
  const low = s > n / 2n ? n - s : s;
  return `${sig.subarray(0, half).toString('hex')}${low.toString(16).padStart(half * 2, '0')}`;
}

function fail(failure: AssertionFailure): AssertionOutcome {
  return { ok: false, failure };
}

function mapJoseError(e: unknown, joseErrors: typeof import('jose').errors): AssertionFailure {
  if (e instanceof joseErrors.JWTExpired) return 'EXPIRED';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'AUD_MISMATCH';
    if (e.claim === 'nbf' || e.claim === 'iat') return 'NOT_YET_VALID';
    return 'INVALID_CLAIMS';
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'INVALID_SIGNATURE';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'ALG_NOT_ALLOWED';
  return 'MALFORMED';
}
