import { readFile } from 'node:fs/promises';
import { RuntimeBootError, type RuntimeOptions } from './boot-types.js';
import { BOOT_EXIT } from './load/boot-exit-codes.js';
import { DEFAULT_DRAIN } from './lifecycle/drain.js';
import { parseDuration } from '../schemas/duration.js';
import { redisEndpointsFromEnv, RedisSettingsError, type RedisEndpoints } from './store/redis-endpoints.js';
import { createLogger, LOG_LEVELS, parseLogLevel, type LogLevel } from './observability/logger.js';

/** Settings as given on the command line; anything missing falls back to `TENGINE_*` variables. */
export interface RuntimeFlags {
  bundle?: string;
  bundlePublicKey?: string[];
  runtimeKeys?: string;
  host?: string;
  port?: string;
  publicUrl?: string;
  logLevel?: string;
  /** `--allow-development`: true when given (a flag cannot say false; the variable can). */
  allowDevelopment?: boolean;
  allowRollbackTo?: string;
  allowEvictingStore?: boolean;
  /** `--drain-delay`: how long to keep serving after SIGTERM before refusing new connections. */
  drainDelay?: string;
  /** `--drain-timeout`: how long calls in flight may take to finish during shutdown. */
  drainTimeout?: string;
  /** `--watch-bundle`: reload when the bundle file changes. */
  watchBundle?: boolean;
  /** `--metrics-port`: serve `/metrics` on its own listener. */
  metricsPort?: string;
  /** `--metrics-host`: the metrics listener's interface (default the runtime's host). */
  metricsHost?: string;
}

/**
 * Resolves flags and environment into RuntimeOptions, reading the files they name. Flags win over variables:
 * TENGINE_BUNDLE, TENGINE_BUNDLE_PUBLIC_KEYS (comma-separated paths), TENGINE_RUNTIME_KEYS, TENGINE_HOST,
 * TENGINE_PORT, TENGINE_PUBLIC_URL, TENGINE_LOG_LEVEL, TENGINE_ALLOW_DEVELOPMENT, TENGINE_ALLOW_ROLLBACK_TO,
 * TENGINE_ALLOW_EVICTING_STORE, TENGINE_DRAIN_DELAY, TENGINE_DRAIN_TIMEOUT, TENGINE_WATCH_BUNDLE, TENGINE_METRICS_PORT,
 * TENGINE_METRICS_HOST, and for the shared store TENGINE_REDIS_URL or REDIS_URL (one server),
 * TENGINE_REDIS_CLUSTER_NODES (Redis Cluster) or TENGINE_REDIS_SENTINELS with TENGINE_REDIS_SENTINEL_NAME (Sentinel).
 * With `logToStderr` log lines go to stderr through pino's buffered asynchronous destination instead of `write` (the
 * process entry; `write` still gets nothing but what the caller prints itself).
 */
