// Test-only helpers for the execute suites: real loopback upstreams (node:http on 127.0.0.1, port 0).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Tool } from '../../schemas/config-types.js';
import { upstreamSettings } from '../load/runtime-model.js';
import { createUpstreamClient } from './http-client.js';
import { createUpstreamGuards } from './upstream-guard.js';
import { createSchemaCompiler } from './schema-compiler.js';
import { ERROR_META_KEY, type ToolResult } from './tool-errors.js';
import type { CallerIdentity, CompileToolContext, UpstreamClient } from './types.js';

/** One request as the upstream received it: raw request target, lower-cased headers, body bytes. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A running loopback upstream. */
export interface LoopbackUpstream {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  received: ReceivedRequest[];
  /** TCP connections accepted so far (to prove keep-alive reuse). */
  connections(): number;
  close(): Promise<void>;
}

/** Handles a request whose body has been read; may answer now, later or never. */
export type UpstreamHandler = (req: ReceivedRequest, res: http.ServerResponse, raw: http.IncomingMessage) => void | Promise<void>;

/** Starts an upstream on 127.0.0.1 with a random port; the handler sees each request after its body is read. */
export async function startUpstream(handler: UpstreamHandler): Promise<LoopbackUpstream> {
  const received: ReceivedRequest[] = [];
  let connections = 0;
  const server = http.createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const req: ReceivedRequest = { method: raw.method ?? '', url: raw.url ?? '', headers: raw.headers, body: Buffer.concat(chunks) };
      received.push(req);
      Promise.resolve(handler(req, res, raw)).catch(() => res.destroy());
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with a JSON body. */
export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...headers });
  res.end(body);
}

/** A loopback port with nothing listening on it (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A caller authenticated with a project API key (no member). */
export const API_KEY_CALLER: CallerIdentity = { kind: 'api_key', projectId: 'acme', integrationId: 'backend' };

/** A caller with a member session. */
export const MEMBER_CALLER: CallerIdentity = {
  kind: 'member',
  projectId: 'acme',
  integrationId: 'backend',
  member: { id: 'mem_42', email: 'ana@example.com', roles: ['admin', 'sales'] },
};

/** A valid tool pointing at `origin`, with the given fields replaced. */
export function testTool(origin: string, fields: Partial<Tool> = {}): Tool {
  return {
    name: 'test-tool',
    description: 'A tool under test.',
    input_schema: { type: 'object', properties: {} },
    base_url: origin,
    http_method: 'GET',
    endpoint_path: '/v1/thing',
    ...fields,
  };
}

/**
 * A compile context with a fixed clock (2023-11-14T22:13:20Z) and sequential request ids, over a real client. Each
 * context has its own upstream guards with the default settings, so one test's failures never open another's breaker.
 * The address policy is `unrestricted` (a development project) because these upstreams listen on loopback.
 */
export function testContext(http: UpstreamClient, fields: Partial<CompileToolContext> & { random?: () => number } = {}): CompileToolContext & { random?: () => number } {
  let n = 0;
  return {
    settings: { defaultTimeoutMs: 5000, defaultMaxResponseBytes: 1 << 20 },
    schemas: createSchemaCompiler(),
    http,
    upstreams: createUpstreamGuards(upstreamSettings(undefined)),
    addressPolicy: 'unrestricted',
    now: () => 1_700_000_000_000,
    newRequestId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    random: () => 0,
    ...fields,
  };
}

/** The machine-readable error of a result (`_meta["tengine.dev/error"]`), or undefined for a success. */
export function errorOf(result: ToolResult): { code: string; status: number; message: string; [k: string]: unknown } | undefined {
  return result._meta?.[ERROR_META_KEY] as { code: string; status: number; message: string } | undefined;
}

/** A file's shared loopback upstream and pooled client; `up.received` is emptied before each test. */
export interface SharedUpstream {
  readonly up: LoopbackUpstream;
  readonly client: UpstreamClient;
}

/** Registers the suite hooks that start one upstream and one client for the file and close both afterwards. */
export function useUpstream(handler: UpstreamHandler): SharedUpstream {
  let up: LoopbackUpstream | undefined;
  let client: UpstreamClient | undefined;
  beforeAll(async () => {
    up = await startUpstream(handler);
    client = createUpstreamClient();
  });
  afterAll(async () => {
    await client?.close();
    await up?.close();
  });
  beforeEach(() => {
    if (up) up.received.length = 0;
  });
  return {
    get up() {
      return up!;
    },
    get client() {
      return client!;
    },
  };
}
