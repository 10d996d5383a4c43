import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { McpHttpRequest, McpHttpResponse } from './mcp-handler.js';
import { ClientGone } from '../execute/cancel-signal.js';
import { finishTrace, REQUEST_ID_HEADER, startTrace, type RequestTrace, type Telemetry } from '../observability/request-trace.js';

/**
 * Serves `POST /mcp` and `POST /mcp/` straight from Node's request objects and hands every other request to the
 * Hono app. Building a WHATWG Request and body stream per call cost more CPU than the rest of a tools/call
 * together; the MCP handler itself is shared with the Hono route, so both behave identically.
 */
export function withMcpFastPath(handle: (req: McpHttpRequest) => Promise<McpHttpResponse>, maxBodyBytes: number, fallback: RequestListener, telemetry?: Telemetry): RequestListener {
  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method !== 'POST' || (path !== '/mcp' && path !== '/mcp/')) return fallback(req, res);
    const gone = new ClientGone();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    // The request id goes upstream, back in the response header and in tool errors, and into the one audit line.
    const trace = startTrace('mcp', telemetry);
    trace.bytesIn = Number(req.headers['content-length']) || 0;
    handle(new NodeMcpRequest(req, maxBodyBytes, gone, trace)).then(
      (out) => {
        if (out.status === 413) out.headers.Connection = 'close';
        out.headers[REQUEST_ID_HEADER] = trace.id;
        if (out.code !== undefined) trace.fields.code ??= out.code;
        res.writeHead(out.status, out.headers);
        if (out.stream) return streamOut(res, out.stream, trace, telemetry);
        res.end(out.body ?? undefined);
        finishTrace(trace, telemetry, out.status, out.body === null ? 0 : Buffer.byteLength(out.body));
      },
      () => {
        trace.fields.code = 'INTERNAL_ERROR';
        res.writeHead(500, { 'Content-Type': 'application/json', [REQUEST_ID_HEADER]: trace.id });
        res.end(`{"error":"internal_error","message":"Internal server error","request_id":"${trace.id}"}`);
        finishTrace(trace, telemetry, 500, undefined);
      },
    );
  };
}

/** Writes a progress stream (progress-stream.ts) and ends the response; the audit line is written when it ends. */
function streamOut(res: ServerResponse, stream: NonNullable<McpHttpResponse['stream']>, trace: RequestTrace, telemetry: Telemetry | undefined): Promise<void> {
  let bytes = 0;
  return stream((chunk) => {
    // A client that left gets nothing more; its close already aborted the call.
    if (res.destroyed) return;
    bytes += Buffer.byteLength(chunk);
    res.write(chunk);
  }).then(
    () => {
      res.end();
      finishTrace(trace, telemetry, 200, bytes);
    },
    () => {
      res.destroy();
      finishTrace(trace, telemetry, 200, bytes);
    },
  );
}

/** A Node request as the MCP handler sees it: one object per request, its methods shared rather than closures each. */
class NodeMcpRequest implements McpHttpRequest {
  constructor(
    private readonly req: IncomingMessage,
    private readonly maxBodyBytes: number,
    readonly signal: ClientGone,
    readonly trace: RequestTrace,
  ) {}

  header(name: string): string | undefined {
    return headerValue(this.req, name);
  }

  body(): Promise<string | undefined> {
    return readBody(this.req, this.maxBodyBytes, this.trace);
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Reads the body as UTF-8, or resolves undefined (and stops reading) once it passes the limit. */
function readBody(req: IncomingMessage, max: number, trace: RequestTrace): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (declared > max) {
    trace.bytesIn = declared;
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
      trace.bytesIn = size;
      if (!over) resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    });
    req.once('error', reject);
  });
}

export type { ServerResponse };
