import { createClient, createCluster, createSentinel } from 'redis';
import { parseNode, type RedisEndpoints } from './redis-endpoints.js';

/** How a connection reconnects: a delay in ms, or an error to give up with. */
export type ReconnectStrategy = (retries: number, cause: Error) => number | Error;

/** Settings every node connection shares. */
export interface ConnectionSettings {
  connectTimeoutMs: number;
  maxPendingCommands: number;
  reconnectStrategy: ReconnectStrategy;
}

/**
 * One logical connection to Redis, whatever its topology: the store sends commands through it and does not care
 * whether they reach one server, the master a Sentinel group names, or the cluster node owning a key's slot.
 */
export interface RedisConnection {
  connect(): Promise<void>;
  /** Sends one command; `key` routes it on a cluster (the node owning the key's slot; any node when absent). */
  /** `timeoutMs` 0: no deadline for the wait to be written (the caller bounds the command itself). */
  send<T>(args: string[], timeoutMs: number, key?: string): Promise<T>;
  /**
   * One sender per node that holds a share of the keyspace, for commands such as SCAN that see only the node they
   * run on: every master of a cluster, the one server (or master) otherwise.
   */
  shards(): Promise<Array<<T>(args: string[], timeoutMs: number) => Promise<T>>>;
  /** True while commands can be served. */
  readonly isReady: boolean;
  /** Connection trouble (node-redis crashes the process on an 'error' event nobody listens to). */
  onError(listener: (err: unknown) => void): void;
  /** The connection is (again) able to serve. */
  onReady(listener: () => void): void;
  /** Waits for replies in flight, then disconnects. */
  close(): Promise<void>;
  /** Disconnects at once; commands in flight fail. */
  destroy(): void;
}

/** Opens (without connecting) the connection the endpoints describe. */
export function newConnection(endpoints: RedisEndpoints, settings: ConnectionSettings): RedisConnection {
  if (endpoints.mode === 'cluster') return clusterConnection(endpoints.nodes, settings);
  if (endpoints.mode === 'sentinel') return sentinelConnection(endpoints.sentinels, endpoints.name, settings);
  return standaloneConnection(endpoints.url, settings);
}

/** Options of every node client: fail fast while disconnected, bounded queue, our reconnect strategy. */
function nodeOptions(settings: ConnectionSettings) {
  return {
    // RESP2: no HELLO in the handshake, so any Redis from 2.6 on accepts the connection; replies we use are the same.
    RESP: 2 as const,
    // A command issued while disconnected fails at once instead of waiting in an unbounded offline queue.
    disableOfflineQueue: true,
    commandsQueueMaxLength: settings.maxPendingCommands,
  };
}

/**
 * node-redis' per-command options. Its timeout (an AbortSignal.timeout per command, about 4 µs) only bounds the wait
 * to be written; 0 turns it off (without an explicit value node-redis applies its own default of 5 s to every
 * command), and the command then waits in its queue until written or the connection is replaced.
 */
function commandOptions(timeoutMs: number): { timeout: number } {
  return timeoutMs > 0 ? { timeout: timeoutMs } : NO_WRITE_TIMEOUT;
}
const NO_WRITE_TIMEOUT = Object.freeze({ timeout: 0 });

function socketOptions(settings: ConnectionSettings, tls: boolean) {
  const base = { connectTimeout: settings.connectTimeoutMs, reconnectStrategy: settings.reconnectStrategy };
  return tls ? { ...base, tls: true as const } : base;
}

function standaloneConnection(url: string, settings: ConnectionSettings): RedisConnection {
  const client = createClient({ url, ...nodeOptions(settings), socket: socketOptions(settings, false) });
  const send = <T>(args: string[], timeoutMs: number) => client.sendCommand<T>(args, commandOptions(timeoutMs));
  return {
    connect: async () => void (await client.connect()),
    send,
    shards: async () => [send],
    get isReady() {
      return client.isReady;
    },
    onError: (listener) => void client.on('error', listener),
    onReady: (listener) => void client.on('ready', listener),
    close: () => client.close(),
    destroy: () => client.destroy(),
  };
}

function clusterConnection(nodes: string[], settings: ConnectionSettings): RedisConnection {
  // Entries agree on credentials and TLS (checked when the settings are read); discovered nodes get them from
  // `defaults`, as node-redis does not carry a root node's URL over to the nodes it finds.
  const first = parseNode(nodes[0]!, false)!;
  const cluster = createCluster({
    rootNodes: nodes.map((url) => ({ url })),
    defaults: {
      ...nodeOptions(settings),
      ...(first.username === undefined ? {} : { username: first.username }),
      ...(first.password === undefined ? {} : { password: first.password }),
      socket: socketOptions(settings, first.tls),
    },
    RESP: 2,
  });
  return {
    connect: async () => void (await cluster.connect()),
    send: <T>(args: string[], timeoutMs: number, key?: string) => cluster.sendCommand<T>(key, false, args, commandOptions(timeoutMs)),
    async shards() {
      const clients = await Promise.all(cluster.masters.map((m) => cluster.nodeClient(m)));
      return clients.map((c) => <T>(args: string[], timeoutMs: number) => c.sendCommand<T>(args, commandOptions(timeoutMs)));
    },
    get isReady() {
      return cluster.isReady;
    },
    onError: (listener) => void cluster.on('error', listener),
    // The cluster client says 'connect' once it has found the topology and can route commands.
    onReady: (listener) => void cluster.on('connect', listener),
    close: () => cluster.close(),
    destroy: () => cluster.destroy(),
  };
}

function sentinelConnection(sentinels: string[], name: string, settings: ConnectionSettings): RedisConnection {
  const addresses = sentinels.map((s) => parseNode(s, true)!);
  const first = addresses[0]!;
  const credentials = {
    ...(first.username === undefined ? {} : { username: first.username }),
    ...(first.password === undefined ? {} : { password: first.password }),
  };
  const sentinel = createSentinel({
    name,
    sentinelRootNodes: addresses.map((a) => ({ host: a.host, port: a.port })),
    nodeClientOptions: { ...nodeOptions(settings), ...credentials, socket: socketOptions(settings, first.tls) },
    sentinelClientOptions: { ...credentials, socket: socketOptions(settings, first.tls) },
    // Asks the sentinels for the topology every second as well as listening to their +switch-master events, so a
    // missed event delays a failover by a second at most.
    scanInterval: 1000,
    RESP: 2,
  });
  const send = <T>(args: string[], timeoutMs: number) => sentinel.sendCommand<T>(false, args, commandOptions(timeoutMs));
  return {
    connect: async () => void (await sentinel.connect()),
    send,
    shards: async () => [send],
    get isReady() {
      return sentinel.isReady;
    },
    onError: (listener) => void sentinel.on('error', listener),
    onReady: (listener) => void sentinel.on('ready', listener),
    close: () => sentinel.close(),
    destroy: () => void sentinel.destroy().catch(() => undefined),
  };
}
