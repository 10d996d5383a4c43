import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { decodeProtectedHeader } from 'jose';

/** Algorithms the runtime signs its tokens with. */
export type RuntimeSigningAlg = 'ES256' | 'ES384' | 'EdDSA';

/** The JWE key management algorithm of `encrypted_auth_secret` values. */
export const SECRET_KEY_ALG = 'ECDH-ES+A256KW';
/** The JWE content encryption of `encrypted_auth_secret` values. */
export const SECRET_ENC = 'A256GCM';
/** The JWE `cty` that marks a Tengine secret, so no other JWE encrypted to the same key is taken for one. */
export const SECRET_CONTENT_TYPE = 'tengine-secret';

/** A key the runtime signs tokens with; `publicJwk` is what `/.well-known/jwks.json` publishes. */
export interface RuntimeSigningKey {
  kid: string;
  alg: RuntimeSigningAlg;
  privateKey: KeyObject;
  publicJwk: JsonWebKey & { kid: string; alg: RuntimeSigningAlg; use: 'sig' };
  /** Unix seconds after which the key is retired (kept only to verify tokens it issued before a rotation). */
  retireAt?: number;
}

/** A key that decrypts `encrypted_auth_secret` values addressed to its `kid`. */
export interface RuntimeDecryptionKey {
  kid: string;
  alg: typeof SECRET_KEY_ALG;
  privateKey: KeyObject;
}

/** The runtime key set (runtime-keys.json) ready for use. */
export interface RuntimeKeySet {
  /** Token signing keys; the first is the active one, the rest still verify tokens issued before a rotation. */
  signing: RuntimeSigningKey[];
  /** Decryption keys by kid; old ones stay so secrets encrypted before a rotation still open. */
  decryption: ReadonlyMap<string, RuntimeDecryptionKey>;
  /** The public JWKS of the signing keys, for `/.well-known/jwks.json`. */
  publicJwks: { keys: RuntimeSigningKey['publicJwk'][] };
}

/** Stable codes of runtime key failures. */
export type RuntimeKeyErrorCode = 'RUNTIME_KEYS_INVALID' | 'SECRET_KEY_UNKNOWN' | 'SECRET_DECRYPT_FAILED';

