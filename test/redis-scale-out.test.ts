// Scale-out behind a load balancer (issue 10 item 7; docs/storage.md "Redis topologies"): two runtime processes,
// started as an orchestrator would (`runtime/main.ts` with TENGINE_REDIS_CLUSTER_NODES naming a private three-master
// Redis Cluster), behind a loopback round-robin balancer that retries a request on the other instance when its
// connection fails before any response byte. A member session minted on one instance works on the other, a usage
// limit admits exactly its limit across both, and SIGKILLing one instance mid-run loses no call. Every process is
// started by this file and stopped by pid; the shared Redis on 6379 is not used.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TengineConfig } from '../schemas/config-types.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { assertionKeyConfig, generateAssertionKey, generateRuntimeKeys, mintAssertion, type TestAssertionKey } from './fixtures/member-fixtures.js';
import { inCI, redisServerInstalled, sparePort } from './fixtures/redis-server.js';
import { rawCommand, startRedisCluster, startSentinelGroup, type TestRedisCluster } from './fixtures/redis-topologies.js';
import { startRoundRobinBalancer, type RoundRobinBalancer } from './fixtures/round-robin-balancer.js';
import { deploy, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';
import { expectRefusal, killRuntimeProcesses, runRuntimeProcess, startRuntimeProcess, stopRuntimeProcess, waitForListening } from './fixtures/runtime-process.js';

const installed = redisServerInstalled();
if (!installed && !inCI()) console.warn('Skipping the scale-out test: redis-server is not installed.');

const LIMIT = 25;

/** What one tools/call answered: `ok` or the tool error code. */
function outcome(body: unknown): string {
  const result = (body as { result?: { isError?: boolean; _meta?: Record<string, { code: string }> } }).result;
  if (result === undefined) return `no result: ${JSON.stringify(body).slice(0, 200)}`;
  return result.isError ? (result._meta?.['tengine.dev/error']?.code ?? 'unknown') : 'ok';
}

function tally(outcomes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}

/** Runs `n` calls with at most `width` in flight, in order of start; `after(i)` runs as call i completes. */
async function pool<T>(n: number, width: number, call: (i: number) => Promise<T>, after: (done: number) => void = () => undefined): Promise<T[]> {
  const out: T[] = new Array(n);
  let started = 0;
  let done = 0;
  const worker = async () => {
    while (started < n) {
      const i = started++;
      out[i] = await call(i);
      after(++done);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

describe.skipIf(!installed && !inCI())('two runtime instances on a Redis Cluster behind a round-robin balancer', () => {
  let cluster: TestRedisCluster | undefined;
  let balancer: RoundRobinBalancer | undefined;
  let upstream: TestUpstream | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  const children: ChildProcess[] = [];
  const direct: string[] = [];
  let apiKey = '';
  let key: TestAssertionKey;

  beforeAll(async () => {
    if (!installed) throw new Error('redis-server is not on the PATH and CI is set');
    // a_free answers after 40 ms, so calls are in flight on the instance when it is killed.
    const slow = (req: IncomingMessage, _body: string, res: ServerResponse) =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ path: req.url }));
      }, req.url?.startsWith('/a_free/') ? 40 : 0);
    [cluster, balancer, upstream] = await Promise.all([startRedisCluster(), startRoundRobinBalancer(), startUpstream(slow)]);
    key = generateAssertionKey('ES256', 'backend-v1');
    const tool = (name: string, extra: Record<string, unknown> = {}) => ({
      name,
      description: `Tool ${name}`,
      input_schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      base_url: upstream!.url,
      http_method: 'GET' as const,
      endpoint_path: `/${name}/{id}`,
      ...extra,
    });
    const config: TengineConfig = {
      version: 1,
      // Each instance is also reached directly by address (as a balancer's health check does), besides the public URL.
      runtime: { allowed_hosts: ['127.0.0.1'] },
      projects: [
        {
          id: 'alpha',
          environment: 'development',
          assertion_keys: [assertionKeyConfig(key)],
          integrations: [{ id: 'backend', kind: 'api_key' }],
          tools: [tool('a_free'), tool('a_limited', { usage_limits: [{ limit: LIMIT, window: '1h', per: 'project' }] })],
        },
      ],
    };
    const d = await deploy(config);
    apiKey = d.apiKeys['alpha/backend']!;
    const dir = await tempDir('tengine-scale-out-');
    cleanup = dir.cleanup;
    const files = { bundle: path.join(dir.dir, 'bundle.json'), pub: path.join(dir.dir, 'pub.pem'), keys: path.join(dir.dir, 'runtime-keys.json') };
    await Promise.all([writeFile(files.bundle, d.bundle), writeFile(files.pub, d.publicPem), writeFile(files.keys, (await generateRuntimeKeys()).text)]);
    const env = { TENGINE_REDIS_CLUSTER_NODES: cluster!.urls.join(','), TENGINE_REDIS_KEY_PREFIX: `scale-out:${randomBytes(4).toString('hex')}:` };
    for (let i = 0; i < 2; i++) {
      const port = await sparePort();
      const child = startRuntimeProcess(['--bundle', files.bundle, '--bundle-public-key', files.pub, '--runtime-keys', files.keys, '--port', String(port), '--public-url', balancer!.url, '--allow-development'], env);
      children.push(child);
      await waitForListening(child);
      direct.push(`http://127.0.0.1:${port}`);
    }
    balancer!.setTargets(direct);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(children.map((c) => stopRuntimeProcess(c)));
    killRuntimeProcesses();
    await balancer?.close();
    await upstream?.close();
    await cluster?.stop();
    await cleanup?.();
  });

  const mcp = async (base: string, token: string, tool: string) => {
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: tool === 'mcp_whoami' ? {} : { id: 'x' } } }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('both instances are ready on the Redis store, each on its own port', async () => {
    for (const base of direct) {
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', store: 'redis' });
    }
  });

  it('a member session token minted on instance 1 works on instance 2 and through the balancer; its assertion is REPLAYED on instance 2', async () => {
    const assertion = await mintAssertion(key, 'alpha', { claims: { sub: 'member-42', roles: ['agent'], jti: `jti-${randomBytes(8).toString('hex')}` } });
    const exchange = (base: string) =>
      fetch(`${base}/api/v1/mcp/session-token`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ member_assertion: assertion }) });
    const minted = await exchange(direct[0]!);
    const body = (await minted.json()) as { token: string };
    expect(minted.status, JSON.stringify(body)).toBe(200);
    for (const base of [direct[1]!, balancer!.url, balancer!.url]) {
      const who = await mcp(base, body.token, 'mcp_whoami');
      expect(who.status, JSON.stringify(who.body)).toBe(200);
      expect(who.body.result.structuredContent).toMatchObject({ auth: 'member', project_id: 'alpha', member: { id: 'member-42', roles: ['agent'] } });
    }
    const replay = await exchange(direct[1]!);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ detail: 'Invalid member assertion: REPLAYED', code: 'REPLAYED' });
  });

  it(`a limit of ${LIMIT} per hour admits exactly ${LIMIT} of ${4 * LIMIT} calls spread over both instances`, async () => {
    const before = new Map(balancer!.stats.answeredBy);
    const outcomes = await pool(4 * LIMIT, 10, async () => outcome((await mcp(balancer!.url, apiKey, 'a_limited')).body));
    expect(tally(outcomes)).toEqual({ ok: LIMIT, USAGE_LIMIT_EXCEEDED: 3 * LIMIT });
    for (const base of direct) expect((balancer!.stats.answeredBy.get(base) ?? 0) - (before.get(base) ?? 0)).toBeGreaterThanOrEqual(LIMIT);
    // The counter is one key on one cluster node, whichever instance counted: direct calls are refused too.
    for (const base of direct) expect(outcome((await mcp(base, apiKey, 'a_limited')).body)).toBe('USAGE_LIMIT_EXCEEDED');
  });

  it('SIGKILL of instance 1 mid-run loses no call: the balancer retries refused and reset connections on instance 2', async () => {
    const TOTAL = 160;
    const retriesBefore = balancer!.stats.retries;
    const sentBefore = balancer!.stats.retriesAfterSend;
    const upstreamBefore = upstream!.requests.length;
    const survivorBefore = balancer!.stats.answeredBy.get(direct[1]!) ?? 0;
    let killedAt: number | undefined;
    const victim = children[0]!;
    const exited = new Promise((resolve) => victim.once('exit', resolve));
    const outcomes = await pool(
      TOTAL,
      8,
      async () => {
        const res = await mcp(balancer!.url, apiKey, 'a_free');
        return res.status === 200 ? outcome(res.body) : `HTTP ${res.status}`;
      },
      (done) => {
        if (done === 40 && killedAt === undefined) {
          killedAt = done;
          process.kill(victim.pid!, 'SIGKILL');
        }
      },
    );
    await exited;
    expect(killedAt).toBe(40);
    expect(victim.signalCode).toBe('SIGKILL');
    expect(tally(outcomes)).toEqual({ ok: TOTAL });
    expect(balancer!.stats.exhausted).toBe(0);
    expect(balancer!.stats.cut).toBe(0);
    // Calls in flight on the killed instance were reset after they had been sent, and retried; round-robin then kept
    // sending every other request to the dead instance, each refused and retried on the survivor.
    const inFlightRetried = balancer!.stats.retriesAfterSend - sentBefore;
    expect(inFlightRetried).toBeGreaterThan(0);
    expect(balancer!.stats.retries - retriesBefore - inFlightRetried).toBeGreaterThan(0);
    // A call reset in flight may have reached the upstream before the kill: at most those are repeated upstream.
    const upstreamCalls = upstream!.requests.length - upstreamBefore;
    expect(upstreamCalls).toBeGreaterThanOrEqual(TOTAL);
    expect(upstreamCalls).toBeLessThanOrEqual(TOTAL + inFlightRetried);
    expect((balancer!.stats.answeredBy.get(direct[1]!) ?? 0) - survivorBefore).toBeGreaterThanOrEqual(TOTAL - 40);
    // The survivor still shares its state: the project's limit stays spent.
    expect(outcome((await mcp(balancer!.url, apiKey, 'a_limited')).body)).toBe('USAGE_LIMIT_EXCEEDED');
  }, 60_000);
});

