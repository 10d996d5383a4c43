import type { Store } from '../store/store.js';
import { bucketEnd, bucketStart, codeMetric, HOUR_MS, OVERFLOW, recordField, recordKey, type BucketKind } from './record-keys.js';
import type { UsageRecordSettings } from './record-settings.js';

/** Options of the usage recorder; the defaults suit production. */
export interface UsageRecorderOptions {
  store: Store;
  settings: UsageRecordSettings;
  /** Wall clock in epoch milliseconds (buckets are UTC hours and days of it); default `Date.now`. */
  now?: () => number;
  /** How often the aggregate is written (default 1000 ms); 0: only by `flush()` (tests). */
  flushIntervalMs?: number;
  /** Distinct rows (project, integration, tool, member, hour) held between two writes (default 10 000). */
  maxRows?: number;
  /** Counter fields kept for a retry while the store fails (default 200 000); the oldest beyond it are dropped. */
  maxPendingFields?: number;
  log?: (entry: Record<string, unknown>) => void;
}

/** One row of the in-memory aggregate: the counters of one caller and tool in one hour. */
interface Row {
  project: string;
  integration: string;
  tool: string;
  member: string | undefined;
  hour: number;
  calls: number;
  errors: number;
  codes: Map<string, number> | undefined;
  upstream: number;
  us: number;
  bytesIn: number;
  bytesUp: number;
}

/** Rows of one hour: project → integration → tool → member (`''` for none) → row. */
type HourRows = Map<string, Map<string, Map<string, Map<string, Row>>>>;

/** Counter increments waiting to be written to one hash, and when that hash expires. */
interface PendingWrite {
  fields: Map<string, number>;
  expiresAt: number;
}

// Fields per store call: bounds the size of one script call (and so the time Redis spends in it).
const FIELDS_PER_WRITE = 512;
// How often an aggregate or retry bound that was hit is logged again.
const LOG_EVERY_MS = 60_000;

/** The conditions logged at most once a minute. */
type Logged = 'overflow' | 'dropped' | 'failed';

/**
 * Usage records (docs/usage.md "Usage records"): each tools/call adds to a row of an in-memory aggregate (one Map
 * lookup, no store round trip), and about once a second the aggregate becomes counter increments of one hash per
 * project and bucket (hourly and daily, UTC), written with one store call each. Writes that fail are kept and
 * merged into the next ones (bounded), so a store outage that fits the bound loses nothing; a crash loses what was
 * not yet written (at most about one second).
 */
