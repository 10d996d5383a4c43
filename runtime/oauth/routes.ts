import type { Hono } from 'hono';
import { authorizeHandler, consentHandler } from './authorize-route.js';
import { loginCallbackHandler } from './login-callback-route.js';
import type { OAuthDeps } from './deps.js';
import { authorizationServerMetadata, OAUTH_PATHS, servesOAuth } from './metadata.js';
import { revokeHandler, tokenHandler } from './token-route.js';

/**
 * Mounts the authorization server when the bundle holds OAuth clients: RFC 8414 metadata (also at the OpenID
 * configuration path, which clients try), authorize (GET: consent page; POST: the answer), token and revoke.
 */
export function registerOAuthRoutes(app: Hono, deps: OAuthDeps, publicHeaders: Record<string, string>): void {
  if (!servesOAuth(deps.model)) return;
  const metadata = authorizationServerMetadata(deps.base, deps.model);
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, (c) => c.json(metadata, 200, publicHeaders));
  }
  app.get(OAUTH_PATHS.authorize, authorizeHandler(deps));
  app.post(OAUTH_PATHS.authorize, consentHandler(deps));
  // The customer's login page may come back by a redirect (GET) or an auto-submitted form (POST).
  const login = loginCallbackHandler(deps);
  app.get(OAUTH_PATHS.loginCallback, login);
  app.post(OAUTH_PATHS.loginCallback, login);
  // Browser-based clients (the Inspector's web UI) call these from their own origin. No cookies are involved (the
  // client authenticates in the request itself), so any origin may; the consent page's routes get no CORS at all.
  const cors = { 'Access-Control-Allow-Origin': '*' };
  const preflight = { ...cors, 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Authorization, Content-Type', 'Access-Control-Max-Age': '600' };
  for (const [path, handler] of [[OAUTH_PATHS.token, tokenHandler(deps)], [OAUTH_PATHS.revoke, revokeHandler(deps)]] as const) {
    app.options(path, (c) => c.body(null, 204, preflight));
    app.post(path, async (c) => {
      const res = await handler(c);
      res.headers.set('Access-Control-Allow-Origin', '*');
      return res;
    });
  }
}
