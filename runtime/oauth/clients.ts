import { randomBytes } from 'node:crypto';
import type { TengineConfig } from '../../schemas/config-types.js';
import { parseDuration } from '../../schemas/duration.js';
import { addressPolicyFor, type AddressPolicy } from '../../schemas/address-policy.js';
import { ClientMetadataFetcher } from './client-metadata.js';
import type { Store } from '../store/store.js';
import { OAuthError } from './errors.js';

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
  /** Dynamic registration (RFC 7591) through this integration: where registered redirect URIs may point, and for how long clients live. */
  registration?: { allowedRedirectHosts: readonly string[]; clientTtlMs: number; metadataDocuments: boolean; addressPolicy: AddressPolicy };
  /** True for a client registered dynamically (it acts as the integration that accepted the registration). */
  registered?: boolean;
}

/** Prefix of dynamically registered client ids: never the id of a configured client (whose ids come from the config). */
export const REGISTERED_CLIENT_PREFIX = 'tng-dcr.';

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
        ...(integ.dynamic_registration
          ? {
              registration: {
                allowedRedirectHosts: integ.dynamic_registration.allowed_redirect_hosts,
                clientTtlMs: parseDuration(integ.dynamic_registration.client_ttl ?? '30d'),
                metadataDocuments: integ.dynamic_registration.metadata_documents ?? false,
                // Metadata documents are fetched under the project's upstream address policy (public only in production).
                addressPolicy: addressPolicyFor(project),
              },
            }
          : {}),
      });
    }
  }
  return clients;
}

/** The integration that accepts dynamic registrations (at most one per config, `TNG237`), if any. */
export function registrarOf(clients: ReadonlyMap<string, OAuthClient>): OAuthClient | undefined {
  for (const c of clients.values()) if (c.registration) return c;
  return undefined;
}

/** What a registered client stores (`oauth:client:<client_id>`). */
interface RegisteredClientRecord {
  name: string;
  redirectUris: string[];
  issuedAt: number;
}

/**
 * Finds OAuth clients: configured ones in the bundle, and dynamically registered ones in the store, which act as the
 * integration that accepted them (its project, scope ceiling and sign-in), as public clients.
 */
export class ClientDirectory {
  private fetcher?: ClientMetadataFetcher;

  constructor(
    private readonly clients: ReadonlyMap<string, OAuthClient>,
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** The integration that accepts registrations, if any. */
  get registrar(): OAuthClient | undefined {
    return registrarOf(this.clients);
  }

  /** The client with this id, or undefined. Throws a store error when a registered client cannot be read. */
  async resolve(clientId: string): Promise<OAuthClient | undefined> {
    const configured = this.clients.get(clientId);
    if (configured) return configured;
    const registrar = this.registrar;
    if (!registrar?.registration) return undefined;
    if (registrar.registration.metadataDocuments && /^https?:\/\//.test(clientId)) {
      this.fetcher ??= new ClientMetadataFetcher(registrar.registration.addressPolicy, registrar.registration.allowedRedirectHosts, this.now);
      const meta = await this.fetcher.fetch(clientId);
      return asRegistered(registrar, clientId, { name: meta.name, redirectUris: meta.redirectUris, issuedAt: 0 });
    }
    if (!clientId.startsWith(REGISTERED_CLIENT_PREFIX) || clientId.length > 64) return undefined;
    const raw = await this.store.get(`oauth:client:${clientId}`);
    if (raw === undefined) return undefined;
    const r = JSON.parse(raw) as RegisteredClientRecord;
    return asRegistered(registrar, clientId, r);
  }

  /** Closes the metadata documents' connection pool, if one was opened. */
  async close(): Promise<void> {
    await this.fetcher?.close();
  }

  /** Stores a new registered client of the registrar and returns it. */
  async register(name: string, redirectUris: string[], now: number): Promise<OAuthClient> {
    const registrar = this.registrar;
    if (!registrar?.registration) throw new OAuthError('invalid_request', 'dynamic client registration is not enabled');
    const clientId = `${REGISTERED_CLIENT_PREFIX}${randomBytes(24).toString('base64url')}`;
    const record: RegisteredClientRecord = { name, redirectUris, issuedAt: Math.floor(now / 1000) };
    await this.store.set(`oauth:client:${clientId}`, JSON.stringify(record), registrar.registration.clientTtlMs);
    return asRegistered(registrar, clientId, record);
  }
}

function asRegistered(registrar: OAuthClient, clientId: string, r: RegisteredClientRecord): OAuthClient {
  const { secretSha256: _secret, registration: _registration, ...inherited } = registrar;
  return { ...inherited, clientId, name: r.name, redirectUris: r.redirectUris, registered: true };
}
