import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { memoryIo } from '../cli/io.js';
import { runCli } from '../cli/program.js';
import { expectGolden } from './fixtures/golden-file.js';
import { sparePort } from './fixtures/redis-server.js';
import { startRuntime, type RunningRuntime } from '../runtime/start.js';

// `tengine render` (golden output) and `tengine status` against a real runtime on loopback.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CRM = path.join(ROOT, 'examples/crm');
const ADMIN = `adm_${'s'.repeat(40)}`;
const UPSTREAM_ENV = { CRM_HMAC_SECRET: 'test-hmac-secret', CRM_BILLING_API_TOKEN: 'test-billing-token' };
const temps: string[] = [];

async function temp(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'trender-'));
  temps.push(d);
  return d;
}

async function cli(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const { io, buf } = memoryIo({ cwd, env });
  const code = await runCli(args, io);
  return { code, out: buf.out, err: buf.err };
}

const golden = expectGolden;


afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

describe('tengine render', () => {
  it('prints the normalized crm config as YAML (default) and JSON, equal to each other and to the golden files', async () => {
    const yaml = await cli(ROOT, ['render', 'examples/crm']);
    expect(yaml.code, yaml.err).toBe(0);
    await golden('crm.render.yaml', yaml.out);
    const json = await cli(ROOT, ['render', 'examples/crm', '-f', 'json']);
    expect(json.code).toBe(0);
    await golden('crm.render.json', json.out);
    expect(parse(yaml.out)).toEqual(JSON.parse(json.out));
    // Build-only fields are gone, schema defaults are present.
    const config = JSON.parse(json.out) as { include?: unknown; env_allowlist?: unknown; projects: { allow_private_networks?: boolean }[] };
    expect(config.include).toBeUndefined();
    expect(config.env_allowlist).toBeUndefined();
    expect(config.projects[0]!.allow_private_networks).toBe(false);
  });

  it('masks encrypted secrets as redacted:sha256:… and expands OpenAPI sources into tools', async () => {
    const dir = await temp();
    const jwe = 'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVydGV4dC1TRUNSRVQ.dGFn';
    await writeFile(
      path.join(dir, 'tengine.config.yaml'),
      `version: 1\nprojects:\n  - id: p\n    integrations: [{ id: backend, kind: api_key }]\n    tools:\n      - name: t\n        description: A tool that reads one thing.\n        input_schema: { type: object, properties: {} }\n        base_url: https://api.example.com\n        http_method: GET\n        endpoint_path: /x\n        auth_strategy: static_bearer\n        encrypted_auth_secret: ${jwe}\n`,
    );
    const r = await cli(dir, ['render', '-f', 'json']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain(jwe);
    expect(r.out).toMatch(/"encrypted_auth_secret": "redacted:sha256:[0-9a-f]{64}"/);
    const openapi = await cli(ROOT, ['render', 'examples/multi-project', '-f', 'json']);
    expect(openapi.code, openapi.err).toBe(0);
    expect(openapi.out).not.toContain('"openapi"');
  });

  it('an invalid config: diagnostics on stderr, CONFIG_INVALID, nothing on stdout', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'tengine.config.yaml'), 'version: 1\nprojects: 3\n');
    const r = await cli(dir, ['render']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('error CONFIG_INVALID');
  });
});

