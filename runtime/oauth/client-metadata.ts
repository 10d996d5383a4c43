import type { Agent, request } from 'undici';
import type { AddressPolicy } from '../../schemas/address-policy.js';
import { createGuardedConnector, UpstreamAddressBlockedError } from '../execute/address-guard.js';
import { OAuthError } from './errors.js';
import { checkRedirectUris, LOOPBACK_HOSTS } from './register-route.js';

/** Largest metadata document read; a client's document is a few hundred bytes. */
export const MAX_METADATA_DOCUMENT_BYTES = 16 * 1024;
/** How long a fetch may take, connection included. */
export const METADATA_FETCH_TIMEOUT_MS = 5_000;
/** How long a fetched document (or a failure) is reused before it is fetched again. */
export const METADATA_CACHE_MS = 5 * 60_000;
const FAILURE_CACHE_MS = 30_000;
const MAX_CACHED = 1_000;

/** What a client's metadata document says that the authorization server uses. */
export interface ClientMetadata {
  name: string;
  redirectUris: string[];
}

/**
 * Client ID Metadata Documents (MCP authorization 2025-11-25): a client whose `client_id` is an https URL is
 * described by the JSON document at that URL. Fetched through the upstream address guard (production: public
 * addresses only, checked on every resolved address at connect time, so DNS rebinding cannot reach the metadata
 * service or a private network), without redirects, within a size cap and a deadline, and cached.
 */
export class ClientMetadataFetcher {
  private readonly cache = new Map<string, { at: number; value?: ClientMetadata; error?: OAuthError }>();
  // Made at the first fetch: all of undici (its `request` API) loads then, not at every boot.
  private agent?: Promise<{ agent: Agent; request: typeof request }>;

  constructor(
    private readonly policy: AddressPolicy,
    private readonly allowedRedirectHosts: readonly string[],
    private readonly now: () => number,
  ) {}

  private client(): Promise<{ agent: Agent; request: typeof request }> {
    return (this.agent ??= import('undici').then((u) => ({ agent: new u.Agent({ connect: createGuardedConnector(this.policy), connections: 16 }), request: u.request })));
  }

  /** The metadata of the client `url`, or an invalid_client OAuthError saying why there is none. */
  async fetch(url: string): Promise<ClientMetadata> {
    const hit = this.cache.get(url);
    const now = this.now();
    if (hit && now - hit.at < (hit.error ? FAILURE_CACHE_MS : METADATA_CACHE_MS)) {
      if (hit.error) throw hit.error;
      return hit.value!;
    }
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    try {
      const value = await this.load(url);
      this.cache.set(url, { at: now, value });
      return value;
    } catch (e) {
      const error = e instanceof OAuthError ? e : new OAuthError('invalid_client', `the client metadata document could not be fetched: ${(e as Error).message}`);
      this.cache.set(url, { at: now, error });
      throw error;
    }
  }

  private async load(url: string): Promise<ClientMetadata> {
    checkClientIdUrl(url, this.policy === 'unrestricted');
    const { agent, request } = await this.client();
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, { dispatcher: agent, method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(METADATA_FETCH_TIMEOUT_MS) });
    } catch (e) {
      if (e instanceof UpstreamAddressBlockedError || (e as { cause?: unknown }).cause instanceof UpstreamAddressBlockedError) {
        throw new OAuthError('invalid_client', 'the client metadata document is on an address this server does not fetch from (loopback, private, link-local or metadata)');
      }
      throw new OAuthError('invalid_client', 'the client metadata document could not be fetched in time');
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new OAuthError('invalid_client', `the client metadata document answered HTTP ${res.statusCode}${res.statusCode >= 300 && res.statusCode < 400 ? ' (redirects are not followed)' : ''}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_METADATA_DOCUMENT_BYTES) {
        res.body.destroy();
        throw new OAuthError('invalid_client', `the client metadata document is larger than ${MAX_METADATA_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new OAuthError('invalid_client', 'the client metadata document is not JSON');
    }
    return this.validate(url, doc);
  }

  private validate(url: string, doc: unknown): ClientMetadata {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new OAuthError('invalid_client', 'the client metadata document is not a JSON object');
    const d = doc as Record<string, unknown>;
    if (d.client_id !== url) throw new OAuthError('invalid_client', 'the client metadata document names another client_id than its own URL');
    if (d.client_secret !== undefined || d.client_secret_expires_at !== undefined) throw new OAuthError('invalid_client', 'a client metadata document may not hold a client secret');
    if (d.token_endpoint_auth_method !== undefined && d.token_endpoint_auth_method !== 'none') {
      throw new OAuthError('invalid_client', 'clients described by a metadata document are public here: token_endpoint_auth_method must be "none"');
    }
    let redirectUris: string[];
    try {
      redirectUris = checkRedirectUris(d.redirect_uris, this.allowedRedirectHosts);
    } catch (e) {
      throw new OAuthError('invalid_client', `the client metadata document's redirect_uris: ${(e as OAuthError).description}`);
    }
    const name = typeof d.client_name === 'string' && d.client_name.length > 0 && d.client_name.length <= 200 && !/[\u0000-\u001f\u007f]/.test(d.client_name) ? d.client_name : new URL(url).host;
    return { name, redirectUris };
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    if (this.agent) await (await this.agent).agent.close();
  }
}

/**
 * A client id that names a metadata document: https, a path, no query, fragment or userinfo, no dot segments. Plain
 * http only on a loopback host and only where the address policy allows loopback (development projects).
 */
export function checkClientIdUrl(url: string, development: boolean): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OAuthError('invalid_client', 'client_id is not a URL');
  }
  const loopbackHttp = development && u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname);
  if (u.protocol !== 'https:' && !loopbackHttp) throw new OAuthError('invalid_client', 'a client_id URL must be https');
  if (url.length > 2048 || u.username !== '' || u.password !== '' || u.search !== '' || url.includes('#') || u.pathname === '/' || /\/\.\.?(\/|$)/.test(url.slice(u.origin.length))) {
    throw new OAuthError('invalid_client', 'a client_id URL must have a path, and no query, fragment, userinfo or dot segments');
  }
}