export class UsageRecorder {
  private readonly store: Store;
  private settings: UsageRecordSettings;
  private readonly now: () => number;
  private readonly maxRows: number;
  private readonly maxPendingFields: number;
  private readonly log: ((entry: Record<string, unknown>) => void) | undefined;
  // Nested maps rather than one map on a joined key: no string is built per call, and each lookup hashes a short id.
  private rows = new Map<number, HourRows>();
  private rowCount = 0;
  private readonly pending = new Map<string, PendingWrite>();
  private pendingFields = 0;
  private overflowCalls = 0;
  private droppedFields = 0;
  private readonly lastLog: Record<Logged, number> = { overflow: -Infinity, dropped: -Infinity, failed: -Infinity };
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Starts the periodic writes (an unref'd timer: it never keeps a process alive). */
  constructor(opts: UsageRecorderOptions) {
    this.store = opts.store;
    this.settings = opts.settings;
    this.now = opts.now ?? Date.now;
    this.maxRows = opts.maxRows ?? 10_000;
    this.maxPendingFields = opts.maxPendingFields ?? 200_000;
    this.log = opts.log;
    const every = opts.flushIntervalMs ?? 1000;
    // A tick while a write is still running is skipped: writes never pile up behind a slow store.
    if (every > 0) this.timer = setInterval(() => void (this.flushing ?? this.flush()), every).unref();
  }

  /**
   * Counts one tools/call of a bundle tool. `code` is `OK` or the tool error code; `upstreamMs` is present when the
   * call reached the upstream. Hot path: a few Map lookups, no allocation but a caller's first row in the hour.
   */
  record(project: string, integration: string, member: string | undefined, tool: string, code: string, upstreamMs: number | undefined, requestBytes: number, upstreamBytes: number): void {
    if (this.closed) return;
    const hour = Math.floor(this.now() / HOUR_MS);
    let hourRows = this.rows.get(hour);
    if (hourRows === undefined) this.rows.set(hour, (hourRows = new Map()));
    const members = child(child(child(hourRows, project), integration), tool);
    let row = members.get(member ?? '');
    if (row === undefined) {
      if (this.rowCount >= this.maxRows) {
        // Full: the call is still counted, in the project's overflow row, without its integration, tool and member.
        this.overflowCalls++;
        const overflow = child(child(child(hourRows, project), OVERFLOW), OVERFLOW);
        row = overflow.get('');
        if (row === undefined) overflow.set('', (row = newRow(project, OVERFLOW, OVERFLOW, undefined, hour)));
      } else {
        members.set(member ?? '', (row = newRow(project, integration, tool, member, hour)));
        this.rowCount++;
      }
    }
    row.calls++;
    if (code !== 'OK') {
      row.errors++;
      row.codes ??= new Map();
      row.codes.set(code, (row.codes.get(code) ?? 0) + 1);
    }
    if (upstreamMs !== undefined) {
      row.upstream++;
      row.us += Math.round(upstreamMs * 1000);
    }
    row.bytesIn += requestBytes;
    row.bytesUp += upstreamBytes;
  }

  /** Applies new settings (a reload): records are kept from now on with the new retention. */
  configure(settings: UsageRecordSettings): void {
    this.settings = settings;
  }

  /**
   * Writes the aggregate and whatever earlier writes failed; never rejects. A call while a write runs waits for it
   * and then writes what was recorded since, so `await flush()` covers every call recorded before it.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.writeAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Stops the timer and writes what is left (shutdown and drain). Later records are ignored. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    this.closed = true;
    if (this.pendingFields > 0) {
      this.log?.({ level: 'warn', event: 'usage_records_lost', fields: this.pendingFields, message: 'usage records not written at shutdown: the store did not take them' });
    }
  }

  /** What is held in memory now: aggregate rows and counter fields waiting for a retry (for tests and logs). */
  held(): { rows: number; pendingFields: number } {
    return { rows: this.rowCount, pendingFields: this.pendingFields };
  }

  private async writeAll(): Promise<void> {
    this.moveRowsToPending();
    const now = this.now();
    const writes: Promise<void>[] = [];
    for (const [key, write] of this.pending) {
      const ttl = write.expiresAt - now;
      if (ttl <= 0) {
        // Older than its retention (a long outage): the store would drop it at once.
        this.forget(key, write);
        continue;
      }
      writes.push(this.writeOne(key, write, ttl));
    }
    await Promise.all(writes);
    this.bound(now);
  }

  /** Turns the aggregate into counter increments per hash (hourly and daily), merged with those waiting. */
  private moveRowsToPending(): void {
    if (this.rowCount === 0 && this.rows.size === 0) return;
    const { hourlyRetentionMs, dailyRetentionMs } = this.settings;
    for (const hourRows of this.rows.values()) {
      for (const integrations of hourRows.values()) {
        for (const tools of integrations.values()) {
          for (const members of tools.values()) {
            for (const row of members.values()) {
              const start = row.hour * HOUR_MS;
              this.addRow(row, 'h', bucketStart('h', start), hourlyRetentionMs);
              this.addRow(row, 'd', bucketStart('d', start), dailyRetentionMs);
            }
          }
        }
      }
    }
    this.rows = new Map();
    this.rowCount = 0;
    if (this.overflowCalls > 0) {
      this.logAtMost('overflow', { level: 'warn', event: 'usage_records_overflow', calls: this.overflowCalls, max_rows: this.maxRows, message: 'more distinct callers and tools than the aggregate holds in one second: the excess calls are counted in the project\'s "*" row' });
      this.overflowCalls = 0;
    }
  }

  private addRow(row: Row, kind: BucketKind, start: number, retentionMs: number): void {
    const key = recordKey(row.project, kind, start);
    let write = this.pending.get(key);
    if (write === undefined) this.pending.set(key, (write = { fields: new Map(), expiresAt: bucketEnd(kind, start) + retentionMs }));
    const add = (metric: Parameters<typeof recordField>[2], n: number) => {
      if (n === 0) return;
      const field = recordField(row.integration, row.tool, metric, row.member);
      const held = write!.fields.get(field);
      if (held === undefined) this.pendingFields++;
      write!.fields.set(field, (held ?? 0) + n);
    };
    add('c', row.calls);
    add('e', row.errors);
    if (row.codes) for (const [code, n] of row.codes) add(codeMetric(code), n);
    add('n', row.upstream);
    add('us', row.us);
    add('bi', row.bytesIn);
    add('bu', row.bytesUp);
  }

  /** Writes one hash in chunks; each chunk written is removed from the pending increments, the rest stay. */
  private async writeOne(key: string, write: PendingWrite, ttl: number): Promise<void> {
    const fields = [...write.fields];
    for (let i = 0; i < fields.length; i += FIELDS_PER_WRITE) {
      const chunk = fields.slice(i, i + FIELDS_PER_WRITE);
      try {
        await this.store.incrementFields(key, Object.fromEntries(chunk), ttl);
      } catch (e) {
        this.logAtMost('failed', { level: 'warn', event: 'usage_records_unwritten', pending_fields: this.pendingFields, error: (e as Error)?.message, message: 'usage records could not be written; they are kept and retried every second' });
        return;
      }
      for (const [field, n] of chunk) {
        // Rows recorded while this write ran were merged into the same map: only what was written is taken off.
        const left = (write.fields.get(field) ?? 0) - n;
        if (left === 0) {
          write.fields.delete(field);
          this.pendingFields--;
        } else write.fields.set(field, left);
      }
    }
    if (write.fields.size === 0 && this.pending.get(key) === write) this.pending.delete(key);
  }

  /** Keeps the increments waiting for a retry within their bound, dropping the oldest hashes first. */
  private bound(now: number): void {
    if (this.pendingFields <= this.maxPendingFields) return;
    const before = this.droppedFields;
    for (const [key, write] of this.pending) {
      if (this.pendingFields <= this.maxPendingFields) break;
      this.forget(key, write);
    }
    this.logAtMost('dropped', { level: 'error', event: 'usage_records_dropped', fields: this.droppedFields - before, max_pending_fields: this.maxPendingFields, message: 'the store has not taken usage records for too long: the oldest were dropped' }, now);
  }

  private forget(key: string, write: PendingWrite): void {
    this.pending.delete(key);
    this.pendingFields -= write.fields.size;
    this.droppedFields += write.fields.size;
  }

  private logAtMost(what: Logged, entry: Record<string, unknown>, now = this.now()): void {
    if (now - this.lastLog[what] < LOG_EVERY_MS) return;
    this.lastLog[what] = now;
    this.log?.(entry);
  }
}

/** The map under `key`, created when absent. */
function child<V>(parent: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = parent.get(key);
  if (map === undefined) parent.set(key, (map = new Map()));
  return map;
}

function newRow(project: string, integration: string, tool: string, member: string | undefined, hour: number): Row {
  return { project, integration, tool, member, hour, calls: 0, errors: 0, codes: undefined, upstream: 0, us: 0, bytesIn: 0, bytesUp: 0 };
}
