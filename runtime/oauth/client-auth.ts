import { createHash, timingSafeEqual } from 'node:crypto';
import type { OAuthClient } from './clients.js';
import { OAuthError } from './errors.js';

/** A client authenticated at the token or revocation endpoint, and how. */
export interface AuthenticatedClient {
  client: OAuthClient;
  method: 'client_secret_basic' | 'client_secret_post' | 'none';
}

/** An invalid_client refusal; `basic` when the client tried the Authorization header (it gets a Basic challenge). */
export class ClientAuthError extends OAuthError {
  constructor(
    description: string,
    readonly basic: boolean,
  ) {
    super('invalid_client', description);
  }
}

/**
 * Authenticates the client of a token or revocation request (RFC 6749 §2.3): HTTP Basic or `client_secret` in the
 * body for confidential clients, `client_id` alone for public ones; one method per request. Unknown clients and
 * wrong secrets get the same answer; secrets are compared as SHA-256 digests in constant time.
 */
export async function authenticateClient(authorization: string | undefined, form: Record<string, string>, resolve: (clientId: string) => Promise<OAuthClient | undefined>): Promise<AuthenticatedClient> {
  let clientId: string | undefined;
  let secret: string | undefined;
  let method: AuthenticatedClient['method'];
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  if (basic) {
    if (form.client_secret !== undefined) throw new OAuthError('invalid_request', 'use one client authentication method: Basic or client_secret in the body, not both');
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new ClientAuthError('the Basic credentials must be client_id:client_secret', true);
    // RFC 6749 §2.3.1: both are form-urlencoded before they are joined.
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw new ClientAuthError('the Basic credentials are not form-urlencoded', true);
    }
    if (form.client_id !== undefined && form.client_id !== clientId) throw new OAuthError('invalid_request', 'client_id in the body differs from the one in the Authorization header');
    method = 'client_secret_basic';
  } else {
    clientId = form.client_id;
    secret = form.client_secret;
    method = secret === undefined ? 'none' : 'client_secret_post';
  }
  if (clientId === undefined) throw new ClientAuthError('client authentication is required: send client_id (and the client secret of a confidential client)', false);
  const client = await resolve(clientId);
  if (!client) throw new ClientAuthError('unknown client or wrong client secret', basic);
  if (client.secretSha256) {
    if (secret === undefined) throw new ClientAuthError('this client is confidential: authenticate with its client secret (client_secret_basic or client_secret_post)', basic);
    const given = createHash('sha256').update(secret).digest();
    if (!timingSafeEqual(given, client.secretSha256)) throw new ClientAuthError('unknown client or wrong client secret', basic);
  } else if (secret !== undefined) {
    throw new ClientAuthError('this client is public: it has no client secret to send', basic);
  }
  return { client, method };
}
