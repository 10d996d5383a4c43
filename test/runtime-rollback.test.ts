// Issue 8 defect 6: an older, validly signed bundle booted, and an API key revoked in the newer one worked again.
// A runtime now records the newest bundle its deployment has served (store key `bundle:served`, ordered by the
// bundle's created_at) and refuses an older one (BUNDLE_ROLLBACK, exit 18) unless --allow-rollback-to names it.
// Runs against the shared Redis on 127.0.0.1:6379 with its own key prefix (one per test), deleting only its own
// keys; skipped without Redis locally, failing (never skipping) when CI is set.
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintCredential, type MintedCredential } from '../cli/keys/mint-credential.js';
import { checkRollback, recordServedBundle, SERVED_BUNDLE_KEY } from '../runtime/load/rollback-check.js';
import { RuntimeBootError, startRuntime, type RunningRuntime, type RuntimeOptions } from '../runtime/start.js';
import { createMemoryStore } from '../runtime/store/memory-store.js';
import { createRedisStore } from '../runtime/store/redis-store.js';
import type { Store } from '../runtime/store/store.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { generatePemKeyPair, tempDir } from './fixtures/bundle-fixtures.js';
import { deleteKeysWithPrefix, inCI, probeRedis, sparePort } from './fixtures/redis-server.js';
import { bootRefusal, deploy } from './fixtures/runtime-harness.js';
import { expectRefusal, killRuntimeProcesses, runRuntimeProcess, startRuntimeProcess, stopRuntimeProcess, waitForListening } from './fixtures/runtime-process.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const RUN = `tengine-test:rollback:${randomBytes(6).toString('hex')}:`;
const TIME_A = '2026-03-01T10:00:00Z';
const TIME_B = '2026-03-02T10:00:00Z';

const redisProbe = await probeRedis(REDIS_URL);
const skipRedis = redisProbe !== undefined && !inCI();
if (skipRedis) console.warn(`Skipping the bundle rollback tests: ${redisProbe}. Start Redis on ${REDIS_URL} or set CI=1 to fail instead.`);

interface Built {
  bundle: Uint8Array;
  digest: string;
  createdAt: string;
}

/** `sha256:<hex>` of the signed payload bytes, computed independently of the runtime. */
function digestOf(bundle: Uint8Array): string {
  const payload = (JSON.parse(Buffer.from(bundle).toString('utf8')) as { payload: string }).payload;
  return `sha256:${createHash('sha256').update(Buffer.from(payload, 'base64url')).digest('hex')}`;
}

/** Seconds since 1970 of an ISO time, as the record stores it. */
const seconds = (iso: string) => Date.parse(iso) / 1000;

