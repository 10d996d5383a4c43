// Issue 13, items 1 and 2, end to end: the runtime on a socket, a loopback upstream and the official MCP SDK client.
// Results by content type (docs/http-api.md#results-by-content-type): an image, audio, a PDF and an upstream's own MCP
// content reach the SDK client as image, audio, embedded-resource and mixed blocks. Progress
// (docs/http-api.md#progress): a slow call with a progress token streams notifications/progress to onprogress
// before its result; a fast one is answered as plain JSON; a client that goes away aborts the upstream request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { httpCall } from './fixtures/http-call.js';
import { devProject, errorMeta, startSdkStage, type SdkStage } from './fixtures/sdk-stage.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WAVEfmt '), Buffer.alloc(24, 1)]);
const PDF = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n', 'latin1');

/** Paths the slow upstream has seen closed before it answered (the runtime aborted them). */
const closedEarly = new Set<string>();
let flakyCalls = 0;
/** Resolves when the upstream has received a request for the path. */
const arrived = new Map<string, () => void>();

function upstream(req: IncomingMessage, _body: string, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0]!;
  const send = (type: string, body: Buffer | string) => {
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  };
  switch (path) {
    case '/image':
      return send('image/png', PNG);
    case '/audio':
      return send('audio/wav', WAV);
    case '/pdf':
      return send('application/pdf', PDF);
    case '/mcp-mixed':
      return send(
        'application/json',
        JSON.stringify({
          content: [
            { type: 'text', text: 'Chart and data' },
            { type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' },
            { type: 'resource_link', uri: 'https://files.example.com/data.csv', name: 'data.csv', mimeType: 'text/csv' },
            { type: 'resource', resource: { uri: 'https://files.example.com/notes.txt', mimeType: 'text/plain', text: 'notes' } },
          ],
          structuredContent: { points: 3 },
        }),
      );
    case '/mcp-bad':
      return send('application/json', JSON.stringify([{ type: 'image', data: PNG.toString('base64') }]));
    case '/slow':
      setTimeout(() => send('application/json', JSON.stringify({ done: true })), 1200);
      return;
    case '/flaky': {
      // First call of each round: a 503 after 300 ms with Retry-After 1; the retry succeeds.
      flakyCalls++;
      if (flakyCalls % 2 === 1) {
        setTimeout(() => {
          res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
          res.end('busy');
        }, 300);
      } else send('application/json', JSON.stringify({ ok: true }));
      return;
    }
    case '/hang': {
      res.on('close', () => {
        if (!res.writableFinished) closedEarly.add(path);
      });
      arrived.get(path)?.();
      // Answers only after 20 s: the test ends long before, by closing the client.
      setTimeout(() => send('application/json', '{}'), 20_000).unref();
      return;
    }
    default:
      return send('application/json', JSON.stringify({ path }));
  }
}

function config(url: string): TengineConfig {
  const tool = (name: string, extra: Partial<Tool> = {}): Tool => ({
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties: {} },
    base_url: url,
    http_method: 'GET',
    endpoint_path: `/${name}`,
    ...extra,
  });
  return {
    version: 1,
    runtime: { progress_interval: '200ms' },
    projects: [
      devProject('media', [
        tool('image'),
        tool('audio'),
        tool('pdf'),
        tool('mcp-mixed', { endpoint_path: '/mcp-mixed', result: { format: 'mcp' }, output_schema: { type: 'object', properties: { points: { type: 'integer' } }, required: ['points'] } }),
        tool('mcp-bad', { result: { format: 'mcp' } }),
        tool('slow', { timeout: '10s' }),
        tool('hang', { timeout: '30s' }),
        tool('flaky', { timeout: '10s' }),
      ]),
    ],
  };
}

let stage: SdkStage;
const log: Record<string, unknown>[] = [];
beforeAll(async () => {
  stage = await startSdkStage(config, upstream, { log: (entry) => log.push(entry) });
});
afterAll(async () => stage?.close());

