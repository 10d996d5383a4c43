import { redactUrl } from './redact-url.js';

/**
 * Where the Redis store connects: one server (or an endpoint that follows failovers), a Redis Cluster found from
 * some of its nodes, or the master of a Sentinel-monitored group. Credentials and TLS travel in the URLs.
 */
export type RedisEndpoints =
  | { mode: 'standalone'; url: string }
  | { mode: 'cluster'; nodes: string[] }
  | { mode: 'sentinel'; sentinels: string[]; name: string };

/** A Redis setting that cannot work (both a URL and a cluster, a sentinel group without a name, ...). */
export class RedisSettingsError extends Error {
  readonly code = 'USAGE' as const;
  /** `hint` says how to fix it; the message never carries a password. */
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** One node as node-redis wants it: host, port, and the credentials and TLS every node shares. */
export interface RedisNodeAddress {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
}

const HINT_URL = 'give redis://[user:password@]host:port (or rediss:// for TLS); percent-encode "/", "@", ":" and "#" in the user and password';

/**
 * The Redis endpoints named by the environment, or undefined for the in-memory store:
 * `TENGINE_REDIS_CLUSTER_NODES` (comma-separated `redis://` URLs of some cluster nodes), `TENGINE_REDIS_SENTINELS`
 * (comma-separated `host:port` or `redis://` URLs of sentinels) with `TENGINE_REDIS_SENTINEL_NAME` (the master
 * group), else `TENGINE_REDIS_URL` or `REDIS_URL`. Throws RedisSettingsError for combinations that cannot work.
 */
export function redisEndpointsFromEnv(env: Record<string, string | undefined>): RedisEndpoints | undefined {
  const url = nonEmpty(env.TENGINE_REDIS_URL);
  const clusterText = nonEmpty(env.TENGINE_REDIS_CLUSTER_NODES);
  const sentinelText = nonEmpty(env.TENGINE_REDIS_SENTINELS);
  const name = nonEmpty(env.TENGINE_REDIS_SENTINEL_NAME);
  const chosen = [url && 'TENGINE_REDIS_URL', clusterText && 'TENGINE_REDIS_CLUSTER_NODES', sentinelText && 'TENGINE_REDIS_SENTINELS'].filter(Boolean);
  if (chosen.length > 1) {
    throw new RedisSettingsError(`${chosen.join(' and ')} are both set`, 'set exactly one of TENGINE_REDIS_URL (one server), TENGINE_REDIS_CLUSTER_NODES (Redis Cluster) or TENGINE_REDIS_SENTINELS (Sentinel)');
  }
  if (name !== undefined && sentinelText === undefined) {
    throw new RedisSettingsError('TENGINE_REDIS_SENTINEL_NAME is set without TENGINE_REDIS_SENTINELS', 'list the sentinels in TENGINE_REDIS_SENTINELS (host:port,host:port), or unset TENGINE_REDIS_SENTINEL_NAME');
  }
  // REDIS_URL is what platforms set on their own; it only counts when nothing Tengine-specific is set.
  if (clusterText !== undefined) return { mode: 'cluster', nodes: checkList(clusterText, 'TENGINE_REDIS_CLUSTER_NODES', false) };
  if (sentinelText !== undefined) {
    if (name === undefined) {
      throw new RedisSettingsError('TENGINE_REDIS_SENTINELS is set without TENGINE_REDIS_SENTINEL_NAME', 'set TENGINE_REDIS_SENTINEL_NAME to the master group name the sentinels monitor (`sentinel monitor <name> ...`, often mymaster)');
    }
    return { mode: 'sentinel', sentinels: checkList(sentinelText, 'TENGINE_REDIS_SENTINELS', true), name };
  }
  const single = url ?? nonEmpty(env.REDIS_URL);
  return single === undefined ? undefined : { mode: 'standalone', url: single };
}

/** Splits a comma-separated list and checks every entry parses, with one scheme and one set of credentials. */
function checkList(text: string, variable: string, hostPortAllowed: boolean): string[] {
  const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
  const addresses = entries.map((entry) => {
    const address = parseNode(entry, hostPortAllowed);
    if (address === undefined) {
      const shown = /^rediss?:\/\//i.test(entry) ? redactUrl(entry) : entry.includes('@') ? '(an entry with credentials)' : entry;
      throw new RedisSettingsError(`${variable} entry "${shown}" is not ${hostPortAllowed ? 'host:port or ' : ''}a redis:// URL with a host and port`, hostPortAllowed ? `give host:port, or ${HINT_URL}` : HINT_URL);
    }
    return address;
  });
  // node-redis applies one set of credentials and TLS settings to every node it discovers: entries that disagree
  // would connect to the listed nodes and then fail on the discovered ones.
  const first = addresses[0]!;
  if (addresses.some((a) => a.tls !== first.tls || a.username !== first.username || a.password !== first.password)) {
    throw new RedisSettingsError(`${variable} entries differ in scheme, user or password`, 'every node shares one user, password and TLS setting: give them the same redis:// or rediss:// form');
  }
  return entries;
}

/** Host, port, TLS and credentials of one node given as `redis[s]://[user:password@]host:port` (or `host:port`). */
export function parseNode(entry: string, hostPortAllowed = true): RedisNodeAddress | undefined {
  if (!/^rediss?:\/\//i.test(entry)) {
    if (!hostPortAllowed) return undefined;
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    if (!m || Number(m[2]) === 0 || Number(m[2]) > 65535) return undefined;
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), tls: false };
  }
  let parsed: URL;
  try {
    parsed = new URL(entry);
  } catch {
    return undefined;
  }
  const tls = parsed.protocol.toLowerCase() === 'rediss:';
  if (parsed.hostname === '' || (parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '') return undefined;
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    tls,
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
  };
}

/** The endpoints without credentials, for messages and logs. */
export function describeEndpoints(endpoints: RedisEndpoints): string {
  const show = (entry: string) => (/^rediss?:\/\//i.test(entry) ? redactUrl(entry) : entry);
  if (endpoints.mode === 'standalone') return redactUrl(endpoints.url);
  if (endpoints.mode === 'cluster') return `cluster ${endpoints.nodes.map(show).join(',')}`;
  return `sentinel group ${JSON.stringify(endpoints.name)} via ${endpoints.sentinels.map(show).join(',')}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
