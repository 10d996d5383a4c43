import type { Store } from '../store/store.js';
import { bucketEnd, bucketStart, parseField, parseRecordKey, projectPrefix, recordKey, type BucketKind } from './record-keys.js';

/** How rows of a usage report are grouped. */
export type UsageGroupBy = 'day' | 'hour' | 'tool' | 'member';

/** What `tengine usage` asks for: a project, optional filters, a range of buckets ending with the current one. */
export interface UsageQuery {
  project: string;
  integration?: string;
  member?: string;
  tool?: string;
  /** Buckets of `bucket` to read, the current one included (e.g. 7 days, 36 hours). */
  buckets: number;
  bucket: BucketKind;
  by: UsageGroupBy;
  /** Keep only the N groups with the most calls (tool and member grouping). */
  top?: number;
  /** The time the range ends in (epoch ms): its bucket is the last one read. */
  now: number;
}

/** Counters of one group (or of all of them). */
export interface UsageTotals {
  calls: number;
  errors: number;
  /** errors / calls, 0 without calls (4 decimals). */
  error_rate: number;
  errors_by_code: Record<string, number>;
  /** Calls that reached the upstream (refusals before it do not). */
  upstream_calls: number;
  /** Mean upstream latency of those calls, ms (0.1); null without any. */
  upstream_ms_avg: number | null;
  upstream_ms_total: number;
  /** Bytes of the MCP requests. */
  request_bytes: number;
  /** Bytes of the upstream response bodies. */
  upstream_bytes: number;
}

/** One row: a bucket (`2026-12-07`, `2026-12-07T08:00Z`), a tool name, or a member id (null: calls without a member). */
export interface UsageRow extends UsageTotals {
  group: string | null;
  /** Calls per bucket over the range, oldest first (for sparklines; not in the JSON output). */
  series: number[];
}

/** A usage report: the rows and the totals of everything matched (`--top` hides rows, never counts). */
export interface UsageReport {
  project: string;
  filters: { integration: string | null; member: string | null; tool: string | null };
  by: UsageGroupBy;
  bucket: 'hour' | 'day';
  /** Start of the first bucket and end of the last (ISO 8601, UTC). */
  from: string;
  to: string;
  rows: UsageRow[];
  /** Groups matched (rows before `--top`). */
  groups: number;
  total: UsageTotals;
}

// Bucket reads in flight at once: enough to pipeline, few enough not to flood a shared Redis.
const READ_CONCURRENCY = 32;

/** Counters being summed, before rates and averages are derived. */
interface Sum {
  calls: number;
  errors: number;
  codes: Map<string, number>;
  upstream: number;
  us: number;
  bi: number;
  bu: number;
  series: number[];
}

