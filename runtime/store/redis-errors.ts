import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  MaxCommandRedirectionsError,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  SocketClosedUnexpectedlyError,
  TimeoutError,
} from 'redis';

/** Our own per-command deadline fired (node-redis only times out commands that were never written). */
export const COMMAND_DEADLINE = Symbol('command deadline');

/** A usage count waited its whole bound (for a free slot or for its reply) while the connection stayed alive. */
export const COUNTER_DEADLINE = Symbol('counter deadline');

/** Usage counts already fill every slot and the local wait queue: the count is refused at once. */
export const COUNTERS_QUEUE_FULL = Symbol('counters queue full');

// Operator hints for the error replies a gateway can meet in production.
const REPLY_HINTS: Record<string, string> = {
  OOM: 'maxmemory reached; use the eviction policy in docs/storage.md',
  READONLY: 'connected to a read-only replica',
  LOADING: 'Redis is loading its dataset',
  NOAUTH: 'authentication required: put the password in the URL',
  WRONGPASS: 'authentication failed: check the user and password in the URL',
  NOPERM: 'the ACL user lacks a command or key permission',
  BUSY: 'a script has been running too long',
  MISCONF: 'Redis refuses writes because it cannot persist',
  WRONGTYPE: 'a key holds another type',
};

/** Limits quoted in messages. */
export interface ErrorContext {
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  maxPendingCommands: number;
  counterTimeoutMs: number;
  maxQueuedCounters: number;
}

/**
 * Describes a client or server error without echoing anything the command carried. Redis error replies can quote
 * arguments (`ERR unknown command 'X', with args beginning with: ...`), and arguments are keys and values, so a
 * reply is reduced to its error code; client errors are reduced to their kind or a system error code.
 */
export function describeRedisError(err: unknown, ctx: ErrorContext): string {
  if (err === COMMAND_DEADLINE || err instanceof TimeoutError) return `no reply within ${ctx.commandTimeoutMs} ms`;
  if (err === COUNTER_DEADLINE) return `no reply within ${ctx.counterTimeoutMs} ms while Redis kept answering (overloaded)`;
  if (err === COUNTERS_QUEUE_FULL) return `more than ${ctx.maxQueuedCounters} usage counts waiting for a slot (overloaded)`;
  if (err instanceof ReconnectStrategyError) return describeRedisError(err.originalError, ctx);
  if (err instanceof ErrorReply) {
    const code = replyCode(err);
    const hint = REPLY_HINTS[code];
    return hint === undefined ? `Redis replied ${code}` : `Redis replied ${code} (${hint})`;
  }
  if (err instanceof ClientOfflineError) return 'not connected (reconnecting in the background)';
  if (err instanceof ClientClosedError || err instanceof DisconnectsClientError) return 'connection closed';
  if (err instanceof SocketClosedUnexpectedlyError) return 'connection closed unexpectedly';
  if (err instanceof ConnectionTimeoutError) return `no connection within ${ctx.connectTimeoutMs} ms`;
  if (err instanceof RootNodesUnavailableError) return 'no listed cluster node answered';
  if (err instanceof MaxCommandRedirectionsError) return 'too many MOVED/ASK redirections (the cluster is resharding or misconfigured)';
  // The Sentinel client's own wording, and the node errors it wraps ("Master Client (host:port): ...") with a cause.
  if (err instanceof Error && err.message === 'None of the sentinels are available') return 'no sentinel answered';
  if (err instanceof Error && err.cause !== undefined && err.cause !== err) return describeRedisError(err.cause, ctx);
  if (isQueueFull(err)) {
    return `more than ${ctx.maxPendingCommands} commands pending (Redis is not answering)`;
  }
  const code = (err as { code?: unknown } | null)?.code;
  // Node system and TLS errors (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, ...): the code is enough and safe.
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{2,40}$/.test(code)) return code;
  return 'unexpected client error';
}

/** The leading error code of a reply (`ERR`, `NOSCRIPT`, `WRONGTYPE`, ...). */
export function replyCode(err: ErrorReply): string {
  return /^[A-Z][A-Z_-]*/.exec(err.message)?.[0] ?? 'ERR';
}

/** True for a server that does not know a command (GETDEL before Redis 6.2). */
export function isUnknownCommand(err: unknown): boolean {
  return err instanceof ErrorReply && /^ERR unknown command/i.test(err.message);
}

/** True for a missed deadline, ours or node-redis' (a command that could not even be written in time). */
export function isTimeout(err: unknown): boolean {
  return err === COMMAND_DEADLINE || err instanceof TimeoutError;
}

/** True for node-redis refusing a command because `commandsQueueMaxLength` commands are already pending. */
export function isQueueFull(err: unknown): boolean {
  return err instanceof Error && err.message === 'The queue is full';
}

/**
 * True when the failure says "too much at once", not "cannot reach Redis": the client's queue is full, or a usage
 * count exhausted its bound while the connection stayed alive. Everything else (closed, offline, reset, an error
 * reply, a stall that replaced the connection) is an outage.
 */
export function isOverload(err: unknown): boolean {
  return err === COUNTER_DEADLINE || err === COUNTERS_QUEUE_FULL || isQueueFull(err);
}

/** True for a command refused because the client is (re)connecting. */
export function isOffline(err: unknown): boolean {
  return err instanceof ClientOfflineError;
}

/** True when Redis answered at all (an error reply still proves the connection is alive). */
export function isReply(err: unknown): boolean {
  return err instanceof ErrorReply;
}

/** The URL without user, password or query, for messages. */
export { redactUrl } from './redact-url.js';
