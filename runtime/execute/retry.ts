import { performance } from 'node:perf_hooks';
import { cancellableSleep } from './cancel-signal.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './types.js';
import type { OriginGuard } from './upstream-guard.js';

/** A tool's retry settings (`retry`), with defaults applied. */
export interface RetryPolicy {
  /** Attempts including the first (1 turns retries off). */
  maxAttempts: number;
  /** Also retry POST and PATCH (the upstream de-duplicates on X-Tengine-Request-Id). */
  nonIdempotent: boolean;
}

/** Clocks and randomness, injectable so tests are deterministic. */
export interface RetryDeps {
  /** Wall clock in ms since the epoch, for `Retry-After` HTTP-dates. */
  now(): number;
  /** Uniform [0, 1) for the backoff jitter (default Math.random). */
  random?: () => number;
  /** Monotonic ms for the deadline (default performance.now): a wall-clock jump must not stretch a timeout. */
  monotonic?: () => number;
}

/** Why a retry the policy allowed was not made: the origin's retry budget was used up, or its guard refused the attempt. */
export type RetrySkip = 'retry_budget' | 'circuit_open' | 'overloaded';

/** The final response and how many attempts were sent (0 when the origin's guard refused the first one). */
export interface RetryOutcome {
  response: UpstreamResponse;
  attempts: number;
  /** Set when the response is returned as is because a retry was not allowed (docs/outbound.md §5). */
  retrySkipped?: RetrySkip;
}

/**
 * Told what a call is doing, for progress notifications (runtime/mcp/progress-stream.ts): each attempt as it is
 * sent, and each wait before a retry. Only calls whose client asked for progress have one.
 */
export interface RetryObserver {
  /** Attempt `attempt` of at most `maxAttempts` is being sent. */
  attempt(attempt: number, maxAttempts: number): void;
  /** The attempt failed (`why`: `HTTP 503`, `unreachable`) and the next one follows in `waitMs`. */
  retrying(failed: number, why: string, waitMs: number): void;
}

/** Backoff base and cap in ms: the first retry waits up to 100 ms, later ones up to 2 s. */
export const BACKOFF_BASE_MS = 100;
/** The largest backoff between two attempts, in ms. */
export const BACKOFF_CAP_MS = 2000;

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);
const RETRY_STATUSES = new Set([502, 503, 504]);

/**
 * Sends a request through its origin's guard, retrying transient failures within one overall deadline of
 * `timeoutMs`. The request (headers, request id, signature, body) is the same object on every attempt, so an
 * upstream sees identical retries. Retries: connection failures (no response) other than TLS ones, 502/503/504,
 * and 429 only with a `Retry-After` that fits in the time left; GET/PUT/DELETE only, unless the policy opts
 * POST/PATCH in; and only while the origin's retry budget allows. A timeout is never retried: the attempt already
 * had the whole remaining deadline. Every attempt passes the origin's circuit breaker and concurrency cap; a call
 * waiting for a slot spends its own deadline and honours its abort signal.
 */
export async function sendWithRetry(
  client: UpstreamClient,
  guard: OriginGuard,
  req: Omit<UpstreamRequest, 'timeoutMs'>,
  timeoutMs: number,
  policy: RetryPolicy,
  deps: RetryDeps,
  eachAttempt?: AttemptWrapper,
  observer?: RetryObserver,
): Promise<RetryOutcome> {
  const mono = deps.monotonic ?? (() => performance.now());
  const random = deps.random ?? Math.random;
  let now = mono();
  const deadline = now + timeoutMs;
  const retryable = policy.nonIdempotent || IDEMPOTENT.has(req.method);
  const maxAttempts = retryable ? Math.max(1, Math.floor(policy.maxAttempts)) : 1;
  let last: UpstreamResponse | undefined;
  for (let attempt = 1; ; attempt++) {
    let ticket = guard.tryAdmit(now);
    if (ticket === 'wait') {
      ticket = await guard.admitQueued(Math.max(1, Math.floor(deadline - now)), timeoutMs, req.signal, mono);
      now = mono();
    }
    if (typeof ticket !== 'string') {
      // Refused (nothing sent): the first attempt reports why; a refused retry returns the failure it would retry.
      if (last === undefined || ticket.reason === 'aborted') return { response: ticket, attempts: attempt - 1 };
      return { response: last, attempts: attempt - 1, retrySkipped: ticket.reason === 'circuit_open' ? 'circuit_open' : 'overloaded' };
    }
    if (attempt === 1) guard.budget.deposit(now);
    const attemptTimeout = Math.max(1, Math.floor(deadline - now));
    observer?.attempt(attempt, maxAttempts);
    const response = eachAttempt
      ? await eachAttempt(attempt, (headers) => client.send({ ...req, headers: { ...req.headers, ...headers }, timeoutMs: attemptTimeout }))
      : await client.send(withTimeout(req, attemptTimeout));
    now = mono();
    guard.settle(ticket, response, now);
    last = response;
    if (attempt >= maxAttempts) return { response, attempts: attempt };
    const delay = retryDelay(response, attempt, random, deps.now());
    if (delay === undefined || now + delay >= deadline) return { response, attempts: attempt };
    if (!guard.budget.tryWithdraw(now)) return { response, attempts: attempt, retrySkipped: 'retry_budget' };
    observer?.retrying(attempt, response.ok ? `HTTP ${response.status}` : response.reason, delay);
    if (!(await cancellableSleep(delay, req.signal))) return { response: { ok: false, reason: 'aborted', detail: 'the call was cancelled' }, attempts: attempt };
    now = mono();
  }
}

/**
 * The request of one attempt: the same object each time with this attempt's timeout (the client reads it when the
 * attempt starts), rather than a copy of every field per attempt.
 */
function withTimeout(req: Omit<UpstreamRequest, 'timeoutMs'>, timeoutMs: number): UpstreamRequest {
  const r = req as UpstreamRequest;
  r.timeoutMs = timeoutMs;
  return r;
}

/**
 * Wraps one attempt (tracing: a span per attempt, whose id goes upstream in `traceparent`): calls `send` with the
 * extra headers of this attempt and returns its response.
 */
export type AttemptWrapper = (attempt: number, send: (headers: Record<string, string>) => Promise<UpstreamResponse>) => Promise<UpstreamResponse>;

/** How long to wait before the next attempt, or undefined when the response must not be retried. */
function retryDelay(res: UpstreamResponse, attempt: number, random: () => number, now: number): number | undefined {
  // A TLS failure (untrusted or expired certificate) would fail the same way: retrying only multiplies handshakes.
  if (!res.ok) return res.reason === 'unreachable' && !res.tls ? backoff(attempt, random) : undefined;
  const retryAfter = parseRetryAfter(res.headers['retry-after'], now);
  // RFC 6585 §4: 429 says how long to wait only through Retry-After; without it, retrying now would hammer it.
  if (res.status === 429) return retryAfter;
  if (RETRY_STATUSES.has(res.status)) return retryAfter ?? backoff(attempt, random);
  return undefined;
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^(attempt-1))). */
export function backoff(attempt: number, random: () => number): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
}

/** `Retry-After` (RFC 9110 §10.2.3) as ms from `now`: delay-seconds or an HTTP-date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const text = v.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // Only the IMF-fixdate form and its obsolete cousins Date.parse understands; a number-like string is not a date.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

