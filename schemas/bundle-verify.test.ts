import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, FlattenedSign, type JWK } from 'jose';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { BUNDLE_JWS_TYPE, computeConfigDigest } from './bundle-format.js';
import { BUNDLE_ERROR_HINTS, loadTrustedKeys, TrustedKeyError, verifyBundle, type BundleErrorCode, type TrustedKey } from './bundle-verify.js';
import { generatePemKeyPair, sampleConfig, type TestKeyType } from '../test/fixtures/bundle-fixtures.js';

interface TestSigner {
  privateKey: KeyObject;
  publicPem: string;
  trusted: TrustedKey;
}

async function signer(type: TestKeyType): Promise<TestSigner> {
  const { privatePem, publicPem } = generatePemKeyPair(type);
  const [trusted] = await loadTrustedKeys(publicPem);
  return { privateKey: createPrivateKey(privatePem), publicPem, trusted: trusted as TrustedKey };
}

function validPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { include: _include, ...config } = sampleConfig();
  return { format_version: 1, created_at: '2024-05-01T12:00:00Z', config_digest: computeConfigDigest(config), config, ...overrides };
}

/** Signs arbitrary payload text under an arbitrary header, bypassing signBundle's own checks. */
async function rawBundle(s: TestSigner, payload: unknown, header?: Record<string, unknown>): Promise<Uint8Array> {
  const text = typeof payload === 'string' ? payload : canonicalJson(payload);
  const h = header ?? { alg: s.trusted.alg, kid: s.trusted.kid, typ: BUNDLE_JWS_TYPE };
  const jws = await new FlattenedSign(new TextEncoder().encode(text)).setProtectedHeader(h as { alg: string }).sign(s.privateKey);
  return new TextEncoder().encode(`${canonicalJson(jws)}\n`);
}

function envelopeOf(bytes: Uint8Array): Record<string, string> {
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, string>;
}

function fileOf(envelope: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(`${canonicalJson(envelope)}\n`);
}

async function expectCode(bytes: Uint8Array, trusted: TrustedKey[], code: BundleErrorCode): Promise<void> {
  const r = await verifyBundle(bytes, trusted);
  expect(r.ok ? 'ok' : r.code).toBe(code);
  if (!r.ok) expect(r.hint).toBe(BUNDLE_ERROR_HINTS[code]);
}

let ed: TestSigner;
let other: TestSigner;
let good: Uint8Array;

beforeAll(async () => {
  ed = await signer('ed25519');
  other = await signer('ed25519');
  good = await rawBundle(ed, validPayload());
});

