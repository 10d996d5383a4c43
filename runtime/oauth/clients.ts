import type { TengineConfig } from '../../schemas/config-types.js';

/** A pre-registered OAuth client: a `kind: oauth` integration of the bundle. */
export interface OAuthClient {
  clientId: string;
  projectId: string;
  integrationId: string;
  /** Display name for the consent page (the integration's `name`, else its id). */
  name: string;
  /** SHA-256 of the client secret: present for a confidential client, absent for a public one. */
  secretSha256?: Buffer;
  /** The customer's login page for members (grants then carry the member). */
  loginUrl?: string;
  /** SHA-256 of the connect secret a person enters to sign a public client in. */
  connectSecretSha256?: Buffer;
  redirectUris: readonly string[];
  /** The scope ceiling: the most a grant to this client may hold. */
  scopes: readonly string[];
  /** The project's scope implications (`tickets:write` ⇒ `tickets:read`). */
  implies: Readonly<Record<string, readonly string[]>>;
}

/** The bundle's OAuth clients by `client_id` (unique across the config, `TNG215`). */
export function oauthClientsOf(config: TengineConfig): Map<string, OAuthClient> {
  const clients = new Map<string, OAuthClient>();
  for (const project of config.projects ?? []) {
    const implies: Record<string, string[]> = {};
    for (const s of project.scopes ?? []) if (s.implies && s.implies.length > 0) implies[s.name] = s.implies;
    for (const integ of project.integrations ?? []) {
      if (integ.kind !== 'oauth') continue;
      clients.set(integ.client_id, {
        clientId: integ.client_id,
        projectId: project.id,
        integrationId: integ.id,
        name: integ.name ?? integ.id,
        ...(integ.client_secret_sha256 ? { secretSha256: Buffer.from(integ.client_secret_sha256, 'hex') } : {}),
        ...(integ.login_url ? { loginUrl: integ.login_url } : {}),
        ...(integ.connect_secret_sha256 ? { connectSecretSha256: Buffer.from(integ.connect_secret_sha256, 'hex') } : {}),
        redirectUris: integ.redirect_uris,
        scopes: integ.scopes ?? [],
        implies,
      });
    }
  }
  return clients;
}
