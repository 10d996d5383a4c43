import { logOf, traceOf } from '../observability/hono-trace.js';
import type { Context } from 'hono';
import { ClientAuthError, type AuthenticatedClient } from './client-auth.js';
import { authenticateLimitedClient } from './endpoint-limit.js';
import type { OAuthDeps } from './deps.js';
import { NO_STORE_HEADERS, OAuthError, OAuthLimitError } from './errors.js';
import { issueRefreshToken, redeemCode, revokeFamily, revokeRefreshToken, rotateRefreshToken, REFRESH_TOKEN_PREFIX, type GrantRecord } from './grants.js';
import { cutToCeiling, parseScope, verifyPkce } from './policy.js';
import { readForm } from './request-params.js';
import { recordConnection } from './connections.js';

/** The RFC 6749 §5.2 answer for a refusal, logged without secrets. */
function refusal(c: Context, deps: OAuthDeps, endpoint: string, e: unknown, clientId?: string): Response {
  if (!(e instanceof OAuthError)) {
    logOf(c, deps.log)?.({ level: 'error', event: 'oauth_error', endpoint, error: (e as Error)?.message });
    // A store outage is not the client's fault, and trying again may work.
    e = new OAuthError('temporarily_unavailable', 'the authorization server cannot complete the request right now; try again');
  }
  const err = e as OAuthError;
  const limited = err instanceof OAuthLimitError ? err : undefined;
  logOf(c, deps.log)?.({ level: 'info', event: 'oauth_refused', endpoint, client_id: clientId, error: err.code, ...(limited ? { code: limited.auditCode } : {}), detail: err.description });
  const headers: Record<string, string> = { ...NO_STORE_HEADERS };
  if (limited) headers['Retry-After'] = String(limited.retryAfterSeconds);
  if (err instanceof ClientAuthError && err.basic) headers['WWW-Authenticate'] = 'Basic realm="tengine", charset="UTF-8"';
  // invalid_client is 401 only when the client tried the Authorization header (RFC 6749 §5.2); otherwise 400.
  const status = err.code === 'invalid_client' && !(err instanceof ClientAuthError && err.basic) ? 400 : err.status;
  return c.json(err.body(), status as 400, headers);
}

/**
 * The tokens of a grant: an access token with `scopes` (the grant cut to the current ceiling, or narrowed by the
 * request) and the next refresh token of the family, which keeps the whole grant: a narrowed refresh or a ceiling
 * tightened for a while narrows access tokens, never the grant itself (RFC 6749 §6).
 */
async function tokenResponse(c: Context, deps: OAuthDeps, grantType: 'authorization_code' | 'refresh_token', grant: GrantRecord, scopes: string[], family: string, familyExpiresAt: number): Promise<Response> {
  const now = deps.now();
  const accessTokens = deps.model.accessTokens;
  if (!accessTokens) throw new Error('access tokens are not attached');
  const access = accessTokens.mint({ clientId: grant.clientId, projectId: grant.projectId, integrationId: grant.integrationId, scopes, family, ...(grant.member ? { member: grant.member } : {}) }, familyExpiresAt);
  const refresh = await issueRefreshToken(deps.store, grant, family, familyExpiresAt, now);
  logOf(c, deps.log)?.({ level: 'info', event: 'oauth_token_issued', grant_type: grantType, client_id: grant.clientId, project: grant.projectId, integration: grant.integrationId, member: grant.member?.id, scopes });
  return c.json({ access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, refresh_token: refresh, scope: scopes.join(' ') }, 200, NO_STORE_HEADERS);
}

