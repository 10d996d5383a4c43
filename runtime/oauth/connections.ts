import type { Store } from '../store/store.js';
import type { GrantRecord } from './grants.js';
import { revokeFamily } from './grants.js';

/*
 * Connections: one per sign-in (a refresh family), indexed by project and integration so that an operator can list
 * and revoke them (`tengine connections`). Key: oauth:grant:<project>:<integration>:<family>, alive as long as the
 * family. Ids of projects and integrations are [a-z0-9_-], so the key splits unambiguously.
 */

/** Most connections one listing reads. */
export const MAX_CONNECTIONS_LISTED = 10_000;

/** One sign-in as an operator sees it. */
export interface Connection {
  family: string;
  project: string;
  integration: string;
  client_id: string;
  member: string | null;
  scopes: string[];
  /** Unix seconds. */
  created_at: number;
  expires_at: number;
  status: 'active' | 'revoked';
}

/** Which connections a listing or revocation covers. */
export interface ConnectionFilter {
  project: string;
  integration?: string;
  member?: string;
}

/** Records a new sign-in in the index (at code redemption). */
export async function recordConnection(store: Store, grant: GrantRecord, family: string, familyExpiresAt: number, now: number): Promise<void> {
  const value = { client_id: grant.clientId, member: grant.member?.id ?? null, scopes: grant.scopes, created_at: Math.floor(now / 1000), expires_at: Math.floor(familyExpiresAt / 1000) };
  await store.set(`oauth:grant:${grant.projectId}:${grant.integrationId}:${family}`, JSON.stringify(value), Math.max(1, familyExpiresAt - now));
}

/** The connections matching a filter, newest first. */
export async function listConnections(store: Store, filter: ConnectionFilter): Promise<Connection[]> {
  const prefix = `oauth:grant:${filter.project}:${filter.integration !== undefined ? `${filter.integration}:` : ''}`;
  const out: Connection[] = [];
  for (const key of await store.keysWithPrefix(prefix, MAX_CONNECTIONS_LISTED)) {
    const raw = await store.get(key);
    if (raw === undefined) continue;
    const [, , project, integration, family] = key.split(':') as [string, string, string, string, string];
    const v = JSON.parse(raw) as Omit<Connection, 'family' | 'project' | 'integration' | 'status'>;
    if (filter.member !== undefined && v.member !== filter.member) continue;
    const status = (await store.get(`oauth:family:${family}`)) === 'revoked' ? 'revoked' : 'active';
    out.push({ family, project, integration, ...v, status });
  }
  return out.sort((a, b) => b.created_at - a.created_at);
}

/**
 * Revokes the active connections matching a filter: their refresh tokens stop at once, their access tokens within
 * seconds (the revocation list at /mcp). Returns the connections revoked.
 */
export async function revokeConnections(store: Store, filter: ConnectionFilter, now: number): Promise<Connection[]> {
  const revoked: Connection[] = [];
  for (const c of await listConnections(store, filter)) {
    if (c.status === 'revoked') continue;
    await revokeFamily(store, c.family, Math.max(1000, c.expires_at * 1000 - now));
    revoked.push({ ...c, status: 'revoked' });
  }
  return revoked;
}
