import { hash, timingSafeEqual } from 'node:crypto';
import type { CallerIdentity } from '../execute/types.js';
import type { RuntimeModel } from '../load/runtime-model.js';
import { SESSION_TOKEN_PREFIX } from '../members/session-tokens.js';
import { cutToCeiling } from '../oauth/policy.js';
import { registrarOf, REGISTERED_CLIENT_PREFIX, type OAuthClient } from '../oauth/clients.js';

// The registrar of each served client map, found once per bundle rather than per call.
const registrars = new WeakMap<ReadonlyMap<string, OAuthClient>, OAuthClient | null>();
function registrar(clients: ReadonlyMap<string, OAuthClient>): OAuthClient | undefined {
  let r = registrars.get(clients);
  if (r === undefined) registrars.set(clients, (r = registrarOf(clients) ?? null));
  return r ?? undefined;
}

/** A client id of a registered client, or (where the registrar accepts them) a metadata document URL. */
function isSelfDescribed(clientId: string, clients: ReadonlyMap<string, OAuthClient>): boolean {
  if (clientId.startsWith(REGISTERED_CLIENT_PREFIX)) return true;
  return /^https?:\/\//.test(clientId) && registrar(clients)?.registration?.metadataDocuments === true;
}

/** The prefix of project API keys (compatible with the hosted product). */
export const API_KEY_PREFIX = 'tengine_';

/** Outcome of authenticating a request: a caller, or why there is none (RFC 6750 error semantics). */
export type AuthOutcome =
  | { ok: true; caller: CallerIdentity; /** The refresh family of an OAuth access token (checked against revocation). */ family?: string }
  | {
      ok: false;
      reason: AuthFailure;
      /** The compatible catalogue's text (`Invalid or inactive API key`, ...). */
      message: string;
      /**
       * What exactly is wrong, for a person fixing their client setup (`error_description`, `error.data.detail`): never
       * echoes the token, and says nothing a caller could use to tell a revoked key from one that never existed.
       */
      detail: string;
    };

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
 * session tokens and OAuth access tokens are JWTs of the runtime key set, verified without a store round trip.
 */
