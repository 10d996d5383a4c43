import { logOf } from '../observability/hono-trace.js';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { OAuthDeps } from './deps.js';
import type { OAuthClient } from './clients.js';
import { pageHeaders, renderConsentPage, renderErrorPage } from './consent-page.js';
import { OAuthError } from './errors.js';
import { issueCode } from './grants.js';
import { OAUTH_PATHS } from './metadata.js';
import { grantScopes, isS256Challenge, matchRedirectUri } from './policy.js';
import { readForm, singleParams } from './request-params.js';
import type { Member } from '../members/session-tokens.js';

/** A pending authorization request waits this long for the person's answer on the consent page. */
export const PENDING_TTL_MS = 10 * 60_000;
/** Longest `state` kept: clients send a random value of a few dozen characters; a pending request stays small. */
export const MAX_STATE_LENGTH = 1024;

/** An authorization request that passed every check, waiting for consent (stored under a random id). */
export interface PendingRequest {
  clientId: string;
  redirectUri: string;
  redirectUriGiven: boolean;
  codeChallenge: string;
  scopes: string[];
  resource: string;
  state?: string;
  csrfSha256: string;
  /** The member, once the login page has signed them in (integrations with a login_url). */
  member?: Member;
  /** SHA-256 of the cookie that marks the browser which started a member sign-in (login CSRF). */
  browserSha256?: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The page answer for errors found before the redirect URI is trusted: never a redirect (RFC 6749 §4.1.2.1). */
export function errorPage(c: Context, e: OAuthError, deps: OAuthDeps, status = 400): Response {
  logOf(c, deps.log)?.({ level: 'info', event: 'oauth_refused', endpoint: 'authorize', error: e.code, detail: e.description });
  return c.body(renderErrorPage(e.code, e.description), status as 400, pageHeaders());
}

/** A redirect back to the client with the result (or error), `state` and `iss` (RFC 9207). */
function redirectBack(c: Context, deps: OAuthDeps, redirectUri: string, params: Record<string, string | undefined>): Response {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries({ ...params, iss: deps.base })) if (v !== undefined) url.searchParams.set(k, v);
  return c.body(null, 302, { Location: url.toString(), 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
}

/**
 * GET /api/v1/mcp-oauth/authorize: checks the client and the redirect URI first (failures show a page), then the
 * rest of the request (failures go back to the client), and shows the consent page. A grant is never issued to
 * nobody: a confidential client authenticates at the token endpoint; for a public client the person enters the
 * integration's connect secret on the consent page.
 */
export function authorizeHandler(deps: OAuthDeps) {
  return async (c: Context): Promise<Response> => {
    const url = new URL(c.req.url);
    let params: Record<string, string>;
    try {
      if (url.search.length > 16 * 1024) throw new OAuthError('invalid_request', 'the authorization request is too long');
      params = singleParams(url.searchParams);
    } catch (e) {
      return errorPage(c, e as OAuthError, deps);
    }
    let client: OAuthClient | undefined;
    try {
      client = params.client_id === undefined ? undefined : await deps.clients.resolve(params.client_id);
    } catch (e) {
      // A client metadata document that cannot be used says why; anything else is the store.
      if (e instanceof OAuthError) return errorPage(c, e, deps);
      return errorPage(c, new OAuthError('temporarily_unavailable', 'the authorization server cannot look the client up right now; try again'), deps, 503);
    }
    if (!client) return errorPage(c, new OAuthError('invalid_request', params.client_id === undefined ? 'client_id is missing' : 'no OAuth client with this client_id is configured'), deps);
    let redirectUri: string | undefined;
    if (params.redirect_uri === undefined) redirectUri = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
    else if (matchRedirectUri(client.redirectUris, params.redirect_uri)) redirectUri = params.redirect_uri;
    if (redirectUri === undefined) {
      return errorPage(c, new OAuthError('invalid_request', params.redirect_uri === undefined ? 'redirect_uri is missing, and the client has more than one' : `the redirect_uri is not one registered for client "${client.clientId}" (compared exactly; only a loopback URI may differ in its port)`), deps);
    }
    const back = (code: OAuthError['code'], description: string) => {
      logOf(c, deps.log)?.({ level: 'info', event: 'oauth_refused', endpoint: 'authorize', client_id: client.clientId, error: code, detail: description });
      return redirectBack(c, deps, redirectUri, { error: code, error_description: description, state: params.state });
    };
    if (params.state !== undefined && params.state.length > MAX_STATE_LENGTH) {
      return errorPage(c, new OAuthError('invalid_request', `state is longer than ${MAX_STATE_LENGTH} characters`), deps);
    }
    if (params.response_type !== 'code') return back('unsupported_response_type', 'response_type must be code');
    if (params.code_challenge === undefined || !isS256Challenge(params.code_challenge, params.code_challenge_method)) {
      return back('invalid_request', 'PKCE is required: code_challenge (43 characters of base64url) with code_challenge_method=S256; plain is not accepted');
    }
    const resource = params.resource ?? deps.resource;
    if (resource !== deps.resource && resource !== `${deps.resource}/`) return back('invalid_target', `resource must be this server's MCP endpoint, ${deps.resource}`);
    let scopes: string[];
    try {
      scopes = grantScopes(params.scope, client.scopes, client.implies);
    } catch (e) {
      return back((e as OAuthError).code, (e as OAuthError).description);
    }
    if (!client.secretSha256 && !client.connectSecretSha256 && !client.loginUrl) return back('unauthorized_client', publicClientRefusal(client));

    const requestId = randomBytes(24).toString('base64url');
    const pending: PendingRequest = { clientId: client.clientId, redirectUri, redirectUriGiven: params.redirect_uri !== undefined, codeChallenge: params.code_challenge, scopes, resource: deps.resource, csrfSha256: '', ...(params.state !== undefined ? { state: params.state } : {}) };
    try {
      if (client.loginUrl) {
        // Members sign in on the customer's own page first; it comes back to the login callback with an assertion
        // bound to this request by the nonce.
        const nonce = randomBytes(24).toString('base64url');
        // The browser that starts the sign-in gets a cookie; only that browser may continue after the login page,
        // so nobody can hand their own finished login to somebody else (login CSRF).
        const browserKey = randomBytes(24).toString('base64url');
        const cookie = browserCookie(deps);
        setCookie(c, cookie.name, browserKey, { path: cookie.path, httpOnly: true, sameSite: 'Lax', secure: cookie.secure, maxAge: PENDING_TTL_MS / 1000 });
        await deps.store.set(`oauth:authz:${requestId}`, JSON.stringify({ ...pending, browserSha256: sha256(browserKey) }), PENDING_TTL_MS);
        await deps.store.set(`oauth:login:${nonce}`, requestId, PENDING_TTL_MS);
        const login = new URL(client.loginUrl);
        login.searchParams.set('tengine_request', nonce);
        login.searchParams.set('tengine_callback', `${deps.base}${OAUTH_PATHS.loginCallback}`);
        login.searchParams.set('tengine_project', client.projectId);
        return c.body(null, 302, { Location: login.toString(), 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      }
      return await showConsent(c, deps, client, requestId, pending);
    } catch {
      return back('temporarily_unavailable', 'the authorization server cannot store the request right now; try again');
    }
  };
}

/**
 * Stores the pending request with a fresh CSRF token, sets the token's cookie for this browser, and renders the
 * consent page (after the checks of the authorization request, or after the member's login).
 */
export async function showConsent(c: Context, deps: OAuthDeps, client: OAuthClient, requestId: string, pending: PendingRequest): Promise<Response> {
  const csrf = randomBytes(24).toString('base64url');
  await deps.store.set(`oauth:authz:${requestId}`, JSON.stringify({ ...pending, csrfSha256: sha256(csrf) }), PENDING_TTL_MS);
  const cookie = csrfCookie(deps);
  setCookie(c, cookie.name, csrf, { path: cookie.path, httpOnly: true, sameSite: 'Strict', secure: cookie.secure, maxAge: PENDING_TTL_MS / 1000 });
  const html = renderConsentPage({
    clientName: client.name,
    clientId: client.clientId,
    projectId: client.projectId,
    redirectHost: new URL(pending.redirectUri).host,
    scopes: pending.scopes,
    requestId,
    csrf,
    action: OAUTH_PATHS.authorize,
    // The person proves they may connect a public client by signing in as a member, else with the connect secret.
    askConnectSecret: !client.secretSha256 && !pending.member,
    ...(pending.member ? { member: pending.member } : {}),
  });
  return c.body(html, 200, pageHeaders(new URL(pending.redirectUri).origin));
}

function publicClientRefusal(client: OAuthClient): string {
  return `client "${client.clientId}" is public (no client secret) and its integration has neither a login_url nor a connect secret, so nothing would prove who is connecting (tengine validate reports it as TNG235)`;
}

/**
 * POST /api/v1/mcp-oauth/authorize: the person's answer on the consent page. The pending request is spent on first
 * use; the CSRF token must be the one of this browser (cookie) and of this request (stored digest).
 */
export function consentHandler(deps: OAuthDeps) {
  return async (c: Context): Promise<Response> => {
    let form: Record<string, string>;
    try {
      form = await readForm(c.req.raw);
    } catch (e) {
      return errorPage(c, e as OAuthError, deps);
    }
    if (form.request_id === undefined || !/^[A-Za-z0-9_-]{32}$/.test(form.request_id)) return errorPage(c, new OAuthError('invalid_request', 'the consent form is incomplete'), deps);
    let raw: string | undefined;
    try {
      raw = await deps.store.take(`oauth:authz:${form.request_id}`);
    } catch {
      return errorPage(c, new OAuthError('temporarily_unavailable', 'the authorization server cannot read the request right now; start the sign-in again'), deps, 503);
    }
    if (raw === undefined) return errorPage(c, new OAuthError('invalid_request', 'this sign-in request has expired or was already answered; start the sign-in again from your client'), deps);
    const pending = JSON.parse(raw) as PendingRequest;
    const cookie = getCookie(c, csrfCookie(deps).name);
    const given = form.csrf_token;
    if (given === undefined || cookie === undefined || cookie !== given || !safeEqual(sha256(given), pending.csrfSha256)) {
      return errorPage(c, new OAuthError('access_denied', 'the consent form does not belong to this browser session (CSRF check failed); start the sign-in again'), deps, 403);
    }
    if (form.decision !== 'approve') {
      return redirectBack(c, deps, pending.redirectUri, { error: 'access_denied', error_description: 'the sign-in was declined', state: pending.state });
    }
    const client = await deps.clients.resolve(pending.clientId).catch(() => undefined);
    if (!client) return errorPage(c, new OAuthError('invalid_request', 'the client was removed from the configuration while you were signing in'), deps);
    if (client.loginUrl && !pending.member) return errorPage(c, new OAuthError('access_denied', 'this client signs members in through their login page first; start the sign-in again'), deps, 403);
    if (!client.secretSha256 && !pending.member) {
      // A public client: the person proves they may connect with the integration's connect secret.
      const given = form.connect_secret === undefined ? undefined : createHash('sha256').update(form.connect_secret).digest();
      if (!client.connectSecretSha256 || !given || !timingSafeEqual(given, client.connectSecretSha256)) {
        return errorPage(c, new OAuthError('access_denied', 'the connect secret is wrong; start the sign-in again from your client and enter the secret your administrator gave you'), deps, 403);
      }
    }
    let code: string;
    try {
      code = await issueCode(deps.store, {
        clientId: client.clientId,
        projectId: client.projectId,
        integrationId: client.integrationId,
        scopes: pending.scopes,
        resource: pending.resource,
        redirectUri: pending.redirectUri,
        redirectUriGiven: pending.redirectUriGiven,
        codeChallenge: pending.codeChallenge,
        ...(pending.member ? { member: pending.member } : {}),
      });
    } catch {
      return redirectBack(c, deps, pending.redirectUri, { error: 'temporarily_unavailable', error_description: 'the authorization server cannot store the code right now; sign in again', state: pending.state });
    }
    logOf(c, deps.log)?.({ level: 'info', event: 'oauth_code_issued', client_id: client.clientId, project: client.projectId, integration: client.integrationId, scopes: pending.scopes });
    return redirectBack(c, deps, pending.redirectUri, { code, state: pending.state });
  };
}

/**
 * The consent page's CSRF cookie: on https `__Host-` (Secure, path /, no Domain), which a sibling subdomain cannot
 * plant or overwrite; on plain http (a local runtime) a name of its own, scoped to the authorize path.
 */
function csrfCookie(deps: OAuthDeps): { name: string; path: string; secure: boolean } {
  return deps.base.startsWith('https:') ? { name: '__Host-tng_oauth_csrf', path: '/', secure: true } : { name: 'tng_oauth_csrf', path: OAUTH_PATHS.authorize, secure: false };
}

/**
 * The cookie marking the browser that started a member sign-in: SameSite=Lax, since it must come back with the
 * top-level navigation from the login page (Strict would not), scoped to the route that checks it.
 */
export function browserCookie(deps: OAuthDeps): { name: string; path: string; secure: boolean } {
  return deps.base.startsWith('https:') ? { name: '__Host-tng_oauth_browser', path: '/', secure: true } : { name: 'tng_oauth_browser', path: OAUTH_PATHS.loginContinue, secure: false };
}

/** True when `cookie` is the browser cookie of `pending` (compared as SHA-256 digests in constant time). */
export function sameBrowser(pending: PendingRequest, cookie: string | undefined): boolean {
  return cookie !== undefined && pending.browserSha256 !== undefined && safeEqual(sha256(cookie), pending.browserSha256);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
