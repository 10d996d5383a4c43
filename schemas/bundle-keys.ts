import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { jwkThumbprint } from './jwk-thumbprint.js';
import { bundleAlgForKey, type BundleSigningAlg } from './bundle-format.js';

/** A public key trusted to sign bundles. */
export interface TrustedKey {
  /** RFC 7638 thumbprint of the key; a bundle names its signer by this value in the `kid` header. */
  kid: string;
  /** The only algorithm accepted for this key (pinned by key type, never taken from the bundle). */
  alg: BundleSigningAlg;
  key: KeyObject;
}

/** Thrown by `loadTrustedKeys` when the key text cannot be used; `code` is stable, `hint` is a one-line fix. */
export class TrustedKeyError extends Error {
  /** Always KEY_FILE_INVALID, so the CLI and the runtime can map it to their own error shape. */
  readonly code = 'KEY_FILE_INVALID' as const;

  /** Creates the error with what is wrong with the key text and how to fix it. */
  constructor(
    message: string,
    readonly hint = 'pass the bundle public key: a PEM "PUBLIC KEY", a JWK or a JWKS (`tengine keys generate` writes bundle-signing.pub.pem)',
  ) {
    super(message);
  }
}

const PRIVATE_HINT = 'this is a private key: give the runtime and `tengine verify` the public key (bundle-signing.pub.pem) and keep the private one in CI';

/**
 * Parses the public key(s) trusted to sign bundles: one or more PEM SubjectPublicKeyInfo blocks, one JWK, or a
 * JWKS (several keys let a runtime accept the old and the new signing key during a rotation). Private keys are
 * refused rather than reduced to their public half, because a signing key on a runtime host is a leak to fix.
 */
export async function loadTrustedKeys(text: string): Promise<TrustedKey[]> {
  const trimmed = text.trim();
  const keys: TrustedKey[] = [];
  if (trimmed.startsWith('-----BEGIN')) {
    const blocks = [...trimmed.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
    if (blocks.length === 0) throw new TrustedKeyError('the PEM text has no complete BEGIN/END block');
    for (const [block, label] of blocks) {
      if (label !== undefined && label.includes('PRIVATE KEY')) throw new TrustedKeyError(`the PEM block "${label}" is a private key`, PRIVATE_HINT);
      if (label !== 'PUBLIC KEY') throw new TrustedKeyError(`the PEM block "${label ?? ''}" is not a "PUBLIC KEY" (SubjectPublicKeyInfo)`);
      let key: KeyObject;
      try {
        key = createPublicKey({ key: block, format: 'pem' });
      } catch (e) {
        throw new TrustedKeyError(`the PEM public key cannot be parsed: ${(e as Error).message}`);
      }
      keys.push(await trustedKeyFrom(key, undefined));
    }
  } else if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new TrustedKeyError('the key text starts with "{" but is not valid JSON');
    }
    if (!isObject(json)) throw new TrustedKeyError('the key JSON must be an object');
    if ('keys' in json) {
      if (!Array.isArray(json.keys)) throw new TrustedKeyError('the JWKS member "keys" must be an array');
      for (const jwk of json.keys) {
        if (!isObject(jwk)) throw new TrustedKeyError('every entry of a JWKS "keys" array must be an object');
        // A JWKS may also hold keys for other purposes (the runtime key set has an encryption key): skip them.
        if (jwk.use !== undefined && jwk.use !== 'sig') continue;
        if (typeof jwk.alg === 'string' && normalizeAlg(jwk.alg) === undefined) continue;
        keys.push(await trustedKeyFromJwk(jwk));
      }
    } else {
      keys.push(await trustedKeyFromJwk(json));
    }
  } else {
    throw new TrustedKeyError('the key text is neither PEM ("-----BEGIN PUBLIC KEY-----") nor JSON (a JWK or a JWKS)');
  }
  if (keys.length === 0) throw new TrustedKeyError('no bundle signing key (EdDSA, ES256 or ES384 with use "sig") was found');
  const byKid = new Map<string, TrustedKey>();
  for (const k of keys) byKid.set(k.kid, k);
  return [...byKid.values()];
}

async function trustedKeyFromJwk(jwk: Record<string, unknown>): Promise<TrustedKey> {
  if ('d' in jwk) throw new TrustedKeyError('the JWK holds private key material ("d")', PRIVATE_HINT);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (e) {
    throw new TrustedKeyError(`the JWK cannot be parsed: ${(e as Error).message}`);
  }
  const declared = typeof jwk.alg === 'string' ? normalizeAlg(jwk.alg) : undefined;
  if (typeof jwk.alg === 'string' && declared === undefined) {
    throw new TrustedKeyError(`the JWK "alg" ${JSON.stringify(jwk.alg)} cannot sign bundles (use EdDSA, ES256 or ES384)`);
  }
  return trustedKeyFrom(key, declared);
}

async function trustedKeyFrom(key: KeyObject, declared: BundleSigningAlg | undefined): Promise<TrustedKey> {
  const alg = bundleAlgForKey(key);
  if (!alg) {
    throw new TrustedKeyError(`a ${key.asymmetricKeyType ?? 'unknown'} key cannot sign bundles`, 'use an Ed25519, P-256 or P-384 public key');
  }
  if (declared && declared !== alg) throw new TrustedKeyError(`the JWK says "alg": "${declared}" but the key is for ${alg}`);
  const kid = jwkThumbprint(key.export({ format: 'jwk' }));
  return { kid, alg, key };
}

function normalizeAlg(alg: string): BundleSigningAlg | undefined {
  // RFC 9864 registers "Ed25519" as the fully-specified name for what "EdDSA" means here.
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'EdDSA';
  if (alg === 'ES256' || alg === 'ES384') return alg;
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
