import http from 'node:http';
import https from 'node:https';
import type { UpstreamClient, UpstreamRequest, UpstreamResponse } from './types.js';

// Node timers overflow above 2^31-1 ms and then fire at once; a longer deadline is clamped instead.
const MAX_TIMER_MS = 2_147_483_647;

/** Tuning of the pooled client; the defaults suit a gateway in front of a handful of APIs. */
export interface UpstreamClientOptions {
  /** Concurrent sockets per origin (Node's per host:port limit). */
  maxSockets?: number;
  /** Idle sockets kept per origin for reuse. */
  maxFreeSockets?: number;
  /** How long an idle pooled socket is kept; shortened by a server's `Keep-Alive: timeout=N` hint. */
  idleSocketTimeoutMs?: number;
  /** Extra TLS options (a private CA for internal upstreams). */
  tls?: Pick<https.AgentOptions, 'ca' | 'rejectUnauthorized'>;
}

/**
 * Creates the upstream HTTP client shared by all tools: keep-alive agents (connections are reused across calls),
 * one overall deadline per request covering connect, headers and the whole body, a response size cap enforced
 * while streaming (memory stays bounded whatever the upstream sends), no redirects, and only the given origin.
 */
export function createUpstreamClient(opts: UpstreamClientOptions = {}): UpstreamClient {
  const agentOptions = {
    keepAlive: true,
    maxSockets: opts.maxSockets ?? 256,
    maxFreeSockets: opts.maxFreeSockets ?? 256,
    // Without an idle timeout Node ignores the server's Keep-Alive hint and may reuse a socket the server is
    // closing; with one it closes the socket a second before the server would.
    timeout: opts.idleSocketTimeoutMs ?? 30_000,
    scheduling: 'lifo' as const,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent({ ...agentOptions, ...opts.tls });
  return {
    send: (req) => send(req, req.origin.startsWith('https:') ? httpsAgent : httpAgent),
    async close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function send(req: UpstreamRequest, agent: http.Agent): Promise<UpstreamResponse> {
  let base: URL;
  try {
    base = new URL(req.origin);
    // `//evil.example/x` as a path would re-target a URL built with `new URL(path, origin)`; concatenating and
    // comparing origins proves the request can only go where the tool is configured to go.
    const target = new URL(req.origin + req.pathAndQuery);
    if (!req.pathAndQuery.startsWith('/') || req.pathAndQuery.includes('#') || target.origin !== base.origin || base.origin === 'null') throw new Error();
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error();
  } catch {
    return Promise.resolve({ ok: false, reason: 'unreachable', detail: 'the request URL is not within the tool origin' });
  }
  if (req.signal?.aborted) return Promise.resolve({ ok: false, reason: 'aborted', detail: 'the call was cancelled' });

  return new Promise<UpstreamResponse>((resolve) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    const finish = (r: UpstreamResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      // Destroying (not just abandoning) a request whose body we will not read frees the socket and its buffers;
      // a pooled socket mid-response cannot be reused anyway.
      if (!r.ok) request?.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, reason: 'aborted', detail: 'the call was cancelled' });
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', detail: `no complete response within ${req.timeoutMs} ms` }), Math.min(MAX_TIMER_MS, Math.max(1, req.timeoutMs)));
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(req.body.byteLength);
    try {
      request = (base.protocol === 'https:' ? https : http).request({
        protocol: base.protocol,
        // URL keeps IPv6 literals bracketed; the socket layer wants them bare.
        hostname: base.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: base.port || undefined,
        method: req.method,
        // Sent byte for byte as rendered and signed: the URL class would normalize it.
        path: req.pathAndQuery,
        headers,
        agent,
      });
    } catch (e) {
      finish({ ok: false, reason: 'unreachable', detail: `the request could not be built (${errorCode(e)})` });
      return;
    }
    request.on('error', (e) => finish({ ok: false, reason: 'unreachable', detail: describeError(e) }));
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
        finish({ ok: false, reason: 'too_large', detail: `the upstream declared ${declared} bytes, more than the limit of ${req.maxResponseBytes}` });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > req.maxResponseBytes) {
          chunks.length = 0;
          finish({ ok: false, reason: 'too_large', detail: `the response exceeded the limit of ${req.maxResponseBytes} bytes` });
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish({ ok: true, status, headers: { ...res.headers }, body: new Uint8Array(Buffer.concat(chunks, size)) }));
      // A reset mid-body is not a response: retrying an idempotent call is the right answer, not a truncated success.
      res.on('error', (e) => finish({ ok: false, reason: 'unreachable', detail: describeError(e) }));
      res.on('close', () => {
        if (!res.complete) finish({ ok: false, reason: 'unreachable', detail: 'the connection closed before the response was complete' });
      });
    });
    request.end(req.body);
  });
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
      return code.startsWith('ERR_TLS') || code.includes('CERT') ? `TLS handshake failed (${code})` : `connection failed (${code})`;
  }
}
