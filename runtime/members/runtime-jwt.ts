import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { RuntimeKeySet, RuntimeSigningKey } from '../keys/runtime-keys.js';

/** Why a token of ours was refused. */
export type JwtRejection = 'MALFORMED' | 'KEY_NOT_FOUND' | 'ALG_MISMATCH' | 'TYP_MISMATCH' | 'INVALID_SIGNATURE';

/** Signature sizes in bytes: ECDSA as the JOSE R||S pair (RFC 7518 §3.4), Ed25519 per RFC 8037 §3.1. */
const SIGNATURE_BYTES: Record<RuntimeSigningKey['alg'], number> = { ES256: 64, ES384: 96, EdDSA: 64 };

interface VerifyKey {
  alg: RuntimeSigningKey['alg'];
  publicKey: KeyObject;
  retireAt?: number;
}

/**
 * Signs and verifies the runtime's own compact JWTs (member session tokens, identity tokens) with node:crypto,
 * synchronously: a verified `tng_mst_` costs one signature check, no promise, no store round trip. The algorithm
 * always comes from the key, never from the token header (RFC 8725 §3.1).
 */
export class RuntimeJwt {
  private readonly keys = new Map<string, VerifyKey>();

  /** Signs with the first key that is not retired (preferring keys without `exp`); every unretired key verifies. */
  constructor(private readonly keySet: RuntimeKeySet, private readonly nowSeconds: () => number) {
    for (const k of keySet.signing) this.keys.set(k.kid, { alg: k.alg, publicKey: createPublicKey(k.privateKey), ...(k.retireAt !== undefined ? { retireAt: k.retireAt } : {}) });
  }

  /** The key that signs now; chosen per call because a key with `exp` retires while the process runs. */
  private activeKey(): RuntimeSigningKey | undefined {
    const now = this.nowSeconds();
    const live = this.keySet.signing.filter((k) => k.retireAt === undefined || k.retireAt > now);
    return live.find((k) => k.retireAt === undefined) ?? live[0];
  }

  /** True when a key can sign now (false once every signing key has retired). */
  canSign(): boolean {
    return this.activeKey() !== undefined;
  }

  /** When a key stops verifying (Unix seconds), or undefined for a key without `exp` or unknown kid. */
  retireAtOf(kid: string): number | undefined {
    return this.keys.get(kid)?.retireAt;
  }

  /** The public keys clients may use to verify our tokens now (retired keys drop out once their time has passed). */
  publicJwks(): { keys: RuntimeSigningKey['publicJwk'][] } {
    const now = this.nowSeconds();
    return { keys: this.keySet.signing.filter((k) => k.retireAt === undefined || k.retireAt > now).map((k) => k.publicJwk) };
  }

  /** Signs `payload` with the active key under the given `typ`; throws when every key has retired. */
  sign(typ: string, payload: Record<string, unknown>): string {
    const active = this.activeKey();
    if (!active) throw new Error('every signing key of the runtime key set is retired');
    const header = { alg: active.alg, kid: active.kid, typ };
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
    const signature = active.alg === 'EdDSA'
      ? sign(null, Buffer.from(input), active.privateKey)
      : sign(active.alg === 'ES384' ? 'sha384' : 'sha256', Buffer.from(input), { key: active.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  /** Verifies signature, key and `typ`; returns the payload (claims are checked by the caller). */
  verify(token: string, typ: string): { ok: true; payload: Record<string, unknown>; kid: string } | { ok: false; reason: JwtRejection } {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first < 1 || second < 0 || token.indexOf('.', second + 1) >= 0) return { ok: false, reason: 'MALFORMED' };
    const header = parseJson(token.slice(0, first));
    if (!header || typeof header.kid !== 'string') return { ok: false, reason: 'MALFORMED' };
    const key = this.keys.get(header.kid);
    if (!key || (key.retireAt !== undefined && key.retireAt <= this.nowSeconds())) return { ok: false, reason: 'KEY_NOT_FOUND' };
    if (header.alg !== key.alg) return { ok: false, reason: 'ALG_MISMATCH' };
    if (header.typ !== typ) return { ok: false, reason: 'TYP_MISMATCH' };
    // Node's base64url decoder skips what it cannot read, so `sig~~~`, `sig==` and a spare-bit twin of the last
    // character would all verify: only the one canonical spelling of a signature of the right size is accepted,
    // so one token is one string (and the session cache cannot be flooded with spellings of a single token).
    const sigPart = token.slice(second + 1);
    const signature = Buffer.from(sigPart, 'base64url');
    if (signature.length !== SIGNATURE_BYTES[key.alg] || signature.toString('base64url') !== sigPart) return { ok: false, reason: 'MALFORMED' };
    const input = Buffer.from(token.slice(0, second));
    const ok = key.alg === 'EdDSA'
      ? verify(null, input, key.publicKey, signature)
      : verify(key.alg === 'ES384' ? 'sha384' : 'sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    if (!ok) return { ok: false, reason: 'INVALID_SIGNATURE' };
    const payload = parseJson(token.slice(first + 1, second));
    return payload ? { ok: true, payload, kid: header.kid } : { ok: false, reason: 'MALFORMED' };
  }
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function parseJson(part: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
