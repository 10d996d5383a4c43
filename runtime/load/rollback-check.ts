import { RuntimeBootError } from '../boot-types.js';
import { parseWatermark, StoreUnavailableError, type Store, type Watermark } from '../store/store.js';
import { BOOT_EXIT } from './boot-exit-codes.js';

/** The store key recording the newest bundle this deployment has served: `<created_at in Unix seconds> <digest>`. */
export const SERVED_BUNDLE_KEY = 'bundle:served';

/**
 * How long the record lives after the last boot that refreshed it (400 days). Every boot refreshes it, so it only
 * lapses when no instance of the deployment starts for that long.
 */
export const SERVED_BUNDLE_TTL_MS = 400 * 24 * 60 * 60 * 1000;

/** What orders bundles: the digest of the signed payload and its build time (`created_at`). */
export interface ServedBundle {
  /** `sha256:<hex>`. */
  digest: string;
  /** ISO 8601 UTC, seconds precision. */
  createdAt: string;
}

type Log = ((entry: Record<string, unknown>) => void) | undefined;

/**
 * Refuses, before the port opens, a bundle built earlier than the newest one this deployment has already served
 * (the record is shared through the store), unless `allowTo` names exactly this bundle's digest. An older bundle
 * may still hold an API key, a member key or a tool that the newer one revoked. Read-only: the record is raised by
 * `recordServedBundle` once every other boot check has passed, so a bundle that never served cannot lock out the
 * one before it.
 */
export async function checkRollback(store: Store, bundle: ServedBundle, allowTo: string | undefined, log: Log): Promise<void> {
  const mine = buildSeconds(bundle);
  const recorded = await storeCall(() => store.get(SERVED_BUNDLE_KEY)).then((text) => (text === undefined ? undefined : parseWatermark(text)));
  if (recorded !== undefined && recorded.value > mine) {
    if (allowTo !== bundle.digest) throw rollbackError(bundle, recorded, allowTo);
    log?.({
      level: 'warn',
      event: 'bundle_rollback_allowed',
      bundle_digest: bundle.digest,
      created_at: bundle.createdAt,
      newest_digest: recorded.label,
      newest_created_at: isoSeconds(recorded.value),
      message: `serving bundle ${bundle.digest} (built ${bundle.createdAt}) although ${recorded.label} (built ${isoSeconds(recorded.value)}) was served before, as --allow-rollback-to says; keep the setting while this bundle is served, and remove it with the next deploy`,
    });
    return;
  }
  if (recorded !== undefined && recorded.value === mine && recorded.label !== bundle.digest) {
    // Two builds with one build time (the same commit built twice with other files or variables): they cannot be
    // ordered, so neither is refused; the record keeps the first.
    log?.({
      level: 'warn',
      event: 'bundle_same_build_time',
      bundle_digest: bundle.digest,
      other_digest: recorded.label,
      created_at: bundle.createdAt,
      message: `bundle ${bundle.digest} has the build time of ${recorded.label}, which was served before, so rollback protection cannot order them; commit each change before building so that every bundle has its own commit time`,
    });
  }
  if (allowTo !== undefined) {
    log?.({
      level: 'warn',
      event: 'allow_rollback_to_unused',
      allow_rollback_to: allowTo,
      bundle_digest: bundle.digest,
      message: `--allow-rollback-to (TENGINE_ALLOW_ROLLBACK_TO) ${allowTo === bundle.digest ? 'names this bundle, which is not older than any served one' : 'names another bundle'}: it has no effect; remove it`,
    });
  }
}

/**
 * Raises the shared record to this bundle, atomically (a newer record is kept). Called once every other boot
 * check has passed; refuses the boot when, meanwhile, an instance booting a newer bundle raised the record above
 * this one (two deploys racing), unless `allowTo` names this bundle.
 */
export async function recordServedBundle(store: Store, bundle: ServedBundle, allowTo: string | undefined): Promise<void> {
  const mine = buildSeconds(bundle);
  const stored = await storeCall(() => store.advance(SERVED_BUNDLE_KEY, mine, bundle.digest, SERVED_BUNDLE_TTL_MS));
  if (stored.value > mine && allowTo !== bundle.digest) throw rollbackError(bundle, stored, allowTo);
}

function rollbackError(bundle: ServedBundle, newest: Watermark, allowTo: string | undefined): RuntimeBootError {
  const flag = allowTo === undefined ? '' : ` (--allow-rollback-to names ${allowTo}, not this bundle)`;
  return new RuntimeBootError(
    'BUNDLE_ROLLBACK',
    `bundle ${bundle.digest} was built at ${bundle.createdAt}, before ${newest.label || 'a bundle'} (built ${isoSeconds(newest.value)}) that this deployment has already served: an older bundle may hold keys or tools the newer one removed${flag}`,
    BOOT_EXIT.BUNDLE_ROLLBACK,
    `deploy a newer bundle (revert the change in git and build), or roll back on purpose with --allow-rollback-to ${bundle.digest} (TENGINE_ALLOW_ROLLBACK_TO); see docs/gitops.md "Rollback"`,
  );
}

/** The ordering key: the build time in Unix seconds. */
function buildSeconds(bundle: ServedBundle): number {
  const ms = Date.parse(bundle.createdAt);
  if (!Number.isFinite(ms)) {
    // bundle.schema.json requires a date-time, so only a hand-made payload gets here.
    throw new RuntimeBootError('BUNDLE_PAYLOAD_INVALID', `created_at "${bundle.createdAt}" is not a time`, BOOT_EXIT.BUNDLE_PAYLOAD_INVALID, 'rebuild the bundle with tengine build');
  }
  return Math.floor(ms / 1000);
}

function isoSeconds(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A store failure here stops the boot: without the record the runtime cannot tell a rollback from a deploy. */
async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof StoreUnavailableError) {
      throw new RuntimeBootError('STORE_UNAVAILABLE', `cannot read or record the served bundle: ${e.message}`, BOOT_EXIT.STORE_UNAVAILABLE, 'check that Redis is reachable and answers, then start again');
    }
    throw e;
  }
}
