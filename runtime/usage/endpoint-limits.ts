import { createHash } from 'node:crypto';
import type { EndpointRate, RuntimeSettings } from '../../schemas/config-types.js';
import { parseDuration } from '../../schemas/duration.js';
import { createMemoryStore } from '../store/memory-store.js';
import { StoreUnavailableError, type RateCheck, type Store } from '../store/store.js';
import type { Context } from 'hono';
import { addressOf, limitSubject, type ClientAddressPolicy, type ParsedAddress } from './client-address.js';

/** The endpoints with limits of their own (the keys of `runtime.endpoint_limits`). */
export type LimitedEndpoint = 'session_token' | 'token' | 'revoke' | 'register' | 'authorize' | 'login_callback';

/** One limit compiled for the store: GCRA interval and burst, with the configured numbers for messages. */
export interface EndpointRateLimit {
  limit: number;
  windowMs: number;
  burst: number;
  intervalMs: number;
}

/** The limits of one endpoint; an absent one is off. */
export interface EndpointLimitPair {
  perClient?: EndpointRateLimit;
  perIp?: EndpointRateLimit;
}

/** Every endpoint's limits, defaults applied. */
export type EndpointLimitSettings = Readonly<Record<LimitedEndpoint, EndpointLimitPair>>;

/**
 * The defaults (docs/usage.md explains each): high enough that a deployment's real traffic never meets them (a
 * customer backend minting sessions for ~90,000 concurrently active members from one address, a hosted MCP client
 * refreshing tokens for tens of thousands of users, an office of people signing in at 9:00 behind one NAT), low
 * enough that one address or one leaked credential cannot turn an endpoint into a flood of signature checks and
 * store writes.
 */
export const ENDPOINT_LIMIT_DEFAULTS: Readonly<Record<LimitedEndpoint, { per_client?: EndpointRate; per_ip: EndpointRate }>> = {
  session_token: { per_client: { limit: 100, window: '1s', burst: 500 }, per_ip: { limit: 100, window: '1s', burst: 500 } },
  token: { per_client: { limit: 50, window: '1s', burst: 200 }, per_ip: { limit: 20, window: '1s', burst: 100 } },
  revoke: { per_client: { limit: 20, window: '1s', burst: 100 }, per_ip: { limit: 10, window: '1s', burst: 50 } },
  register: { per_ip: { limit: 20, window: '1m', burst: 20 } },
  authorize: { per_ip: { limit: 5, window: '1s', burst: 50 } },
  login_callback: { per_ip: { limit: 5, window: '1s', burst: 50 } },
};

/** Compiles `runtime.endpoint_limits` over the defaults, once per bundle. */
export function compileEndpointLimits(config: RuntimeSettings['endpoint_limits']): EndpointLimitSettings {
  const out = {} as Record<LimitedEndpoint, EndpointLimitPair>;
  for (const endpoint of Object.keys(ENDPOINT_LIMIT_DEFAULTS) as LimitedEndpoint[]) {
    const defaults = ENDPOINT_LIMIT_DEFAULTS[endpoint];
    const given = (config?.[endpoint] ?? {}) as { per_client?: EndpointRate; per_ip?: EndpointRate };
    const perClient = compileRate(defaults.per_client === undefined ? undefined : (given.per_client ?? defaults.per_client));
    const perIp = compileRate(given.per_ip ?? defaults.per_ip);
    out[endpoint] = { ...(perClient ? { perClient } : {}), ...(perIp ? { perIp } : {}) };
  }
  return out;
}

function compileRate(rate: EndpointRate | undefined): EndpointRateLimit | undefined {
  if (rate === undefined || rate === 'off') return undefined;
  const windowMs = parseDuration(rate.window);
  return { limit: rate.limit, windowMs, burst: rate.burst ?? rate.limit, intervalMs: windowMs / rate.limit };
}

/** Whom a request is counted as: its client address and, once it authenticated, its client. */
export interface EndpointSubjects {
  /** The client address (undefined only when the connection's peer is unknown: counted as one shared `unknown`). */
  address: ParsedAddress | undefined;
  /** A stable id of an authenticated client (an integration, a confidential OAuth client); none for anybody else. */
  client?: string;
}

/** What the limiter decided: go on, or the refusal to answer with. */
export type EndpointVerdict =
  | { ok: true }
  | { ok: false; code: 'RATE_LIMIT_EXCEEDED'; status: 429; scope: 'client' | 'ip'; retryAfterSeconds: number; detail: string }
  | { ok: false; code: 'STORE_UNAVAILABLE'; status: 503; retryAfterSeconds: number; detail: string };

/** Seconds a request refused for an overloaded store is told to wait. */
const OVERLOAD_RETRY_SECONDS = 1;
/** At most one `endpoint_limits_local` line per this many milliseconds while the store is out. */
const OUTAGE_LOG_INTERVAL_MS = 5_000;

