import type { RuntimeSettings } from '../../schemas/config-types.js';
import { parseDuration } from '../../schemas/duration.js';

/** How usage records are kept (`runtime.usage_records`), durations in milliseconds. */
export interface UsageRecordSettings {
  enabled: boolean;
  /** How long an hourly bucket is kept after it ends. */
  hourlyRetentionMs: number;
  /** How long a daily bucket is kept after it ends. */
  dailyRetentionMs: number;
}

/** The retention of hourly buckets when the config sets none. */
export const DEFAULT_HOURLY_RETENTION = '14d';
/** The retention of daily buckets when the config sets none. */
export const DEFAULT_DAILY_RETENTION = '400d';

/** The usage-record settings of a bundle's runtime section, defaults filled in (validated by `tengine validate`). */
export function usageRecordSettings(runtime: RuntimeSettings | undefined): UsageRecordSettings {
  const r = runtime?.usage_records;
  return {
    enabled: r?.enabled ?? true,
    hourlyRetentionMs: parseDuration(r?.hourly_retention ?? DEFAULT_HOURLY_RETENTION),
    dailyRetentionMs: parseDuration(r?.daily_retention ?? DEFAULT_DAILY_RETENTION),
  };
}
