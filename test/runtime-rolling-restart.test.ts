// Issue 10 "done when": a rolling restart under load loses zero calls. Two runtime processes (the process entry, as
// an orchestrator starts them) behind the loopback round-robin balancer, which retries a request on the other
// instance only when its connection fails before any response byte. Under steady load each instance in turn gets
// SIGTERM, drains (readiness 503, serves through the delay, stops accepting, finishes its calls), exits 0 and is
// replaced by a new process; every call is counted, and none fails or is cut.
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { generateRuntimeKeys } from './fixtures/member-fixtures.js';
import { sparePort } from './fixtures/redis-server.js';
import { startRoundRobinBalancer, type RoundRobinBalancer } from './fixtures/round-robin-balancer.js';
import { deploy, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';
import { killRuntimeProcesses, startRuntimeProcess, waitForListening } from './fixtures/runtime-process.js';

let balancer: RoundRobinBalancer;
let upstream: TestUpstream;
let cleanup: () => Promise<void>;
let files: { bundle: string; pub: string; keys: string };
let apiKey: string;

beforeAll(async () => {
  [balancer, upstream] = await Promise.all([
    startRoundRobinBalancer(),
    // Calls take 20-200 ms, so some are always in flight on the instance being stopped.
    startUpstream((req, _body, res) => {
      const ms = Number(/\/work\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"done":true}');
      }, ms);
    }),
  ]);
  const config: TengineConfig = {
    version: 1,
    runtime: { allowed_hosts: ['127.0.0.1'] },
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key' }],
        tools: [{ name: 'work', description: 'Works a while', input_schema: { type: 'object', properties: { ms: { type: 'integer' } }, required: ['ms'] }, base_url: upstream.url, http_method: 'GET', endpoint_path: '/work/{ms}' }],
      },
    ],
  };
  const d = await deploy(config);
  apiKey = d.apiKeys['alpha/backend']!;
  const dir = await tempDir('tengine-rolling-');
  cleanup = dir.cleanup;
  files = { bundle: path.join(dir.dir, 'bundle.json'), pub: path.join(dir.dir, 'pub.pem'), keys: path.join(dir.dir, 'runtime-keys.json') };
  await Promise.all([writeFile(files.bundle, d.bundle), writeFile(files.pub, d.publicPem), writeFile(files.keys, (await generateRuntimeKeys()).text)]);
}, 60_000);

afterAll(async () => {
  killRuntimeProcesses();
  await balancer?.close();
  await upstream?.close();
  await cleanup?.();
});

interface Instance {
  child: ChildProcess;
  origin: string;
  exited: Promise<number | null>;
}

async function startInstance(): Promise<Instance> {
  const port = await sparePort();
  const child = startRuntimeProcess(
    ['--bundle', files.bundle, '--bundle-public-key', files.pub, '--runtime-keys', files.keys, '--port', String(port), '--public-url', balancer.url, '--allow-development'],
    { TENGINE_DRAIN_DELAY: '500ms', TENGINE_DRAIN_TIMEOUT: '10s' },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitForListening(child);
  return { child, origin: `http://127.0.0.1:${port}`, exited };
}

describe('a rolling restart under load', () => {
  it('replaces both instances one after the other with zero failed or cut calls', async () => {
    let instances = [await startInstance(), await startInstance()];
    balancer.setTargets(instances.map((i) => i.origin));

    let running = true;
    const outcomes = { ok: 0, failed: [] as string[] };
    const worker = async (w: number) => {
      for (let i = 0; running && i < 5_000; i++) {
        try {
          const res = await fetch(`${balancer.url}/mcp`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'work', arguments: { ms: 20 + ((w * 37 + i * 11) % 180) } } }),
          });
          const body = (await res.json()) as { result?: { isError?: boolean } };
          if (res.status === 200 && body.result && body.result.isError !== true) outcomes.ok++;
          else outcomes.failed.push(`${res.status} ${JSON.stringify(body).slice(0, 160)}`);
        } catch (e) {
          outcomes.failed.push(String(e));
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await new Promise((r) => setTimeout(r, 500));

    for (let k = 0; k < 2; k++) {
      const old = instances[0]!;
      // The orchestrator: signal the old instance; the balancer notices readiness 503 (here: told at once, as a
      // readiness probe would within the drain delay), while calls in flight on the old instance finish there.
      old.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      expect((await fetch(`${old.origin}/readyz`)).status).toBe(503);
      const replacement = await startInstance();
      instances = [instances[1]!, replacement];
      balancer.setTargets(instances.map((i) => i.origin));
      expect(await old.exited).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
    }

    running = false;
    await Promise.all(workers);
    expect(outcomes.failed).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(50);
    expect(balancer.stats.exhausted).toBe(0);
    expect(balancer.stats.cut).toBe(0);
    for (const i of instances) i.child.kill('SIGTERM');
    expect(await Promise.all(instances.map((i) => i.exited))).toEqual([0, 0]);
  }, 90_000);
});
