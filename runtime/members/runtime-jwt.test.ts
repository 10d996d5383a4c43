// The runtime's own JWTs (member session and identity tokens): one token string per signature. A compact JWS whose
// signature part is not the canonical unpadded base64url of a signature of the right size is refused, so nobody
// holding one valid token can spin endless distinct strings that all verify (RFC 7515 §2, §7.1; RFC 7518 §3.4).
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadRuntimeKeySet } from '../keys/runtime-keys.js';
import { RuntimeJwt } from './runtime-jwt.js';
import { SessionTokens } from './session-tokens.js';

function keySet(kind: 'ES256' | 'ES384' | 'EdDSA'): string {
  const { privateKey } = kind === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: kind === 'ES256' ? 'P-256' : 'P-384' });
  return JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: `k-${kind}`, use: 'sig', alg: kind }] });
}

const now = () => 1_700_000_000;

describe.each(['ES256', 'ES384', 'EdDSA'] as const)('RuntimeJwt %s', (alg) => {
  const jwt = new RuntimeJwt(loadRuntimeKeySet(keySet(alg)), now);
  const token = jwt.sign('tng-test+jwt', { sub: 'a' });
  const [h, p, s] = token.split('.') as [string, string, string];

  it('verifies the token it signed', () => {
    expect(jwt.verify(token, 'tng-test+jwt')).toMatchObject({ ok: true, payload: { sub: 'a' } });
  });

  it.each([
    ['characters appended after the signature', `${s}~~~~`],
    ['base64 padding', `${s}==`],
    ['a standard-base64 character', `${s.slice(0, -1)}+`],
    ['a truncated signature', s.slice(0, -2)],
    ['an empty signature', ''],
  ])('refuses a signature part with %s (MALFORMED, not a second valid spelling)', (_what, sig) => {
    expect(jwt.verify(`${h}.${p}.${sig}`, 'tng-test+jwt')).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('refuses a non-canonical last character that decodes to the same bytes', () => {
    // Only a signature whose length is not a multiple of 3 bytes has spare bits in its last character (not ES384).
    if (s.length % 4 === 0) return;
    const bytes = Buffer.from(s, 'base64url');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = [...alphabet].map((c) => s.slice(0, -1) + c).find((t) => t !== s && Buffer.from(t, 'base64url').equals(bytes));
    expect(twin).toBeDefined();
    expect(jwt.verify(`${h}.${p}.${twin}`, 'tng-test+jwt')).toEqual({ ok: false, reason: 'MALFORMED' });
  });
});

describe('SessionTokens cache', () => {
  it('a valid tng_mst_ token with junk appended is refused, so junk variants never enter the cache', () => {
    const jwt = new RuntimeJwt(loadRuntimeKeySet(keySet('ES256')), () => Math.floor(Date.now() / 1000));
    const sessions = new SessionTokens(jwt, 'https://mcp.example.com', 900, Date.now);
    const { token } = sessions.mint('crm', 'backend', { id: 'alice' });
    expect(sessions.verify(token)).toMatchObject({ ok: true });
    for (const junk of ['~', '!', '=', '~'.repeat(8000)]) expect(sessions.verify(token + junk)).toEqual({ ok: false, reason: 'INVALID' });
  });
});
