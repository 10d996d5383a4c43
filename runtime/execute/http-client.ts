import type { Readable } from 'node:stream';
import { Pool } from 'undici';
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
    let settled = false;
    let body: Readable | undefined;
    const controller = new AbortController();
    const finish = (r: UpstreamResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      // Destroying (not just abandoning) a response we will not read frees the connection and its buffers.
      if (!r.ok) {
        body?.destroy();
        controller.abort();
      }
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, reason: 'aborted', detail: 'the call was cancelled' });
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', detail: `no complete response within ${req.timeoutMs} ms` }), Math.min(MAX_TIMER_MS, Math.max(1, req.timeoutMs)));
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = req.body !== undefined ? { ...req.headers, 'content-length': String(req.body.byteLength) } : req.headers;
    // A caller that forgot the policy gets the strictest one, not none.
    poolFor(req.origin, req.addressPolicy ?? 'public', req.partition ?? '')
      .request({
        method: req.method,
        // Sent byte for byte as rendered and signed.
        path: req.pathAndQuery,
        headers,
        body: req.body === undefined ? null : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
        signal: controller.signal,
      })
      .then(
        (res) => {
          body = res.body;
          if (settled) {
            res.body.destroy();
            return;
          }
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
            finish({ ok: false, reason: 'too_large', detail: `the upstream declared ${declared} bytes, more than the limit of ${req.maxResponseBytes}` });
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.body.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > req.maxResponseBytes) {
              chunks.length = 0;
              finish({ ok: false, reason: 'too_large', detail: `the response exceeded the limit of ${req.maxResponseBytes} bytes` });
              return;
            }
            chunks.push(chunk);
          });
          res.body.on('end', () =>
            finish({ ok: true, status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: new Uint8Array(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)) }),
          );
          // A reset mid-body is not a response: retrying an idempotent call is the right answer, not a truncated success.
          res.body.on('error', (e) => finish({ ok: false, reason: 'unreachable', detail: describeError(e) }));
        },
        // A refused address was refused before anything was written: not an outage of the upstream, never retried.
        (e: unknown) => finish(failureOf(e)),
      );
  });
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
