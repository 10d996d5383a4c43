// The runtime process as deployed (runtime/main.ts, stderr through the buffered pino destination): every request's
// audit line reaches stderr, also the ones still buffered when SIGTERM arrives (docs/observability.md §1, §3).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { httpCall } from './fixtures/http-call.js';
import { killRuntimeProcesses, startRuntimeProcess, stopRuntimeProcess, waitForListening } from './fixtures/runtime-process.js';
import { deploy, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';

let upstream: TestUpstream;
let dir: string;
let cleanup: () => Promise<void>;
let apiKey: string;

beforeAll(async () => {
  upstream = await startUpstream();
  ({ dir, cleanup } = await tempDir('tengine-obs-process-'));
  const d = await deploy({
    version: 1,
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [{ name: 'echo', description: 'echo', input_schema: { type: 'object' }, base_url: upstream.url, http_method: 'GET', endpoint_path: '/echo' }],
      },
    ],
  });
  apiKey = d.apiKeys['alpha/backend']!;
  await writeFile(path.join(dir, 'bundle.json'), d.bundle);
  await writeFile(path.join(dir, 'bundle.pub.pem'), d.publicPem);
});

afterAll(async () => {
  killRuntimeProcesses();
  await upstream?.close();
  await cleanup?.();
});

describe('issue 10 §3: audit lines of the runtime process', () => {
  it('40 calls, then SIGTERM: 40 tool_call audit lines on stderr, each with the id the client and the upstream saw', async () => {
    const child = startRuntimeProcess(['--bundle', path.join(dir, 'bundle.json'), '--bundle-public-key', path.join(dir, 'bundle.pub.pem'), '--host', '127.0.0.1', '--port', '0', '--allow-development']);
    const { listening, stderr } = await waitForListening(child);
    const base = String(listening.url);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await httpCall(`${base}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo', arguments: {} } }),
      });
      expect(res.status).toBe(200);
      ids.push(res.headers['x-tengine-request-id'] as string);
    }
    expect(upstream.requests.slice(-40).map((r) => r.headers['x-tengine-request-id'])).toEqual(ids);
    expect(await stopRuntimeProcess(child)).toEqual({ code: 0, signal: null });
    const lines = stderr().split('\n').filter((l) => l !== '');
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const audit = entries.filter((e) => e.audit === true);
    expect(audit.map((e) => e.request_id)).toEqual(ids);
    for (const e of audit) expect(e).toMatchObject({ event: 'tool_call', project: 'alpha', tool: 'echo', code: 'OK', status: 200, upstream_status: 200 });
    expect(stderr()).not.toContain(apiKey);
  });
});
