// Issue 10: a SIGTERM (here `shutdown()`, and the real signal through the process entry) drains: /readyz turns 503
// at once, the runtime keeps serving through the drain delay, then stops accepting connections, lets the calls in
// flight finish within the drain timeout, cuts what is left at the deadline, and exits 0. A second signal exits at
// once. Every request is counted: none in flight is dropped, none is answered after the deadline.
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRuntime } from '../runtime/start.js';
import { startRuntime } from '../runtime/start.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { deploy, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';
import { killRuntimeProcesses, startRuntimeProcess, waitForListening } from './fixtures/runtime-process.js';

let upstream: TestUpstream;
const runtimes: RunningRuntime[] = [];

beforeAll(async () => {
  // /wait/<ms> answers after that many milliseconds.
  upstream = await startUpstream((req, _body, res) => {
    const ms = Number(/\/wait\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    const timer = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ waited: ms }));
    }, ms);
    res.once('close', () => clearTimeout(timer));
  });
});
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
});
afterAll(async () => {
  killRuntimeProcesses();
  await upstream?.close();
});

function config(): TengineConfig {
  return {
    version: 1,
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [
          {
            name: 'wait',
            description: 'Waits',
            input_schema: { type: 'object', properties: { ms: { type: 'integer' } }, required: ['ms'] },
            base_url: upstream.url,
            http_method: 'GET',
            endpoint_path: '/wait/{ms}',
            timeout: '30s',
          },
        ],
      },
    ],
  };
}

async function boot(drain: { delayMs: number; timeoutMs: number }) {
  const d = await deploy(config());
  const runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, allowDevelopment: true, drain });
  runtimes.push(runtime);
  return { runtime, key: d.apiKeys['alpha/backend']! };
}

/** One tools/call of `wait` over its own connection (no keep-alive), resolving with the status and tool result. */
function callWait(url: string, key: string, ms: number, agentOpts: { agent?: import('node:http').Agent } = {}): Promise<{ status: number; isError: boolean; connection?: string }> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wait', arguments: { ms } } });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/mcp`,
      { method: 'POST', agent: agentOpts.agent ?? false, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          try {
            const parsed = JSON.parse(text) as { result?: { isError?: boolean } };
            resolve({ status: res.statusCode ?? 0, isError: parsed.result?.isError === true, ...(res.headers.connection ? { connection: res.headers.connection } : {}) });
          } catch (e) {
            reject(e as Error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('shutdown drains', () => {
  it('200 calls in flight (some slow): readiness 503 at once, served through the delay, then no new connections; every call answered', async () => {
    const { runtime, key } = await boot({ delayMs: 400, timeoutMs: 10_000 });
    const calls = Array.from({ length: 200 }, (_, i) => callWait(runtime.url, key, i % 4 === 0 ? 4_000 : 2_000));
    await until(() => runtime.inFlight() === 200);
    const t0 = Date.now();
    const done = runtime.shutdown();

    const ready = await fetch(`${runtime.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    // During the delay new requests are still served (load balancers take a moment to notice).
    expect(await callWait(runtime.url, key, 0)).toMatchObject({ status: 200, isError: false });

    await new Promise((r) => setTimeout(r, 450 - (Date.now() - t0)));
    await expect(fetch(`${runtime.url}/livez`)).rejects.toThrow();

    const results = await Promise.all(calls);
    expect(results.filter((r) => r.status === 200 && !r.isError)).toHaveLength(200);
    const outcome = await done;
    expect(outcome.cut).toBe(0);
    expect(runtime.inFlight()).toBe(0);
  }, 30_000);

  it('a call still running at the deadline is cut (never answered late), and the drain ends on time', async () => {
    const { runtime, key } = await boot({ delayMs: 0, timeoutMs: 500 });
    const stuck = callWait(runtime.url, key, 20_000).then(
      () => 'answered',
      () => 'cut',
    );
    await until(() => runtime.inFlight() === 1);
    const t0 = Date.now();
    const outcome = await runtime.shutdown();
    const took = Date.now() - t0;
    expect(outcome.cut).toBe(1);
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3_000);
    expect(await stuck).toBe('cut');
  });

  it('a keep-alive connection: the answer in flight says Connection: close, and the next request is refused at connect (safe to retry elsewhere)', async () => {
    const { runtime, key } = await boot({ delayMs: 0, timeoutMs: 5_000 });
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // One socket: the second call waits for the first; told to close it, the agent opens a new connection, which
      // the draining runtime no longer accepts. Nothing of the second call reached the runtime.
      const zeroWaitsBefore = upstream.requests.filter((r) => r.url === '/wait/0').length;
      const first = callWait(runtime.url, key, 500, { agent });
      await until(() => runtime.inFlight() === 1);
      const second = callWait(runtime.url, key, 0, { agent }).then(
        () => 'answered',
        (e: NodeJS.ErrnoException) => e.code,
      );
      const done = runtime.shutdown();
      expect(await first).toEqual({ status: 200, isError: false, connection: 'close' });
      expect(await second).toBe('ECONNREFUSED');
      expect((await done).cut).toBe(0);
      expect(upstream.requests.filter((r) => r.url === '/wait/0')).toHaveLength(zeroWaitsBefore);
    } finally {
      agent.destroy();
    }
  });
});

describe('signals through the process entry', () => {
  let dir: string;
  let files: { bundle: string; pub: string };
  let key: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tengine-drain-'));
    const d = await deploy(config());
    files = { bundle: path.join(dir, 'bundle.json'), pub: path.join(dir, 'bundle.pub.pem') };
    await writeFile(files.bundle, d.bundle);
    await writeFile(files.pub, d.publicPem);
    key = d.apiKeys['alpha/backend']!;
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) =>
    startRuntimeProcess(['--bundle', files.bundle, '--bundle-public-key', files.pub, '--host', '127.0.0.1', '--port', '0', '--allow-development'], env);

  it('SIGTERM: readiness 503, the call in flight finishes, exit 0 with drain_started and drain_finished logged', async () => {
    const child = start({ TENGINE_DRAIN_DELAY: '300ms', TENGINE_DRAIN_TIMEOUT: '10s' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const { listening, entries } = await waitForListening(child);
    const url = listening.url as string;
    const call = callWait(url, key, 1_200);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect(await call).toMatchObject({ status: 200, isError: false });
    expect(await exited).toBe(0);
    expect(entries.find((e) => e.event === 'drain_started')).toMatchObject({ delay_ms: 300, timeout_ms: 10_000 });
    expect(entries.find((e) => e.event === 'drain_finished')).toMatchObject({ cut: 0 });
  }, 30_000);

  it('a second SIGTERM exits at once with 143', async () => {
    const child = start({ TENGINE_DRAIN_DELAY: '10s' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitForListening(child);
    // At once: the handlers are in place before the port opens.
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(Date.now() - t0).toBeLessThan(2_000);
  }, 30_000);

  it('a bad drain setting stops the boot with USAGE (exit 2)', async () => {
    const child = start({ TENGINE_DRAIN_TIMEOUT: 'soon' });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^tengine runtime: error USAGE: TENGINE_DRAIN_TIMEOUT "soon" is not a duration/);
  }, 30_000);
});
