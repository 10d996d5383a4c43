import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from './jwk-thumbprint.js';

const keys: [string, KeyObject][] = [
  ['Ed25519', generateKeyPairSync('ed25519').publicKey],
  ['P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
  ['P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
];

describe('jwkThumbprint (RFC 7638)', () => {
  it.each(keys)('gives jose’s calculateJwkThumbprint for a %s key', async (_name, key) => {
    const jwk = key.export({ format: 'jwk' });
    expect(jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256'));
    // Extra members (kid, alg, use, a private d) do not change it.
    expect(jwkThumbprint({ ...jwk, kid: 'x', alg: 'ES256', use: 'sig', d: 'secret' } as typeof jwk)).toBe(jwkThumbprint(jwk));
  });

  it('refuses a key type it does not implement', () => {
    expect(() => jwkThumbprint({ kty: 'RSA', n: 'x', e: 'AQAB' })).toThrow(TypeError);
  });
});
