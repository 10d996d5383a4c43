import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { pageHeaders, renderErrorPage } from './consent-page.js';
import { NO_STORE_HEADERS } from './errors.js';
import { MAX_OAUTH_PARAMS_BYTES } from './request-params.js';
import { authorizeHandler, consentHandler } from './authorize-route.js';
import { loginCallbackHandler, loginContinueHandler } from './login-callback-route.js';
import type { OAuthDeps } from './deps.js';
import { authorizationServerMetadata, OAUTH_PATHS, servesOAuth } from './metadata.js';
import { revokeHandler, tokenHandler } from './token-route.js';
import { registerHandler } from './register-route.js';
import { limitedPageHandler } from './endpoint-limit.js';

/**
 * Mounts the authorization server when the bundle holds OAuth clients: RFC 8414 metadata (also at the OpenID
 * configuration path, which clients try), authorize (GET: consent page; POST: the answer), token and revoke.
 */
export function registerOAuthRoutes(app: Hono, deps: OAuthDeps, publicHeaders: Record<string, string>): void {
  if (!servesOAuth(deps.model)) return;
  const metadata = authorizationServerMetadata(deps.base, deps.model, deps.clients.registrar !== undefined, deps.clients.registrar?.registration?.metadataDocuments ?? false);
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, (c) => c.json(metadata, 200, publicHeaders));
  }
  // Every body is read through a 16 KiB limit that also counts chunked bodies; the rest is never read, so the
  // connection is closed with the refusal.
  const tooLarge = `the request body is larger than ${MAX_OAUTH_PARAMS_BYTES} bytes`;
  const pageLimit = bodyLimit({ maxSize: MAX_OAUTH_PARAMS_BYTES, onError: (c) => c.body(renderErrorPage('invalid_request', tooLarge), 413, { ...pageHeaders(), Connection: 'close' }) });
  const jsonLimit = bodyLimit({ maxSize: MAX_OAUTH_PARAMS_BYTES, onError: (c) => c.json({ error: 'invalid_request', error_description: tooLarge }, 413, { ...NO_STORE_HEADERS, 'Access-Control-Allow-Origin': '*', Connection: 'close' }) });
  // The browser pages are limited per address before any parameter is looked at (runtime.endpoint_limits).
  app.get(OAUTH_PATHS.authorize, limitedPageHandler(deps, 'authorize', 'authorize', authorizeHandler(deps)));
  app.post(OAUTH_PATHS.authorize, pageLimit, limitedPageHandler(deps, 'authorize', 'authorize', consentHandler(deps)));
  // The customer's login page may come back by a redirect (GET) or an auto-submitted form (POST).
  const login = limitedPageHandler(deps, 'login_callback', 'login-callback', loginCallbackHandler(deps));
  app.get(OAUTH_PATHS.loginCallback, login);
  app.post(OAUTH_PATHS.loginCallback, pageLimit, login);
  app.get(OAUTH_PATHS.loginContinue, limitedPageHandler(deps, 'login_callback', 'login-continue', loginContinueHandler(deps)));
  // Browser-based clients (the Inspector's web UI) call these from their own origin. No cookies are involved (the
  // client authenticates in the request itself), so any origin may; the consent page's routes get no CORS at all.
  const cors = { 'Access-Control-Allow-Origin': '*' };
  const preflight = { ...cors, 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Authorization, Content-Type', 'Access-Control-Max-Age': '600' };
  const endpoints: [string, (c: Context) => Promise<Response>][] = [[OAUTH_PATHS.token, tokenHandler(deps)], [OAUTH_PATHS.revoke, revokeHandler(deps)]];
  // Registration also at /register: clients of the 2025-03-26 revision default to it when metadata names none.
  if (deps.clients.registrar) for (const path of [OAUTH_PATHS.register, '/register']) endpoints.push([path, registerHandler(deps)]);
  for (const [path, handler] of endpoints) {
    app.options(path, (c) => c.body(null, 204, preflight));
    app.post(path, jsonLimit, async (c) => {
      const res = await handler(c);
      res.headers.set('Access-Control-Allow-Origin', '*');
      return res;
    });
  }
}