export async function resolveRuntimeOptions(flags: RuntimeFlags, env: Record<string, string | undefined>, write: (line: string) => void, logToStderr = false): Promise<RuntimeOptions> {
  const level = flags.logLevel ?? env.TENGINE_LOG_LEVEL;
  // A typo (`verbose`, `warning`) must not silently become `info`.
  if (level !== undefined && level !== '' && !LOG_LEVELS.includes(level as LogLevel)) {
    throw new RuntimeBootError('USAGE', `${flags.logLevel !== undefined ? '--log-level' : 'TENGINE_LOG_LEVEL'} "${level}" is not a log level`, BOOT_EXIT.USAGE, `use one of: ${LOG_LEVELS.join(', ')}`);
  }
  // The safety overrides are parsed before any file is read: a typo must stop the boot, never pass as "not set".
  const allowDevelopment = flags.allowDevelopment === true || parseSwitch(env.TENGINE_ALLOW_DEVELOPMENT, 'TENGINE_ALLOW_DEVELOPMENT');
  const allowEvictingStore = flags.allowEvictingStore === true || parseSwitch(env.TENGINE_ALLOW_EVICTING_STORE, 'TENGINE_ALLOW_EVICTING_STORE');
  const allowRollbackTo = parseDigest(flags.allowRollbackTo ?? nonEmpty(env.TENGINE_ALLOW_ROLLBACK_TO), flags.allowRollbackTo !== undefined ? '--allow-rollback-to' : 'TENGINE_ALLOW_ROLLBACK_TO');
  const watchBundle = flags.watchBundle === true || parseSwitch(env.TENGINE_WATCH_BUNDLE, 'TENGINE_WATCH_BUNDLE');
  const drain = {
    delayMs: parseDrainDuration(flags.drainDelay ?? nonEmpty(env.TENGINE_DRAIN_DELAY), flags.drainDelay !== undefined ? '--drain-delay' : 'TENGINE_DRAIN_DELAY', DEFAULT_DRAIN.delayMs),
    timeoutMs: parseDrainDuration(flags.drainTimeout ?? nonEmpty(env.TENGINE_DRAIN_TIMEOUT), flags.drainTimeout !== undefined ? '--drain-timeout' : 'TENGINE_DRAIN_TIMEOUT', DEFAULT_DRAIN.timeoutMs),
  };
  const redis = parseRedisEndpoints(env);
  const bundlePath = flags.bundle ?? env.TENGINE_BUNDLE;
  if (!bundlePath) throw new RuntimeBootError('BUNDLE_MISSING', 'no bundle given', BOOT_EXIT.USAGE, 'pass --bundle FILE or set TENGINE_BUNDLE (tengine build writes one)');
  const keyPaths = flags.bundlePublicKey?.length ? flags.bundlePublicKey : (env.TENGINE_BUNDLE_PUBLIC_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (keyPaths.length === 0) {
    throw new RuntimeBootError('BUNDLE_KEY_MISSING', 'no bundle public key given', BOOT_EXIT.USAGE, 'pass --bundle-public-key FILE or set TENGINE_BUNDLE_PUBLIC_KEYS');
  }
  const portText = flags.port ?? env.TENGINE_PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) throw new RuntimeBootError('BAD_PORT', `port "${portText}" is not a number from 0 to 65535`, BOOT_EXIT.USAGE, 'pass --port N');
  const publicUrl = flags.publicUrl ?? env.TENGINE_PUBLIC_URL;
  if (publicUrl !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(publicUrl)) {
    throw new RuntimeBootError('BAD_PUBLIC_URL', `public URL "${publicUrl}" must be an origin like https://mcp.example.com`, BOOT_EXIT.USAGE, 'pass --public-url https://host');
  }
  const metrics = parseMetricsListener(flags, env, port);
  const runtimeKeysPath = flags.runtimeKeys ?? env.TENGINE_RUNTIME_KEYS;
  return {
    bundle: await readOrFail(bundlePath, 'bundle', BOOT_EXIT.BUNDLE_UNREADABLE),
    bundlePath,
    ...(watchBundle ? { watchBundle } : {}),
    drain,
    bundlePublicKeys: await Promise.all(keyPaths.map(async (p) => (await readOrFail(p, 'bundle public key', BOOT_EXIT.KEY_FILE_INVALID)).toString('utf8'))),
    runtimeKeys: runtimeKeysPath ? (await readOrFail(runtimeKeysPath, 'runtime key set', BOOT_EXIT.RUNTIME_KEYS_INVALID)).toString('utf8') : undefined,
    host: flags.host ?? env.TENGINE_HOST ?? '127.0.0.1',
    // An empty TENGINE_REDIS_URL (a compose file forwarding an unset variable) must not hide REDIS_URL: the instance
    // would quietly run on the memory store and stop sharing replay guards with its peers.
    redisUrl: redis?.mode === 'standalone' ? redis.url : undefined,
    ...(redis !== undefined && redis.mode !== 'standalone' ? { redisEndpoints: redis } : {}),
    redisKeyPrefix: env.TENGINE_REDIS_KEY_PREFIX,
    adminToken: env.TENGINE_ADMIN_TOKEN,
    ...(allowDevelopment ? { allowDevelopment } : {}),
    ...(allowEvictingStore ? { allowEvictingStore } : {}),
    ...(allowRollbackTo !== undefined ? { allowRollbackTo } : {}),
    port,
    publicUrl,
    env,
    ...metrics,
    log: logToStderr ? createLogger(parseLogLevel(flags.logLevel ?? env.TENGINE_LOG_LEVEL)) : createLogger(parseLogLevel(flags.logLevel ?? env.TENGINE_LOG_LEVEL), write),
  };
}

