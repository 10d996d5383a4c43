import { randomUUID } from 'node:crypto';
import type { RuntimeJwt } from '../members/runtime-jwt.js';
import type { Member } from '../members/session-tokens.js';

/** JOSE `typ` of OAuth access tokens (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** What an access token grants. */
export interface AccessGrant {
  clientId: string;
  projectId: string;
  integrationId: string;
  scopes: readonly string[];
  /** The refresh-token family the token was issued in (revoking the family stops its refreshes). */
  family: string;
  /** The member who signed in, for a member grant. */
  member?: Member;
}

const CACHE_LIMIT = 10_000;

/**
 * Mints and verifies OAuth access tokens: RFC 9068 JWTs signed by the runtime key set, audience the MCP resource
 * URL. Verification needs no store round trip: signature, `typ`, issuer, audience and expiry. Verified tokens are
 * remembered (bounded), so a client reusing its token costs a map lookup per call, not a signature check.
 */
export class AccessTokens {
  private readonly cache = new Map<string, { grant: AccessGrant; exp: number; keyRetireAt?: number }>();

  /** `resource` is the audience (the MCP endpoint URL); `now` returns milliseconds. */
  constructor(
    private readonly jwt: RuntimeJwt,
    readonly issuer: string,
    readonly resource: string,
    readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  /**
   * Mints an access token for a grant; `notAfterMs` (the family's end) caps its life, so no access token outlives
   * the family whose revocation marker must cover it.
   */
  mint(grant: AccessGrant, notAfterMs = Number.POSITIVE_INFINITY): { token: string; expiresIn: number } {
    const iat = Math.floor(this.now() / 1000);
    const exp = Math.max(iat + 1, Math.min(iat + this.ttlSeconds, Math.floor(notAfterMs / 1000)));
    const payload = {
      iss: this.issuer,
      aud: this.resource,
      // RFC 9068 §2.2: `sub` is the resource owner: the member, or the integration for a project-level grant.
      sub: grant.member ? grant.member.id : `integration:${grant.integrationId}`,
      ...(grant.member ? { member: grant.member } : {}),
      client_id: grant.clientId,
      scope: grant.scopes.join(' '),
      project_id: grant.projectId,
      integration_id: grant.integrationId,
      fam: grant.family,
      iat,
      exp,
      jti: randomUUID(),
    };
    return { token: this.jwt.sign(ACCESS_TOKEN_TYP, payload), expiresIn: exp - iat };
  }

  /** Verifies a token; `EXPIRED` only for a token of ours whose time has passed. */
  verify(token: string): { ok: true; grant: AccessGrant } | { ok: false; reason: 'EXPIRED' | 'INVALID' } {
    const nowS = Math.floor(this.now() / 1000);
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.keyRetireAt !== undefined && hit.keyRetireAt <= nowS) return { ok: false, reason: 'INVALID' };
      return hit.exp > nowS ? { ok: true, grant: hit.grant } : { ok: false, reason: 'EXPIRED' };
    }
    const checked = this.jwt.verify(token, ACCESS_TOKEN_TYP);
    if (!checked.ok) return { ok: false, reason: 'INVALID' };
    const p = checked.payload;
    if (p.iss !== this.issuer || p.aud !== this.resource || typeof p.exp !== 'number') return { ok: false, reason: 'INVALID' };
    if (typeof p.client_id !== 'string' || typeof p.project_id !== 'string' || typeof p.integration_id !== 'string' || typeof p.scope !== 'string' || typeof p.fam !== 'string') {
      return { ok: false, reason: 'INVALID' };
    }
    if (p.exp <= nowS) return { ok: false, reason: 'EXPIRED' };
    const grant: AccessGrant = { clientId: p.client_id, projectId: p.project_id, integrationId: p.integration_id, scopes: p.scope === '' ? [] : p.scope.split(' '), family: p.fam };
    if (p.member !== undefined) {
      const m = p.member as Partial<Member> | null;
      if (typeof m !== 'object' || m === null || typeof m.id !== 'string') return { ok: false, reason: 'INVALID' };
      grant.member = { id: m.id, ...(typeof m.email === 'string' ? { email: m.email } : {}), ...(Array.isArray(m.roles) ? { roles: m.roles.filter((r): r is string => typeof r === 'string') } : {}) };
    }
    const keyRetireAt = this.jwt.retireAtOf(checked.kid);
    // Bounded: a flood of distinct tokens only costs verification, never unbounded memory.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, { grant, exp: p.exp, ...(keyRetireAt !== undefined ? { keyRetireAt } : {}) });
    return { ok: true, grant };
  }
}
