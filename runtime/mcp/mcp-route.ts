import type { Context } from 'hono';
import { createMcpHandler, type McpHandlerDeps } from './mcp-handler.js';
import { traceOf } from '../observability/hono-trace.js';

export type { McpHandlerDeps };

/** The Hono adapter of the MCP handler, for POST and the refused methods (the body limit is applied by middleware before it). */
export function mcpPostHandler(deps: McpHandlerDeps) {
  const handle = createMcpHandler(deps);
  return async (c: Context) => {
    const trace = traceOf(c);
    const res = await handle({
      // A request built in-process (app.request) has no Host header; its URL holds the host, as Node's server sets it.
      header: (name) => c.req.header(name) ?? (name === 'host' ? new URL(c.req.url).host : undefined),
      body: () => c.req.text(),
      signal: c.req.raw.signal,
      method: c.req.method,
      ...(trace ? { trace } : {}),
    });
    // The trace middleware writes the audit line and the X-Tengine-Request-Id header once the answer is out.
    if (trace && res.code !== undefined) trace.fields.code ??= res.code;
    return res.body === null ? c.body(null, res.status as 202, res.headers) : c.body(res.body, res.status as 200, res.headers);
  };
}
