import { parseDuration } from '../../../schemas/duration.js';
import { isObject, type RuleContext } from './context.js';

/** Sensible ranges for runtime durations: outside them a value is almost certainly a unit mistake. */
const RANGES: { field: string; min: string; max: string; why: string }[] = [
  { field: 'member_session_ttl', min: '1m', max: '24h', why: 'shorter tokens expire before use; longer ones are long-lived bearer credentials' },
  { field: 'access_token_ttl', min: '1m', max: '24h', why: 'access tokens are bearer credentials; keep them short and refresh' },
  { field: 'refresh_token_ttl', min: '1h', max: '365d', why: 'refresh-token families need to outlive access tokens but not forever' },
  { field: 'default_timeout', min: '100ms', max: '15m', why: 'each call holds a connection and a model turn for this long' },
  { field: 'upstreams.circuit_breaker.open_for', min: '100ms', max: '1h', why: 'calls to a failing upstream fail at once for this long before a probe checks it again' },
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
}
