import { parseDuration } from '../../../schemas/duration.js';
import { parseCidr } from '../../../runtime/usage/client-address.js';
import { entriesOf, isObject, type RuleContext } from './context.js';

const MIN_WINDOW_MS = 1000;
const MAX_WINDOW_MS = 86_400_000;
/** The store keeps arrival times to the millisecond: one request per millisecond is the finest sustained rate. */
const MIN_INTERVAL_MS = 1;

/**
 * `runtime.endpoint_limits` holds rates the store can apply (TNG250), and `runtime.trusted_proxies` addresses or
 * ranges (TNG251), none of them covering every address (TNG252: any client could then name its own address).
 */
export function checkEndpointLimits(ctx: RuleContext): void {
  const runtime = ctx.config.runtime;
  if (!isObject(runtime)) return;
  const limits = runtime.endpoint_limits;
  if (isObject(limits)) {
    for (const [endpoint, pair] of Object.entries(limits)) {
      if (!isObject(pair)) continue;
      for (const [kind, rate] of Object.entries(pair)) {
        const pointer = `/runtime/endpoint_limits/${endpoint}/${kind}`;
        if (!isObject(rate) || !ctx.isClean(pointer) || typeof rate.limit !== 'number' || typeof rate.window !== 'string') continue;
        let windowMs: number;
        try {
          windowMs = parseDuration(rate.window);
        } catch {
          continue; // the schema reports malformed durations
        }
        const name = `runtime.endpoint_limits.${endpoint}.${kind}`;
        if (windowMs < MIN_WINDOW_MS || windowMs > MAX_WINDOW_MS) {
          ctx.report('TNG250', `${name}.window ${rate.window} is outside 1s–1d`, `${pointer}/window`, { hint: 'count over 1s to 1d: a shorter window is a unit mistake, a longer one holds a key for days per client' });
        } else if (windowMs / rate.limit < MIN_INTERVAL_MS) {
          ctx.report('TNG250', `${name} allows ${rate.limit} per ${rate.window}, more than 1000 requests per second`, `${pointer}/limit`, { hint: `write at most ${Math.floor(windowMs / MIN_INTERVAL_MS)} per ${rate.window}, or \`off\` for no limit` });
        }
      }
    }
  }
  for (const [i, entry] of entriesOf(runtime.trusted_proxies)) {
    const pointer = `/runtime/trusted_proxies/${i}`;
    if (typeof entry !== 'string' || !ctx.isClean(pointer)) continue;
    const range = parseCidr(entry);
    if (!range) ctx.report('TNG251', `runtime.trusted_proxies entry ${JSON.stringify(entry)} is not an IP address or CIDR range`, pointer);
    else if (range.prefix === 0) ctx.report('TNG252', `runtime.trusted_proxies entry ${entry} trusts every address: any client can choose the address it is counted as`, pointer);
  }
}