describe('tengine status', () => {
  let repo: string;
  let keys: string;
  let bundle: string;
  let other: string;
  let runtime: RunningRuntime;
  let url: string;

  beforeAll(async () => {
    keys = await temp();
    expect((await cli(keys, ['keys', 'generate', '--out', keys, '--force'])).code).toBe(0);
    repo = await temp();
    await cp(CRM, path.join(repo, 'gateway'), { recursive: true });
    bundle = path.join(repo, 'served.bundle.json');
    other = path.join(repo, 'other.bundle.json');
    const key = path.join(keys, 'bundle-signing.key.pem');
    expect((await cli(repo, ['build', 'gateway', '--key', key, '--out', bundle])).code).toBe(0);
    // Another build of the same config a moment later: another created_at, so another bundle digest.
    const env = { SOURCE_DATE_EPOCH: '1893456000' };
    expect((await cli(repo, ['build', 'gateway', '--key', key, '--out', other], env)).code).toBe(0);
    const port = await sparePort();
    url = `http://127.0.0.1:${port}`;
    runtime = await startRuntime({
      bundle: await readFile(bundle),
      bundlePublicKeys: [await readFile(path.join(keys, 'bundle-signing.pub.pem'), 'utf8')],
      host: '127.0.0.1',
      port,
      publicUrl: url,
      env: UPSTREAM_ENV,
      adminToken: ADMIN,
      log: () => {},
    });
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('--bundle: the served bundle is in sync (exit 0), another bundle is drift (exit 2)', async () => {
    const same = await cli(repo, ['status', '--runtime', url, '--bundle', bundle, '-f', 'json']);
    expect(same.code, same.err).toBe(0);
    const doc = JSON.parse(same.out) as { in_sync: boolean; served_digest: string; local_digest: string; runtime_status: string };
    // The report validates against its published schema (issue 14 item 4).
    const statusSchema = new Ajv2020({ strict: true }).compile(JSON.parse(await readFile(path.join(ROOT, 'schemas/cli-status-output.schema.json'), 'utf8')));
    expect(statusSchema(doc), JSON.stringify(statusSchema.errors)).toBe(true);
    expect(doc).toMatchObject({ in_sync: true, served_digest: runtime.bundleDigest, local_digest: runtime.bundleDigest, runtime_status: 'ready' });
    const drift = await cli(repo, ['status', '--runtime', url, '--bundle', other]);
    expect(drift.code, drift.err).toBe(2);
    expect(drift.out).toMatch(/^DRIFT: http:\/\/127\.0\.0\.1:\d+ serves sha256:[0-9a-f]{64} \(ready\)\n/);
  });

  it('--config: a fresh build of the served config is in sync; an edit is drift (admin token from TENGINE_ADMIN_TOKEN)', async () => {
    const same = await cli(repo, ['status', '--runtime', url, '--config', 'gateway'], { TENGINE_ADMIN_TOKEN: ADMIN });
    expect(same.code, same.out + same.err).toBe(0);
    expect(same.out).toMatch(/^in sync: /);
    const file = path.join(repo, 'gateway/tengine.config.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('name: Acme CRM', 'name: Acme CRM (edited)'));
    try {
      const drift = await cli(repo, ['status', '--runtime', url, '--config', 'gateway', '-f', 'json'], { TENGINE_ADMIN_TOKEN: ADMIN });
      expect(drift.code, drift.err).toBe(2);
      expect((JSON.parse(drift.out) as { in_sync: boolean }).in_sync).toBe(false);
    } finally {
      await writeFile(file, original);
    }
    const noToken = await cli(repo, ['status', '--runtime', url, '--config', 'gateway']);
    expect(noToken.code).toBe(1);
    expect(noToken.err).toContain('error STATUS_ADMIN_TOKEN_MISSING');
  });

  it('bad inputs: unreachable, not a URL, not a runtime, both --bundle and --config, no runtime', async () => {
    const closed = await cli(repo, ['status', '--runtime', `http://127.0.0.1:${await sparePort()}`, '--bundle', bundle]);
    expect(closed.code).toBe(1);
    expect(closed.err).toContain('error STATUS_RUNTIME_UNREACHABLE');
    const notUrl = await cli(repo, ['status', '--runtime', 'ftp://x', '--bundle', bundle]);
    expect(notUrl.err).toContain('error STATUS_RUNTIME_URL_INVALID');
    const notRuntime = await cli(repo, ['status', '--runtime', `${url}/mcp/nothing`, '--bundle', bundle]);
    expect(notRuntime.err).toContain('error STATUS_RUNTIME_ERROR');
    const both = await cli(repo, ['status', '--runtime', url, '--bundle', bundle, '--config', 'gateway']);
    expect(both.err).toContain('error BAD_ARGUMENT');
    const none = await cli(repo, ['status', '--bundle', bundle]);
    expect(none.err).toContain('error BAD_ARGUMENT');
    const fromEnv = await cli(repo, ['status', '--bundle', bundle], { TENGINE_RUNTIME_URL: url });
    expect(fromEnv.code).toBe(0);
    const missing = await cli(repo, ['status', '--runtime', url, '--bundle', 'nope.json']);
    expect(missing.err).toContain('error BUNDLE_UNREADABLE');
  });
});
