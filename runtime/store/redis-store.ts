import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { checkLimitChecks } from './limit-checks.js';
import { createMemoryStore } from './memory-store.js';
import { newConnection, type RedisConnection } from './redis-connection.js';
import { describeEndpoints, type RedisEndpoints, redisEndpointsFromEnv, RedisSettingsError } from './redis-endpoints.js';
import {
  COMMAND_DEADLINE,
  COUNTER_DEADLINE,
  COUNTERS_QUEUE_FULL,
  describeRedisError,
  type ErrorContext,
  isOffline,
  isOverload,
  isReply,
  isTimeout,
  isUnknownCommand,
  replyCode,
} from './redis-errors.js';
import { parseWatermark, type Store, type StoreFacts, StoreUnavailableError } from './store.js';
import { checkAmount, checkTtl } from './ttl.js';

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS: one server (or `endpoints`). */
  url?: string;
  /** A Redis Cluster or a Sentinel group (or one server), instead of `url`. */
  endpoints?: RedisEndpoints;
  /** Prepended to every logical key, so several deployments can share one Redis (default `tengine:`). */
  keyPrefix?: string;
  /**
   * Deadline of every command but usage counts; a stalled Redis fails fast with StoreUnavailableError (default
   * 250 ms).
   */
  commandTimeoutMs?: number;
  /**
   * Bound on one usage count (`chargeLimits`), which waits for a free command slot and then for its reply as long
   * as the connection is alive: a slow reply is not an outage. Past the bound it fails as an overload (default
   * max(10 000, stallResetMs + 2 × commandTimeoutMs), so a frozen Redis is found by the stall detection first).
   */
  counterTimeoutMs?: number;
  /** Usage counts that may wait locally for a command slot (default 10 × maxPendingCommands); more fail at once as an overload. */
  maxQueuedCounters?: number;
  /** Deadline of the boot connection and of each TCP connect when reconnecting (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Commands in flight beyond which new ones fail at once (default 1000): no backlog grows while Redis stalls. */
  maxPendingCommands?: number;
  /** Upper bound of the exponential reconnect backoff (default 2000 ms). */
  maxReconnectDelayMs?: number;
  /**
   * When commands keep timing out and Redis has not answered anything for this long, the connection is presumed
   * half-open (a failover, a dropped NAT entry) and replaced (default max(2000, 8 × commandTimeoutMs)).
   */
  stallResetMs?: number;
  /** Receives connection trouble (already free of keys, values and credentials), for the log. */
  onError?: (message: string) => void;
}

// Every script but LIMITS_SCRIPT touches exactly one key (KEYS[1]) and no command names two keys, so each runs on
// the node owning its key's slot on Redis Cluster; LIMITS_SCRIPT's keys share one hash tag, the caller's contract
// (docs/storage.md, Redis topologies).
// Raise-only watermark stored as "<value> <label>": a lower or equal value keeps what is stored (only the expiry is
// restarted), so concurrent boots cannot lower it.
const ADVANCE_SCRIPT =
  "local cur = redis.call('GET', KEYS[1]) local v = tonumber(ARGV[1]) " +
  "if cur then local sp = string.find(cur, ' ', 1, true) local cv = tonumber(sp and string.sub(cur, 1, sp - 1) or cur) " +
  "if cv and cv >= v then redis.call('PEXPIRE', KEYS[1], ARGV[3]) return cur end end " +
  "local nv = ARGV[1] .. ' ' .. ARGV[2] redis.call('SET', KEYS[1], nv, 'PX', ARGV[3]) return nv";
