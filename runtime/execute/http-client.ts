import type { Dispatcher } from 'undici';
import { Pool } from './undici-core.js';
import type { AddressPolicy } from '../../schemas/address-policy.js';
import { createGuardedConnector, UpstreamAddressBlockedError, type UpstreamLookup } from './address-guard.js';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './types.js';

// Node timers overflow above 2^31-1 ms and then fire at once; a longer deadline is clamped instead.
const MAX_TIMER_MS = 2_147_483_647;

/** Tuning of the pooled client; the defaults suit a gateway in front of a handful of APIs. */
export interface UpstreamClientOptions {
  /** Concurrent connections per origin. */
  maxSockets?: number;
  /** How long an idle pooled connection is kept; shortened by a server's `Keep-Alive: timeout=N` hint. */
  idleSocketTimeoutMs?: number;
  /** Extra TLS options (a private CA for internal upstreams). */
  tls?: { ca?: string | Buffer | (string | Buffer)[]; rejectUnauthorized?: boolean };
  /** How host names are resolved at connect time (default `dns.lookup`; tests inject a resolver). */
  lookup?: UpstreamLookup;
  /** Replaces the address policy of every request (tests only: production projects calling a loopback upstream). */
  policyOverride?: AddressPolicy;
}

/**
 * Creates the upstream HTTP client shared by all tools: one keep-alive connection pool per origin (undici, whose
 * request path costs about a third of node:http's client on the hot path), one overall deadline per request
 * covering connect, headers and the whole body, a response size cap enforced while streaming (memory stays
 * bounded whatever the upstream sends), no redirects (undici follows none unless asked), and only the given origin.
 * Each connection enforces the request's address policy (address-guard.ts); pools are per origin, policy and
 * partition (the project), so a development project's connection to a shared origin is never reused by a
 * production project, and one project's hung calls never hold the connections of another.
 */
export function createUpstreamClient(opts: UpstreamClientOptions = {}): UpstreamClient {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string, policy: AddressPolicy, partition: string): Pool => {
    const key = `${partition} ${policy} ${origin}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connections: opts.maxSockets ?? 256,
        keepAliveTimeout: opts.idleSocketTimeoutMs ?? 30_000,
        // The overall deadline below governs; these only stop a request that outlives every deadline we allow.
        headersTimeout: MAX_TIMER_MS,
        bodyTimeout: MAX_TIMER_MS,
        connect: createGuardedConnector(policy, { ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.lookup ? { lookup: opts.lookup } : {}) }),
      });
      pools.set(key, pool);
    }
    return pool;
  };
  return {
    send: (req) => send(opts.policyOverride ? { ...req, addressPolicy: opts.policyOverride } : req, poolFor),
    stats() {
      // Pool keys are `${partition} ${policy} ${origin}`; the partition is the project.
      return [...pools].map(([key, pool]) => {
        const st = pool.stats;
        return { project: key.slice(0, key.indexOf(' ')), origin: key.slice(key.lastIndexOf(' ') + 1), connected: st.connected, free: st.free, running: st.running, pending: st.pending };
      });
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.destroy().catch(() => undefined)));
      pools.clear();
    },
  };
}

/** Checks once per origin that it is an http(s) origin and nothing more. */
const originCheck = new Map<string, boolean>();
function isOrigin(origin: string): boolean {
  let ok = originCheck.get(origin);
  if (ok === undefined) {
    try {
      const u = new URL(origin);
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === origin.replace(/\/+$/, '') && u.origin !== 'null';
    } catch {
      ok = false;
    }
    if (originCheck.size < 10_000) originCheck.set(origin, ok);
  }
  return ok;
}

function send(req: UpstreamRequest, poolFor: (origin: string, policy: AddressPolicy, partition: string) => Pool): Promise<UpstreamResponse> {
  // The pool is bound to the origin, so even `//host/x` stays a path on it; a path that is not absolute (`x`, `@host`) or carries a
  // fragment could not be sent as rendered and signed, so it is refused rather than normalized.
  if (!isOrigin(req.origin) || req.pathAndQuery[0] !== '/' || req.pathAndQuery.includes('#')) {
    return Promise.resolve({ ok: false, reason: 'unreachable', detail: 'the request URL is not within the tool origin' });
  }
  if (req.signal?.aborted) return Promise.resolve({ ok: false, reason: 'aborted', detail: 'the call was cancelled' });
  return new Promise<UpstreamResponse>((resolve) => {
    const handler = new ResponseCollector(req, resolve);
    const headers: Record<string, string> = req.body !== undefined ? { ...req.headers, 'content-length': String(req.body.byteLength) } : req.headers;
    // A caller that forgot the policy gets the strictest one, not none.
    poolFor(req.origin, req.addressPolicy ?? 'public', req.partition ?? '').dispatch(
      {
        method: req.method,
        // Sent byte for byte as rendered and signed.
        path: req.pathAndQuery,
        headers,
        body: req.body === undefined ? null : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
      },
      handler,
    );
  });
}