describe('Redis topology settings through the process entry', () => {
  it.each([
    [{ TENGINE_REDIS_URL: 'redis://127.0.0.1:1', TENGINE_REDIS_CLUSTER_NODES: 'redis://127.0.0.1:2' }, 'TENGINE_REDIS_URL and TENGINE_REDIS_CLUSTER_NODES are both set'],
    [{ TENGINE_REDIS_SENTINELS: '127.0.0.1:26379' }, 'TENGINE_REDIS_SENTINELS is set without TENGINE_REDIS_SENTINEL_NAME'],
    [{ TENGINE_REDIS_CLUSTER_NODES: 'redis://:pw-one@127.0.0.1:2,redis://:pw-two@127.0.0.1:3' }, 'TENGINE_REDIS_CLUSTER_NODES entries differ in scheme, user or password'],
  ])('%j: exit 2 USAGE with a hint, before any file is read, no password echoed', async (env, message) => {
    const out = await runRuntimeProcess(['--bundle', '/nonexistent/bundle.json', '--bundle-public-key', '/nonexistent/k.pem'], env);
    expectRefusal(expect, out, 2, 'USAGE');
    expect(out.stderr).toContain(message);
    expect(out.stderr).not.toMatch(/pw-one|pw-two/);
  });

  it('an unreachable cluster fails the boot with STORE_UNAVAILABLE (exit 24) naming the nodes without credentials', async () => {
    const { dir, cleanup } = await tempDir('tengine-scale-out-refusal-');
    try {
      const d = await deploy({ version: 1, projects: [{ id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }] }] });
      await Promise.all([writeFile(path.join(dir, 'b.json'), d.bundle), writeFile(path.join(dir, 'k.pem'), d.publicPem)]);
      const port = await sparePort();
      const out = await runRuntimeProcess(['--bundle', path.join(dir, 'b.json'), '--bundle-public-key', path.join(dir, 'k.pem')], { TENGINE_REDIS_CLUSTER_NODES: `redis://app:secret-pw@127.0.0.1:${port}` });
      expectRefusal(expect, out, 24, 'STORE_UNAVAILABLE');
      expect(out.stderr).toContain(`cluster redis://127.0.0.1:${port} is unreachable: no listed cluster node answered`);
      expect(out.stderr).toContain('TENGINE_REDIS_CLUSTER_NODES');
      expect(out.stderr).not.toContain('secret-pw');
    } finally {
      await cleanup();
    }
  });
});

