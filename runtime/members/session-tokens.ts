import { randomUUID } from 'node:crypto';
import type { RuntimeJwt } from './runtime-jwt.js';

/** Prefix of member session tokens (compatible with the hosted product). */
export const SESSION_TOKEN_PREFIX = 'tng_mst_';
/** JOSE `typ` of member session tokens: no other token of ours can pass for one. */
export const SESSION_TOKEN_TYP = 'tng-mst+jwt';
/** JOSE `typ` of the `X-Tengine-Identity` tokens sent to upstreams. */
export const IDENTITY_TOKEN_TYP = 'tng-id+jwt';
/** Audience of member session tokens. */
export const SESSION_TOKEN_AUDIENCE = 'tengine:member-session';

/** A member as carried by a session. */
export interface Member {
  id: string;
  email?: string;
  roles?: string[];
}

/** What a verified session token says. */
export interface MemberSession {
  projectId: string;
  integrationId: string;
  member: Member;
  /** Expiry, Unix seconds. */
  exp: number;
  /** When the signing key retires (Unix seconds): the session ends then too, even if cached. */
  keyRetireAt?: number;
}

const CACHE_LIMIT = 10_000;

/**
 * Mints and verifies `tng_mst_` tokens: a JWT signed by the runtime key, 15 minutes by default. Verification needs
 * no store: signature, `typ`, audience, issuer and expiry; verified tokens are remembered (bounded) so a client
 * reusing its token costs one map lookup per request.
 */
export class SessionTokens {
  private readonly cache = new Map<string, MemberSession>();

  /** `ttlSeconds` is the token lifetime; `now` returns milliseconds. */
  constructor(
    private readonly jwt: RuntimeJwt,
    readonly issuer: string,
    readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  /** True while a signing key is available (false once every key of the set has retired). */
  canMint(): boolean {
    return this.jwt.canSign();
  }

  /** Mints a token for a member of an integration. */
  mint(projectId: string, integrationId: string, member: Member): { token: string; exp: number; iat: number } {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlSeconds;
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: SESSION_TOKEN_AUDIENCE,
      sub: member.id,
      project_id: projectId,
      integration_id: integrationId,
      // The hosted product's claim name, kept for clients that read it.
      member_external_id: member.id,
      iat,
      exp,
      jti: randomUUID(),
    };
    if (member.email !== undefined) payload.email = member.email;
    if (member.roles !== undefined) payload.roles = member.roles;
    return { token: SESSION_TOKEN_PREFIX + this.jwt.sign(SESSION_TOKEN_TYP, payload), exp, iat };
  }

  /** Verifies a full `tng_mst_…` token. */
  verify(token: string): { ok: true; session: MemberSession } | { ok: false; reason: 'EXPIRED' | 'INVALID' } {
    const nowS = Math.floor(this.now() / 1000);
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.keyRetireAt !== undefined && cached.keyRetireAt <= nowS) return { ok: false, reason: 'INVALID' };
      return cached.exp > nowS ? { ok: true, session: cached } : { ok: false, reason: 'EXPIRED' };
    }
    if (!token.startsWith(SESSION_TOKEN_PREFIX)) return { ok: false, reason: 'INVALID' };
    const checked = this.jwt.verify(token.slice(SESSION_TOKEN_PREFIX.length), SESSION_TOKEN_TYP);
    if (!checked.ok) return { ok: false, reason: 'INVALID' };
    const p = checked.payload;
    if (p.iss !== this.issuer || p.aud !== SESSION_TOKEN_AUDIENCE || typeof p.exp !== 'number') return { ok: false, reason: 'INVALID' };
    if (typeof p.sub !== 'string' || typeof p.project_id !== 'string' || typeof p.integration_id !== 'string') return { ok: false, reason: 'INVALID' };
    if (p.exp <= nowS) return { ok: false, reason: 'EXPIRED' };
    const member: Member = { id: p.sub };
    if (typeof p.email === 'string') member.email = p.email;
    if (Array.isArray(p.roles) && p.roles.every((r) => typeof r === 'string')) member.roles = p.roles as string[];
    const keyRetireAt = this.jwt.retireAtOf(checked.kid);
    const session: MemberSession = { projectId: p.project_id, integrationId: p.integration_id, member, exp: p.exp, ...(keyRetireAt !== undefined ? { keyRetireAt } : {}) };
    // Bounded: a flood of distinct tokens only costs verification, never unbounded memory.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, session);
    return { ok: true, session };
  }
}
