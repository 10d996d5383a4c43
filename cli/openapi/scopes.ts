/** Where a tool's scopes came from, for diagnostics. */
export type ScopeSource = 'x-tengine-scopes' | 'security' | 'description';

/**
 * Scopes named by a `Required scope: X` (or `Required scopes: X, Y`) line of a description, Markdown emphasis
 * allowed around the label and the names, as the Enginy product's documents write them.
 */
export function scopesFromDescription(description: unknown): string[] {
  if (typeof description !== 'string') return [];
  const out: string[] = [];
  for (const m of description.matchAll(/^[\s>*_-]*\**_*required scopes?\s*:?\**_*\s*:?\s*(.+)$/gim)) {
    for (const s of m[1]!.split(/[,\s]+/)) {
      const name = s.replace(/[`*_]+$/g, '').replace(/^[`*_]+/g, '');
      if (/^(?:and|or)$/i.test(name)) continue;
      if (/^[A-Za-z0-9_.:-]{1,64}$/.test(name) && !out.includes(name)) out.push(name);
    }
  }
  return out;
}

/**
 * The OAuth 2.0 (and OpenID Connect) scopes of a list of security requirements. Requirements are alternatives;
 * a tool requires all of its scopes, so alternatives with different scopes are merged into the stricter union
 * (`merged` says so, for a diagnostic).
 */
export function scopesFromSecurity(requirements: unknown, schemes: Record<string, unknown>): { scopes: string[]; merged: boolean } {
  if (!Array.isArray(requirements)) return { scopes: [], merged: false };
  const sets: string[][] = [];
  for (const req of requirements) {
    if (typeof req !== 'object' || req === null) continue;
    const set: string[] = [];
    for (const [scheme, scopes] of Object.entries(req)) {
      const def = schemes[scheme] as { type?: unknown } | undefined;
      if (!def || (def.type !== 'oauth2' && def.type !== 'openIdConnect') || !Array.isArray(scopes)) continue;
      for (const s of scopes) if (typeof s === 'string' && !set.includes(s)) set.push(s);
    }
    if (set.length > 0) sets.push(set);
  }
  const union = [...new Set(sets.flat())];
  return { scopes: union, merged: sets.length > 1 && sets.some((s) => s.length !== union.length) };
}