describe.skipIf(skipRedis)('bundle rollback protection with the shared Redis', () => {
  const signing = generatePemKeyPair('ed25519');
  let revoked: MintedCredential;
  let bundleA: Built;
  let bundleA2: Built;
  let bundleB: Built;
  let raw: ReturnType<typeof createClient>;
  let testNo = 0;
  const running: RunningRuntime[] = [];
  const stores: Store[] = [];

  async function build(config: TengineConfig, createdAt: string): Promise<Built> {
    const d = await deploy(config, { createdAt, signingKey: signing });
    return { bundle: d.bundle, digest: digestOf(d.bundle), createdAt };
  }

  beforeAll(async () => {
    if (redisProbe !== undefined) throw new Error(`Redis at ${REDIS_URL} is unreachable and CI is set: ${redisProbe}`);
    revoked = mintCredential('api_key');
    const withKey: TengineConfig = {
      version: 1,
      projects: [{ id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key', api_keys: [{ sha256: revoked.sha256, name: 'leaked' }] }] }],
    };
    const withoutKey: TengineConfig = { version: 1, projects: [{ id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }] }] };
    bundleA = await build(withKey, TIME_A); // the older bundle: K is valid
    bundleA2 = await build(withKey, TIME_A); // built at the same time, other content (another minted key)
    bundleB = await build(withoutKey, TIME_B); // the newer bundle: K was revoked
    expect(new Set([bundleA.digest, bundleA2.digest, bundleB.digest]).size).toBe(3);
    raw = createClient({ url: REDIS_URL, RESP: 2, socket: { reconnectStrategy: false } });
    raw.on('error', () => undefined);
    await raw.connect();
  });

  afterAll(async () => {
    killRuntimeProcesses();
    await Promise.all(running.map((r) => r.close()));
    await Promise.all(stores.map((s) => s.close()));
    raw?.destroy();
    if (redisProbe === undefined) await deleteKeysWithPrefix(REDIS_URL, RUN);
  });

  /** A key prefix of its own: each test is one deployment. */
  const deployment = () => `${RUN}${++testNo}:`;

  async function boot(b: Built, prefix: string, extra: Partial<RuntimeOptions> = {}, logs: Record<string, unknown>[] = []): Promise<RunningRuntime> {
    const r = await startRuntime({ bundle: b.bundle, bundlePublicKeys: [signing.publicPem], host: '127.0.0.1', port: 0, env: {}, redisUrl: REDIS_URL, redisKeyPrefix: prefix, log: (e) => logs.push(e), ...extra });
    running.push(r);
    return r;
  }

  async function stop(r: RunningRuntime): Promise<void> {
    running.splice(running.indexOf(r), 1);
    await r.close();
  }


  /** Status of a tools/list with the revoked key K. */
  async function withRevokedKey(url: string): Promise<number> {
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${revoked.secret}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    await res.arrayBuffer();
    return res.status;
  }

  const record = (prefix: string) => raw.get(prefix + SERVED_BUNDLE_KEY);

  it('B (newer, K revoked) served, then A (older, K valid): BUNDLE_ROLLBACK, exit 18, naming both; nothing listens, K is never accepted', async () => {
    const p = deployment();
    const b = await boot(bundleB, p);
    expect(await withRevokedKey(b.url)).toBe(401);
    expect(await record(p)).toBe(`${seconds(TIME_B)} ${bundleB.digest}`);
    // A long TTL, restarted by every boot: the record outlives quiet periods, never the deployment.
    expect(Number(await raw.pTTL(p + SERVED_BUNDLE_KEY))).toBeGreaterThan(399 * 24 * 3600 * 1000);
    await stop(b);

    const port = await sparePort();
    const logs: Record<string, unknown>[] = [];
    const err = await bootRefusal(boot(bundleA, p, { port }, logs));
    expect(err.code).toBe('BUNDLE_ROLLBACK');
    expect(err.exitCode).toBe(18);
    for (const part of [bundleA.digest, bundleB.digest, TIME_A, TIME_B]) expect(err.message).toContain(part);
    expect(err.hint).toContain(`--allow-rollback-to ${bundleA.digest}`);
    expect(logs.map((e) => e.event)).not.toContain('listening');
    const attempt = await withRevokedKey(`http://127.0.0.1:${port}`).then(
      (status) => `answered ${status}`,
      (e: unknown) => String((e as { cause?: { code?: string } }).cause?.code),
    );
    expect(attempt).toBe('ECONNREFUSED');
    expect(await record(p)).toBe(`${seconds(TIME_B)} ${bundleB.digest}`);
  });

  it('--allow-rollback-to naming A boots A with a warning (K works again, on purpose); the record stays at B, so A without the flag is refused again', async () => {
    const p = deployment();
    await stop(await boot(bundleB, p));
    const logs: Record<string, unknown>[] = [];
    const a = await boot(bundleA, p, { allowRollbackTo: bundleA.digest }, logs);
    expect(logs.find((e) => e.event === 'bundle_rollback_allowed')).toMatchObject({ level: 'warn', bundle_digest: bundleA.digest, newest_digest: bundleB.digest, newest_created_at: TIME_B });
    expect(await withRevokedKey(a.url)).toBe(200);
    await stop(a);
    expect(await record(p)).toBe(`${seconds(TIME_B)} ${bundleB.digest}`);
    expect((await bootRefusal(boot(bundleA, p))).code).toBe('BUNDLE_ROLLBACK');
  });

  it('--allow-rollback-to naming another bundle is still BUNDLE_ROLLBACK, and the message says which bundle it names', async () => {
    const p = deployment();
    await stop(await boot(bundleB, p));
    const other = `sha256:${'0'.repeat(64)}`;
    const err = await bootRefusal(boot(bundleA, p, { allowRollbackTo: other }));
    expect(err.code).toBe('BUNDLE_ROLLBACK');
    expect(err.message).toContain(`--allow-rollback-to names ${other}, not this bundle`);
    // Naming the newer bundle does not allow the older one either.
    expect((await bootRefusal(boot(bundleA, p, { allowRollbackTo: bundleB.digest }))).code).toBe('BUNDLE_ROLLBACK');
  });

  it('a newer bundle boots over an older record and raises it; the same bundle boots again; a leftover --allow-rollback-to only warns', async () => {
    const p = deployment();
    await stop(await boot(bundleA, p));
    expect(await record(p)).toBe(`${seconds(TIME_A)} ${bundleA.digest}`);
    await stop(await boot(bundleB, p));
    expect(await record(p)).toBe(`${seconds(TIME_B)} ${bundleB.digest}`);
    const logs: Record<string, unknown>[] = [];
    await stop(await boot(bundleB, p, { allowRollbackTo: bundleA.digest }, logs));
    expect(logs.find((e) => e.event === 'allow_rollback_to_unused')).toMatchObject({ level: 'warn', allow_rollback_to: bundleA.digest });
    expect(logs.map((e) => e.event)).not.toContain('bundle_rollback_allowed');
  });

  it('a bundle that fails a later boot check (LISTEN_FAILED) does not raise the record, so it cannot lock out the bundle before it', async () => {
    const p = deployment();
    await stop(await boot(bundleA, p));
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const err = await bootRefusal(boot(bundleB, p, { port: (blocker.address() as { port: number }).port }));
      expect(err.code).toBe('LISTEN_FAILED');
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    expect(await record(p)).toBe(`${seconds(TIME_A)} ${bundleA.digest}`);
    await stop(await boot(bundleA, p));
  });

  it('same created_at, another digest: cannot be ordered, so it boots with a warning; the record keeps the first', async () => {
    const p = deployment();
    await stop(await boot(bundleA, p));
    const logs: Record<string, unknown>[] = [];
    await stop(await boot(bundleA2, p, {}, logs));
    expect(logs.find((e) => e.event === 'bundle_same_build_time')).toMatchObject({ level: 'warn', bundle_digest: bundleA2.digest, other_digest: bundleA.digest });
    expect(await record(p)).toBe(`${seconds(TIME_A)} ${bundleA.digest}`);
  });

  it('two deploys racing: an instance overtaken between its check and its record is refused; the record keeps the newer', async () => {
    const p = deployment();
    const [storeA, storeB] = await Promise.all([createRedisStore({ url: REDIS_URL, keyPrefix: p }), createRedisStore({ url: REDIS_URL, keyPrefix: p })]);
    stores.push(storeA, storeB);
    const older = { digest: bundleA.digest, createdAt: TIME_A };
    await checkRollback(storeA, older, undefined, undefined); // nothing recorded yet: A passes the check
    await recordServedBundle(storeB, { digest: bundleB.digest, createdAt: TIME_B }, undefined); // B boots meanwhile
    const err = await bootRefusal(recordServedBundle(storeA, older, undefined));
    expect(err.code).toBe('BUNDLE_ROLLBACK');
    expect(await record(p)).toBe(`${seconds(TIME_B)} ${bundleB.digest}`);
  });

  it('four instances booting A and B at once: every B serves, each A serves or is refused, the record ends at B, and A cannot boot afterwards', async () => {
    const p = deployment();
    const order = [bundleA, bundleB, bundleA, bundleB];
    const results = await Promise.allSettled(order.map((b) => boot(b, p)));
    results.forEach((r, i) => {
      if (order[i] === bundleB) expect(r.status).toBe('fulfilled');
      else if (r.status === 'rejected') expect((r.reason as RuntimeBootError).code).toBe('BUNDLE_ROLLBACK');
    });
    for (const r of results) if (r.status === 'fulfilled') await stop(r.value);
    expect(await record(p)).toBe(`${seconds(TIME_B)} ${bundleB.digest}`);
    expect((await bootRefusal(boot(bundleA, p))).code).toBe('BUNDLE_ROLLBACK');
  });

  it('through the process entry: B served, then A exits 18 with one error line and the hint naming its digest', async () => {
    const p = deployment();
    const { dir, cleanup } = await tempDir('tengine-rollback-');
    try {
      const files = { a: path.join(dir, 'a.json'), b: path.join(dir, 'b.json'), pub: path.join(dir, 'pub.pem') };
      await Promise.all([writeFile(files.a, bundleA.bundle), writeFile(files.b, bundleB.bundle), writeFile(files.pub, signing.publicPem)]);
      const env = { TENGINE_REDIS_URL: REDIS_URL, TENGINE_REDIS_KEY_PREFIX: p };
      const child = startRuntimeProcess(['--bundle', files.b, '--bundle-public-key', files.pub, '--port', '0'], env);
      const { listening } = await waitForListening(child);
      expect((await fetch(`${listening.url as string}/readyz`)).status).toBe(200);
      expect(await stopRuntimeProcess(child)).toEqual({ code: 0, signal: null });
      const out = await runRuntimeProcess(['--bundle', files.a, '--bundle-public-key', files.pub, '--port', '0'], env);
      expectRefusal(expect, out, 18, 'BUNDLE_ROLLBACK');
      expect(out.stderr).toContain(`--allow-rollback-to ${bundleA.digest}`);
    } finally {
      await cleanup();
    }
  });
});

describe('with the memory store', () => {
  it('the record dies with the process: after a restart an older bundle boots (rollback protection needs Redis, docs/storage.md)', async () => {
    const signing = generatePemKeyPair('ed25519');
    const config: TengineConfig = { version: 1, projects: [{ id: 'crm', environment: 'production', integrations: [{ id: 'backend', kind: 'api_key' }] }] };
    const older = await deploy(config, { createdAt: TIME_A, signingKey: signing });
    const newer = await deploy(config, { createdAt: TIME_B, signingKey: signing });
    const opts = { bundlePublicKeys: [signing.publicPem], host: '127.0.0.1', port: 0, env: {} };
    // One store for two boots in one process: the memory store protects like Redis while it lives.
    const store = createMemoryStore();
    try {
      await (await startRuntime({ ...opts, bundle: newer.bundle, store })).close();
      const err = await startRuntime({ ...opts, bundle: older.bundle, store }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as RuntimeBootError).code).toBe('BUNDLE_ROLLBACK');
    } finally {
      await store.close();
    }
    // A new process starts with an empty memory store.
    await (await startRuntime({ ...opts, bundle: older.bundle })).close();
  });
});
