import { logOf } from '../observability/hono-trace.js';
import type { Context } from 'hono';
import { replayGuardKey } from '../members/session-token-route.js';
import { ASSERTION_CLOCK_TOLERANCE_S, verifyAssertion } from '../members/verify-assertion.js';
import { randomBytes } from 'node:crypto';
import { getCookie } from 'hono/cookie';
import { browserCookie, errorPage, PENDING_TTL_MS, sameBrowser, showConsent, type PendingRequest } from './authorize-route.js';
import { OAUTH_PATHS } from './metadata.js';
import type { OAuthDeps } from './deps.js';
import { OAuthError } from './errors.js';
import { readForm, singleParams } from './request-params.js';

/**
 * GET or POST /api/v1/mcp-oauth/login-callback: where the customer's login page sends the person back, with
 * `tengine_request` (the nonce it was given) and `assertion` (a member assertion signed with one of the project's
 * assertion keys, carrying `nonce`: the same rules as the session-token exchange, and the same replay guard). The
 * nonce is single use; on success the consent page is shown, naming the member, and the grant will carry them.
 * Every failure is a page: the redirect URI is not involved yet.
 */
export function loginCallbackHandler(deps: OAuthDeps) {
  return async (c: Context): Promise<Response> => {
    let params: Record<string, string>;
    try {
      params = c.req.method === 'POST' ? await readForm(c.req.raw) : singleParams(new URL(c.req.url).searchParams);
    } catch (e) {
      return errorPage(c, e as OAuthError, deps);
    }
    const nonce = params.tengine_request;
    const assertion = params.assertion;
    if (nonce === undefined || assertion === undefined || !/^[A-Za-z0-9_-]{32}$/.test(nonce)) {
      return errorPage(c, new OAuthError('invalid_request', 'the login page must send back tengine_request (as it received it) and assertion (a member assertion)'), deps);
    }
    let requestId: string | undefined;
    let pending: PendingRequest | undefined;
    try {
      requestId = await deps.store.take(`oauth:login:${nonce}`);
      const raw = requestId === undefined ? undefined : await deps.store.get(`oauth:authz:${requestId}`);
      pending = raw === undefined ? undefined : (JSON.parse(raw) as PendingRequest);
    } catch {
      return errorPage(c, new OAuthError('temporarily_unavailable', 'the authorization server cannot read the sign-in request right now; start again'), deps, 503);
    }
    if (requestId === undefined || pending === undefined) {
      return errorPage(c, new OAuthError('invalid_request', 'this sign-in request has expired or the login page already answered it; start the sign-in again from your client'), deps);
    }
    const client = await deps.clients.resolve(pending.clientId).catch(() => undefined);
    if (!client) return errorPage(c, new OAuthError('invalid_request', 'the client was removed from the configuration while you were signing in'), deps);
    const nowMs = deps.now();
    const v = await verifyAssertion(assertion, client.projectId, deps.model.assertionKeys.get(client.projectId), nowMs);
    if (!v.ok) return errorPage(c, new OAuthError('access_denied', `the login page's member assertion was refused: ${v.failure}`), deps, 403);
    if (v.assertion.nonce !== nonce) {
      return errorPage(c, new OAuthError('access_denied', "the login page's member assertion is not for this sign-in request (its nonce claim must be the tengine_request it received)"), deps, 403);
    }
    const ttlMs = Math.max(1000, (v.assertion.exp + ASSERTION_CLOCK_TOLERANCE_S) * 1000 - nowMs);
    try {
      if (!(await deps.store.setIfAbsent(replayGuardKey(client.projectId, v.assertion), '1', ttlMs))) {
        return errorPage(c, new OAuthError('access_denied', "the login page's member assertion was already used"), deps, 403);
      }
      logOf(c, deps.log)?.({ level: 'info', event: 'oauth_member_signed_in', client_id: client.clientId, project: client.projectId, member: v.assertion.member.id });
      // On to our own page by a top-level GET, where the cookie of the browser that started the sign-in comes along.
      await deps.store.set(`oauth:authz:${requestId}`, JSON.stringify({ ...pending, member: v.assertion.member }), PENDING_TTL_MS);
      const ticket = randomBytes(24).toString('base64url');
      await deps.store.set(`oauth:login-done:${ticket}`, requestId, PENDING_TTL_MS);
      return c.body(null, 303, { Location: `${deps.base}${OAUTH_PATHS.loginContinue}?login=${ticket}`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    } catch {
      return errorPage(c, new OAuthError('temporarily_unavailable', 'the authorization server cannot store the sign-in right now; start again'), deps, 503);
    }
  };
}

/**
 * GET /api/v1/mcp-oauth/login-continue: after the login callback, the consent page, for the browser that started
 * the sign-in only (its cookie); another browser gets an error page, so a finished login cannot be handed to
 * somebody else. The ticket is single use.
 */
export function loginContinueHandler(deps: OAuthDeps) {
  return async (c: Context): Promise<Response> => {
    const ticket = new URL(c.req.url).searchParams.get('login') ?? '';
    if (!/^[A-Za-z0-9_-]{32}$/.test(ticket)) return errorPage(c, new OAuthError('invalid_request', 'the sign-in link is incomplete; start the sign-in again from your client'), deps);
    try {
      const requestId = await deps.store.take(`oauth:login-done:${ticket}`);
      const raw = requestId === undefined ? undefined : await deps.store.get(`oauth:authz:${requestId}`);
      if (requestId === undefined || raw === undefined) return errorPage(c, new OAuthError('invalid_request', 'this sign-in has expired or was already continued; start the sign-in again from your client'), deps);
      const pending = JSON.parse(raw) as PendingRequest;
      if (!sameBrowser(pending, getCookie(c, browserCookie(deps).name))) {
        logOf(c, deps.log)?.({ level: 'info', event: 'oauth_refused', endpoint: 'login-continue', error: 'access_denied', detail: 'another browser' });
        return errorPage(c, new OAuthError('access_denied', 'this sign-in was started in another browser; start it again from your client, in this browser'), deps, 403);
      }
      const client = await deps.clients.resolve(pending.clientId).catch(() => undefined);
      if (!client) return errorPage(c, new OAuthError('invalid_request', 'the client was removed from the configuration while you were signing in'), deps);
      return await showConsent(c, deps, client, requestId, pending);
    } catch {
      return errorPage(c, new OAuthError('temporarily_unavailable', 'the authorization server cannot read the sign-in right now; start again'), deps, 503);
    }
  };
}
