import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { bundleValidator } from '../../schemas/config-validators.js';
import { canonicalJson } from '../../schemas/canonical-json.js';
import {
  BUNDLE_JWS_TYPE,
  bundleAlgForKey,
  sha256Hex,
  type BundleProtectedHeader,
  type BundleSigningAlg,
} from '../../schemas/bundle-format.js';
import { BUNDLE_ERROR_HINTS, type BundleErrorCode } from '../../schemas/bundle-verify.js';
import type { BundlePayload } from '../../schemas/config-types.js';
import type { CanonicalPayload } from './build-payload.js';
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
  const configText = canonicalJson(payload.config);
  // The schema check reads a parse of the config text that is signed (the runtime's view), not the caller's object.
  const copy = { ...payload, config: configText === undefined ? undefined : (JSON.parse(configText) as BundlePayload['config']) } as BundlePayload;
  return (await signCanonicalPayload({ payload: copy, configText }, await loadSigningKey(privateKeyPem))).bytes;
}

/** A signed bundle: the bytes of the file and the bundle digest (hex SHA-256 of the signed payload bytes). */
export interface SignedBundle {
  bytes: Uint8Array;
  digest: string;
}

/**
 * signBundle for a payload whose config is already serialized (buildCanonicalPayload): the config text is spliced
 * into the payload text as it is, so a large config is serialized once per build instead of four times. Schema
 * defaults the self-check fills go into `p.payload.config` (a parse of the text; as `verifyBundle` does to the
 * payload it reads); for a config `tengine validate` accepted there are none to fill.
 */
