import type { RuntimeModel } from '../load/runtime-model.js';

/** The OAuth endpoints, under the compatible product's paths. */
export const OAUTH_PATHS = {
  authorize: '/api/v1/mcp-oauth/authorize',
  token: '/api/v1/mcp-oauth/token',
  revoke: '/api/v1/mcp-oauth/revoke',
  loginCallback: '/api/v1/mcp-oauth/login-callback',
  loginContinue: '/api/v1/mcp-oauth/login-continue',
  register: '/api/v1/mcp-oauth/register',
} as const;

/** True when the bundle holds OAuth clients, so the runtime acts as an authorization server. */
export function servesOAuth(model: RuntimeModel): boolean {
  return model.oauthClients.size > 0;
}

/** Every scope some OAuth client may be granted, sorted: `scopes_supported` and the 401 challenge's `scope`. */
export function oauthScopes(model: RuntimeModel): string[] {
  const all = new Set<string>();
  for (const c of model.oauthClients.values()) for (const s of c.scopes) all.add(s);
  return [...all].sort();
}

/**
 * RFC 8414 authorization-server metadata. The issuer is exactly the public URL (clients compare it with the
 * `authorization_servers` entry and with the `iss` of the authorization response, RFC 9207).
 */
export function authorizationServerMetadata(base: string, model: RuntimeModel, registration = false, metadataDocuments = false): Record<string, unknown> {
  return {
    ...(registration ? { registration_endpoint: `${base}${OAUTH_PATHS.register}` } : {}),
    ...(metadataDocuments ? { client_id_metadata_document_supported: true } : {}),
    issuer: base,
    authorization_endpoint: `${base}${OAUTH_PATHS.authorize}`,
    token_endpoint: `${base}${OAUTH_PATHS.token}`,
    revocation_endpoint: `${base}${OAUTH_PATHS.revoke}`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: oauthScopes(model),
    authorization_response_iss_parameter_supported: true,
  };
}

/** RFC 9728 protected-resource metadata of the MCP endpoint; names the authorization server when there is one. */
export function protectedResourceMetadata(base: string, model: RuntimeModel): Record<string, unknown> {
  const doc: Record<string, unknown> = { resource: `${base}/mcp`, bearer_methods_supported: ['header'], resource_name: 'Tengine MCP' };
  if (servesOAuth(model)) {
    doc.authorization_servers = [base];
    doc.scopes_supported = oauthScopes(model);
  }
  return doc;
}
