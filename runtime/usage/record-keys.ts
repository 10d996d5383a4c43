// The storage layout of usage records (docs/storage.md "Usage records"): one hash per project and UTC bucket, one
// counter field per integration, tool, metric and member.

/** Logical key prefix of every usage-record hash. */
export const RECORD_PREFIX = 'usage:rec:';
/** An hour and a day in milliseconds (buckets are UTC, so every day has 24 hours). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** `h` for an hourly bucket, `d` for a daily one. */
export type BucketKind = 'h' | 'd';

/**
 * The counters of one row: `c` calls, `e` errors, `e:<CODE>` errors by tool error code, `n` calls that reached the
 * upstream, `us` their upstream latency in microseconds (summed), `bi` MCP request bytes, `bu` upstream response bytes.
 */
export type RecordMetric = 'c' | 'e' | 'n' | 'us' | 'bi' | 'bu' | `e:${string}`;

/** The integration and tool of the row that counts calls an instance could not itemize (its aggregate was full). */
export const OVERFLOW = '*';

/** The start of the bucket of `kind` holding `ms` (epoch milliseconds, UTC). */
export function bucketStart(kind: BucketKind, ms: number): number {
  const size = kind === 'h' ? HOUR_MS : DAY_MS;
  return Math.floor(ms / size) * size;
}

/** The end (exclusive) of the bucket of `kind` starting at `start`. */
export function bucketEnd(kind: BucketKind, start: number): number {
  return start + (kind === 'h' ? HOUR_MS : DAY_MS);
}

/** `YYYYMMDDHH` (hourly) or `YYYYMMDD` (daily) of the bucket starting at `start`. */
export function bucketLabel(kind: BucketKind, start: number): string {
  const iso = new Date(start).toISOString(); // 2026-12-07T08:00:00.000Z
  const day = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  return kind === 'h' ? day + iso.slice(11, 13) : day;
}

/** The logical key of one project's bucket: `usage:rec:<project>:h:2026120708` or `usage:rec:<project>:d:20261207`. */
export function recordKey(project: string, kind: BucketKind, start: number): string {
  return `${RECORD_PREFIX}${project}:${kind}:${bucketLabel(kind, start)}`;
}

/** The key prefix of every bucket of a project (project ids hold no `:`, so no other project shares it). */
export function projectPrefix(project: string): string {
  return `${RECORD_PREFIX}${project}:`;
}

/** The kind and start of a record key of `project`; undefined for any other key. */
export function parseRecordKey(project: string, key: string): { kind: BucketKind; start: number } | undefined {
  const m = /^([hd]):(\d{4})(\d{2})(\d{2})(\d{2})?$/.exec(key.slice(projectPrefix(project).length));
  if (!key.startsWith(projectPrefix(project)) || !m) return undefined;
  const kind = m[1] as BucketKind;
  if ((kind === 'h') !== (m[5] !== undefined)) return undefined;
  const start = Date.UTC(Number(m[2]), Number(m[3]) - 1, Number(m[4]), Number(m[5] ?? 0));
  return Number.isFinite(start) ? { kind, start } : undefined;
}

/**
 * The field of one counter: `<integration> <tool> <metric> <member>`. Integration ids, tool names and metrics hold
 * no space (their config patterns forbid it), so the first three spaces split the field and the member id, the only
 * free text, is everything after the third, whatever it contains; empty for calls without a member.
 */
export function recordField(integration: string, tool: string, metric: RecordMetric, member: string | undefined): string {
  return `${integration} ${tool} ${metric} ${member ?? ''}`;
}

/** A field split back into its parts; undefined for a field this layout never writes. */
export interface ParsedField {
  integration: string;
  tool: string;
  metric: string;
  /** Undefined for calls without a member (API-key callers). */
  member?: string;
}

/** Splits a field written by `recordField`. */
export function parseField(field: string): ParsedField | undefined {
  const a = field.indexOf(' ');
  const b = a < 0 ? -1 : field.indexOf(' ', a + 1);
  const c = b < 0 ? -1 : field.indexOf(' ', b + 1);
  if (c < 0 || a === 0 || b === a + 1 || c === b + 1) return undefined;
  const member = field.slice(c + 1);
  return { integration: field.slice(0, a), tool: field.slice(a + 1, b), metric: field.slice(b + 1, c), ...(member === '' ? {} : { member }) };
}

/** A tool error code as a metric name part: `[A-Z0-9_]`, at most 64 characters (codes are, this only guards). */
export function codeMetric(code: string): `e:${string}` {
  return /^[A-Z0-9_]{1,64}$/.test(code) ? `e:${code}` : `e:${code.replace(/[^A-Z0-9_]/gi, '_').toUpperCase().slice(0, 64) || 'UNKNOWN'}`;
}