// All limits of one call, atomically, on Redis' clock (TIME; scripts are replicated by effects since Redis 5, so a
// non-deterministic command is allowed). ARGV[1] is the deadline (Redis epoch ms, 0 for none), ARGV[2] the number of
// checks, then per check 'r', interval, burst (one key: the GCRA arrival time) or 'q', limit, start1, end1, start2,
// end2 (two keys: the proposed windows). A script run after its deadline charges nothing and answers {2, now}: the
// caller has given up on it by then (a paused or stalled Redis runs the commands queued in its socket when it
// resumes), so a call the caller refused or admitted locally is never charged late. Every check is decided before
// anything is written, so a refused call charges nothing; the reply is {1, now} or {0, refusing check (1-based),
// wait in ms, now}. Stored times keep three decimals: tostring would cut them to 14 digits.
const LIMITS_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {2, math.floor(now)} end
local n = tonumber(ARGV[2])
local a, k = 3, 1
local sets, incrs = {}, {}
local refused, wait = 0, 0
for i = 1, n do
  if ARGV[a] == 'r' then
    local interval, burst = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    local key = KEYS[k]
    a, k = a + 3, k + 1
    local tat = tonumber(redis.call('GET', key) or '') or now
    if tat < now then tat = now end
    local at = tat - (burst - 1) * interval
    if now < at then
      if at - now > wait then refused, wait = i, at - now end
    else
      sets[#sets + 1] = {key, tat + interval}
    end
  else
    local limit = tonumber(ARGV[a + 1])
    local key, e = KEYS[k], tonumber(ARGV[a + 3])
    local s2, e2 = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
    if not (now >= tonumber(ARGV[a + 2]) and now < e) and now >= s2 and now < e2 then key, e = KEYS[k + 1], e2 end
    a, k = a + 6, k + 2
    local count = tonumber(redis.call('GET', key) or '') or 0
    if count + 1 > limit then
      local left = math.max(e - now, 1)
      if left > wait then refused, wait = i, left end
    else
      incrs[#incrs + 1] = {key, math.max(e, now + 1)}
    end
  end
end
if refused > 0 then return {0, refused, math.ceil(wait), math.floor(now)} end
for _, s in ipairs(sets) do
  redis.call('SET', s[1], string.format('%.3f', s[2]), 'PX', math.max(1, math.ceil(s[2] - now)))
end
for _, q in ipairs(incrs) do
  redis.call('INCR', q[1])
  redis.call('PEXPIRE', q[1], math.ceil(q[2] - now) + ${60_000})
end
return {1, math.floor(now)}`;
// Counter fields of one hash and its expiry in one atomic round trip: ARGV[1] is the TTL, then field/amount pairs
// (integers: HINCRBY is exact where HINCRBYFLOAT would drift).
const INCREMENT_FIELDS_SCRIPT =
  "for i = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end " +
  "redis.call('PEXPIRE', KEYS[1], ARGV[1]) return 1";
// GETDEL for servers older than 6.2.
const TAKE_SCRIPT = "local v = redis.call('GET', KEYS[1]) if v then redis.call('DEL', KEYS[1]) end return v";

type Client = RedisConnection;

// How long a best estimate of Redis' clock offset is kept before a newer, lower one may replace it.
const OFFSET_REFRESH_MS = 60_000;
// Slack for the charge deadline: the stall detection's timers can fire a little before their nominal time.
const DEADLINE_MARGIN_MS = 100;

/** A usage count waiting for a command slot. */
interface Waiter {
  start(): void;
  fail(err: unknown): void;
  /** Set when it gave up (its bound passed); `drain` skips it. */
  cancelled: boolean;
}

// Share of the command slots usage counts may hold, so a burst of counted calls never starves replay guards,
// codes and readiness checks of slots.
const COUNTER_SLOT_SHARE = 0.9;

/**
 * The store shared by any number of runtime instances. Connects before it resolves and fails with a
 * StoreUnavailableError when Redis is unreachable at boot; afterwards it reconnects in the background with backoff,
 * and every command either answers or fails within `commandTimeoutMs`, except usage counts, which wait for a slow
 * reply while the connection is alive, up to `counterTimeoutMs` (see `sendCounter`).
 */
export async function createRedisStore(opts: RedisStoreOptions): Promise<Store> {
  if ((opts.url === undefined) === (opts.endpoints === undefined)) throw new TypeError('give the Redis store either url or endpoints');
  const endpoints: RedisEndpoints = opts.endpoints ?? { mode: 'standalone', url: opts.url! };
  const where = describeEndpoints(endpoints);
  if (endpoints.mode === 'standalone' && !/^rediss?:\/\//i.test(endpoints.url)) {
    throw new StoreUnavailableError(`Redis URL ${where} must start with redis:// or rediss://`);
  }
  const prefix = opts.keyPrefix ?? 'tengine:';
  const commandTimeoutMs = opts.commandTimeoutMs ?? 250;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2000;
  const maxPendingCommands = opts.maxPendingCommands ?? 1000;
  const maxReconnectDelayMs = opts.maxReconnectDelayMs ?? 2000;
  const stallResetMs = opts.stallResetMs ?? Math.max(2000, 8 * commandTimeoutMs);
  const counterTimeoutMs = opts.counterTimeoutMs ?? Math.max(10_000, stallResetMs + 2 * commandTimeoutMs);
  const maxQueuedCounters = opts.maxQueuedCounters ?? 10 * maxPendingCommands;
  const counterSlots = Math.max(1, Math.floor(maxPendingCommands * COUNTER_SLOT_SHARE));
  const ctx: ErrorContext = { commandTimeoutMs, connectTimeoutMs, maxPendingCommands, counterTimeoutMs, maxQueuedCounters };
  const report = (message: string) => opts.onError?.(message);

  let everReady = false;
  let closed = false;
  let getdelKnown = true;
  let unansweredSince: number | undefined; // first deadline missed since Redis last answered
  let notReadySince: number | undefined; // when the current connection stopped (or has not yet started) serving
  let pending = 0; // commands handed to node-redis and not settled: in step with its queue, which holds maxPendingCommands
  let countersInFlight = 0; // the usage counts among them
  let queuedCounters = 0; // usage counts in `waiting` that have not given up
  const waiting: Waiter[] = []; // usage counts waiting for a slot, first come first served
  const shas = new Map<string, string>();

  const reconnectStrategy = (retries: number, cause: Error): number | Error => {
    // At boot the caller is waiting: fail now with the cause rather than retry behind its back.
    if (!everReady) return cause instanceof Error ? cause : new Error(String(cause));
    return Math.min(maxReconnectDelayMs, 50 * 2 ** retries) + Math.floor(Math.random() * 50);
  };

  const makeClient = (): Client => {
    const client = newConnection(endpoints, { connectTimeoutMs, maxPendingCommands, reconnectStrategy });
    notReadySince = performance.now();
    // Without a listener node-redis' 'error' event would crash the process.
    client.onError((err: unknown) => {
      // Before the first connection the caller of createRedisStore gets the cause in the rejection; a Cluster or
      // Sentinel client would otherwise also report every node it tried.
      if (client !== current || closed || !everReady) return;
      notReadySince ??= performance.now();
      report(`redis ${where}: ${describeRedisError(err, ctx)}`);
    });
    client.onReady(() => {
      everReady = true;
      if (client === current) notReadySince = undefined;
    });
    return client;
  };

  let current = makeClient();
  try {
    await deadline(current.connect(), connectTimeoutMs);
  } catch (err) {
    current.destroy();
    const why = err === COMMAND_DEADLINE ? `no answer within ${connectTimeoutMs} ms` : describeRedisError(err, ctx);
    throw new StoreUnavailableError(`Redis at ${where} is unreachable: ${why}`);
  }

  // A reply (even an error reply) proves the connection is alive; only missed deadlines count towards a stall.
  const answered = () => {
    unansweredSince = undefined;
  };

  function replace(client: Client, why: string): void {
    report(`redis ${where}: ${why}, reconnecting`);
    unansweredSince = undefined;
    const next = makeClient();
    current = next;
    // In the background: until the new connection is ready its commands fail at once (offline), not after a timeout.
    // A Cluster or Sentinel client gives up its first connect after a few rounds of discovery; it is then replaced
    // again, so the store never stays on a client that stopped trying.
    next.connect().catch(() => {
      if (!closed && current === next) setTimeout(() => !closed && current === next && replace(next, 'topology discovery failed'), maxReconnectDelayMs).unref();
    });
    client.destroy();
  }

  // Commands keep missing their deadline and Redis has not answered anything for stallResetMs: the connection is
  // presumed half-open (node-redis would wait for TCP to notice, minutes with data in flight).
  function onDeadline(client: Client): void {
    const now = performance.now();
    unansweredSince ??= now;
    if (closed || client !== current || now - unansweredSince < stallResetMs) return;
    replace(client, `no reply for ${Math.round(now - unansweredSince)} ms`);
  }

  // node-redis bounds the TCP connect but not the handshake after it: a connection to a frozen server (or to the
  // old address after a failover) would stay "connecting" forever, so a client offline for too long is replaced.
  function onOffline(client: Client): void {
    const now = performance.now();
    if (closed || client !== current || client.isReady || notReadySince === undefined) return;
    if (now - notReadySince < stallResetMs + connectTimeoutMs) return;
    replace(client, `not connected for ${Math.round(now - notReadySince)} ms`);
  }

  // Redis' clock as seen from here: its epoch milliseconds minus performance.now(), from the TIME of each charge's
  // reply. A reply is read after the script ran, so every sample is at most the true offset; the largest recent one
  // is the closest and still never ahead (a deadline computed with it is never later than meant).
  let redisOffset: number | undefined;
  let offsetSampledAt = 0;
  function observeRedisClock(redisNowMs: number): void {
    if (!Number.isFinite(redisNowMs) || redisNowMs <= 0) return;
    const t = performance.now();
    const sample = redisNowMs - t;
    // A fresh sample replaces an old maximum, so a clock stepped back on the Redis host is followed within a minute.
    if (redisOffset === undefined || sample > redisOffset || t - offsetSampledAt > OFFSET_REFRESH_MS) {
      redisOffset = sample;
      offsetSampledAt = t;
    }
  }

  /**
   * The Redis time after which a charge sent now must not be applied: the earliest moment this instance may give up
   * waiting for its reply, either its whole bound (`counterTimeoutMs` since `since`) or the connection's replacement
   * by the stall detection (`stallResetMs` after Redis last missed a deadline, or after now if it has not). 0 (none)
   * until Redis' clock is known.
   */
  function chargeDeadline(since: number): number {
    if (redisOffset === undefined) return 0;
    const giveUp = Math.min(since + counterTimeoutMs, (unansweredSince ?? performance.now()) + stallResetMs);
    return Math.floor(giveUp - DEADLINE_MARGIN_MS + redisOffset);
  }

  const closedError = () => new StoreUnavailableError('redis store is closed');
  const counterSlotFree = () => pending < maxPendingCommands && countersInFlight < counterSlots;

  /** Hands one command to the current client, keeping `pending` in step with node-redis' own queue. */
  function dispatch<T>(args: string[], timeout: number, counter: boolean, key: string | undefined): { client: Client; sent: Promise<T> } {
    const client = current;
    // node-redis' own timeout drops a command still waiting to be written; callers bound one already written.
    const sent = client.send<T>(args, timeout, key);
    pending++;
    if (counter) countersInFlight++;
    const settled = () => {
      pending--;
      if (counter) countersInFlight--;
      drain();
    };
    sent.then(
      () => {
        answered();
        settled();
      },
      (err: unknown) => {
        if (isReply(err)) answered();
        settled();
      },
    );
    return { client, sent };
  }

  /** Starts waiting usage counts while slots are free. */
  function drain(): void {
    while (waiting.length > 0 && counterSlotFree()) {
      const next = waiting.shift()!;
      if (next.cancelled) continue;
      queuedCounters--;
      next.start();
    }
  }

  /**
   * Sends one command under the deadline (to the node owning `key` on a cluster, or through `shard`); rejects with
   * the raw error so callers can classify it.
   */
  function send<T>(args: string[], key?: string, shard?: (args: string[], timeoutMs: number) => Promise<unknown>): Promise<T> {
    if (closed) return Promise.reject(closedError());
    let client: Client;
    let sent: Promise<T>;
    try {
      if (shard === undefined) ({ client, sent } = dispatch<T>(args, commandTimeoutMs, false, key));
      else {
        client = current;
        sent = shard(args, commandTimeoutMs) as Promise<T>;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(COMMAND_DEADLINE), commandTimeoutMs);
    });
    return Promise.race([sent, expired]).then(
      (value) => {
        clearTimeout(timer);
        return value;
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (isTimeout(err)) onDeadline(client);
        else if (isOffline(err)) onOffline(client);
        throw err;
      },
    );
  }

  /**
   * Sends a usage-count command, which must not be mistaken for an outage when it is merely slow: under a burst the
   * reply can be late because Redis or this event loop is busy, and giving up would admit the call unchecked (and
   * the count may have been applied anyway). So the reply is awaited while the connection is alive. Every
   * `commandTimeoutMs` without it feeds the stall detection, which replaces a connection that has answered nothing
   * for `stallResetMs` (that rejects this command: an outage). Beyond the slots (node-redis' queue, of which counts
   * hold at most a share) it waits in a bounded local queue instead of failing with "queue full". The whole wait,
   * queued and in flight, since `since` is bounded by `counterTimeoutMs`; past it, or with the local queue full, it
   * fails as an overload. Rejects with the raw error.
   */
  function sendCounter<T>(args: string[], key: string, since: number, deadlineInScript: boolean): Promise<T> {
    if (closed) return Promise.reject(closedError());
    return new Promise<T>((resolve, reject) => {
      let done = false;
      let client: Client | undefined;
      let timer: NodeJS.Timeout | undefined;
      const settle = (): boolean => {
        if (done) return false;
        done = true;
        waiter.cancelled = true;
        clearTimeout(timer);
        return true;
      };
      const fail = (err: unknown) => {
        if (!settle()) return;
        reject(isTimeout(err) ? COUNTER_DEADLINE : err);
      };
      const start = () => {
        if (closed) return fail(closedError());
        const left = Math.max(1, Math.ceil(counterTimeoutMs - (performance.now() - since)));
        let sent: Promise<T>;
        try {
          // A charge carrying its deadline (chargeDeadline; known once Redis' clock is) charges nothing when it waited to be
          // written past it, so node-redis' own (costly) write timeout is not needed as well.
          ({ client, sent } = dispatch<T>(args, deadlineInScript ? 0 : left, true, key));
        } catch (err) {
          return fail(err);
        }
        const via = client;
        sent.then(
          (value) => {
            if (settle()) resolve(value);
          },
          (err: unknown) => {
            if (isOffline(err)) onOffline(via);
            fail(err);
          },
        );
      };
      const waiter: Waiter = { start, fail, cancelled: false };
      const tick = () => {
        const waited = performance.now() - since;
        if (waited >= counterTimeoutMs) {
          if (!waiter.cancelled && client === undefined) queuedCounters--;
          return fail(COUNTER_DEADLINE);
        }
        onDeadline(client ?? current);
        timer = setTimeout(tick, Math.min(commandTimeoutMs, counterTimeoutMs - waited));
      };
      timer = setTimeout(tick, Math.max(1, Math.min(commandTimeoutMs, counterTimeoutMs - (performance.now() - since))));
      if (queuedCounters === 0 && counterSlotFree()) start();
      else if (queuedCounters >= maxQueuedCounters) fail(COUNTERS_QUEUE_FULL);
      else {
        waiting.push(waiter);
        queuedCounters++;
      }
    });
  }

  function fail(op: string, err: unknown): StoreUnavailableError {
    if (err instanceof StoreUnavailableError) return err;
    return new StoreUnavailableError(`redis ${op} failed: ${describeRedisError(err, ctx)}`, isOverload(err) ? 'overload' : 'outage');
  }

  async function run<T>(op: string, args: string[], key: string | undefined, via: (args: string[], key?: string) => Promise<T> = send): Promise<T> {
    try {
      return await via(args, key);
    } catch (err) {
      throw fail(op, err);
    }
  }

  /**
   * EVALSHA, falling back to EVAL when the script cache is empty (first use, or after a Redis restart); `via` sends
   * each (fail-fast by default).
   */
  async function script<T>(
    op: string,
    source: string,
    key: string | readonly string[],
    args: string[],
    via: (args: string[], key?: string) => Promise<T> = send,
  ): Promise<T> {
    let sha = shas.get(source);
    if (sha === undefined) {
      sha = createHash('sha1').update(source).digest('hex');
      shas.set(source, sha);
    }
    // Several keys share a hash tag (the caller's contract), so the first routes the script on a cluster.
    const keys = typeof key === 'string' ? [key] : key;
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await via(['EVALSHA', sha, ...tail], keys[0]);
    } catch (err) {
      if (!(isReply(err) && replyCode(err as Error) === 'NOSCRIPT')) throw fail(op, err);
    }
    return run<T>(op, ['EVAL', source, ...tail], keys[0], via);
  }

  const store: Store = {
    kind: 'redis',
    async get(key) {
      return (await run<string | null>('get', ['GET', prefix + key], prefix + key)) ?? undefined;
    },
    async set(key, value, ttlMs) {
      const ttl = checkTtl(ttlMs);
      await run('set', ['SET', prefix + key, value, 'PX', String(ttl)], prefix + key);
    },
    async setIfAbsent(key, value, ttlMs) {
      const ttl = checkTtl(ttlMs);
      return (await run<string | null>('setIfAbsent', ['SET', prefix + key, value, 'PX', String(ttl), 'NX'], prefix + key)) === 'OK';
    },
    async take(key) {
      if (getdelKnown) {
        try {
          return (await send<string | null>(['GETDEL', prefix + key], prefix + key)) ?? undefined;
        } catch (err) {
          if (!isUnknownCommand(err)) throw fail('take', err);
          getdelKnown = false;
        }
      }
      return (await script<string | null>('take', TAKE_SCRIPT, prefix + key, [])) ?? undefined;
    },
    async keysWithPrefix(keyPrefix, limit) {
      // SCAN's MATCH is a glob: escape its special characters so a prefix is matched literally.
      const pattern = `${(prefix + keyPrefix).replace(/[*?[\]\\]/g, '\\$&')}*`;
      const out: string[] = [];
      // SCAN sees only the node it runs on: on a cluster every master is walked, each with its own cursor.
      let shards: Awaited<ReturnType<Client['shards']>>;
      try {
        shards = await current.shards();
      } catch (err) {
        throw fail('keysWithPrefix', err);
      }
      for (const shard of shards) {
        let cursor = '0';
        do {
          const [next, keys] = await run<[string, string[]]>('keysWithPrefix', ['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'], undefined, (args) => send(args, undefined, shard));
          for (const k of keys) if (out.length < limit) out.push(k.slice(prefix.length));
          cursor = next;
        } while (cursor !== '0' && out.length < limit);
        if (out.length >= limit) break;
      }
      return out;
    },
    async delete(key) {
      await run('delete', ['DEL', prefix + key], prefix + key);
    },
    async chargeLimits(checks) {
      checkLimitChecks(checks);
      const since = performance.now();
      const keys: string[] = [];
      const deadline = chargeDeadline(since);
      const args: string[] = [String(deadline), String(checks.length)];
      for (const c of checks) {
        if (c.kind === 'rate') {
          keys.push(prefix + c.key);
          args.push('r', String(c.intervalMs), String(c.burst));
        } else {
          const [w1, w2] = c.windows;
          keys.push(prefix + w1.key, prefix + w2.key);
          args.push('q', String(c.limit), String(w1.startMs), String(w1.endMs), String(w2.startMs), String(w2.endMs));
        }
      }
      // A usage count: a slow reply is awaited while the connection lives (see sendCounter), never taken for an outage.
      const reply = await script<number[]>('chargeLimits', LIMITS_SCRIPT, keys, args, (a) => sendCounter(a, keys[0]!, since, deadline > 0));
      const verdict = Number(reply[0]);
      observeRedisClock(Number(reply[verdict === 0 ? 3 : 1]));
      if (verdict === 1) return { admitted: true };
      if (verdict === 2) throw new StoreUnavailableError('redis chargeLimits failed: Redis ran the charge after its deadline and charged nothing', 'overload');
      return { admitted: false, refused: Number(reply[1]) - 1, retryAfterMs: Math.max(1, Number(reply[2])) };
    },
    async advance(key, value, label, ttlMs) {
      const ttl = checkTtl(ttlMs);
      if (!Number.isFinite(value)) throw new RangeError(`watermark must be a finite number, got ${String(value)}`);
      const stored = await script<string>('advance', ADVANCE_SCRIPT, prefix + key, [String(value), label, String(ttl)]);
      return parseWatermark(String(stored)) ?? { value, label };
    },
    async incrementFields(key, increments, ttlMs) {
      const ttl = checkTtl(ttlMs);
      const args = [String(ttl)];
      for (const [field, amount] of Object.entries(increments)) args.push(field, String(checkAmount(amount)));
      if (args.length === 1) return;
      await script('incrementFields', INCREMENT_FIELDS_SCRIPT, prefix + key, args);
    },
    async readFields(key) {
      const reply = await run<string[] | Record<string, string>>('readFields', ['HGETALL', prefix + key], prefix + key);
      if (!Array.isArray(reply)) return { ...reply };
      const out: Record<string, string> = {};
      for (let i = 0; i + 1 < reply.length; i += 2) out[reply[i]!] = reply[i + 1]!;
      return out;
    },
    async deleteFields(key, fields) {
      if (fields.length === 0) return 0;
      return Number(await run<number>('deleteFields', ['HDEL', prefix + key, ...fields], prefix + key));
    },
    async inspect() {
      // Managed services often rename or forbid CONFIG: that is reported, not fatal (the caller decides).
      try {
        const policy = await send<string[]>(['CONFIG', 'GET', 'maxmemory-policy']);
        const max = await send<string[]>(['CONFIG', 'GET', 'maxmemory']);
        const facts: StoreFacts = {};
        if (Array.isArray(policy) && typeof policy[1] === 'string') facts.evictionPolicy = policy[1];
        if (Array.isArray(max) && typeof max[1] === 'string' && /^\d+$/.test(max[1])) facts.maxmemoryBytes = Number(max[1]);
        if (facts.evictionPolicy === undefined) facts.unreadable = 'CONFIG GET returned nothing';
        return facts;
      } catch (err) {
        if (isReply(err)) return { unreadable: describeRedisError(err, ctx) };
        throw fail('inspect', err);
      }
    },
    async ping() {
      await run('ping', ['PING'], undefined);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const waiter of waiting.splice(0)) if (!waiter.cancelled) waiter.fail(closedError());
      queuedCounters = 0;
      const client = current;
      // QUIT waits for pending replies; a stalled Redis would never send them, so after a deadline disconnect.
      await deadline(client.close(), commandTimeoutMs * 2).catch(() => undefined);
      client.destroy();
    },
  };

  // A connection is not enough: a PING proves the server serves us (it fails on NOAUTH, LOADING, a wrong ACL).
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    const why = err instanceof Error ? err.message.replace(/^redis ping failed: /, '') : 'PING failed';
    throw new StoreUnavailableError(`Redis at ${where} is unusable: ${why}`);
  }
  // Redis' clock before the first charge, so that one has a deadline too. Optional: an ACL without TIME (or a proxy
  // that refuses it) leaves it to the first charge's reply.
  try {
    const [seconds, micros] = await send<[string, string]>(['TIME']);
    observeRedisClock(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
  } catch {
    // Not fatal: see above.
  }
  return store;
}