/** A runtime key failure with a stable code and a one-line fix; messages never contain key material or secrets. */
export class RuntimeKeyError extends Error {
  /** Creates the error. */
  constructor(
    readonly code: RuntimeKeyErrorCode,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const KEYS_HINT = 'point the runtime at runtime-keys.json from `tengine keys generate` (a private JWKS with one "use":"sig" key)';

/**
 * Parses the private runtime JWKS. Every key needs `kid`, `use` and `alg`, because the runtime pins the
 * algorithm per key instead of trusting a header; keys with another `use` or an unknown `alg` are refused so a
 * typo cannot silently drop a key.
 */
export function loadRuntimeKeySet(jsonText: string): RuntimeKeySet {
  let json: unknown;
  try {
    json = JSON.parse(jsonText);
  } catch {
    throw new RuntimeKeyError('RUNTIME_KEYS_INVALID', 'the runtime key set is not valid JSON', KEYS_HINT);
  }
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new RuntimeKeyError('RUNTIME_KEYS_INVALID', 'the runtime key set must be a JWKS: {"keys": [...]}', KEYS_HINT);
  const signing: RuntimeSigningKey[] = [];
  const decryption = new Map<string, RuntimeDecryptionKey>();
  const seen = new Set<string>();
  keys.forEach((raw: unknown, i) => {
    const where = `keys[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw invalid(`${where} is not an object`);
    const jwk = raw as Record<string, unknown>;
    const { kid, use, alg } = jwk;
    if (typeof kid !== 'string' || kid === '') throw invalid(`${where} has no "kid"`);
    if (seen.has(kid)) throw invalid(`${where} repeats kid ${kid}`);
    seen.add(kid);
    if (typeof jwk.d !== 'string') throw invalid(`${where} (kid ${kid}) has no private part "d"; this looks like the public key set`);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      throw invalid(`${where} (kid ${kid}) is not a valid private JWK`);
    }
    if (use === 'sig') {
      if (!isSigningAlgFor(alg, privateKey)) throw invalid(`${where} (kid ${kid}) needs "alg" ES256, ES384 or EdDSA matching its curve`);
      const pub = createPublicKey(privateKey).export({ format: 'jwk' });
      // `exp` (Unix seconds) retires a key after a rotation: it stops verifying and is no longer published.
      const retireAt = jwk.exp;
      if (retireAt !== undefined && (typeof retireAt !== 'number' || !Number.isInteger(retireAt))) throw invalid(`${where} (kid ${kid}) has a non-integer "exp"`);
      signing.push({ kid, alg, privateKey, publicJwk: { ...pub, kid, alg, use: 'sig' }, ...(retireAt !== undefined ? { retireAt } : {}) });
    } else if (use === 'enc') {
      if (alg !== SECRET_KEY_ALG || privateKey.asymmetricKeyType !== 'ec') throw invalid(`${where} (kid ${kid}) needs "alg": "${SECRET_KEY_ALG}" on an EC key`);
      decryption.set(kid, { kid, alg: SECRET_KEY_ALG, privateKey });
    } else {
      throw invalid(`${where} (kid ${kid}) needs "use": "sig" or "enc"`);
    }
  });
  if (signing.length === 0) throw invalid('the runtime key set has no "use":"sig" key to sign tokens with');
  return { signing, decryption, publicJwks: { keys: signing.map((k) => k.publicJwk) } };
}

/**
 * Decrypts an `encrypted_auth_secret` (compact JWE from `tengine secret encrypt`) with the key its `kid` names.
 * Only ECDH-ES+A256KW with A256GCM and `cty: tengine-secret` are accepted; the plaintext must be UTF-8.
 */
export async function decryptSecret(jwe: string, keySet: RuntimeKeySet): Promise<string> {
  // jose loads with the first encrypted secret: most bundles have none, and loading it was 30 ms of every boot.
  const { compactDecrypt, decodeProtectedHeader } = await import('jose');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwe);
  } catch {
    throw new RuntimeKeyError('SECRET_DECRYPT_FAILED', 'the encrypted secret is not a compact JWE', 'paste the whole output of `tengine secret encrypt`');
  }
  const key = typeof header.kid === 'string' ? keySet.decryption.get(header.kid) : undefined;
  if (!key) {
    throw new RuntimeKeyError(
      'SECRET_KEY_UNKNOWN',
      `the secret was encrypted to key ${String(header.kid ?? '(no kid)')}, which is not in the runtime key set`,
      'encrypt the secret again with this runtime\'s runtime-keys.pub.json, or keep the old key in runtime-keys.json',
    );
  }
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key.privateKey, {
      keyManagementAlgorithms: [SECRET_KEY_ALG],
      contentEncryptionAlgorithms: [SECRET_ENC],
    });
    if (protectedHeader.cty !== SECRET_CONTENT_TYPE) throw new Error('wrong cty');
    return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    // The cause stays out of the message: decryption errors are oracles and must not echo secret material.
    throw new RuntimeKeyError(
      'SECRET_DECRYPT_FAILED',
      `the secret encrypted to key ${key.kid} does not decrypt`,
      'the value was damaged or is not a Tengine secret; encrypt it again with `tengine secret encrypt`',
    );
  }
}

function isSigningAlgFor(alg: unknown, key: KeyObject): alg is RuntimeSigningAlg {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (alg === 'EdDSA') return key.asymmetricKeyType === 'ed25519';
  if (alg === 'ES256') return key.asymmetricKeyType === 'ec' && curve === 'prime256v1';
  if (alg === 'ES384') return key.asymmetricKeyType === 'ec' && curve === 'secp384r1';
  return false;
}

function invalid(message: string): RuntimeKeyError {
  return new RuntimeKeyError('RUNTIME_KEYS_INVALID', message, KEYS_HINT);
}
