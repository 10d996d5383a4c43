import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, flattenedVerify } from 'jose';
import { BUNDLE_SCHEMA_ID, tengineValidator } from '../../schemas/ajv.js';
import { canonicalJson } from '../../schemas/canonical-json.js';
import {
  BUNDLE_JWS_TYPE,
  bundleAlgForKey,
  computeConfigDigest,
  encodeBundleFile,
  type BundleProtectedHeader,
  type BundleSigningAlg,
} from '../../schemas/bundle-format.js';
import { BUNDLE_ERROR_HINTS, type BundleErrorCode } from '../../schemas/bundle-verify.js';
import type { BundlePayload } from '../../schemas/config-types.js';
import { CliError } from '../io.js';

/** A parsed bundle signing key: the private key, its algorithm and the `kid` (RFC 7638 thumbprint) it signs as. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: BundleSigningAlg;
  kid: string;
}

/**
 * Parses a PKCS#8 (or SEC1 "EC PRIVATE KEY") PEM and works out the algorithm from the key type: Ed25519 → EdDSA,
 * P-256 → ES256, P-384 → ES384. Other keys are refused with SIGNING_KEY_UNSUPPORTED, unreadable text with
 * SIGNING_KEY_INVALID.
 */
export async function loadSigningKey(privateKeyPem: string): Promise<SigningKey> {
  if (!/-----BEGIN (ENCRYPTED |EC )?PRIVATE KEY-----/.test(privateKeyPem)) {
    throw new CliError(
      'SIGNING_KEY_INVALID',
      /-----BEGIN PUBLIC KEY-----/.test(privateKeyPem) ? 'the signing key is a public key' : 'the signing key is not a PEM private key',
      'pass the private bundle signing key (bundle-signing.key.pem from `tengine keys generate`)',
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (e) {
    throw new CliError(
      'SIGNING_KEY_INVALID',
      `the signing key cannot be parsed: ${(e as Error).message}`,
      'pass an unencrypted PKCS#8 PEM key (bundle-signing.key.pem from `tengine keys generate`)',
    );
  }
  const alg = bundleAlgForKey(privateKey);
  if (!alg) {
    const what = privateKey.asymmetricKeyType === 'ec' ? `EC ${privateKey.asymmetricKeyDetails?.namedCurve ?? ''} key` : `${privateKey.asymmetricKeyType ?? 'unknown'} key`;
    throw new CliError(
      'SIGNING_KEY_UNSUPPORTED',
      `a ${what.trim()} cannot sign bundles`,
      'use an Ed25519 key (`tengine keys generate`), or an ECDSA P-256 or P-384 key',
    );
  }
  const publicKey = createPublicKey(privateKey);
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as Parameters<typeof calculateJwkThumbprint>[0], 'sha256');
  return { privateKey, publicKey, alg, kid };
}

/** The digest node:crypto's sign() takes per bundle algorithm. */
const SIGN_DIGEST: Record<BundleSigningAlg, string | null> = { EdDSA: null, ES256: 'sha256', ES384: 'sha384' };

/**
 * Signs a payload into the bytes of a bundle file. The payload bytes are canonical JSON, so the same payload
 * always gives the same payload bytes; with Ed25519 (deterministic, RFC 8032) the whole file is byte-identical
 * too, while ECDSA signatures are randomized and differ between runs although both verify.
 * Before returning, the signature is checked with the public key and the payload against bundle.schema.json and
 * its config digest, so a build never writes a bundle the runtime would refuse. (The byte-level canonical checks
 * of `verifyBundle` are skipped here: the bytes were just produced by the canonical serializer.)
 */
export async function signBundle(payload: BundlePayload, privateKeyPem: string): Promise<Uint8Array> {
  const key = await loadSigningKey(privateKeyPem);
  const payloadText = canonicalJson(payload);
  const header: BundleProtectedHeader = { alg: key.alg, kid: key.kid, typ: BUNDLE_JWS_TYPE };
  // A JWS (RFC 7515) signed with node:crypto directly: a bundle payload is megabytes, and Buffer's base64url and
  // one native sign call are several times faster than a generic JOSE library on it. The self-check below
  // verifies the result with jose, an independent implementation, so a mistake here cannot go out unnoticed.
  const jws = {
    payload: Buffer.from(payloadText, 'utf8').toString('base64url'),
    protected: Buffer.from(canonicalJson(header), 'utf8').toString('base64url'),
    signature: '',
  };
  const signingInput = Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii');
  // EdDSA hashes internally (no digest); ECDSA as JWS wants it: SHA-256/384 and the r || s encoding (RFC 7518 §3.4).
  jws.signature = sign(SIGN_DIGEST[key.alg], signingInput, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  await selfCheck(jws, key, payloadText);
  return encodeBundleFile({ payload: jws.payload, protected: jws.protected, signature: jws.signature });
}

async function selfCheck(jws: { payload: string; protected?: string; signature: string }, key: SigningKey, payloadText: string): Promise<void> {
  const refuse = (code: BundleErrorCode, message: string) => {
    throw new CliError(code, `the bundle would be refused: ${message}`, BUNDLE_ERROR_HINTS[code]);
  };
  try {
    await flattenedVerify(jws, key.publicKey, { algorithms: [key.alg] });
  } catch {
    refuse('BUNDLE_SIGNATURE_INVALID', 'the signature does not verify with the public half of the signing key');
  }
  const parsed = JSON.parse(payloadText) as Record<string, unknown>;
  const claimed = parsed.config_digest;
  const actual = computeConfigDigest(parsed.config);
  const validate = tengineValidator(BUNDLE_SCHEMA_ID);
  if (!validate(parsed)) {
    const first = validate.errors?.[0];
    refuse('BUNDLE_PAYLOAD_INVALID', `the payload fails bundle.schema.json at ${first?.instancePath || '/'}: ${first?.message ?? 'invalid'}`);
  }
  if (claimed !== actual) refuse('BUNDLE_DIGEST_MISMATCH', `config_digest is ${String(claimed)} but the config hashes to ${actual}`);
}