describe('results by content type reach the official SDK client as MCP blocks', () => {
  it('an image/png upstream is an image block with the same bytes and MIME type', async () => {
    const client = await stage.connect('media');
    const r = await client.callTool({ name: 'image', arguments: {} });
    expect(errorMeta(r)).toBeUndefined();
    expect(r.content).toEqual([{ type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' }]);
  });

  it('an audio/wav upstream is an audio block', async () => {
    const client = await stage.connect('media');
    const r = await client.callTool({ name: 'audio', arguments: {} });
    expect(r.content).toEqual([{ type: 'audio', data: WAV.toString('base64'), mimeType: 'audio/wav' }]);
  });

  it('an application/pdf upstream is an embedded resource blob named tengine://result/<request id>', async () => {
    const client = await stage.connect('media');
    const r = await client.callTool({ name: 'pdf', arguments: {} });
    const [block] = r.content as { type: string; resource: { uri: string; mimeType: string; blob: string } }[];
    expect(block!.type).toBe('resource');
    expect(block!.resource.mimeType).toBe('application/pdf');
    expect(Buffer.from(block!.resource.blob, 'base64').equals(PDF)).toBe(true);
    const requestId = stage.hits('/pdf').at(-1)!.headers['x-tengine-request-id'];
    expect(block!.resource.uri).toBe(`tengine://result/${String(requestId)}`);
  });

  it('format: mcp passes mixed content (text, image, resource_link, resource) and structuredContent matching outputSchema', async () => {
    const client = await stage.connect('media');
    const r = await client.callTool({ name: 'mcp-mixed', arguments: {} });
    expect(errorMeta(r)).toBeUndefined();
    expect((r.content as { type: string }[]).map((b) => b.type)).toEqual(['text', 'image', 'resource_link', 'resource']);
    expect(r.structuredContent).toEqual({ points: 3 });
  });

  it('format: mcp content that breaks the spec schema is refused with UPSTREAM_CONTENT_INVALID', async () => {
    const client = await stage.connect('media');
    const r = await client.callTool({ name: 'mcp-bad', arguments: {} });
    expect(r.isError).toBe(true);
    expect(errorMeta(r)?.code).toBe('UPSTREAM_CONTENT_INVALID');
    expect(errorMeta(r)?.errors?.[0]?.path).toMatch(/^\/content\/0/);
  });
});

describe('progress (notifications/progress on the response stream)', () => {
  it('a slow call with a progress token sends at least two progress notifications to onprogress before the result', async () => {
    const client = await stage.connect('media');
    const seen: { progress: number; message?: string }[] = [];
    let resultAt = -1;
    const r = await client.callTool({ name: 'slow', arguments: {} }, undefined, {
      onprogress: (p) => {
        seen.push(p);
      },
    });
    resultAt = seen.length;
    expect(errorMeta(r)).toBeUndefined();
    expect(r.structuredContent).toEqual({ done: true });
    expect(resultAt).toBeGreaterThanOrEqual(2);
    // Monotonic, as MCP requires, and saying what the call is doing.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
    expect(seen[0]!.message).toMatch(/^attempt 1 of 2, \d+\.\d s elapsed$/);
  });

  it('a call without a progress token is answered as JSON, whatever it takes', async () => {
    const client = await stage.connect('media');
    const r = await client.callTool({ name: 'slow', arguments: {} });
    expect(r.structuredContent).toEqual({ done: true });
  });

  it('a client that goes away mid-stream aborts the upstream request (the upstream sees its socket close)', async () => {
    const client = await stage.connect('media');
    const reached = new Promise<void>((resolve) => arrived.set('/hang', resolve));
    const progressed = new Promise<void>((resolve) => {
      void client.callTool({ name: 'hang', arguments: {} }, undefined, { onprogress: () => resolve(), timeout: 60_000 }).catch(() => undefined);
    });
    await reached;
    await progressed; // the answer is a stream now
    await client.close();
    for (let i = 0; i < 100 && !closedEarly.has('/hang'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(closedEarly.has('/hang')).toBe(true);
    // The audit line of the call says it was cancelled, not that it failed.
    for (let i = 0; i < 100 && !log.some((e) => e.tool === 'hang'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(log.find((e) => e.tool === 'hang')).toMatchObject({ code: 'CANCELLED' });
  });
});

describe('progress on the wire (raw HTTP to the native /mcp path)', () => {
  const post = (name: string, meta: Record<string, unknown> | undefined, accept = 'application/json, text/event-stream') =>
    httpCall(stage.runtime.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${stage.apiKey('media')}`, 'content-type': 'application/json', accept },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name, arguments: {}, ...(meta ? { _meta: meta } : {}) } }),
    });
  const events = (text: string) => text.split('\n\n').filter((e) => e.startsWith('event: message\ndata: ')).map((e) => JSON.parse(e.slice('event: message\ndata: '.length)) as Record<string, any>);

  it('a call past the interval becomes an event stream: progress notifications with the token, then the response last', async () => {
    const res = await post('slow', { progressToken: 'tok-1' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const all = events(res.text);
    const progress = all.slice(0, -1);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const p of progress) expect(p).toMatchObject({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok-1' } });
    expect(progress.every((p) => p.params.total === undefined)).toBe(true);
    expect(all.at(-1)).toMatchObject({ jsonrpc: '2.0', id: 9, result: { structuredContent: { done: true } } });
  });

  it('the execute layer reports the failed attempt, the retry wait and the next attempt', async () => {
    const res = await post('flaky', { progressToken: 'tok-r' });
    const all = events(res.text);
    const messages = all.slice(0, -1).map((p) => String(p.params.message));
    expect(messages.some((m) => /^attempt 1 failed \(HTTP 503\), retrying in 1\.0 s; attempt 1 of 2, \d+\.\d s elapsed$/.test(m))).toBe(true);
    expect(messages.some((m) => /^attempt 2 of 2, /.test(m))).toBe(true);
    expect(all.at(-1)).toMatchObject({ id: 9, result: { structuredContent: { ok: true } } });
  });

  it('a call that finishes within the interval is answered as JSON although it asked for progress', async () => {
    const res = await post('image', { progressToken: 7 });
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.text).result.content[0].type).toBe('image');
  });

  it('no stream for a client that does not accept one, nor for a token that is neither a string nor an integer', async () => {
    const jsonOnly = await post('slow', { progressToken: 'tok-2' }, 'application/json');
    expect(jsonOnly.headers['content-type']).toBe('application/json');
    expect(JSON.parse(jsonOnly.text).result.structuredContent).toEqual({ done: true });
    const odd = await post('slow', { progressToken: { not: 'a token' } });
    expect(odd.headers['content-type']).toBe('application/json');
  });
});
