import { hash, timingSafeEqual } from 'node:crypto';
import type { CallerIdentity } from '../execute/types.js';
import type { RuntimeModel } from '../load/runtime-model.js';

/** The prefix of project API keys (compatible with the hosted product). */
export const API_KEY_PREFIX = 'tengine_';

/** Outcome of authenticating a request: a caller, or why there is none (RFC 6750 error semantics). */
export type AuthOutcome =
  | { ok: true; caller: CallerIdentity }
  | { ok: false; reason: 'missing' | 'invalid'; message: string };

const MAX_TOKEN_LENGTH = 8192;

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
  return { ok: false, reason: 'invalid', message: 'Invalid or inactive API key' };
}