export async function signCanonicalPayload(p: CanonicalPayload, key: SigningKey): Promise<SignedBundle> {
  const payloadText = canonicalPayloadText(p);
  const header: BundleProtectedHeader = { alg: key.alg, kid: key.kid, typ: BUNDLE_JWS_TYPE };
  // A JWS (RFC 7515) signed with node:crypto directly: a bundle payload is megabytes, and Buffer's base64url and
  // one native sign call are several times faster than a generic JOSE library on it (the tests check the bytes
  // are identical to jose's FlattenedSign output).
  const payload = Buffer.from(payloadText, 'utf8').toString('base64url');
  const protectedHeader = Buffer.from(canonicalJson(header), 'utf8').toString('base64url');
  // EdDSA hashes internally (no digest); ECDSA as JWS wants it: SHA-256/384 and the r || s encoding (RFC 7518 §3.4).
  const signature = sign(SIGN_DIGEST[key.alg], signingInput(protectedHeader, payload), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const file = bundleFileBytes(payload, protectedHeader, signature);
  selfCheck(file, { payload: payload.length, protected: protectedHeader.length, signature: signature.length }, key, p, payloadText);
  return { bytes: file, digest: sha256Hex(payloadText) };
}

/** The JWS signing input, `protected + "." + payload`: both are base64url, so latin1 writes their exact bytes. */
function signingInput(protectedHeader: string | Buffer, payload: string | Buffer): Buffer {
  const input = Buffer.allocUnsafe(protectedHeader.length + 1 + payload.length);
  if (typeof protectedHeader === 'string') input.write(protectedHeader, 0, 'latin1');
  else protectedHeader.copy(input, 0);
  input[protectedHeader.length] = 0x2e; // "."
  if (typeof payload === 'string') input.write(payload, protectedHeader.length + 1, 'latin1');
  else payload.copy(input, protectedHeader.length + 1);
  return input;
}

const FILE_PAYLOAD = '{"payload":"';
const FILE_PROTECTED = '","protected":"';
const FILE_SIGNATURE = '","signature":"';
const FILE_END = '"}\n';

/**
 * The bytes of the bundle file: encodeBundleFile's output (canonical JSON of the envelope and a newline), written
 * directly. The three members are base64url, which JSON quotes as is, and they sort as payload, protected,
 * signature; so the megabytes of payload are copied once instead of being escaped as JSON and encoded again.
 */
function bundleFileBytes(payload: string, protectedHeader: string, signature: string): Buffer {
  const parts = [FILE_PAYLOAD, payload, FILE_PROTECTED, protectedHeader, FILE_SIGNATURE, signature, FILE_END];
  const file = Buffer.allocUnsafe(parts.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of parts) at += file.write(s, at, 'latin1');
  return file;
}

/** Where the config's text starts in the payload text: "config" sorts before every other payload member. */
const CONFIG_AT = '{"config":'.length;

/** The canonical JSON of the payload, with the config's canonical text inserted rather than serialized again. */
function canonicalPayloadText({ payload, configText }: CanonicalPayload): string {
  if (configText === undefined) return canonicalJson(payload);
  const others = canonicalJson({ ...payload, config: null });
  // Holds as long as no payload member sorts before "config"; a new one that does must not go out unnoticed.
  if (!others.startsWith('{"config":null')) throw new Error('canonicalPayloadText: "config" is not the first member of the payload');
  return `${others.slice(0, CONFIG_AT)}${configText}${others.slice(CONFIG_AT + 'null'.length)}`;
}

/**
 * Checks the file about to be written as the runtime will (schemas/bundle-verify.ts): the signature over the
 * `protected` and `payload` text as they sit in the file's bytes verifies with the public half of the key, the
 * header read back from the file is this key's, the payload is valid against bundle.schema.json and its
 * config_digest is the hash of the config bytes in the signed text. Nothing is decoded or serialized again.
 */
function selfCheck(file: Buffer, lengths: { payload: number; protected: number; signature: number }, key: SigningKey, p: CanonicalPayload, payloadText: string): void {
  const refuse = (code: BundleErrorCode, message: string): never => {
    throw new CliError(code, `the bundle would be refused: ${message}`, BUNDLE_ERROR_HINTS[code]);
  };
  const payloadAt = FILE_PAYLOAD.length;
  const protectedAt = payloadAt + lengths.payload + FILE_PROTECTED.length;
  const signatureAt = protectedAt + lengths.protected + FILE_SIGNATURE.length;
  const protectedBytes = file.subarray(protectedAt, protectedAt + lengths.protected);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(protectedBytes.toString('latin1'), 'base64url').toString('utf8'));
  } catch {
    refuse('BUNDLE_MALFORMED', 'the protected header is not base64url JSON');
  }
  const h = header as Partial<BundleProtectedHeader>;
  if (h.alg !== key.alg || h.kid !== key.kid || h.typ !== BUNDLE_JWS_TYPE) refuse('BUNDLE_MALFORMED', `the protected header is not {"alg":"${key.alg}","kid":"${key.kid}","typ":"${BUNDLE_JWS_TYPE}"}`);
  const signature = Buffer.from(file.subarray(signatureAt, signatureAt + lengths.signature).toString('latin1'), 'base64url');
  const input = signingInput(protectedBytes, file.subarray(payloadAt, payloadAt + lengths.payload));
  if (!verify(SIGN_DIGEST[key.alg], input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature)) {
    refuse('BUNDLE_SIGNATURE_INVALID', 'the signature does not verify with the public half of the signing key');
  }
  // The digest of the config bytes as they sit in the signed text (the same bytes the runtime re-serializes to
  // check it: they are canonical, produced by canonicalJson). Taken before validation, which may fill defaults.
  const claimed = p.payload.config_digest;
  const actual = p.configText === undefined ? undefined : `sha256:${sha256Hex(payloadText.slice(CONFIG_AT, CONFIG_AT + p.configText.length))}`;
  const validate = bundleValidator;
  if (!validate(p.payload)) {
    const first = validate.errors?.[0];
    refuse('BUNDLE_PAYLOAD_INVALID', `the payload fails bundle.schema.json at ${first?.instancePath || '/'}: ${first?.message ?? 'invalid'}`);
  }
  if (claimed !== actual) refuse('BUNDLE_DIGEST_MISMATCH', `config_digest is ${String(claimed)} but the config hashes to ${actual}`);
}
