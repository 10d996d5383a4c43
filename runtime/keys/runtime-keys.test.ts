import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, CompactEncrypt, compactVerify, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, loadRuntimeKeySet, RuntimeKeyError, type RuntimeKeySet } from './runtime-keys.js';

// Built here rather than with the CLI so the runtime tests do not import cli/ (test/ has the cross check).
async function jwk(key: KeyObject, use: 'sig' | 'enc', alg: string): Promise<JWK & { kid: string }> {
  const j = key.export({ format: 'jwk' }) as JWK;
  const { d: _d, ...pub } = j;
  return { ...j, kid: await calculateJwkThumbprint(pub, 'sha256'), use, alg };
}

let sig: JWK & { kid: string };
let enc: JWK & { kid: string };
let encPublic: KeyObject;
let keySet: RuntimeKeySet;

beforeAll(async () => {
  sig = await jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'sig', 'ES256');
  const encPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  encPublic = encPair.publicKey;
  enc = await jwk(encPair.privateKey, 'enc', 'ECDH-ES+A256KW');
  keySet = loadRuntimeKeySet(JSON.stringify({ keys: [sig, enc] }));
});

function seal(text: string, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(text))
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: enc.kid, cty: 'tengine-secret', ...header })
    .encrypt(encPublic);
}

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(RuntimeKeyError);
  return (e as RuntimeKeyError).code;
}

describe('loadRuntimeKeySet', () => {
  it('loads signing keys (first active) and decryption keys by kid, and publishes only public signing JWKs', async () => {
    expect(keySet.signing.map((k) => [k.kid, k.alg])).toEqual([[sig.kid, 'ES256']]);
    expect([...keySet.decryption.keys()]).toEqual([enc.kid]);
    expect(keySet.publicJwks.keys).toHaveLength(1);
    expect(keySet.publicJwks.keys[0]).not.toHaveProperty('d');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: sig.kid }).sign(keySet.signing[0]!.privateKey);
    await expect(compactVerify(token, keySet.publicJwks.keys[0] as JWK as never)).resolves.toBeDefined();
  });

  it('refuses broken key sets with RUNTIME_KEYS_INVALID', async () => {
    const { d: _d, ...pubSig } = sig;
    const cases = ['nope', '{}', JSON.stringify({ keys: [enc] }), JSON.stringify({ keys: [pubSig] }), JSON.stringify({ keys: [sig, sig] }),
      JSON.stringify({ keys: [{ ...sig, alg: 'ES384' }] }), JSON.stringify({ keys: [{ ...sig, use: undefined }] })];
    for (const text of cases) expect(await code(Promise.resolve().then(() => loadRuntimeKeySet(text)))).toBe('RUNTIME_KEYS_INVALID');
  });
});

describe('decryptSecret', () => {
  it('opens a secret sealed to the enc key', async () => {
    expect(await decryptSecret(await seal('p@ss wörd'), keySet)).toBe('p@ss wörd');
  });

  it('SECRET_KEY_UNKNOWN for a kid not in the key set', async () => {
    expect(await code(decryptSecret(await seal('x', { kid: 'rotated-away' }), keySet))).toBe('SECRET_KEY_UNKNOWN');
  });

  it('SECRET_DECRYPT_FAILED for a damaged JWE, another cty, or junk', async () => {
    const jwe = await seal('x');
    const parts = jwe.split('.');
    parts[3] = `${parts[3]?.[0] === 'A' ? 'B' : 'A'}${parts[3]?.slice(1)}`;
    expect(await code(decryptSecret(parts.join('.'), keySet))).toBe('SECRET_DECRYPT_FAILED');
    expect(await code(decryptSecret(await seal('x', { cty: 'JWT' }), keySet))).toBe('SECRET_DECRYPT_FAILED');
    expect(await code(decryptSecret('not-a-jwe', keySet))).toBe('SECRET_DECRYPT_FAILED');
  });
});