/** Reads a drain duration (`0`, `500ms`, `5s`, `2m`); at most 1 hour, since an orchestrator kills long before. */
function parseDrainDuration(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const v = value.trim();
  const ms = v === '0' ? 0 : /^[1-9][0-9]{0,8}(ms|s|m|h)$/.test(v) ? parseDuration(v) : NaN;
  if (!Number.isFinite(ms) || ms > 3_600_000) {
    throw new RuntimeBootError('USAGE', `${name} "${value.slice(0, 40)}" is not a duration up to 1h`, BOOT_EXIT.USAGE, 'give a duration such as 0, 500ms, 5s or 2m');
  }
  return ms;
}

/** The Redis the environment names (undefined: the memory store); contradictory settings are a USAGE error. */
function parseRedisEndpoints(env: Record<string, string | undefined>): RedisEndpoints | undefined {
  try {
    return redisEndpointsFromEnv(env);
  } catch (e) {
    if (e instanceof RedisSettingsError) throw new RuntimeBootError('USAGE', e.message, BOOT_EXIT.USAGE, e.hint);
    throw e;
  }
}

/** The separate metrics listener's port and host, checked before anything is read; none when no port is given. */
function parseMetricsListener(flags: RuntimeFlags, env: Record<string, string | undefined>, mainPort: number): { metricsPort?: number; metricsHost?: string } {
  const portName = flags.metricsPort !== undefined ? '--metrics-port' : 'TENGINE_METRICS_PORT';
  const portText = flags.metricsPort ?? nonEmpty(env.TENGINE_METRICS_PORT);
  const hostName = flags.metricsHost !== undefined ? '--metrics-host' : 'TENGINE_METRICS_HOST';
  const host = flags.metricsHost ?? nonEmpty(env.TENGINE_METRICS_HOST);
  if (portText === undefined) {
    // A host without a port would be silently ignored, and the operator would believe /metrics is private.
    if (host !== undefined) throw new RuntimeBootError('BAD_METRICS_LISTENER', `${hostName} "${host}" is set but no metrics port is`, BOOT_EXIT.USAGE, 'set --metrics-port / TENGINE_METRICS_PORT too, or remove the host');
    return {};
  }
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new RuntimeBootError('BAD_METRICS_LISTENER', `${portName} "${portText}" is not a number from 0 to 65535`, BOOT_EXIT.USAGE, 'pass --metrics-port N (a port other than the main one; 0 picks a free one)');
  }
  if (port !== 0 && port === mainPort) {
    throw new RuntimeBootError('BAD_METRICS_LISTENER', `${portName} ${port} is the main port`, BOOT_EXIT.USAGE, 'pick another port for metrics, or leave it unset to serve /metrics on the main port to the admin token');
  }
  if (host !== undefined && !/^[A-Za-z0-9.:_-]{1,253}$/.test(host)) {
    throw new RuntimeBootError('BAD_METRICS_LISTENER', `${hostName} "${host.slice(0, 80)}" is not a host name or address`, BOOT_EXIT.USAGE, 'pass the metrics listener an interface address such as 127.0.0.1 or 0.0.0.0');
  }
  return { metricsPort: port, ...(host !== undefined ? { metricsHost: host } : {}) };
}

/** Reads an on/off variable: `true` or `false`; unset or empty is off, anything else is a USAGE error. */
function parseSwitch(value: string | undefined, name: string): boolean {
  const v = value?.trim();
  if (v === undefined || v === '' || v === 'false') return false;
  if (v === 'true') return true;
  // `yes`, `1` or `ture` are refused rather than guessed: each of these variables turns a safety check off.
  throw new RuntimeBootError('USAGE', `${name} "${value}" is not true or false`, BOOT_EXIT.USAGE, `set ${name}=true to turn it on, or leave it unset`);
}

/**
 * Checks a bundle digest, as /readyz prints it (`sha256:<64 hex>`) or as `tengine verify` does (the bare hex), and
 * returns it in the runtime's `sha256:<hex>` form; undefined stays undefined.
 */
function parseDigest(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:sha256:)?([0-9a-f]{64})$/.exec(value.trim().toLowerCase());
  if (!m) {
    throw new RuntimeBootError('USAGE', `${name} "${value}" is not a bundle digest`, BOOT_EXIT.USAGE, 'give the digest of the bundle to roll back to, as the refusal, /readyz or tengine verify print it: sha256:<64 hex digits>');
  }
  return `sha256:${m[1]}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

async function readOrFail(path: string, what: string, exitCode: number): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new RuntimeBootError(what === 'bundle' ? 'BUNDLE_UNREADABLE' : 'FILE_UNREADABLE', `cannot read the ${what} ${path}: ${code}`, exitCode, 'check the path and permissions');
  }
}