/**
 * Charges requests to the session-token exchange and the OAuth endpoints against their per-client and per-IP limits,
 * in one atomic store call (both checks or neither), so every instance shares the counts. Keys hold hashes, never an
 * address or a client id in clear, and one hash tag per endpoint so both checks of a request sit in one Redis Cluster
 * slot.
 *
 * These limits guard authentication endpoints, which never fail open: when the store is out, each instance keeps
 * limiting with the same checks in a private in-memory store (so a limit holds per instance, not across them) and
 * logs it at most every few seconds; when the store is overloaded the request is refused with 503. A limiter never
 * decides that a request is authenticated: it only refuses, or lets the endpoint's own checks run.
 */
export class EndpointLimiter {
  private local: Store | undefined;
  private lastOutageLog = -Infinity;

  constructor(
    private readonly settings: EndpointLimitSettings,
    private readonly addresses: ClientAddressPolicy,
    private readonly store: Store,
    private readonly log?: (entry: Record<string, unknown>) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the endpoint has a per-client limit (callers skip identifying a client otherwise). */
  limitsClients(endpoint: LimitedEndpoint): boolean {
    return this.settings[endpoint].perClient !== undefined;
  }

  /** Counts the request of `c` to `endpoint`, from its client address and, when given, its authenticated client. */
  chargeRequest(c: Context, endpoint: LimitedEndpoint, client?: string): Promise<EndpointVerdict> {
    return this.charge(endpoint, { address: addressOf(c, this.addresses), ...(client !== undefined ? { client } : {}) });
  }

  /** Counts one request to `endpoint`; a refusal names the limit that refused and when to retry. */
  async charge(endpoint: LimitedEndpoint, subjects: EndpointSubjects): Promise<EndpointVerdict> {
    const { perClient, perIp } = this.settings[endpoint];
    const checks: RateCheck[] = [];
    const scopes: ('client' | 'ip')[] = [];
    if (perClient && subjects.client !== undefined) {
      checks.push(rateCheck(`elim:{${endpoint}}:client:${digest(subjects.client)}`, perClient));
      scopes.push('client');
    }
    if (perIp) {
      checks.push(rateCheck(`elim:{${endpoint}}:ip:${digest(subjects.address ? limitSubject(subjects.address) : 'unknown')}`, perIp));
      scopes.push('ip');
    }
    if (checks.length === 0) return { ok: true };
    let verdict;
    try {
      verdict = await this.store.chargeLimits(checks);
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
      if (e.failure === 'overload') {
        this.log?.({ level: 'warn', event: 'endpoint_limits_store_overloaded', endpoint, message: e.message });
        return { ok: false, code: 'STORE_UNAVAILABLE', status: 503, retryAfterSeconds: OVERLOAD_RETRY_SECONDS, detail: `the store is overloaded; retry in ${OVERLOAD_RETRY_SECONDS} s` };
      }
      this.outage(endpoint, e);
      this.local ??= createMemoryStore({ now: this.now });
      verdict = await this.local.chargeLimits(checks);
    }
    if (verdict.admitted) return { ok: true };
    const scope = scopes[verdict.refused]!;
    const limit = scope === 'client' ? perClient! : perIp!;
    const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    const who = scope === 'client' ? 'this client' : 'this address';
    return { ok: false, code: 'RATE_LIMIT_EXCEEDED', status: 429, scope, retryAfterSeconds, detail: `too many requests from ${who}: ${describeRate(limit)}; retry in ${retryAfterSeconds} s` };
  }

  private outage(endpoint: LimitedEndpoint, e: StoreUnavailableError): void {
    const t = this.now();
    if (t - this.lastOutageLog < OUTAGE_LOG_INTERVAL_MS) return;
    this.lastOutageLog = t;
    this.log?.({ level: 'warn', event: 'endpoint_limits_local', endpoint, message: `the store is unavailable (${e.message}): endpoint limits are counted per instance until it returns` });
  }
}

/** A limit as people write it: `5 per 1s (burst 50)`. */
export function describeRate(l: EndpointRateLimit): string {
  return `${l.limit} per ${formatWindow(l.windowMs)} (burst ${l.burst})`;
}

function formatWindow(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function rateCheck(key: string, l: EndpointRateLimit): RateCheck {
  return { kind: 'rate', key, intervalMs: l.intervalMs, burst: l.burst };
}

// A hash, so that keys hold neither addresses nor client ids in clear, and a client id's characters (braces) cannot
// change the key's hash tag. 128 bits: collisions are out of reach.
function digest(subject: string): string {
  return createHash('sha256').update(subject).digest('base64url').slice(0, 22);
}
