import type { Context, MiddlewareHandler } from 'hono';
import { finishTrace, REQUEST_ID_HEADER, requestLog, startTrace, type AuditRoute, type RequestTrace, type Telemetry } from './request-trace.js';
import type { Log } from './logger.js';

const KEY = 'tengineTrace';

/** The trace of the request a Hono handler serves (undefined outside the traced routes). */
export function traceOf(c: Context): RequestTrace | undefined {
  return c.get(KEY as never) as RequestTrace | undefined;
}

/** The log of a handler inside a request: audit events merge into the request's audit line, others carry its id. */
export function logOf(c: Context, fallback: Log | undefined): Log | undefined {
  return requestLog(traceOf(c), fallback);
}

/** Which route family a path belongs to (a bounded label: never the path itself). */
export function routeOf(path: string): AuditRoute {
  if (path === '/mcp' || path === '/mcp/') return 'mcp';
  if (path === '/api/v1/mcp/session-token') return 'session_token';
  if (path.startsWith('/api/v1/mcp-oauth/')) return 'oauth';
  if (path.startsWith('/api/v1/admin/')) return 'admin';
  return 'api';
}

/**
 * The Hono side of request tracing: a request id per request, returned in `X-Tengine-Request-Id`, and exactly one
 * audit line when the answer is ready (whatever answered: a route, a body limit, the error boundary).
 */
export function traceMiddleware(telemetry: Telemetry): MiddlewareHandler {
  return async (c, next) => {
    const trace = startTrace(routeOf(c.req.path), telemetry);
    const declared = Number(c.req.header('content-length'));
    trace.bytesIn = Number.isFinite(declared) ? declared : 0;
    c.set(KEY as never, trace as never);
    try {
      await next();
    } finally {
      c.res.headers.set(REQUEST_ID_HEADER, trace.id);
      const length = Number(c.res.headers.get('content-length') ?? NaN);
      finishTrace(trace, telemetry, c.res.status, Number.isFinite(length) ? length : undefined);
    }
  };
}
