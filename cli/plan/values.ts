import { createHash } from 'node:crypto';
import { canonicalJson } from '../../schemas/canonical-json.js';

/** Shown instead of a secret: a plan says that a secret changed, never what it is. */
export const REDACTED = '(redacted)';

/** True when two JSON values are equal regardless of key order. */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return canonicalJson(a) === canonicalJson(b);
}

/** A plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A SHA-256 hash masked to its first and last four hex digits (`sha256:ab12…ef90`): enough to tell keys apart in
 * a review, too little to search for the key elsewhere. A plan never shows a whole hash.
 */
export function maskHash(hex: string): string {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return `sha256:${REDACTED}`;
  return `sha256:${hex.slice(0, 4).toLowerCase()}…${hex.slice(-4).toLowerCase()}`;
}

/**
 * The SHA-256 fingerprint of a PEM public key (`SHA256:` + unpadded base64 of the digest of the DER bytes, as
 * `ssh-keygen -l` and `openssl` print them), so reviewers compare keys without reading PEM blocks.
 */
export function publicKeyFingerprint(pem: string): string {
  const body = pem.replace(/-----(BEGIN|END)[^-]*-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

/** A rough token count of text a model reads (≈ 4 characters per token for English prose). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a config duration (`10s`, `15m`); `undefined` for anything else. */
export function durationMs(d: unknown): number | undefined {
  if (typeof d !== 'string') return undefined;
  const m = /^([1-9][0-9]*)(ms|s|m|h|d)$/.exec(d);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The host (with port) of a URL, or the text itself when it is not a URL. */
export function urlHost(url: unknown): string {
  if (typeof url !== 'string') return String(url);
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Items of `after` not in `before` and items of `before` not in `after`, compared as JSON, in input order. */
export function listDelta<T>(before: readonly T[], after: readonly T[]): { added: T[]; removed: T[] } {
  const key = (v: T) => canonicalJson(v);
  const b = new Set(before.map(key));
  const a = new Set(after.map(key));
  return { added: after.filter((v) => !b.has(key(v))), removed: before.filter((v) => !a.has(key(v))) };
}

/** Compact one-line JSON of a display value. */
export function compact(v: unknown): string {
  return v === undefined ? '(unset)' : JSON.stringify(v);
}