describe('verifyBundle', () => {
  it('accepts a canonical bundle and reports kid, alg, payload and payload digest', async () => {
    const r = await verifyBundle(good, [other.trusted, ed.trusted]);
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.kid).toBe(ed.trusted.kid);
    expect(r.alg).toBe('EdDSA');
    expect(r.payload.config.projects?.[0]?.id).toBe('acme');
    const payloadBytes = Buffer.from(envelopeOf(good).payload as string, 'base64url');
    expect(r.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(r.digest).toBe((await import('node:crypto')).createHash('sha256').update(payloadBytes).digest('hex'));
  });

  it.each(['p256', 'p384'] as const)('accepts %s ECDSA bundles', async (type) => {
    const s = await signer(type);
    const r = await verifyBundle(await rawBundle(s, validPayload()), [s.trusted]);
    expect(r.ok).toBe(true);
  });

  it('BUNDLE_KEY_UNKNOWN when the kid is not trusted', async () => {
    await expectCode(good, [other.trusted], 'BUNDLE_KEY_UNKNOWN');
    await expectCode(good, [], 'BUNDLE_KEY_UNKNOWN');
  });

  it('BUNDLE_MALFORMED for non-UTF-8, non-JSON, wrong members, bad base64url, wrong typ', async () => {
    await expectCode(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d, 0x0a]), [ed.trusted], 'BUNDLE_MALFORMED');
    await expectCode(new Uint8Array(), [ed.trusted], 'BUNDLE_MALFORMED');
    await expectCode(new TextEncoder().encode('not json\n'), [ed.trusted], 'BUNDLE_MALFORMED');
    const env = envelopeOf(good);
    await expectCode(fileOf({ ...env, extra: 'x' }), [ed.trusted], 'BUNDLE_MALFORMED');
    await expectCode(fileOf({ payload: env.payload, protected: env.protected }), [ed.trusted], 'BUNDLE_MALFORMED');
    await expectCode(fileOf({ ...env, signature: 1 }), [ed.trusted], 'BUNDLE_MALFORMED');
    await expectCode(fileOf({ ...env, signature: `${env.signature}=` }), [ed.trusted], 'BUNDLE_MALFORMED');
    const wrongTyp = await rawBundle(ed, validPayload(), { alg: 'EdDSA', kid: ed.trusted.kid, typ: 'JWT' });
    await expectCode(wrongTyp, [ed.trusted], 'BUNDLE_MALFORMED');
    const extraHeader = await rawBundle(ed, validPayload(), { alg: 'EdDSA', b64: true, crit: ['b64'], kid: ed.trusted.kid, typ: BUNDLE_JWS_TYPE });
    await expectCode(extraHeader, [ed.trusted], 'BUNDLE_MALFORMED');
    await expectCode(await rawBundle(ed, 'not json'), [ed.trusted], 'BUNDLE_MALFORMED');
  });

  it('BUNDLE_NOT_CANONICAL for re-formatted files, headers and payloads', async () => {
    const text = new TextDecoder().decode(good);
    await expectCode(new TextEncoder().encode(text.trimEnd()), [ed.trusted], 'BUNDLE_NOT_CANONICAL');
    await expectCode(new TextEncoder().encode(`${text}\n`), [ed.trusted], 'BUNDLE_NOT_CANONICAL');
    await expectCode(new TextEncoder().encode(`${JSON.stringify(envelopeOf(good), null, 2)}\n`), [ed.trusted], 'BUNDLE_NOT_CANONICAL');
    await expectCode(new TextEncoder().encode(`\uFEFF${text}`), [ed.trusted], 'BUNDLE_MALFORMED');
    const unsortedHeader = await rawBundle(ed, validPayload(), { typ: BUNDLE_JWS_TYPE, alg: 'EdDSA', kid: ed.trusted.kid });
    await expectCode(unsortedHeader, [ed.trusted], 'BUNDLE_NOT_CANONICAL');
    await expectCode(await rawBundle(ed, JSON.stringify(validPayload(), null, 1)), [ed.trusted], 'BUNDLE_NOT_CANONICAL');
    // The same envelope written differently: an escaped character, members out of order, a space.
    const env = envelopeOf(good);
    const escaped = text.replace('{"payload":"', `{"payload":"\\u00${env.payload!.charCodeAt(0).toString(16)}`).replace(`\\u00${env.payload!.charCodeAt(0).toString(16)}${env.payload![0]}`, `\\u00${env.payload!.charCodeAt(0).toString(16)}`);
    expect(JSON.parse(escaped)).toEqual(env);
    await expectCode(new TextEncoder().encode(escaped), [ed.trusted], 'BUNDLE_NOT_CANONICAL');
    const reordered = `{"protected":${JSON.stringify(env.protected)},"payload":${JSON.stringify(env.payload)},"signature":${JSON.stringify(env.signature)}}\n`;
    await expectCode(new TextEncoder().encode(reordered), [ed.trusted], 'BUNDLE_NOT_CANONICAL');
    await expectCode(new TextEncoder().encode(text.replace('","signature":', '", "signature":')), [ed.trusted], 'BUNDLE_NOT_CANONICAL');
  });

  it('BUNDLE_ALG_MISMATCH when the header names another algorithm than the trusted key (RFC 8725 §3.1)', async () => {
    const env = envelopeOf(good);
    const header = Buffer.from(canonicalJson({ alg: 'ES256', kid: ed.trusted.kid, typ: BUNDLE_JWS_TYPE })).toString('base64url');
    await expectCode(fileOf({ ...env, protected: header }), [ed.trusted], 'BUNDLE_ALG_MISMATCH');
    const none = Buffer.from(canonicalJson({ alg: 'none', kid: ed.trusted.kid, typ: BUNDLE_JWS_TYPE })).toString('base64url');
    await expectCode(fileOf({ ...env, protected: none }), [ed.trusted], 'BUNDLE_ALG_MISMATCH');
  });

  it('BUNDLE_SIGNATURE_INVALID when another key signs under a trusted kid', async () => {
    const forged = await rawBundle(other, validPayload(), { alg: 'EdDSA', kid: ed.trusted.kid, typ: BUNDLE_JWS_TYPE });
    await expectCode(forged, [ed.trusted], 'BUNDLE_SIGNATURE_INVALID');
  });

  it('BUNDLE_SIGNATURE_INVALID for an ECDSA signature in DER instead of r || s (RFC 7518 §3.4), and for a truncated one', async () => {
    const s = await signer('p256');
    const env = envelopeOf(await rawBundle(s, validPayload()));
    const input = Buffer.from(`${env.protected}.${env.payload}`, 'ascii');
    const der = (await import('node:crypto')).sign('sha256', input, { key: s.privateKey, dsaEncoding: 'der' }).toString('base64url');
    await expectCode(fileOf({ ...env, signature: der }), [s.trusted], 'BUNDLE_SIGNATURE_INVALID');
    const truncated = Buffer.from(env.signature!, 'base64url').subarray(0, 63).toString('base64url');
    await expectCode(fileOf({ ...env, signature: truncated }), [s.trusted], 'BUNDLE_SIGNATURE_INVALID');
  });

  it('BUNDLE_SIGNATURE_INVALID when the trusted key is not of the algorithm it is trusted for', async () => {
    const p256 = await signer('p256');
    await expectCode(good, [{ ...ed.trusted, key: p256.trusted.key }], 'BUNDLE_SIGNATURE_INVALID');
  });

  it('BUNDLE_FORMAT_UNSUPPORTED for format_version 2 with a valid signature', async () => {
    await expectCode(await rawBundle(ed, validPayload({ format_version: 2 })), [ed.trusted], 'BUNDLE_FORMAT_UNSUPPORTED');
    const { format_version: _v, ...noVersion } = validPayload();
    await expectCode(await rawBundle(ed, noVersion), [ed.trusted], 'BUNDLE_FORMAT_UNSUPPORTED');
  });

  it('BUNDLE_PAYLOAD_INVALID names the first failing path of bundle.schema.json', async () => {
    const p = validPayload();
    const config = p.config as { projects: { id: string }[] };
    (config.projects[0] as { id: string }).id = 'Not An Id';
    const r = await verifyBundle(await rawBundle(ed, { ...p, config_digest: computeConfigDigest(config) }), [ed.trusted]);
    expect(r.ok ? 'ok' : r.code).toBe('BUNDLE_PAYLOAD_INVALID');
    expect(r.ok ? '' : r.message).toContain('/config/projects/0/id');
    await expectCode(await rawBundle(ed, [1, 2]), [ed.trusted], 'BUNDLE_PAYLOAD_INVALID');
  });

  it('BUNDLE_DIGEST_MISMATCH when config_digest does not hash the config', async () => {
    await expectCode(await rawBundle(ed, validPayload({ config_digest: `sha256:${'0'.repeat(64)}` })), [ed.trusted], 'BUNDLE_DIGEST_MISMATCH');
  });

  it('any single flipped byte fails with a documented code and never throws', async () => {
    const codes = Object.keys(BUNDLE_ERROR_HINTS);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
        const bytes = Uint8Array.from(good);
        bytes[pos] = ((bytes[pos] as number) + delta) % 256;
        const r = await verifyBundle(bytes, [ed.trusted]);
        expect(r.ok).toBe(false);
        expect(codes).toContain(r.ok ? 'ok' : r.code);
      }),
      { numRuns: 200 },
    );
  });

  it('flipping each byte in turn (one value per position) fails too', async () => {
    for (let pos = 0; pos < good.length; pos++) {
      const bytes = Uint8Array.from(good);
      bytes[pos] = (bytes[pos] as number) ^ 0x01;
      const r = await verifyBundle(bytes, [ed.trusted]);
      if (r.ok) throw new Error(`flipping byte ${pos} still verifies`);
    }
  });
});