/** POST /api/v1/mcp-oauth/token: the authorization_code and refresh_token grants (RFC 6749 §4.1.3, §6). */
export function tokenHandler(deps: OAuthDeps) {
  return async (c: Context): Promise<Response> => {
    let clientId: string | undefined;
    try {
      const form = await readForm(c.req.raw);
      // Client text, bounded; metrics label only the grants the server implements.
      const trace = traceOf(c);
      if (trace && form.grant_type !== undefined) trace.fields.grant_type = form.grant_type.slice(0, 64);
      const { client } = await authenticateLimitedClient(c, deps, 'token', form);
      clientId = client.clientId;
      const now = deps.now();
      if (form.grant_type === 'authorization_code') {
        if (form.code === undefined) throw new OAuthError('invalid_request', 'code is missing');
        const familyTtlMs = deps.model.refreshTokenTtlSeconds * 1000;
        const { record, family } = await redeemCode(deps.store, form.code, familyTtlMs, (r) => {
          if (r.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'the authorization code was issued to another client');
          if (r.redirectUriGiven && form.redirect_uri === undefined) throw new OAuthError('invalid_request', 'redirect_uri is required: the authorization request named one (RFC 6749 §4.1.3)');
          if (form.redirect_uri !== undefined && form.redirect_uri !== r.redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the one of the authorization request');
          if (form.resource !== undefined && form.resource !== r.resource && form.resource !== `${r.resource}/`) throw new OAuthError('invalid_target', 'resource differs from the one of the authorization request');
          verifyPkce(form.code_verifier, r.codeChallenge);
        });
        const grant: GrantRecord = { clientId: record.clientId, projectId: record.projectId, integrationId: record.integrationId, scopes: record.scopes, resource: record.resource, ...(record.member ? { member: record.member } : {}) };
        await recordConnection(deps.store, grant, family, now + familyTtlMs, now);
        return await tokenResponse(c, deps, 'authorization_code', grant, cutToCeiling(record.scopes, client.scopes), family, now + familyTtlMs);
      }
      if (form.grant_type === 'refresh_token') {
        if (form.refresh_token === undefined) throw new OAuthError('invalid_request', 'refresh_token is missing');
        const { grant, family, familyExpiresAt } = await rotateRefreshToken(deps.store, form.refresh_token, client.clientId, now);
        let scopes = cutToCeiling(grant.scopes, client.scopes);
        if (form.scope !== undefined) {
          // RFC 6749 §6: a refresh may narrow the grant, never widen it.
          const asked = parseScope(form.scope);
          const extra = asked.find((s) => !scopes.includes(s));
          if (extra !== undefined) throw new OAuthError('invalid_scope', `"${extra.slice(0, 100)}" is not part of this grant`);
          scopes = scopes.filter((s) => asked.includes(s));
        }
        return await tokenResponse(c, deps, 'refresh_token', grant, scopes, family, familyExpiresAt);
      }
      if (form.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is missing');
      throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
    } catch (e) {
      return refusal(c, deps, 'token', e, clientId);
    }
  };
}

/**
 * POST /api/v1/mcp-oauth/revoke (RFC 7009): a refresh token revokes its family; an access token revokes the family
 * it was issued in (its refreshes stop; the access token itself lives out its short life). Answers 200 for unknown
 * tokens and other clients' tokens alike, as the RFC says.
 */
export function revokeHandler(deps: OAuthDeps) {
  return async (c: Context): Promise<Response> => {
    let authenticated: AuthenticatedClient | undefined;
    try {
      const form = await readForm(c.req.raw);
      authenticated = await authenticateLimitedClient(c, deps, 'revoke', form);
      const client = authenticated.client;
      if (form.token === undefined) throw new OAuthError('invalid_request', 'token is missing');
      const now = deps.now();
      if (form.token.startsWith(REFRESH_TOKEN_PREFIX)) await revokeRefreshToken(deps.store, form.token, client.clientId, now);
      else {
        const v = deps.model.accessTokens?.verify(form.token);
        if (v?.ok && v.grant.clientId === client.clientId) await revokeFamily(deps.store, v.grant.family, deps.model.refreshTokenTtlSeconds * 1000);
      }
      logOf(c, deps.log)?.({ level: 'info', event: 'oauth_revoked', client_id: client.clientId });
      return c.json({}, 200, NO_STORE_HEADERS);
    } catch (e) {
      return refusal(c, deps, 'revoke', e, authenticated?.client.clientId);
    }
  };
}
