import { FlattenedSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../schemas/canonical-json.js';
import { loadTrustedKeys, verifyBundle } from '../../schemas/bundle-verify.js';
import { BUNDLE_JWS_TYPE, encodeBundleFile, sha256Hex } from '../../schemas/bundle-format.js';
import { CliError } from '../io.js';
import { buildCanonicalPayload, buildPayload } from './build-payload.js';
import { loadSigningKey, signBundle, signCanonicalPayload } from './sign-bundle.js';
import { generatePemKeyPair, sampleConfig, type TestKeyType } from '../../test/fixtures/bundle-fixtures.js';

const payload = () => buildPayload(sampleConfig(), { createdAt: '2024-05-01T12:00:00Z', revision: 'a'.repeat(40), dirty: false });

function envelope(bytes: Uint8Array): { payload: string; protected: string; signature: string } {
  return JSON.parse(new TextDecoder().decode(bytes)) as { payload: string; protected: string; signature: string };
}

async function errorCode(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(CliError);
  return (e as CliError).code;
}

describe('signBundle', () => {
  it.each([
    ['ed25519', 'EdDSA'],
    ['p256', 'ES256'],
    ['p384', 'ES384'],
  ] as [TestKeyType, string][])('sign → verify round trip with %s (%s)', async (type, alg) => {
    const { privatePem, publicPem } = generatePemKeyPair(type);
    const bytes = await signBundle(payload(), privatePem);
    const trusted = await loadTrustedKeys(publicPem);
    const r = await verifyBundle(bytes, trusted);
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.alg).toBe(alg);
    expect(r.payload.source).toEqual({ revision: 'a'.repeat(40), dirty: false });
    const header = JSON.parse(Buffer.from(envelope(bytes).protected, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).toEqual({ alg, kid: (await loadSigningKey(privatePem)).kid, typ: BUNDLE_JWS_TYPE });
    expect(new TextDecoder().decode(bytes).endsWith('}\n')).toBe(true);
    // The file is written directly, not through encodeBundleFile; the bytes must be what it would write.
    expect(Buffer.from(bytes).equals(Buffer.from(encodeBundleFile(envelope(bytes))))).toBe(true);
  });

  it('signs exactly as a JOSE library does: Ed25519 bundles are byte-identical to jose FlattenedSign output', async () => {
    // signBundle signs with node:crypto for speed; the bytes must not change (reproducible builds across versions).
    const { privatePem } = generatePemKeyPair('ed25519');
    const key = await loadSigningKey(privatePem);
    const p = payload();
    const ours = envelope(await signBundle(p, privatePem));
    const theirs = await new FlattenedSign(new TextEncoder().encode(canonicalJson(p))).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: BUNDLE_JWS_TYPE }).sign(key.privateKey);
    expect(ours).toEqual({ payload: theirs.payload, protected: theirs.protected, signature: theirs.signature });
  });

  it('signCanonicalPayload (the config text spliced in, as tengine build signs) writes the same bytes as signBundle', async () => {
    const { privatePem } = generatePemKeyPair('ed25519');
    const meta = { createdAt: '2024-05-01T12:00:00Z', revision: 'b'.repeat(40), dirty: true };
    const built = buildCanonicalPayload(sampleConfig(), meta);
    const signed = await signCanonicalPayload(built, await loadSigningKey(privatePem));
    expect(Buffer.from(signed.bytes).equals(Buffer.from(await signBundle(buildPayload(sampleConfig(), meta), privatePem)))).toBe(true);
    // The bundle digest is that of the payload bytes signed, which are the canonical JSON of the payload.
    const fresh = buildPayload(sampleConfig(), meta);
    expect(Buffer.from(envelope(signed.bytes).payload, 'base64url').toString('utf8')).toBe(canonicalJson(fresh));
    expect(signed.digest).toBe(sha256Hex(canonicalJson(fresh)));
  });

  it('signCanonicalPayload refuses a config text that does not match config_digest', async () => {
    const { privatePem } = generatePemKeyPair('ed25519');
    const built = buildCanonicalPayload(sampleConfig(), { createdAt: '2024-05-01T12:00:00Z' });
    const other = buildCanonicalPayload({ ...sampleConfig(), projects: [] }, { createdAt: '2024-05-01T12:00:00Z' });
    expect(await errorCode(signCanonicalPayload({ payload: built.payload, configText: other.configText }, await loadSigningKey(privatePem)))).toBe('BUNDLE_DIGEST_MISMATCH');
  });

  it('the same payload and Ed25519 key give byte-identical bundles', async () => {
    const { privatePem } = generatePemKeyPair('ed25519');
    const a = await signBundle(payload(), privatePem);
    const b = await signBundle(payload(), privatePem);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('ECDSA signatures differ between runs but the payload bytes do not', async () => {
    const { privatePem } = generatePemKeyPair('p256');
    const a = envelope(await signBundle(payload(), privatePem));
    const b = envelope(await signBundle(payload(), privatePem));
    expect(a.payload).toBe(b.payload);
    expect(a.protected).toBe(b.protected);
  });

  it('refuses RSA and P-521 keys with SIGNING_KEY_UNSUPPORTED', async () => {
    expect(await errorCode(signBundle(payload(), generatePemKeyPair('rsa').privatePem))).toBe('SIGNING_KEY_UNSUPPORTED');
    expect(await errorCode(signBundle(payload(), generatePemKeyPair('p521').privatePem))).toBe('SIGNING_KEY_UNSUPPORTED');
  });

  it('refuses a public key or junk with SIGNING_KEY_INVALID', async () => {
    expect(await errorCode(signBundle(payload(), generatePemKeyPair('ed25519').publicPem))).toBe('SIGNING_KEY_INVALID');
    expect(await errorCode(signBundle(payload(), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'))).toBe('SIGNING_KEY_INVALID');
  });

  it('refuses to sign a payload the runtime would reject', async () => {
    const p = payload();
    p.config_digest = `sha256:${'0'.repeat(64)}`;
    expect(await errorCode(signBundle(p, generatePemKeyPair('ed25519').privatePem))).toBe('BUNDLE_DIGEST_MISMATCH');
  });
});
