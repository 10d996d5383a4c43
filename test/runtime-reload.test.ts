// Issue 10: hot reload. A new bundle file is loaded with the same checks as boot and swapped in atomically: calls in
// flight finish on the old bundle, new calls use the new one, and no call fails. A bad bundle dropped in place
// (truncated, unsigned, signed by another key, signed but not servable, older) is refused with its code while the old one
// keeps serving; a storm of reloads ends on the last good bundle; the file watch and SIGHUP trigger the same reload.
import { rename, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintCredential } from '../cli/keys/mint-credential.js';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';
import type { TengineConfig } from '../schemas/config-types.js';
import { generatePemKeyPair } from './fixtures/bundle-fixtures.js';
import { deploy, startUpstream, type TestUpstream } from './fixtures/runtime-harness.js';
import { killRuntimeProcesses, startRuntimeProcess, waitForListening } from './fixtures/runtime-process.js';

const KEY = generatePemKeyPair('ed25519');
const API = mintCredential('api_key');
let upstream: TestUpstream;
let dir: string;
const runtimes: RunningRuntime[] = [];
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  upstream = await startUpstream((req, _body, res) => {
    const ms = Number(/\/wait\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    }, ms);
  });
  dir = await mkdtemp(path.join(tmpdir(), 'tengine-reload-'));
});
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
  logs.length = 0;
});
afterAll(async () => {
  killRuntimeProcesses();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A config whose one API key stays the same from bundle to bundle; `version` names an extra tool. */
function config(version: string): TengineConfig {
  const tool = (name: string, endpoint: string) => ({
    name,
    description: `Tool ${name}`,
    input_schema: { type: 'object', properties: { ms: { type: 'integer' } } },
    base_url: upstream.url,
    http_method: 'GET' as const,
    endpoint_path: endpoint,
  });
  return {
    version: 1,
    projects: [
      {
        id: 'alpha',
        environment: 'development',
        integrations: [{ id: 'backend', kind: 'api_key', api_keys: [{ sha256: API.sha256 }] }],
        tools: [tool('wait', '/wait/{ms}'), tool(`version_${version}`, `/version/${version}`)],
      },
    ],
  };
}

/** A bundle signed with the test key, built at `minute` past midnight (later builds are newer). */
async function bundle(version: string, minute: number): Promise<Uint8Array> {
  return (await deploy(config(version), { signingKey: KEY, createdAt: `2026-01-01T00:${String(minute).padStart(2, '0')}:00Z` })).bundle;
}

/** Writes a bundle file the way deploy tools do: a temporary file renamed over the old one. */
async function place(file: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.hrtime.bigint()}`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}

async function boot(name: string, first: Uint8Array, extra: { watchBundle?: boolean } = {}) {
  const file = path.join(dir, `${name}.json`);
  await place(file, first);
  const runtime = await startRuntime({
    bundle: first,
    bundlePath: file,
    bundlePublicKeys: [KEY.publicPem],
    host: '127.0.0.1',
    port: 0,
    env: {},
    allowDevelopment: true,
    drain: { delayMs: 0, timeoutMs: 5_000 },
    log: (e) => logs.push(e),
    ...extra,
  });
  runtimes.push(runtime);
  return { runtime, file };
}

async function rpc(url: string, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: { result?: Record<string, unknown> } }> {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API.secret}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return { status: res.status, body: (await res.json()) as { result?: Record<string, unknown> } };
}

const toolNames = async (url: string) => ((await rpc(url, 'tools/list')).body.result!.tools as { name: string }[]).map((t) => t.name).sort();

/** Keeps `concurrency` calls of `wait` going until `stop()`; counts every outcome. */
function load(url: string, concurrency = 16) {
  let running = true;
  const outcomes = { ok: 0, failed: [] as string[] };
  const worker = async () => {
    for (let i = 0; running && i < 10_000; i++) {
      try {
        const r = await rpc(url, 'tools/call', { name: 'wait', arguments: { ms: 5 + (i % 4) * 20 } });
        if (r.status === 200 && r.body.result && r.body.result.isError !== true) outcomes.ok++;
        else outcomes.failed.push(JSON.stringify(r.body).slice(0, 200));
      } catch (e) {
        outcomes.failed.push(String(e));
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return outcomes;
    },
  };
}

describe('reload', () => {
  it('swaps under load with zero failed calls; a call in flight finishes on the old bundle; digest, tools and whoami change', async () => {
    const a = await bundle('a', 1);
    const { runtime, file } = await boot('swap', a);
    const before = runtime.bundleDigest;
    expect(await toolNames(runtime.url)).toEqual(['mcp_whoami', 'version_a', 'wait']);
    const traffic = load(runtime.url);
    const slow = rpc(runtime.url, 'tools/call', { name: 'wait', arguments: { ms: 1_500 } });
    await new Promise((r) => setTimeout(r, 300));

    await place(file, await bundle('b', 2));
    const outcome = await runtime.reload();
    expect(outcome).toMatchObject({ result: 'ok', previous: before });
    expect(runtime.bundleDigest).not.toBe(before);
    expect(await toolNames(runtime.url)).toEqual(['mcp_whoami', 'version_b', 'wait']);
    const ready = (await (await fetch(`${runtime.url}/readyz`)).json()) as { bundle_digest: string };
    expect(ready.bundle_digest).toBe(runtime.bundleDigest);
    const who = await rpc(runtime.url, 'tools/call', { name: 'mcp_whoami', arguments: {} });
    expect((who.body.result!.structuredContent as { bundle_digest: string }).bundle_digest).toBe(runtime.bundleDigest);

    const finished = await slow;
    expect(finished.body.result!.isError).not.toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const counted = await traffic.stop();
    expect(counted.failed).toEqual([]);
    expect(counted.ok).toBeGreaterThan(20);
    expect(logs.find((e) => e.event === 'bundle_reloaded')).toMatchObject({ bundle_digest: runtime.bundleDigest, previous_digest: before });
    const page = await runtime.metrics!.registry.metrics();
    expect(page).toMatch(/^tengine_bundle_reloads_total\{result="ok",code=""\} 1$/m);
    const info = page.split('\n').filter((l) => l.startsWith('tengine_bundle_info{'));
    expect(info).toHaveLength(1);
    expect(info[0]).toContain(`digest="${runtime.bundleDigest}"`);
  }, 30_000);

  it('the same bundle again is a no-op', async () => {
    const a = await bundle('a', 1);
    const { runtime } = await boot('same', a);
    expect(await runtime.reload()).toEqual({ result: 'unchanged', digest: runtime.bundleDigest });
  });

  it('bad bundles dropped in place under load: each refused with its code, the old bundle serves on, zero failed calls', async () => {
    const good = await bundle('a', 10);
    const { runtime, file } = await boot('bad', good);
    const digest = runtime.bundleDigest;
    const other = generatePemKeyPair('ed25519');
    // Signs and verifies, but cannot be served: a pattern only a backtracking engine runs (tengine validate: TNG229).
    const invalid = structuredClone(config('x'));
    invalid.projects![0]!.tools![0]!.input_schema = { type: 'object', properties: { q: { type: 'string', pattern: '^(a)\\1$' } } };
    const envelope = JSON.parse(Buffer.from(good).toString('utf8')) as Record<string, unknown>;
    const cases: [string, Uint8Array | string, string][] = [
      ['truncated', Buffer.from(good).subarray(0, Math.floor(good.length / 2)), 'BUNDLE_MALFORMED'],
      ['unsigned', JSON.stringify({ ...envelope, signature: undefined }), 'BUNDLE_MALFORMED'],
      ['signed by another key', (await deploy(config('c'), { signingKey: other, createdAt: '2026-01-01T00:11:00Z' })).bundle, 'BUNDLE_KEY_UNKNOWN'],
      ['signed but not servable', (await deploy(invalid, { signingKey: KEY, createdAt: '2026-01-01T00:12:00Z' })).bundle, 'BUNDLE_PAYLOAD_INVALID'],
      ['older than the one served', await bundle('old', 5), 'BUNDLE_ROLLBACK'],
      ['empty file', '', 'BUNDLE_MALFORMED'],
    ];
    const traffic = load(runtime.url);
    for (const [what, bytes, code] of cases) {
      await place(file, bytes);
      const outcome = await runtime.reload();
      expect(outcome, what).toMatchObject({ result: 'refused', code });
      expect(runtime.bundleDigest, what).toBe(digest);
      expect(logs.find((e) => e.event === 'bundle_reload_refused' && e.code === code), what).toMatchObject({ level: 'error', serving: digest });
    }
    const counted = await traffic.stop();
    expect(counted.failed).toEqual([]);
    expect(counted.ok).toBeGreaterThan(10);
    expect(await toolNames(runtime.url)).toEqual(['mcp_whoami', 'version_a', 'wait']);
    // Metrics: one refusal counted per code; the bundle info still names the bundle being served, and only it.
    const page = await runtime.metrics!.registry.metrics();
    for (const [, , code] of cases) expect(page).toMatch(new RegExp(`^tengine_bundle_reloads_total\\{result="refused",code="${code}"\\} [1-9]`, 'm'));
    const info = page.split('\n').filter((l) => l.startsWith('tengine_bundle_info{'));
    expect(info).toHaveLength(1);
    expect(info[0]).toContain(`digest="${digest}"`);
  }, 60_000);

  it('a storm of 20 reloads in a second, the file changing meanwhile, ends on the last bundle written, loaded few times', async () => {
    const { runtime, file } = await boot('storm', await bundle('a', 20));
    const versions = await Promise.all(Array.from({ length: 5 }, (_, i) => bundle(`s${i}`, 21 + i)));
    const reloads: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      if (i % 4 === 0) await place(file, versions[i / 4]!);
      reloads.push(runtime.reload());
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(reloads);
    await runtime.reload();
    expect(await toolNames(runtime.url)).toEqual(['mcp_whoami', 'version_s4', 'wait']);
    const swaps = logs.filter((e) => e.event === 'bundle_reloaded').length;
    expect(swaps).toBeGreaterThanOrEqual(1);
    expect(swaps).toBeLessThanOrEqual(5);
    expect(logs.filter((e) => e.event === 'bundle_reload_refused')).toEqual([]);
  }, 30_000);

  it('--watch-bundle: writing a new bundle file reloads it without a signal', async () => {
    const { runtime, file } = await boot('watch', await bundle('a', 30), { watchBundle: true });
    const before = runtime.bundleDigest;
    await place(file, await bundle('w', 31));
    const end = Date.now() + 8_000;
    while (runtime.bundleDigest === before && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(runtime.bundleDigest).not.toBe(before);
    expect(await toolNames(runtime.url)).toEqual(['mcp_whoami', 'version_w', 'wait']);
  }, 15_000);

  it('a runtime started from bytes has no file to reload: RELOAD_UNAVAILABLE', async () => {
    const d = await deploy(config('a'), { signingKey: KEY });
    const runtime = await startRuntime({ bundle: d.bundle, bundlePublicKeys: [KEY.publicPem], host: '127.0.0.1', port: 0, env: {}, allowDevelopment: true });
    runtimes.push(runtime);
    expect(await runtime.reload()).toMatchObject({ result: 'refused', code: 'RELOAD_UNAVAILABLE' });
  });
});

describe('SIGHUP through the process entry', () => {
  it('reloads the bundle file; a bad one is logged with its code and the good one serves on; a SIGHUP storm ends on the last bundle', async () => {
    const file = path.join(dir, 'hup.json');
    const pub = path.join(dir, 'hup.pub.pem');
    await place(file, await bundle('a', 40));
    await writeFile(pub, KEY.publicPem);
    const child = startRuntimeProcess(['--bundle', file, '--bundle-public-key', pub, '--host', '127.0.0.1', '--port', '0', '--allow-development']);
    const { listening, entries } = await waitForListening(child);
    const url = listening.url as string;
    const digest = async () => ((await (await fetch(`${url}/readyz`)).json()) as { bundle_digest: string }).bundle_digest;
    const first = await digest();

    await place(file, 'not a bundle');
    child.kill('SIGHUP');
    const end = Date.now() + 8_000;
    while (!entries.some((e) => e.event === 'bundle_reload_refused') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(entries.find((e) => e.event === 'bundle_reload_refused')).toMatchObject({ code: 'BUNDLE_MALFORMED' });
    expect(await digest()).toBe(first);

    await place(file, await bundle('h', 41));
    child.kill('SIGHUP');
    while (!entries.some((e) => e.event === 'bundle_reloaded') && Date.now() < end + 8_000) await new Promise((r) => setTimeout(r, 50));
    expect(await digest()).not.toBe(first);
    expect(await toolNames(url)).toEqual(['mcp_whoami', 'version_h', 'wait']);

    // A storm: 20 SIGHUPs within a second while the file is rewritten five times; it ends on the last bundle.
    const storm = await Promise.all(Array.from({ length: 5 }, (_, i) => bundle(`storm${i}`, 42 + i)));
    for (let i = 0; i < 20; i++) {
      if (i % 4 === 0) await place(file, storm[i / 4]!);
      child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 50));
    }
    const last = Date.now() + 10_000;
    while (!(await toolNames(url)).includes('version_storm4') && Date.now() < last) await new Promise((r) => setTimeout(r, 100));
    expect(await toolNames(url)).toEqual(['mcp_whoami', 'version_storm4', 'wait']);
    expect(entries.filter((e) => e.event === 'bundle_reload_refused')).toHaveLength(1); // only the deliberate bad one
    expect(entries.filter((e) => e.event === 'reload_requested').length).toBeGreaterThanOrEqual(20);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 45_000);
});
