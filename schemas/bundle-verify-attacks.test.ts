import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { BUNDLE_JWS_TYPE, computeConfigDigest } from './bundle-format.js';
import { loadTrustedKeys, verifyBundle, type BundleErrorCode, type TrustedKey } from './bundle-verify.js';
import { generatePemKeyPair, sampleConfig, type TestKeyType } from '../test/fixtures/bundle-fixtures.js';

// An attacker's view of the bundle check done with node:crypto over the file's own text: signed-but-odd payloads,
// re-encodings of a signed file, and key/algorithm confusion. Keys are generated per run.

interface Signer {
  privateKey: KeyObject;
  trusted: TrustedKey;
}

async function signer(type: TestKeyType): Promise<Signer> {
  const { privatePem, publicPem } = generatePemKeyPair(type);
  const [trusted] = await loadTrustedKeys(publicPem);
  return { privateKey: createPrivateKey(privatePem), trusted: trusted! };
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** A bundle over exactly `payloadText` (any bytes the signer chose), signed with node:crypto as RFC 7515 says. */
function signedFile(s: Signer, payloadText: string, header?: Record<string, unknown>): { file: Uint8Array; envelope: Record<string, string> } {
  const protectedB64 = b64(canonicalJson(header ?? { alg: s.trusted.alg, kid: s.trusted.kid, typ: BUNDLE_JWS_TYPE }));
  const payloadB64 = b64(payloadText);
  const input = Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
  const digest = s.trusted.alg === 'EdDSA' ? null : s.trusted.alg === 'ES256' ? 'sha256' : 'sha384';
  const signature = b64(sign(digest, input, { key: s.privateKey, dsaEncoding: 'ieee-p1363' }));
  const envelope = { payload: payloadB64, protected: protectedB64, signature };
  return { file: new TextEncoder().encode(`${canonicalJson(envelope)}\n`), envelope };
}

function payload(config: Record<string, unknown> = (({ include: _i, ...c }) => c)(sampleConfig()) as Record<string, unknown>): Record<string, unknown> {
  return { config, config_digest: computeConfigDigest(config), created_at: '2024-05-01T12:00:00Z', format_version: 1 };
}

async function codeOf(bytes: Uint8Array, trusted: TrustedKey[]): Promise<BundleErrorCode | 'ok'> {
  const r = await verifyBundle(bytes, trusted);
  return r.ok ? 'ok' : r.code;
}

let ed: Signer;
let p256: Signer;
let p384: Signer;

beforeAll(async () => {
  [ed, p256, p384] = await Promise.all([signer('ed25519'), signer('p256'), signer('p384')]);
});

describe('bundle check under attack', () => {
  it('a signed payload that is not the canonical text of its value is refused: duplicate keys, escapes, number forms, spaces, trailing bytes', async () => {
    const text = canonicalJson(payload());
    const variants = [
      // Duplicate key: JSON.parse keeps the last, so the signed text and the value read would disagree.
      text.replace('{"config":', '{"config":{},"config":'),
      text.replace('"format_version":1', '"format_version":1,"format_version":1'),
      text.replace('"acme"', '"\\u0061cme"'),
      text.replace('"format_version":1', '"format_version":1.0'),
      text.replace('"format_version":1', '"format_version":1e0'),
      text.replace('"format_version":1', '"format_version": 1'),
      `${text}\n`,
      `${text} `,
      `\uFEFF${text}`,
    ];
    for (const v of variants) {
      expect(v).not.toBe(text);
      const code = await codeOf(signedFile(ed, v).file, [ed.trusted]);
      expect([v, code]).toEqual([v, expect.stringMatching(/^BUNDLE_(NOT_CANONICAL|MALFORMED)$/)]);
    }
    expect(await codeOf(signedFile(ed, text).file, [ed.trusted])).toBe('ok');
  });

  it('a signed "__proto__" member is data, is refused by the schema, and pollutes nothing', async () => {
    const text = canonicalJson(payload()).replace('{"config":', '{"__proto__":{"polluted":true},"config":');
    expect(await codeOf(signedFile(ed, text).file, [ed.trusted])).toBe('BUNDLE_PAYLOAD_INVALID');
    const config = (({ include: _i, ...c }) => c)(sampleConfig()) as Record<string, unknown>;
    const inConfig = canonicalJson(payload(config)).replace('"config":{', '"config":{"__proto__":{"polluted":true},');
    expect(await codeOf(signedFile(ed, inConfig).file, [ed.trusted])).not.toBe('ok');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a lone surrogate is accepted only in its canonical escaped form, and the config digest covers it', async () => {
    const config = (({ include: _i, ...c }) => c)(sampleConfig()) as { projects: { tools: { description: string }[] }[] };
    config.projects[0]!.tools[0]!.description = 'half \ud800 a pair';
    const text = canonicalJson(payload(config as unknown as Record<string, unknown>));
    expect(text).toContain('half \\ud800 a pair');
    const r = await verifyBundle(signedFile(ed, text).file, [ed.trusted]);
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.payload.config.projects![0]!.tools![0]!.description).toBe('half \ud800 a pair');
    expect(await codeOf(signedFile(ed, text.replace('\\ud800', '\\uD800')).file, [ed.trusted])).toBe('BUNDLE_NOT_CANONICAL');
  });

  it('a config digest over another text of the same config is a mismatch, not a pass', async () => {
    const p = payload();
    const config = p.config as Record<string, unknown>;
    p.config_digest = `sha256:${(await import('node:crypto')).createHash('sha256').update(JSON.stringify(config, null, 1)).digest('hex')}`;
    expect(await codeOf(signedFile(ed, canonicalJson(p)).file, [ed.trusted])).toBe('BUNDLE_DIGEST_MISMATCH');
  });

  it('the signature is checked over the file text itself: a payload re-encoded to the same bytes (other base64url) cannot be written', async () => {
    // A payload whose base64url has a partial last group (one of three lengths in a row has one).
    const texts = ['', 'x', 'xx'].map((extra) => canonicalJson({ ...payload(), created_at: `2024-05-01T12:00:00Z${extra}` }));
    const text = texts.find((t) => Buffer.byteLength(t) % 3 !== 0)!;
    const { envelope } = signedFile(ed, text);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // Flip the unused low bits of the last character: the same bytes decoded, a different text.
    const t = envelope.payload!;
    const twin = `${t.slice(0, -1)}${alphabet[alphabet.indexOf(t[t.length - 1]!) ^ 1]}`;
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(t, 'base64url'))).toBe(true);
    expect(await codeOf(new TextEncoder().encode(`${canonicalJson({ ...envelope, payload: twin })}\n`), [ed.trusted])).toBe('BUNDLE_MALFORMED');
  });

  it('algorithm and key confusion: the header cannot pick the algorithm, and a key serves only its own', async () => {
    const text = canonicalJson(payload());
    // ES384 signature under a header that says ES256 for a P-384 key id.
    expect(await codeOf(signedFile(p384, text, { alg: 'ES256', kid: p384.trusted.kid, typ: BUNDLE_JWS_TYPE }).file, [p384.trusted])).toBe('BUNDLE_ALG_MISMATCH');
    // A P-384 key trusted as if it were ES256 (a mis-built key list) verifies nothing.
    const good384 = signedFile(p384, text).file;
    expect(await codeOf(good384, [{ ...p384.trusted, alg: 'ES256' }])).not.toBe('ok');
    // An Ed25519 signature presented for a P-256 kid.
    const edSig = signedFile(ed, text, { alg: 'ES256', kid: p256.trusted.kid, typ: BUNDLE_JWS_TYPE });
    expect(await codeOf(edSig.file, [p256.trusted])).toBe('BUNDLE_SIGNATURE_INVALID');
    // HS256 with the public key bytes as the HMAC secret (the classic confusion): refused before any MAC is tried.
    const hs = signedFile(ed, text, { alg: 'HS256', kid: ed.trusted.kid, typ: BUNDLE_JWS_TYPE });
    expect(await codeOf(hs.file, [ed.trusted])).toBe('BUNDLE_ALG_MISMATCH');
  });

  it('ECDSA: DER and r||s of the other curve size are refused; the (r, n-s) twin verifies with the same payload digest (ECDSA malleability: the digest names the payload, not the file)', async () => {
    const text = canonicalJson(payload());
    const { envelope } = signedFile(p256, text);
    const input = Buffer.from(`${envelope.protected}.${envelope.payload}`, 'ascii');
    const der = sign('sha256', input, { key: p256.privateKey, dsaEncoding: 'der' });
    const withSig = (sig: Buffer) => new TextEncoder().encode(`${canonicalJson({ ...envelope, signature: b64(sig) })}\n`);
    expect(await codeOf(withSig(der), [p256.trusted])).toBe('BUNDLE_SIGNATURE_INVALID');
    expect(await codeOf(withSig(Buffer.concat([Buffer.alloc(16), Buffer.from(envelope.signature!, 'base64url'), Buffer.alloc(16)])), [p256.trusted])).toBe('BUNDLE_SIGNATURE_INVALID');
    const sig = Buffer.from(envelope.signature!, 'base64url');
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    const twin = Buffer.concat([sig.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')]);
    const a = await verifyBundle(withSig(sig), [p256.trusted]);
    const b = await verifyBundle(withSig(twin), [p256.trusted]);
    expect(a.ok && b.ok && a.digest === b.digest).toBe(true);
    // r or s zero, or s = n: never valid.
    expect(await codeOf(withSig(Buffer.concat([sig.subarray(0, 32), Buffer.alloc(32)])), [p256.trusted])).toBe('BUNDLE_SIGNATURE_INVALID');
    expect(await codeOf(withSig(Buffer.concat([sig.subarray(0, 32), Buffer.from(n.toString(16), 'hex')])), [p256.trusted])).toBe('BUNDLE_SIGNATURE_INVALID');
  });
});
