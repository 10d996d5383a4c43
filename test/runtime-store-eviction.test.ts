// Issue 8 defect 10b: a Redis whose maxmemory-policy evicts keys let an evicted replay guard accept a replayed
// assertion. At boot the runtime reads the eviction settings: any policy but noeviction under a memory limit is
// refused (STORE_EVICTS_KEYS, exit 25) when the bundle holds production projects, unless overridden; otherwise, and
// when CONFIG cannot be read (managed services), it is a warning. Each test drives a private redis-server on a spare
// port (its settings changed with CONFIG SET there only); the shared Redis is never touched.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRuntime, type RunningRuntime, type RuntimeOptions } from '../runtime/start.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { tempDir } from './fixtures/bundle-fixtures.js';
import { inCI, redisServerInstalled, sparePort, startRedisServer, type TestRedisServer } from './fixtures/redis-server.js';
import { bootRefusal, deploy, type TestDeployment } from './fixtures/runtime-harness.js';
import { expectRefusal, killRuntimeProcesses, runRuntimeProcess } from './fixtures/runtime-process.js';

const installed = redisServerInstalled();
const skip = !installed && !inCI();
if (skip) console.warn('Skipping the store eviction tests: no redis-server on the PATH (set CI=1 to fail instead).');

const PRODUCTION: TengineConfig = { version: 1, projects: [{ id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }] }] };
const DEVELOPMENT: TengineConfig = { version: 1, projects: [{ id: 'sandbox', environment: 'development', integrations: [{ id: 'backend', kind: 'api_key' }] }] };
const EVICTION_EVENTS = ['store_evicts_keys', 'store_eviction_unknown'];

describe.skipIf(skip)('Redis eviction settings at boot', () => {
  let server: TestRedisServer;
  let raw: ReturnType<typeof createClient>;
  let production: TestDeployment;
  let development: TestDeployment;
  const running: RunningRuntime[] = [];

  beforeAll(async () => {
    // The settings of issue 8's finding.
    server = await startRedisServer(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    raw = createClient({ url: server.url, RESP: 2, socket: { reconnectStrategy: false } });
    raw.on('error', () => undefined);
    await raw.connect();
    [production, development] = await Promise.all([deploy(PRODUCTION), deploy(DEVELOPMENT)]);
  });
  afterAll(async () => {
    killRuntimeProcesses();
    await Promise.all(running.map((r) => r.close()));
    raw?.destroy();
    await server?.stop();
  });
  beforeEach(async () => {
    await raw.sendCommand(['CONFIG', 'SET', 'maxmemory', '64mb']);
    await raw.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
  });

  async function boot(d: TestDeployment, extra: Partial<RuntimeOptions> = {}, logs: Record<string, unknown>[] = [], url = server.url): Promise<RunningRuntime> {
    const r = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [d.publicPem], host: '127.0.0.1', port: 0, env: {}, redisUrl: url, redisKeyPrefix: 'eviction-test:', log: (e) => logs.push(e), ...extra });
    running.push(r);
    return r;
  }


  it('allkeys-lru under maxmemory 64mb with a production bundle: STORE_EVICTS_KEYS, exit 25, naming the policy; nothing listens', async () => {
    const port = await sparePort();
    const logs: Record<string, unknown>[] = [];
    const err = await bootRefusal(boot(production, { port }, logs));
    expect(err.code).toBe('STORE_EVICTS_KEYS');
    expect(err.exitCode).toBe(25);
    expect(err.message).toContain('maxmemory-policy allkeys-lru with maxmemory 67108864');
    expect(err.hint).toContain('noeviction');
    expect(err.hint).toContain('--allow-evicting-store');
    expect(logs.map((e) => e.event)).not.toContain('listening');
    const attempt = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (res) => `answered ${res.status}`,
      (e: unknown) => String((e as { cause?: { code?: string } }).cause?.code),
    );
    expect(attempt).toBe('ECONNREFUSED');
  });

  it.each(['volatile-ttl', 'volatile-lru', 'allkeys-random'])('%s is refused too: every Tengine key has a TTL, so volatile-* policies evict them as well', async (policy) => {
    await raw.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', policy]);
    const err = await bootRefusal(boot(production));
    expect(err.code).toBe('STORE_EVICTS_KEYS');
    expect(err.message).toContain(`maxmemory-policy ${policy}`);
  });

  it('allowEvictingStore (--allow-evicting-store) boots and logs a warning naming the policy', async () => {
    const logs: Record<string, unknown>[] = [];
    const r = await boot(production, { allowEvictingStore: true }, logs);
    expect((await fetch(`${r.url}/readyz`)).status).toBe(200);
    expect(logs.find((e) => e.event === 'store_evicts_keys')).toMatchObject({ level: 'warn', eviction_policy: 'allkeys-lru', maxmemory_bytes: 67108864 });
  });

  it('noeviction boots without any eviction warning', async () => {
    await raw.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    const logs: Record<string, unknown>[] = [];
    await boot(production, {}, logs);
    expect(logs.filter((e) => EVICTION_EVENTS.includes(e.event as string))).toEqual([]);
  });

  it('maxmemory 0 (no limit) never evicts, whatever the policy: boots without a warning', async () => {
    await raw.sendCommand(['CONFIG', 'SET', 'maxmemory', '0']);
    const logs: Record<string, unknown>[] = [];
    await boot(production, {}, logs);
    expect(logs.filter((e) => EVICTION_EVENTS.includes(e.event as string))).toEqual([]);
  });

  it('a bundle of development projects only (allowDevelopment) is not refused, only warned about', async () => {
    const logs: Record<string, unknown>[] = [];
    await boot(development, { allowDevelopment: true }, logs);
    expect(logs.find((e) => e.event === 'store_evicts_keys')).toMatchObject({ level: 'warn', eviction_policy: 'allkeys-lru' });
  });

  it('the development flag does not weaken the check for the production projects of a bundle', async () => {
    const mixed = await deploy({ version: 1, projects: [...PRODUCTION.projects!, ...DEVELOPMENT.projects!] });
    expect((await bootRefusal(boot(mixed, { allowDevelopment: true }))).code).toBe('STORE_EVICTS_KEYS');
  });

  it('CONFIG disabled (as on managed services): boots, warning what to check', async () => {
    const managed = await startRedisServer(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', '']);
    try {
      const logs: Record<string, unknown>[] = [];
      const r = await boot(production, {}, logs, managed.url);
      const warning = logs.find((e) => e.event === 'store_eviction_unknown');
      expect(warning).toMatchObject({ level: 'warn' });
      expect(warning!.message).toContain('noeviction');
      running.splice(running.indexOf(r), 1);
      await r.close();
    } finally {
      await managed.stop();
    }
  });

  it('through the process entry: exit 25 with one error line and a hint', async () => {
    const { dir, cleanup } = await tempDir('tengine-eviction-');
    try {
      const files = { bundle: path.join(dir, 'b.json'), pub: path.join(dir, 'pub.pem') };
      await Promise.all([writeFile(files.bundle, production.bundle), writeFile(files.pub, production.publicPem)]);
      const out = await runRuntimeProcess(['--bundle', files.bundle, '--bundle-public-key', files.pub, '--port', '0'], { TENGINE_REDIS_URL: server.url });
      expectRefusal(expect, out, 25, 'STORE_EVICTS_KEYS');
    } finally {
      await cleanup();
    }
  });
});
