import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRuntime } from '../runtime/start.js';
import { startTestRuntime, startUpstream, loopbackTool, type TestUpstream } from './fixtures/runtime-harness.js';

// Hono's Node adapter is loaded at the first request that is not POST /mcp (runtime/start.ts honoListener). The
// requests that arrive while it loads must all wait for it and be answered as later ones are.

let upstream: TestUpstream;
let runtime: RunningRuntime;

beforeAll(async () => {
  upstream = await startUpstream();
  ({ runtime } = await startTestRuntime({ version: 1, projects: [{ id: 'acme', environment: 'development', integrations: [{ id: 'backend', kind: 'api_key' }], tools: [loopbackTool(upstream.url, 'echo')] }] } as never, {}, { allowDevelopment: true }));
});
afterAll(async () => {
  await runtime?.close();
  await upstream?.close();
});

async function answer(method: string, path: string, body?: string): Promise<string> {
  const res = await fetch(`${runtime.url}${path}`, { method, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.text();
  return `${res.status} ${text.replace(/"request_id":"[^"]*"/g, '')}`;
}

describe('first requests while the HTTP adapter loads', () => {
  it('concurrent first requests (GET and POST with a body) are all answered as steady-state ones are, never 500', async () => {
    const requests: [string, string, string?][] = [
      ['GET', '/livez'],
      ['GET', '/readyz'],
      ['POST', '/register', JSON.stringify({ redirect_uris: ['https://client.example/cb'], client_name: 'x' })],
      ['GET', '/no-such-path'],
    ];
    const first = await Promise.all([...requests, ...requests, ...requests].map(([m, p, b]) => answer(m, p, b)));
    const later = await Promise.all([...requests, ...requests, ...requests].map(([m, p, b]) => answer(m, p, b)));
    expect(first).toEqual(later);
    for (const a of first) expect(a.startsWith('500')).toBe(false);
    expect(first[0]).toMatch(/^200 /);
  });
});