/** Settles like `promise`, or rejects with COMMAND_DEADLINE after `ms`. */
function deadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(COMMAND_DEADLINE), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Thrown by createStoreFromEnv for Redis settings that cannot work (re-exported for the CLI). */
export { RedisSettingsError };

/**
 * The store named by the environment: `TENGINE_REDIS_URL` (or the conventional `REDIS_URL`), a cluster
 * (`TENGINE_REDIS_CLUSTER_NODES`) or a Sentinel group (`TENGINE_REDIS_SENTINELS` + `TENGINE_REDIS_SENTINEL_NAME`)
 * selects Redis, with keys under `TENGINE_REDIS_KEY_PREFIX` (default `tengine:`); without any, the in-memory store,
 * which is right for exactly one instance. Rejects with a RedisSettingsError for settings that cannot work and a
 * StoreUnavailableError when the configured Redis is unreachable.
 */
export async function createStoreFromEnv(
  env: Record<string, string | undefined>,
  opts: { onError?: (message: string) => void } = {},
): Promise<Store> {
  const endpoints = redisEndpointsFromEnv(env);
  if (endpoints === undefined) return createMemoryStore();
  const keyPrefix = nonEmpty(env.TENGINE_REDIS_KEY_PREFIX);
  return createRedisStore({ endpoints, ...(keyPrefix === undefined ? {} : { keyPrefix }), ...opts });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