describe('loadTrustedKeys', () => {
  it('reads PEM, JWK and JWKS and uses the RFC 7638 thumbprint as kid', async () => {
    const pub = createPublicKey(ed.publicPem).export({ format: 'jwk' }) as JWK;
    const thumb = await calculateJwkThumbprint(pub, 'sha256');
    expect((await loadTrustedKeys(ed.publicPem)).map((k) => k.kid)).toEqual([thumb]);
    expect((await loadTrustedKeys(JSON.stringify(pub))).map((k) => [k.kid, k.alg])).toEqual([[thumb, 'EdDSA']]);
    const p256 = await signer('p256');
    const p256Jwk = { ...(createPublicKey(p256.publicPem).export({ format: 'jwk' }) as JWK), alg: 'ES256', use: 'sig' };
    const encJwk = { ...p256Jwk, alg: 'ECDH-ES+A256KW', use: 'enc' };
    const set = await loadTrustedKeys(JSON.stringify({ keys: [pub, p256Jwk, encJwk] }));
    expect(set.map((k) => k.alg)).toEqual(['EdDSA', 'ES256']);
    expect((await loadTrustedKeys(`${ed.publicPem}${p256.publicPem}`)).length).toBe(2);
  });

  it('refuses private keys, other key types and junk with KEY_FILE_INVALID', async () => {
    const bad = [
      generatePemKeyPair('ed25519').privatePem,
      generatePemKeyPair('rsa').publicPem,
      generatePemKeyPair('p521').publicPem,
      JSON.stringify(createPrivateKey(generatePemKeyPair('p256').privatePem).export({ format: 'jwk' })),
      '{"keys":[]}',
      'hello',
      '{',
    ];
    for (const text of bad) {
      const e = await loadTrustedKeys(text).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(TrustedKeyError);
      expect((e as TrustedKeyError).code).toBe('KEY_FILE_INVALID');
    }
  });
});