describe.skipIf(!installed && !inCI())('a runtime process on a Sentinel group (TENGINE_REDIS_SENTINELS)', () => {
  it('boots on the master the sentinel names, is ready on the Redis store, and records the served bundle there', async () => {
    const group = await startSentinelGroup('process-test');
    const { dir, cleanup } = await tempDir('tengine-sentinel-process-');
    let child: ChildProcess | undefined;
    try {
      const d = await deploy({ version: 1, projects: [{ id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }] }] });
      await Promise.all([writeFile(path.join(dir, 'b.json'), d.bundle), writeFile(path.join(dir, 'k.pem'), d.publicPem)]);
      child = startRuntimeProcess(['--bundle', path.join(dir, 'b.json'), '--bundle-public-key', path.join(dir, 'k.pem'), '--port', '0'], {
        TENGINE_REDIS_SENTINELS: group.sentinels.join(','),
        TENGINE_REDIS_SENTINEL_NAME: group.name,
        TENGINE_REDIS_KEY_PREFIX: 'sentinel-process:',
      });
      const { listening } = await waitForListening(child);
      expect(listening.store).toBe('redis');
      const ready = await fetch(`${listening.url as string}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', store: 'redis' });
      // The boot wrote the served-bundle record through the sentinel to the master.
      expect(await rawCommand(group.master.port, 'GET sentinel-process:bundle:served')).toMatch(/sha256:[0-9a-f]{64}/);
      expect(await stopRuntimeProcess(child)).toEqual({ code: 0, signal: null });
    } finally {
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      await cleanup();
      await group.stop();
    }
  }, 60_000);
});
