import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadRuntimeKeySet } from '../keys/runtime-keys.js';
import { RuntimeJwt } from '../members/runtime-jwt.js';
import { SESSION_TOKEN_TYP } from '../members/session-tokens.js';
import { ACCESS_TOKEN_TYP, AccessTokens } from './access-tokens.js';

function keys(exp?: number) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return loadRuntimeKeySet(JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256', ...(exp !== undefined ? { exp } : {}) }] }));
}

const grant = { clientId: 'c1', projectId: 'p', integrationId: 'i', scopes: ['a', 'b'], family: 'f1' };

describe('AccessTokens (RFC 9068)', () => {
  it('mints at+jwt for the resource and verifies it; the remembered verification still honours expiry', () => {
    let ms = 1_700_000_000_000;
    const jwt = new RuntimeJwt(keys(), () => Math.floor(ms / 1000));
    const tokens = new AccessTokens(jwt, 'https://mcp.example.com', 'https://mcp.example.com/mcp', 3600, () => ms);
    const { token, expiresIn } = tokens.mint({ ...grant, member: { id: 'alice', email: 'a@example.com' } });
    expect(expiresIn).toBe(3600);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    expect(header.typ).toBe(ACCESS_TOKEN_TYP);
    expect(tokens.verify(token)).toEqual({ ok: true, grant: { ...grant, member: { id: 'alice', email: 'a@example.com' } } });
    expect(tokens.verify(token)).toMatchObject({ ok: true });
    ms += 3600_000;
    expect(tokens.verify(token)).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('no access token outlives its family: the family end caps its expiry', () => {
    const ms = 1_700_000_000_000;
    const jwt = new RuntimeJwt(keys(), () => Math.floor(ms / 1000));
    const tokens = new AccessTokens(jwt, 'https://mcp.example.com', 'https://mcp.example.com/mcp', 3600, () => ms);
    const { token, expiresIn } = tokens.mint(grant, ms + 600_000);
    expect(expiresIn).toBe(600);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number; iat: number };
    expect(payload.exp - payload.iat).toBe(600);
  });

  it('a token for another audience or issuer, or another token kind of ours, is invalid', () => {
    const jwt = new RuntimeJwt(keys(), () => 1_700_000_000);
    const now = () => 1_700_000_000_000;
    const mine = new AccessTokens(jwt, 'https://mcp.example.com', 'https://mcp.example.com/mcp', 3600, now);
    const otherAudience = new AccessTokens(jwt, 'https://mcp.example.com', 'https://other.example.com/mcp', 3600, now);
    const otherIssuer = new AccessTokens(jwt, 'https://evil.example.com', 'https://mcp.example.com/mcp', 3600, now);
    expect(mine.verify(otherAudience.mint(grant).token)).toEqual({ ok: false, reason: 'INVALID' });
    expect(mine.verify(otherIssuer.mint(grant).token)).toEqual({ ok: false, reason: 'INVALID' });
    const session = jwt.sign(SESSION_TOKEN_TYP, { iss: 'https://mcp.example.com', aud: 'https://mcp.example.com/mcp', exp: 1_800_000_000 });
    expect(mine.verify(session)).toEqual({ ok: false, reason: 'INVALID' });
  });

  it('a remembered token stops verifying when its signing key retires', () => {
    let s = 1_700_000_000;
    const jwt = new RuntimeJwt(keys(1_700_000_100), () => s);
    const tokens = new AccessTokens(jwt, 'https://mcp.example.com', 'https://mcp.example.com/mcp', 3600, () => s * 1000);
    const { token } = tokens.mint(grant);
    expect(tokens.verify(token)).toMatchObject({ ok: true });
    s += 200;
    expect(tokens.verify(token)).toEqual({ ok: false, reason: 'INVALID' });
  });
});