export function authenticate(authorization: string | undefined, model: RuntimeModel): AuthOutcome {
  if (!authorization) return refuse('missing', 'Missing bearer token', `no Authorization header: send "Authorization: Bearer <API key>" (${API_KEY_PREFIX}...) or a member session token`);
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization);
  if (!m) return refuse('missing', 'Authorization must be "Bearer <token>"', malformedDetail(authorization));
  const token = m[1]!;
  if (token.length > MAX_TOKEN_LENGTH) return refuse('invalid', 'Invalid or inactive API key', `the bearer token is longer than ${MAX_TOKEN_LENGTH} characters`);
  if (/^["']|["']$/.test(token)) return refuse('invalid', 'Invalid or inactive API key', 'the token is wrapped in quotes: send it bare, as Authorization: Bearer <token>');
  if (token.startsWith(API_KEY_PREFIX)) {
    const digest = hash('sha256', token, 'buffer');
    // Selector/verifier: the first 8 bytes pick candidates, the full digest is compared in constant time.
    for (const candidate of model.apiKeys.get(digest.subarray(0, 8).toString('hex')) ?? []) {
      if (timingSafeEqual(candidate.digest, digest)) {
        return { ok: true, caller: { kind: 'api_key', projectId: candidate.projectId, integrationId: candidate.integrationId } };
      }
    }
    const length = token.length === MINTED_KEY_LENGTH ? '' : ` (keys minted by tengine keys are ${MINTED_KEY_LENGTH} characters; this one has ${token.length}: cut off or pasted with extra characters?)`;
    return refuse('invalid', 'Invalid or inactive API key', `no API key of the bundle this runtime serves matches: it was revoked, mistyped, or belongs to another deployment${length}`);
  }
  if (token.startsWith(SESSION_TOKEN_PREFIX) && model.sessions) {
    const v = model.sessions.verify(token);
    if (!v.ok) {
      return v.reason === 'EXPIRED'
        ? refuse('expired', 'Member JWT has expired', 'the member session token has expired: exchange a new member assertion at /api/v1/mcp/session-token')
        : refuse('invalid', 'Invalid member session token', 'the member session token was not issued by this deployment, or was altered');
    }
    const s = v.session;
    // Checked at use time against the bundle being served: removing an integration revokes its sessions at once.
    if (!model.integrations.has(`${s.projectId}/${s.integrationId}`)) {
      return refuse('revoked', 'Member session is no longer valid: its integration was removed', `integration "${s.integrationId}" of project "${s.projectId}" is not in the bundle this runtime serves`);
    }
    return { ok: true, caller: { kind: 'member', projectId: s.projectId, integrationId: s.integrationId, member: s.member } };
  }
  if (token.startsWith('eyJ') && model.accessTokens) {
    const v = model.accessTokens.verify(token);
    if (!v.ok) {
      return v.reason === 'EXPIRED'
        ? refuse('expired', 'Access token has expired', 'the OAuth access token has expired: refresh it at the token endpoint')
        : refuse('invalid', 'Invalid access token', 'the OAuth access token was not issued by this deployment for this MCP endpoint, or was altered');
    }
    const g = v.grant;
    // A dynamically registered client acts as the integration that accepted it (its ceiling, its project).
    const client = model.oauthClients.get(g.clientId) ?? (isSelfDescribed(g.clientId, model.oauthClients) ? registrar(model.oauthClients) : undefined);
    // Checked at use time against the bundle being served: a removed integration's tokens stop working, and a
    // tightened scope ceiling cuts every token down to it at once.
    if (!client || client.projectId !== g.projectId || client.integrationId !== g.integrationId) {
      return refuse('revoked', 'Access token is no longer valid: its integration was removed', `the OAuth client "${g.clientId.slice(0, 128)}" is not in the bundle this runtime serves`);
    }
    const caller: CallerIdentity = { kind: 'oauth', projectId: g.projectId, integrationId: g.integrationId, scopes: cutToCeiling(g.scopes, client.scopes), ceiling: client.scopes, family: g.family };
    if (g.member) caller.member = g.member;
    return { ok: true, caller, family: g.family };
  }
  return refuse('invalid', 'Invalid or inactive API key', `the bearer token is not a Tengine credential: API keys start with ${API_KEY_PREFIX}, member session tokens with ${SESSION_TOKEN_PREFIX}, OAuth access tokens are JWTs`);
}

/** Length of `tengine_` + base64url of 32 random bytes, as `tengine keys api-key` mints them. */
const MINTED_KEY_LENGTH = API_KEY_PREFIX.length + 43;

function refuse(reason: AuthFailure, message: string, detail: string): AuthOutcome {
  return { ok: false, reason, message, detail };
}

/** Why an Authorization header is not `Bearer <token>`, in the words of the usual mistake. */
function malformedDetail(header: string): string {
  const scheme = /^(\S+)/.exec(header)?.[1] ?? '';
  if (/^bearer$/i.test(header.trim())) return 'the bearer token is empty (was the key file or variable empty?)';
  if (!/^bearer$/i.test(scheme)) {
    if (scheme.startsWith(API_KEY_PREFIX) || scheme.startsWith(SESSION_TOKEN_PREFIX)) return 'the token is sent without the Bearer scheme in front of it';
    return `the Authorization scheme must be Bearer${/^[A-Za-z][A-Za-z0-9_-]{0,20}$/.test(scheme) ? `, not ${scheme}` : ''}`;
  }
  return 'the bearer token contains whitespace: send exactly one token after Bearer';
}

/** A text as the inside of an RFC 9110 quoted-string: printable ASCII only (RFC 6750 §3 error_description), `"` and `\\` escaped. */
export function quotedParam(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&');
}