/** Reads a project's usage records for a range of buckets and groups them (one HGETALL per bucket). */
export async function readUsage(store: Store, q: UsageQuery): Promise<UsageReport> {
  const last = bucketStart(q.bucket, q.now);
  const size = bucketEnd(q.bucket, 0);
  const starts = Array.from({ length: q.buckets }, (_, i) => last - (q.buckets - 1 - i) * size);
  const hashes: Record<string, string>[] = [];
  for (let i = 0; i < starts.length; i += READ_CONCURRENCY) {
    hashes.push(...(await Promise.all(starts.slice(i, i + READ_CONCURRENCY).map((s) => store.readFields(recordKey(q.project, q.bucket, s))))));
  }
  const timeGroups = q.by === 'day' || q.by === 'hour';
  const newSum = (): Sum => ({ calls: 0, errors: 0, codes: new Map(), upstream: 0, us: 0, bi: 0, bu: 0, series: new Array<number>(starts.length).fill(0) });
  const groups = new Map<string | null, Sum>();
  const sumOf = (group: string | null) => {
    let s = groups.get(group);
    if (s === undefined) groups.set(group, (s = newSum()));
    return s;
  };
  // Every bucket of the range is a row, empty ones too, so a gap shows as a gap.
  if (timeGroups) for (const s of starts) sumOf(label(q.by, s));
  const total = newSum();
  hashes.forEach((fields, i) => {
    for (const [field, text] of Object.entries(fields)) {
      const f = parseField(field);
      const n = Number(text);
      if (f === undefined || !Number.isFinite(n)) continue;
      if ((q.integration !== undefined && f.integration !== q.integration) || (q.tool !== undefined && f.tool !== q.tool) || (q.member !== undefined && f.member !== q.member)) continue;
      const group = timeGroups ? label(q.by, starts[i]!) : q.by === 'tool' ? f.tool : (f.member ?? null);
      for (const s of [sumOf(group), total]) add(s, f.metric, n, i);
    }
  });
  let rows = [...groups].map(([group, s]) => ({ group, ...totalsOf(s), series: s.series }));
  // Time rows stay in time order; tool and member rows go heaviest first.
  if (!timeGroups) rows.sort((a, b) => b.calls - a.calls || String(a.group).localeCompare(String(b.group)));
  const matched = rows.length;
  if (q.top !== undefined) rows = rows.slice(0, q.top);
  return {
    project: q.project,
    filters: { integration: q.integration ?? null, member: q.member ?? null, tool: q.tool ?? null },
    by: q.by,
    bucket: q.bucket === 'h' ? 'hour' : 'day',
    from: iso(starts[0]!),
    to: iso(bucketEnd(q.bucket, last)),
    rows,
    groups: matched,
    total: totalsOf(total),
  };
}

function add(s: Sum, metric: string, n: number, bucket: number): void {
  if (metric === 'c') {
    s.calls += n;
    s.series[bucket]! += n;
  } else if (metric === 'e') s.errors += n;
  else if (metric.startsWith('e:')) s.codes.set(metric.slice(2), (s.codes.get(metric.slice(2)) ?? 0) + n);
  else if (metric === 'n') s.upstream += n;
  else if (metric === 'us') s.us += n;
  else if (metric === 'bi') s.bi += n;
  else if (metric === 'bu') s.bu += n;
}

function totalsOf(s: Sum): UsageTotals {
  return {
    calls: s.calls,
    errors: s.errors,
    error_rate: s.calls === 0 ? 0 : Math.round((s.errors / s.calls) * 10_000) / 10_000,
    errors_by_code: Object.fromEntries([...s.codes].sort(([a], [b]) => a.localeCompare(b))),
    upstream_calls: s.upstream,
    upstream_ms_avg: s.upstream === 0 ? null : Math.round(s.us / s.upstream / 100) / 10,
    upstream_ms_total: Math.round(s.us / 100) / 10,
    request_bytes: s.bi,
    upstream_bytes: s.bu,
  };
}

function label(by: UsageGroupBy, start: number): string {
  const text = new Date(start).toISOString();
  return by === 'day' ? text.slice(0, 10) : `${text.slice(0, 13)}:00Z`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** What an erasure removed: the buckets that held the member and the counter fields deleted from them. */
export interface ErasureResult {
  buckets: number;
  fields: number;
}

// Buckets of one project at most: 400 days of hourly and 3660 of daily buckets, with room to spare.
const MAX_BUCKETS = 20_000;

/**
 * Deletes one member's counters from every bucket of a project (an erasure request). Counters of calls the member
 * makes afterwards, or that an instance had not yet written (up to a second), are new records.
 */
export async function eraseMember(store: Store, project: string, member: string): Promise<ErasureResult> {
  const keys = (await store.keysWithPrefix(projectPrefix(project), MAX_BUCKETS)).filter((k) => parseRecordKey(project, k) !== undefined).sort();
  const result: ErasureResult = { buckets: 0, fields: 0 };
  for (const key of keys) {
    const fields = Object.keys(await store.readFields(key)).filter((f) => parseField(f)?.member === member);
    if (fields.length === 0) continue;
    result.buckets++;
    result.fields += await store.deleteFields(key, fields);
  }
  return result;
}
