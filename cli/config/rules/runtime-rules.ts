import { parseDuration } from '../../../schemas/duration.js';
import { isObject, type RuleContext } from './context.js';

/** Sensible ranges for runtime durations: outside them a value is almost certainly a unit mistake. */
const RANGES: { field: string; min: string; max: string; why: string }[] = [
  { field: 'member_session_ttl', min: '1m', max: '24h', why: 'shorter tokens expire before use; longer ones are long-lived bearer credentials' },
  { field: 'access_token_ttl', min: '1m', max: '24h', why: 'access tokens are bearer credentials; keep them short and refresh' },
  { field: 'refresh_token_ttl', min: '1h', max: '365d', why: 'refresh-token families need to outlive access tokens but not forever' },
  { field: 'default_timeout', min: '100ms', max: '15m', why: 'each call holds a connection and a model turn for this long' },
  { field: 'upstreams.circuit_breaker.open_for', min: '100ms', max: '1h', why: 'calls to a failing upstream fail at once for this long before a probe checks it again' },
  { field: 'usage_records.hourly_retention', min: '1h', max: '400d', why: 'an hourly bucket is kept this long after it ends; shorter keeps nothing worth reading' },
  { field: 'usage_records.daily_retention', min: '1d', max: '3660d', why: 'a daily bucket is kept this long after it ends' },
  { field: 'progress_interval', min: '100ms', max: '1m', why: 'shorter floods the client with events, longer lets idle-timeout proxies cut the stream (docs/http-api.md#progress)' },
];

/** Runtime durations are within ranges a production gateway can use (TNG227). */
export function checkRuntimeSettings(ctx: RuleContext): void {
  const runtime = ctx.config.runtime;
  if (!isObject(runtime)) return;
  for (const r of RANGES) {
    // Nested settings are named with dots (upstreams.circuit_breaker.open_for).
    const value = r.field.split('.').reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), runtime);
    const pointer = `/runtime/${r.field.replaceAll('.', '/')}`;
    if (typeof value !== 'string' || !ctx.isClean(pointer)) continue;
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch {
      continue; // the schema reports malformed durations
    }
    if (ms < parseDuration(r.min) || ms > parseDuration(r.max)) {
      ctx.report('TNG227', `runtime.${r.field} ${value} is outside ${r.min}–${r.max}`, pointer, { hint: `use a value from ${r.min} to ${r.max}: ${r.why}` });
    }
  }
  checkUsageRetention(ctx, runtime.usage_records);
}

/** Hourly usage records are kept no longer than daily ones, which summarise the same calls (TNG253). */
function checkUsageRetention(ctx: RuleContext, records: unknown): void {
  if (!isObject(records)) return;
  const { hourly_retention: hourly, daily_retention: daily } = records;
  const pointer = '/runtime/usage_records/hourly_retention';
  // Defaults are applied before the rules run, so both are set unless the schema reported them.
  if (typeof hourly !== 'string' || typeof daily !== 'string' || !ctx.isClean(pointer) || !ctx.isClean('/runtime/usage_records/daily_retention')) return;
  let hourlyMs: number;
  let dailyMs: number;
  try {
    hourlyMs = parseDuration(hourly);
    dailyMs = parseDuration(daily);
  } catch {
    return; // the schema reports malformed durations
  }
  if (hourlyMs > dailyMs) {
    ctx.report('TNG253', `runtime.usage_records.hourly_retention ${hourly} is longer than daily_retention ${daily}`, pointer, {
      hint: 'keep hourly buckets no longer than daily ones: lower hourly_retention or raise daily_retention',
    });
  }
}
