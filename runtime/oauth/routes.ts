import type { Hono } from 'hono';
import { authorizeHandler, consentHandler } from './authorize-route.js';
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
  app.post(OAUTH_PATHS.token, tokenHandler(deps));
  app.post(OAUTH_PATHS.revoke, revokeHandler(deps));
}
