import type { Context } from 'hono';
import { createMcpHandler, type McpHandlerDeps, type McpHttpResponse } from './mcp-handler.js';
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
    if (res.stream) return c.body(toReadable(res.stream), 200, res.headers);
    return res.body === null ? c.body(null, res.status as 202, res.headers) : c.body(res.body, res.status as 200, res.headers);
  };
}

/** A progress stream (progress-stream.ts) as a web stream, for the Hono adapter. */
function toReadable(stream: NonNullable<McpHttpResponse['stream']>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let open = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      void stream((chunk) => {
        if (open) controller.enqueue(encoder.encode(chunk));
      }).finally(() => {
        if (open) controller.close();
        open = false;
      });
    },
    cancel() {
      open = false;
    },
  });
}
