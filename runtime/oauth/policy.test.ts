import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OAuthError, OAUTH_ERRORS } from './errors.js';
import { cutToCeiling, grantScopes, isS256Challenge, matchRedirectUri, MAX_REDIRECT_URI_LENGTH, parseScope, verifyPkce } from './policy.js';

/** The RFC code of what `fn` throws (fails the test when it throws something else or nothing). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OAuthError);
    return (e as OAuthError).code;
  }
  throw new Error('expected an OAuthError');
}

describe('matchRedirectUri', () => {
  const registered = ['https://claude.ai/api/mcp/auth_callback', 'http://localhost:3118/callback', 'http://127.0.0.1/oauth/cb?client=x', 'http://[::1]:8000/cb'];

  it.each([
    ['the exact https URI', 'https://claude.ai/api/mcp/auth_callback', 'https://claude.ai/api/mcp/auth_callback'],
    ['the exact loopback URI', 'http://localhost:3118/callback', 'http://localhost:3118/callback'],
    ['localhost on another port (RFC 8252 §7.3)', 'http://localhost:50123/callback', 'http://localhost:3118/callback'],
    ['localhost without a port', 'http://localhost/callback', 'http://localhost:3118/callback'],
    ['127.0.0.1 on any port, query kept', 'http://127.0.0.1:49152/oauth/cb?client=x', 'http://127.0.0.1/oauth/cb?client=x'],
    ['[::1] on another port', 'http://[::1]:65535/cb', 'http://[::1]:8000/cb'],
  ])('matches %s', (_name, requested, expected) => {
    expect(matchRedirectUri(registered, requested)).toBe(expected);
  });

  it.each([
    ['a trailing slash', 'https://claude.ai/api/mcp/auth_callback/'],
    ['upper case in the path', 'https://claude.ai/api/mcp/Auth_callback'],
    ['upper case in the host', 'https://Claude.ai/api/mcp/auth_callback'],
    ['an extra path segment', 'https://claude.ai/api/mcp/auth_callback/extra'],
    ['a dot segment', 'https://claude.ai/api/mcp/x/../auth_callback'],
    ['a query', 'https://claude.ai/api/mcp/auth_callback?next=/'],
    ['a fragment', 'https://claude.ai/api/mcp/auth_callback#x'],
    ['userinfo', 'https://evil@claude.ai/api/mcp/auth_callback'],
    ['a port on the https URI', 'https://claude.ai:8443/api/mcp/auth_callback'],
    ['http on a non-loopback host', 'http://claude.ai/api/mcp/auth_callback'],
    ['localhost.evil.example', 'http://localhost.evil.example:3118/callback'],
    ['localhost with userinfo', 'http://user@localhost:3118/callback'],
    ['localhost with another path', 'http://localhost:3118/callback2'],
    ['localhost with a trailing slash', 'http://localhost:3118/callback/'],
    ['localhost with a fragment', 'http://localhost:3118/callback#f'],
    ['LOCALHOST in capitals', 'http://LOCALHOST:3118/callback'],
    ['https on the loopback URI (the scheme is part of it)', 'https://localhost:3118/callback'],
    ['another loopback spelling (127.0.0.1 for localhost)', 'http://127.0.0.1:3118/callback'],
    ['port 0', 'http://localhost:0/callback'],
    ['a port over 65535', 'http://localhost:65536/callback'],
    ['a port with a leading zero', 'http://localhost:03118/callback'],
    ['the loopback query changed', 'http://127.0.0.1:5000/oauth/cb?client=y'],
    ['an empty string', ''],
    ['a relative URI', '/callback'],
  ])('refuses %s', (_name, requested) => {
    expect(matchRedirectUri(registered, requested)).toBeUndefined();
  });

  it(`refuses anything longer than ${MAX_REDIRECT_URI_LENGTH} characters, even a registered one`, () => {
    const long = `https://app.example.com/${'a'.repeat(MAX_REDIRECT_URI_LENGTH)}`;
    expect(matchRedirectUri([long], long)).toBeUndefined();
  });

  it('property: a non-loopback URI matches only itself', () => {
    fc.assert(
      fc.property(fc.webUrl({ withFragments: false, withQueryParameters: true }), fc.webUrl({ withFragments: true, withQueryParameters: true }), (a, b) => {
        const got = matchRedirectUri([a], b);
        if (!/^http:\/\/(localhost|127\.|\[::1\])/.test(a)) expect(got === undefined || b === a).toBe(true);
      }),
      { numRuns: 500, seed: 9 },
    );
  });
});

describe('PKCE (S256 only)', () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  it('accepts the verifier of the challenge', () => {
    expect(() => verifyPkce(verifier, challenge)).not.toThrow();
  });

  it.each([
    ['a missing verifier', undefined],
    ['an empty verifier', ''],
    ['another verifier', randomBytes(32).toString('base64url')],
    ['a verifier of 42 characters', 'a'.repeat(42)],
    ['a verifier of 129 characters', 'a'.repeat(129)],
    ['a verifier with a character outside the unreserved set', `${verifier.slice(0, 42)}+`],
    ['the challenge itself (plain)', challenge],
  ])('refuses %s with invalid_grant', (_name, v) => {
    expect(codeOf(() => verifyPkce(v, challenge))).toBe('invalid_grant');
  });

  it('a challenge must be S256 and 43 base64url characters; plain is refused', () => {
    expect(isS256Challenge(challenge, 'S256')).toBe(true);
    expect(isS256Challenge(challenge, 'plain')).toBe(false);
    expect(isS256Challenge(challenge, undefined)).toBe(false);
    expect(isS256Challenge(challenge, 's256')).toBe(false);
    expect(isS256Challenge(`${challenge}=`, 'S256')).toBe(false);
    expect(isS256Challenge(challenge.slice(1), 'S256')).toBe(false);
  });
});

describe('scopes', () => {
  const ceiling = ['tickets:read', 'tickets:write', 'users:read'];
  const implies = { 'tickets:write': ['tickets:read'], 'users:admin': ['users:read'] };

  it('no scope requested: the whole ceiling', () => {
    expect(grantScopes(undefined, ceiling, implies)).toEqual(ceiling);
  });

  it('a subset, with what it implies, in the ceiling\'s order', () => {
    expect(grantScopes('tickets:write', ceiling, implies)).toEqual(['tickets:read', 'tickets:write']);
    expect(grantScopes('users:read tickets:read', ceiling, implies)).toEqual(['tickets:read', 'users:read']);
    expect(grantScopes('users:read users:read', ceiling, implies)).toEqual(['users:read']);
  });

  it('an implied scope outside the ceiling is not granted', () => {
    expect(grantScopes('tickets:write', ['tickets:write'], implies)).toEqual(['tickets:write']);
  });

  it('implications are followed transitively and survive cycles', () => {
    const chain = { a: ['b'], b: ['c'], c: ['a'] };
    expect(grantScopes('a', ['a', 'b', 'c'], chain)).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['a scope above the ceiling', 'tickets:read admin'],
    ['a scope only implied elsewhere', 'users:admin'],
    ['an empty scope', ''],
    ['a doubled space', 'tickets:read  users:read'],
    ['a leading space', ' tickets:read'],
    ['a quote', 'tickets"read'],
    ['a backslash', 'tickets\\read'],
    ['non-ASCII', 'tickets:réad'],
    ['a tab', 'tickets:read\tusers:read'],
  ])('refuses %s with invalid_scope', (_name, scope) => {
    expect(codeOf(() => grantScopes(scope, ceiling, implies))).toBe('invalid_scope');
  });

  it('parseScope keeps order and drops duplicates', () => {
    expect(parseScope('b a b')).toEqual(['b', 'a']);
  });

  it('a tightened ceiling cuts existing grants down at once', () => {
    expect(cutToCeiling(['tickets:read', 'tickets:write'], ['tickets:read', 'users:read'])).toEqual(['tickets:read']);
    expect(cutToCeiling(['tickets:read'], [])).toEqual([]);
  });
});

describe('OAuth errors', () => {
  it('each code has the status of its RFC; the body is the RFC 6749 §5.2 shape', () => {
    expect(OAUTH_ERRORS.invalid_client.status).toBe(401);
    expect(OAUTH_ERRORS.invalid_grant.status).toBe(400);
    expect(OAUTH_ERRORS.temporarily_unavailable.status).toBe(503);
    const e = new OAuthError('invalid_scope', 'too much');
    expect(e.status).toBe(400);
    expect(e.body()).toEqual({ error: 'invalid_scope', error_description: 'too much' });
  });
});
