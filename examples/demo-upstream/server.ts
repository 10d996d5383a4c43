#!/usr/bin/env node
// The demo notes API that the quick start (`npm start`, `tengine dev`) exposes as MCP tools through Tengine.
// Routes are exactly the ones the tools of the root tengine.config.yaml call:
//   GET  /notes?q=&limit=   list_notes     GET /notes/{id}   get_note
//   POST /notes             create_note    GET /whoami       whoami (echoes the X-Tengine-* headers)
// Run it on its own with `node dist/examples/demo-upstream/server.js` (HOST, PORT; default 127.0.0.1:4010).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { NOTE_LIMITS, NotesStore, parseNewNote } from './notes-store.js';

/** Where and how to run the demo upstream. */
export interface DemoUpstreamOptions {
  /** Default 127.0.0.1: the demo has no authentication, so it listens on loopback only. */
  host?: string;
  /** Default 4010; 0 picks a free port. */
  port?: number;
  /** Receives one line per request; default: standard error. */
  log?: (line: string) => void;
  /** Clock for timestamps of new notes (tests). */
  now?: () => Date;
}

/** A running demo upstream. */
export interface DemoUpstream {
  /** Origin to use as `base_url`, e.g. `http://127.0.0.1:4010`. */
  url: string;
  close(): Promise<void>;
}

/** Default port of the demo upstream, as in the `${env:DEMO_UPSTREAM:-http://127.0.0.1:4010}` default. */
export const DEMO_UPSTREAM_PORT = 4010;

const MAX_BODY_BYTES = 1024 * 1024;

/** Starts the demo notes API; rejects (with the listen error, e.g. EADDRINUSE) when it cannot listen. */
export async function startDemoUpstream(opts: DemoUpstreamOptions = {}): Promise<DemoUpstream> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const store = new NotesStore(opts.now);
  const server = createServer((req, res) => {
    const started = Date.now();
    res.on('finish', () => {
      const h = (name: string) => headerValue(req, name) ?? '-';
      log(`demo-upstream ${req.method} ${req.url} -> ${res.statusCode} (${Date.now() - started} ms) request_id=${h('x-tengine-request-id')} member_id=${h('x-tengine-member-id')}`);
    });
    handle(store, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal_error', message: 'the demo API failed' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await listen(server, host, opts.port ?? DEMO_UPSTREAM_PORT);
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= new Promise<void>((done) => {
        server.close(() => done());
        // Keep-alive connections from the runtime's pooled client would otherwise hold close() open.
        server.closeAllConnections();
      })),
  };
}

async function handle(store: NotesStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://demo.invalid');
  const path = url.pathname;
  const method = req.method ?? 'GET';

  if (path === '/notes') {
    if (method === 'GET') return listNotes(store, url, res);
    if (method === 'POST') return createNote(store, req, res);
    return methodNotAllowed(res, 'GET, POST');
  }
  const one = /^\/notes\/([^/]+)$/.exec(path);
  if (one) {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    let id: string;
    try {
      id = decodeURIComponent(one[1]!);
    } catch {
      return send(res, 400, { error: 'bad_request', message: 'the note id is not valid percent-encoding' });
    }
    const note = store.get(id);
    if (!note) return send(res, 404, { error: 'note_not_found', message: `no note with id ${JSON.stringify(id)}` });
    return send(res, 200, note);
  }
  if (path === '/whoami') {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    return whoami(req, url, res);
  }
  if (path === '/healthz') return send(res, 200, { ok: true });
  return send(res, 404, { error: 'not_found', message: `no route for ${method} ${path}` });
}

function listNotes(store: NotesStore, url: URL, res: ServerResponse): void {
  const q = url.searchParams.get('q') ?? '';
  if (q.length > NOTE_LIMITS.search) return send(res, 400, { error: 'bad_request', message: `"q" must be at most ${NOTE_LIMITS.search} characters` });
  const rawLimit = url.searchParams.get('limit');
  const limit = rawLimit === null ? NOTE_LIMITS.listDefault : /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : NaN;
  if (!(limit >= 1 && limit <= NOTE_LIMITS.listMax)) {
    return send(res, 400, { error: 'bad_request', message: `"limit" must be a whole number from 1 to ${NOTE_LIMITS.listMax}` });
  }
  const { notes, total } = store.list(q, limit);
  send(res, 200, { notes, total, returned: notes.length });
}

async function createNote(store: NotesStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
    return send(res, 415, { error: 'unsupported_media_type', message: 'send the note as application/json' });
  }
  const raw = await readBody(req);
  if (raw === undefined) return send(res, 413, { error: 'payload_too_large', message: `the body is larger than ${MAX_BODY_BYTES} bytes` });
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return send(res, 400, { error: 'bad_request', message: 'the body is not valid JSON' });
  }
  const parsed = parseNewNote(body);
  if (!parsed.ok) return send(res, 400, { error: 'invalid_note', message: parsed.errors.join('; '), errors: parsed.errors });
  const note = store.create(parsed.value);
  res.setHeader('Location', `/notes/${encodeURIComponent(note.id)}`);
  send(res, 201, note);
}

/** Echoes how the call arrived: the template-filled query and every X-Tengine-* header, so wiring can be checked. */
function whoami(req: IncomingMessage, url: URL, res: ServerResponse): void {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(req.headers).sort()) {
    const v = headerValue(req, name);
    if (name.startsWith('x-tengine-') && v !== undefined) headers[name] = v;
  }
  const project = url.searchParams.get('project');
  const integration = url.searchParams.get('integration');
  const memberId = headers['x-tengine-member-id'];
  send(res, 200, {
    project,
    integration,
    request_id: headers['x-tengine-request-id'] ?? null,
    member: memberId
      ? { id: memberId, email: headers['x-tengine-member-email'] ?? null, roles: headers['x-tengine-member-roles']?.split(',').filter(Boolean) ?? [] }
      : null,
    // The query comes from reserved template variables and the headers from the runtime; both describe the caller.
    consistent: project === (headers['x-tengine-project-id'] ?? null) && integration === (headers['x-tengine-integration-id'] ?? null),
    tengine_headers: headers,
  });
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  send(res, 405, { error: 'method_not_allowed', message: `use ${allow}` });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Reads the body; undefined when it exceeds MAX_BODY_BYTES (the rest is drained, not buffered). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
}

async function main(): Promise<void> {
  const port = process.env.PORT ? Number(process.env.PORT) : DEMO_UPSTREAM_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT=${process.env.PORT} is not a port number`);
  const upstream = await startDemoUpstream({ host: process.env.HOST ?? '127.0.0.1', port });
  process.stderr.write(`demo notes API listening on ${upstream.url} (Ctrl+C to stop)\n`);
  const stop = () => void upstream.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: NodeJS.ErrnoException) => {
    process.stderr.write(`demo-upstream: ${e.code === 'EADDRINUSE' ? 'the port is already in use (set PORT to another one)' : e.message}\n`);
    process.exitCode = 1;
  });
}
