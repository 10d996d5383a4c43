import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Member } from '../members/session-tokens.js';
import type { Store } from '../store/store.js';
import { OAuthError } from './errors.js';

/*
 * Authorization codes and refresh-token families in the shared store, so that a code issued by one instance redeems
 * on another and a refresh token rotates once across all of them. Only SHA-256 digests of codes and tokens are
 * stored (docs/storage.md). Keys:
 *   oauth:code:<sha256>      the grant an unredeemed code stands for (60 s)
 *   oauth:code-used:<sha256> the family a redeemed code started (10 min): a second redemption revokes it
 *   oauth:rt:<sha256>        the grant of a live refresh token (until its family expires)
 *   oauth:rt-used:<sha256>   family and time of rotation of a rotated refresh token (until its family expires)
 *   oauth:family:<id>        `active` or `revoked` (until the family expires)
 */

/** Prefix of authorization codes. */
export const CODE_PREFIX = 'tng_ac_';
/** Prefix of refresh tokens. */
export const REFRESH_TOKEN_PREFIX = 'tng_rt_';
/** An authorization code lives this long (RFC 9700 §4.5 wants short-lived codes). */
export const CODE_TTL_MS = 60_000;
/** How long a redeemed code is remembered, so that its replay revokes what it produced. */
const CODE_USED_TTL_MS = 10 * 60_000;
/**
 * A rotated refresh token presented again within this window is refused without revoking its family: a client that
 * sent one refresh twice at once (two tabs, a retry after a lost response) keeps the continuation the first request
 * got. Later, it is a replay (the token was stolen or copied), and the whole family is revoked.
 */
export const REFRESH_REUSE_GRACE_MS = 10_000;

/** What a grant holds, from the authorization request to every refresh. */
export interface GrantRecord {
  clientId: string;
  projectId: string;
  integrationId: string;
  scopes: string[];
  resource: string;
  /** The member who signed in through the integration's login page; absent for a project-level grant. */
  member?: Member;
}

/** A code's record: the grant plus what the token request must match. */
export interface CodeRecord extends GrantRecord {
  redirectUri: string;
  /** The authorization request named its redirect_uri, so the token request must too (RFC 6749 §4.1.3). */
  redirectUriGiven: boolean;
  codeChallenge: string;
}

/** A live refresh token's record. */
interface RefreshRecord extends GrantRecord {
  family: string;
  /** When the family ends (ms since the epoch): successors do not outlive it. */
  familyExpiresAt: number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');
const secret = (prefix: string) => prefix + randomBytes(32).toString('base64url');

/** Issues a single-use authorization code for a grant. */
export async function issueCode(store: Store, record: CodeRecord): Promise<string> {
  const code = secret(CODE_PREFIX);
  await store.set(`oauth:code:${digest(code)}`, JSON.stringify(record), CODE_TTL_MS);
  return code;
}

/**
 * Redeems a code once. `check` validates the record against the token request (client, redirect URI, PKCE) and
 * throws an OAuthError when it does not match; the code is spent either way. A code presented again revokes the
 * family the first redemption started (RFC 9700 §4.5: the code was intercepted or replayed). Returns the record
 * and the id of the new family.
 */
export async function redeemCode(store: Store, code: string, familyTtlMs: number, check: (record: CodeRecord) => void): Promise<{ record: CodeRecord; family: string }> {
  const h = digest(code);
  const raw = await store.take(`oauth:code:${h}`);
  if (raw === undefined) {
    const family = await store.get(`oauth:code-used:${h}`);
    if (family !== undefined) {
      await revokeFamily(store, family, familyTtlMs);
      throw new OAuthError('invalid_grant', 'the authorization code was already used: the tokens issued for it are revoked');
    }
    throw new OAuthError('invalid_grant', 'the authorization code is unknown or expired (codes live 60 seconds and are single use)');
  }
  const record = JSON.parse(raw) as CodeRecord;
  const family = randomUUID();
  // Active first, then the marker a replay reads: a replay that finds the marker revokes a family already active,
  // and no later write can turn it active again.
  await store.set(`oauth:family:${family}`, 'active', familyTtlMs);
  await store.set(`oauth:code-used:${h}`, family, CODE_USED_TTL_MS);
  check(record);
  return { record, family };
}

/** Issues a refresh token in a family (the first one when the code is redeemed, then one per rotation). */
export async function issueRefreshToken(store: Store, grant: GrantRecord, family: string, familyExpiresAt: number, now: number): Promise<string> {
  const token = secret(REFRESH_TOKEN_PREFIX);
  const record: RefreshRecord = { ...grant, family, familyExpiresAt };
  await store.set(`oauth:rt:${digest(token)}`, JSON.stringify(record), Math.max(1, familyExpiresAt - now));
  return token;
}

/**
 * Rotates a refresh token: the token is spent, and the caller issues its successor in the same family. A spent token
 * presented again after the grace window revokes the family; a token of another client is refused and revokes the
 * family too (it leaked). Returns the grant and family to continue.
 */
export async function rotateRefreshToken(store: Store, token: string, clientId: string, now: number): Promise<{ grant: GrantRecord; family: string; familyExpiresAt: number }> {
  const h = digest(token);
  const raw = await store.take(`oauth:rt:${h}`);
  if (raw === undefined) {
    const used = await store.get(`oauth:rt-used:${h}`);
    if (used !== undefined) {
      const { family, at, familyExpiresAt } = JSON.parse(used) as { family: string; at: number; familyExpiresAt: number };
      if (now - at <= REFRESH_REUSE_GRACE_MS) throw new OAuthError('invalid_grant', 'the refresh token was just used by another request: use the tokens that request received');
      await revokeFamily(store, family, Math.max(1, familyExpiresAt - now));
      throw new OAuthError('invalid_grant', 'the refresh token was already used: every token of this sign-in is revoked, sign in again');
    }
    throw new OAuthError('invalid_grant', 'the refresh token is unknown, expired or revoked');
  }
  const record = JSON.parse(raw) as RefreshRecord;
  const ttl = Math.max(1, record.familyExpiresAt - now);
  await store.set(`oauth:rt-used:${h}`, JSON.stringify({ family: record.family, at: now, familyExpiresAt: record.familyExpiresAt }), ttl);
  if (record.clientId !== clientId) {
    await revokeFamily(store, record.family, ttl);
    throw new OAuthError('invalid_grant', 'the refresh token was issued to another client');
  }
  if ((await store.get(`oauth:family:${record.family}`)) !== 'active') throw new OAuthError('invalid_grant', 'the refresh token is unknown, expired or revoked');
  const { family, familyExpiresAt, ...grant } = record;
  return { grant, family, familyExpiresAt };
}

/** Marks a family revoked: none of its refresh tokens rotates again. */
export async function revokeFamily(store: Store, family: string, ttlMs: number): Promise<void> {
  await store.set(`oauth:family:${family}`, 'revoked', ttlMs);
}

/**
 * Revokes a refresh token (RFC 7009): its whole family, when it belongs to `clientId`. Unknown tokens and other
 * clients' tokens change nothing (the endpoint answers 200 either way, as the RFC says).
 */
export async function revokeRefreshToken(store: Store, token: string, clientId: string, now: number): Promise<void> {
  const raw = await store.get(`oauth:rt:${digest(token)}`);
  if (raw === undefined) return;
  const record = JSON.parse(raw) as RefreshRecord;
  if (record.clientId !== clientId) return;
  await revokeFamily(store, record.family, Math.max(1, record.familyExpiresAt - now));
  await store.delete(`oauth:rt:${digest(token)}`);
}
