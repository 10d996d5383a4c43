import { createHash, timingSafeEqual } from 'node:crypto';
import { OAuthError } from './errors.js';

/*
 * The authorization server's decisions that need no I/O: which redirect URI a client may use, whether a PKCE
 * verifier proves the challenge, which scopes a grant gets. Pure functions, so each rule is unit-tested on its own
 * and every endpoint asks the same question the same way.
 */

/** Longest redirect URI considered at all: longer ones are refused before any comparison. */
export const MAX_REDIRECT_URI_LENGTH = 2048;

// A loopback redirect URI, split so that only the port may differ (RFC 8252 §7.3, §8.3): `http`, an IP literal of
// the loopback interface or `localhost` (what Claude Code, mcp-remote and the Inspector register), an optional
// port, then the rest exactly as written.
const LOOPBACK = /^http:\/\/(localhost|127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;

/**
 * The registered redirect URI that `requested` matches, or undefined. Matching is by exact string (RFC 9700 §4.1.1:
 * no trailing-slash, case, path, query or userinfo leeway), except that a loopback URI matches whatever port the
 * client listens on, since native clients pick a free port at run time (RFC 8252 §7.3). Scheme, host spelling,
 * path and query must still be identical, and a fragment is never allowed (RFC 6749 §3.1.2).
 */
export function matchRedirectUri(registered: readonly string[], requested: string): string | undefined {
  if (requested.length === 0 || requested.length > MAX_REDIRECT_URI_LENGTH || requested.includes('#')) return undefined;
  if (registered.includes(requested)) return requested;
  const want = splitLoopback(requested);
  if (!want) return undefined;
  return registered.find((uri) => {
    const have = splitLoopback(uri);
    return have !== undefined && have.host === want.host && have.rest === want.rest;
  });
}

/** Host and everything after the port of a loopback redirect URI with a valid (or no) port; else undefined. */
function splitLoopback(uri: string): { host: string; rest: string } | undefined {
  const m = LOOPBACK.exec(uri);
  if (!m) return undefined;
  if (m[2] !== undefined) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535 || m[2].startsWith('0')) return undefined;
  }
  return { host: m[1]!, rest: m[3] ?? '' };
}

// RFC 7636 §4.1: 43-128 characters of the unreserved set.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
// A base64url SHA-256 digest without padding.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Whether `challenge` is an S256 code challenge (`plain` is refused: OAuth 2.1 §4.1.1, MCP authorization). */
export function isS256Challenge(challenge: string, method: string | undefined): boolean {
  return method === 'S256' && S256_CHALLENGE.test(challenge);
}

/**
 * Checks a PKCE verifier against the S256 challenge stored with the code (RFC 7636 §4.6), in constant time.
 * Throws invalid_grant, as the RFC says for a verifier that does not match, and for a missing or malformed one.
 */
export function verifyPkce(verifier: string | undefined, challenge: string): void {
  if (verifier === undefined || verifier === '') throw new OAuthError('invalid_grant', 'code_verifier is required: the authorization request carried a code_challenge');
  if (!VERIFIER.test(verifier)) throw new OAuthError('invalid_grant', 'code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~');
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The scopes of a `scope` parameter, in order, duplicates dropped. Throws invalid_scope for anything RFC 6749 §3.3
 * does not allow (empty tokens from doubled or edge spaces, quotes, backslashes, non-ASCII).
 */
export function parseScope(scope: string): string[] {
  const tokens = scope.split(' ');
  for (const t of tokens) if (!SCOPE_TOKEN.test(t)) throw new OAuthError('invalid_scope', 'scope must be scope tokens separated by single spaces (RFC 6749 §3.3)');
  return [...new Set(tokens)];
}

/**
 * The scopes a grant gets. No `scope` requested: the whole ceiling (the client asked for what the integration
 * allows). Otherwise each requested scope must be in the ceiling (invalid_scope names the first that is not), and
 * the grant adds what the requested ones imply (`tickets:write` ⇒ `tickets:read`), transitively, as far as the
 * ceiling allows. Returned in the ceiling's order, so equal grants compare equal.
 */
export function grantScopes(requested: string | undefined, ceiling: readonly string[], implies: Readonly<Record<string, readonly string[]>> = {}): string[] {
  if (requested === undefined) return [...ceiling];
  const allowed = new Set(ceiling);
  const granted = new Set<string>();
  const pending = parseScope(requested);
  for (const s of pending) if (!allowed.has(s)) throw new OAuthError('invalid_scope', `"${s.slice(0, 100)}" is not a scope this client may be granted`);
  while (pending.length > 0) {
    const s = pending.pop()!;
    if (granted.has(s) || !allowed.has(s)) continue;
    granted.add(s);
    for (const t of implies[s] ?? []) pending.push(t);
  }
  return ceiling.filter((s) => granted.has(s));
}

/**
 * A grant cut down to the integration's current ceiling: when a new bundle tightens the ceiling, tokens issued under
 * the old one lose the scopes it no longer allows at once.
 */
export function cutToCeiling(granted: readonly string[], ceiling: readonly string[]): string[] {
  const allowed = new Set(ceiling);
  return granted.filter((s) => allowed.has(s));
}
