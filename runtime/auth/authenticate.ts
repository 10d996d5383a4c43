import { hash, timingSafeEqual } from 'node:crypto';
import type { CallerIdentity } from '../execute/types.js';
import type { RuntimeModel } from '../load/runtime-model.js';
import { SESSION_TOKEN_PREFIX } from '../members/session-tokens.js';

/** The prefix of project API keys (compatible with the hosted product). */
export const API_KEY_PREFIX = 'tengine_';

/** Outcome of authenticating a request: a caller, or why there is none (RFC 6750 error semantics). */
export type AuthOutcome =
  | { ok: true; caller: CallerIdentity }
  | { ok: false; reason: AuthFailure; message: string };

/** Why a request has no caller; each maps to a stable code (docs/http-api.md). */
export type AuthFailure = 'missing' | 'invalid' | 'expired' | 'revoked';

/** The stable code of each failure, as sent in `error.data.code`. */
export const AUTH_FAILURE_CODES: Record<AuthFailure, string> = {
  missing: 'MISSING_TOKEN',
  invalid: 'INVALID_TOKEN',
  expired: 'MEMBER_TOKEN_EXPIRED',
  revoked: 'SESSION_REVOKED',
};

// Above the largest session token a maximal valid assertion can produce (about 9 KiB), far below header limits.
const MAX_TOKEN_LENGTH = 16384;

/**
 * Establishes who is calling from the `Authorization` header. API keys are looked up by their SHA-256, so the
 * comparison never runs over the secret itself; the matched hash is still compared in constant time. Member
 * session tokens and OAuth access tokens plug in here later.
 */
export function authenticate(authorization: string | undefined, model: RuntimeModel): AuthOutcome {
  if (!authorization) return { ok: false, reason: 'missing', message: 'Missing bearer token' };
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization);
  if (!m) return { ok: false, reason: 'missing', message: 'Authorization must be "Bearer <token>"' };
  const token = m[1]!;
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid', message: 'Invalid or inactive API key' };
  if (token.startsWith(API_KEY_PREFIX)) {
    const digest = hash('sha256', token, 'buffer');
    // Selector/verifier: the first 8 bytes pick candidates, the full digest is compared in constant time.
    for (const candidate of model.apiKeys.get(digest.subarray(0, 8).toString('hex')) ?? []) {
      if (timingSafeEqual(candidate.digest, digest)) {
        return { ok: true, caller: { kind: 'api_key', projectId: candidate.projectId, integrationId: candidate.integrationId } };
      }
    }
  }
  if (token.startsWith(SESSION_TOKEN_PREFIX) && model.sessions) {
    const v = model.sessions.verify(token);
    if (!v.ok) {
      return v.reason === 'EXPIRED'
        ? { ok: false, reason: 'expired', message: 'Member JWT has expired' }
        : { ok: false, reason: 'invalid', message: 'Invalid member session token' };
    }
    const s = v.session;
    // Checked at use time against the bundle being served: removing an integration revokes its sessions at once.
    if (!model.integrations.has(`${s.projectId}/${s.integrationId}`)) {
      return { ok: false, reason: 'revoked', message: 'Member session is no longer valid: its integration was removed' };
    }
    return { ok: true, caller: { kind: 'member', projectId: s.projectId, integrationId: s.integrationId, member: s.member } };
  }
  return { ok: false, reason: 'invalid', message: 'Invalid or inactive API key' };
}
