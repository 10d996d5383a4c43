import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { McpHttpRequest, McpHttpResponse } from './mcp-handler.js';

/**
 * Serves `POST /mcp` and `POST /mcp/` straight from Node's request objects and hands every other request to the
 * Hono app. Building a WHATWG Request and body stream per call cost more CPU than the rest of a tools/call
 * together; the MCP handler itself is shared with the Hono route, so both behave identically.
 */
export function withMcpFastPath(handle: (req: McpHttpRequest) => Promise<McpHttpResponse>, maxBodyBytes: number, fallback: RequestListener): RequestListener {
  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method !== 'POST' || (path !== '/mcp' && path !== '/mcp/')) return fallback(req, res);
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    handle({ header: (name) => headerValue(req, name), body: () => readBody(req, maxBodyBytes), signal: controller.signal }).then(
      (out) => {
        if (out.status === 413) out.headers.Connection = 'close';
        res.writeHead(out.status, out.headers);
        res.end(out.body ?? undefined);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"error":"internal_error","message":"Internal server error"}');
      },
    );
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Reads the body as UTF-8, or resolves undefined (and stops reading) once it passes the limit. */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (declared > max) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    });
    req.once('error', reject);
  });
}

export type { ServerResponse };
