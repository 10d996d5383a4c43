import type { Store } from '../store/store.js';

/** How long an instance trusts what it read about a family: revocation reaches every instance within this. */
export const FAMILY_STATUS_TTL_MS = 5_000;
/** A status read this long ago still answers while the store is down (access tokens live at most a day). */
const STALE_LIMIT_MS = 24 * 3_600_000;
const MAX_ENTRIES = 100_000;

/**
 * Whether the refresh family an access token was issued in has been revoked, as the revocation list checked at
 * `/mcp`. Each instance reads a family's status from the store at most once per FAMILY_STATUS_TTL_MS, so a busy
 * client costs one map lookup per call, and `/revoke` (or reuse detection) stops its access tokens everywhere within
 * seconds instead of at their expiry. With the store down, a status read before still answers; a family never read
 * is refused (authentication does not fail open).
 */
export class FamilyStatus {
  private readonly known = new Map<string, { revoked: boolean; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** `revoked`, `active`, or `unknown` when the store cannot be read and nothing was read before. */
  async check(family: string): Promise<'revoked' | 'active' | 'unknown'> {
    const now = this.now();
    const hit = this.known.get(family);
    if (hit && now - hit.at < FAMILY_STATUS_TTL_MS) return hit.revoked ? 'revoked' : 'active';
    let value: string | undefined;
    try {
      value = await this.store.get(`oauth:family:${family}`);
    } catch {
      if (hit && now - hit.at < STALE_LIMIT_MS) return hit.revoked ? 'revoked' : 'active';
      return 'unknown';
    }
    // Bounded: a flood of distinct families costs store reads, never unbounded memory.
    if (this.known.size >= MAX_ENTRIES) this.known.clear();
    const revoked = value === 'revoked';
    this.known.set(family, { revoked, at: now });
    return revoked ? 'revoked' : 'active';
  }
}