/**
 * One request's response, collected through undici's dispatch handler (callbacks straight from the HTTP parser): no
 * response stream, promise or abort signal per request, which together cost more CPU than the rest of the client.
 * Settles exactly once; whatever settles it first (response, failure, deadline, the caller's abort) wins, and a
 * request that ends early is aborted so its connection is closed rather than left mid-response.
 */
class ResponseCollector implements Dispatcher.DispatchHandler {
  private settled = false;
  private abortRequest: ((err: Error) => void) | undefined;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort: (() => void) | undefined;

  constructor(
    private readonly req: UpstreamRequest,
    private readonly resolve: (r: UpstreamResponse) => void,
  ) {
    this.timer = setTimeout(() => this.fail({ ok: false, reason: 'timeout', detail: `no complete response within ${req.timeoutMs} ms` }), Math.min(MAX_TIMER_MS, Math.max(1, req.timeoutMs)));
    if (req.signal) {
      this.onCallerAbort = () => this.fail({ ok: false, reason: 'aborted', detail: 'the call was cancelled' });
      req.signal.addEventListener('abort', this.onCallerAbort, { once: true });
    }
  }

  /** Settles with a success, or with a failure that also aborts the request (freeing its connection and buffers). */
  private finish(r: UpstreamResponse): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.onCallerAbort) this.req.signal!.removeEventListener('abort', this.onCallerAbort);
    this.chunks.length = r.ok ? this.chunks.length : 0;
    this.resolve(r);
  }

  private fail(r: UpstreamResponse): void {
    if (this.settled) return;
    this.finish(r);
    // Not yet on a connection: onConnect aborts it when it gets one, so nothing is sent.
    this.abortRequest?.(new Error('request ended by the gateway'));
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.settled) abort(new Error('request ended by the gateway'));
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // Informational responses (100 Continue, 103 Early Hints) are not the response.
    if (statusCode < 200 || this.settled) return true;
    this.status = statusCode;
    const headers = parseRawHeaders(rawHeaders);
    this.headers = headers;
    const length = headers['content-length'];
    const declared = typeof length === 'string' ? Number(length) : NaN;
    if (Number.isFinite(declared) && declared > this.req.maxResponseBytes) {
      this.fail({ ok: false, reason: 'too_large', detail: `the upstream declared ${declared} bytes, more than the limit of ${this.req.maxResponseBytes}` });
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    this.size += chunk.length;
    if (this.size > this.req.maxResponseBytes) {
      this.fail({ ok: false, reason: 'too_large', detail: `the response exceeded the limit of ${this.req.maxResponseBytes} bytes` });
      return true;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const chunks = this.chunks;
    this.finish({ ok: true, status: this.status, headers: this.headers ?? {}, body: new Uint8Array(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size)) });
  }

  onError(err: Error): void {
    // A reset mid-body is not a response: retrying an idempotent call is the right answer, not a truncated success.
    // Before any response, a refused address was refused before anything was written: not an outage of the upstream.
    this.finish(this.headers === undefined ? failureOf(err) : { ok: false, reason: 'unreachable', detail: describeError(err) });
  }
}

/** Response headers as undici's request API gives them: lower-case names, latin1 values, repeated ones as arrays. */
function parseRawHeaders(raw: Buffer[]): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    // Own properties only: a header named `constructor` or `__proto__` is a header, not the object's prototype.
    const seen = Object.hasOwn(out, name) ? out[name] : undefined;
    if (seen === undefined) {
      if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true });
      else out[name] = value;
    }
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [seen, value];
  }
  return out;
}

/** The failure of a request that got no response: blocked by the address policy, a TLS failure, or unreachable. */
function failureOf(e: unknown): UpstreamResponse {
  if (e instanceof UpstreamAddressBlockedError) return { ok: false, reason: 'blocked', detail: e.message };
  const detail = describeError(e);
  return isTlsFailure(errorCode(e)) ? { ok: false, reason: 'unreachable', detail, tls: true } : { ok: false, reason: 'unreachable', detail };
}

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'error';
}

/** A short description from the error code only: Node's messages can echo header values (credentials). */
function describeError(e: unknown): string {
  const code = errorCode(e);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the upstream host name did not resolve (${code})`;
    case 'ECONNRESET':
      return 'the connection was reset (ECONNRESET)';
    case 'ETIMEDOUT':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `the upstream is not reachable (${code})`;
    default:
      return isTlsFailure(code) ? `TLS handshake failed (${code})` : `connection failed (${code})`;
  }
}

// OpenSSL's certificate verification codes that name neither CERT nor TLS (X509_V_ERR_* as Node reports them).
const TLS_VERIFY_CODES = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'HOSTNAME_MISMATCH', 'EPROTO']);

/** A TLS handshake or certificate failure: it fails the same way on every attempt until someone fixes the server. */
function isTlsFailure(code: string): boolean {
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code.startsWith('UNABLE_TO_') || TLS_VERIFY_CODES.has(code);
}
