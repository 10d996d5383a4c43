// Boot through the real process entry (`node --import tsx runtime/main.ts`), as an orchestrator runs it: every refused
// boot exits with the code docs/operations.md gives for the printed error code, and prints exactly one error line plus
// one hint line, never a stack trace. The success case logs `listening`, serves /readyz and exits 0 on SIGTERM.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_EXIT } from '../runtime/load/boot-exit-codes.js';
import type { TengineConfig, Tool } from '../schemas/config-types.js';
import { generatePemKeyPair, tempDir } from './fixtures/bundle-fixtures.js';
import { deploy } from './fixtures/runtime-harness.js';
import { DOC_EXIT_CODES, expectRefusal, killRuntimeProcesses, runRuntimeProcess as run, startRuntimeProcess as start, stopRuntimeProcess, waitForListening } from './fixtures/runtime-process.js';

const SECRET_ENV = 'TNG_BOOT_TEST_UPSTREAM_SECRET';

let dir: string;
let cleanup: () => Promise<void>;
const files: Record<string, string> = {};
let goodBundle: Uint8Array;
let apiKey: string;
let blocker: Server | undefined;
let sandboxKey: string;
let mixedAlphaKey: string;

function toolCfg(extra: Partial<Tool> = {}): Tool {
  return {
    name: 'echo',
    description: 'Echo',
    input_schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    base_url: 'https://upstream.invalid',
    http_method: 'GET',
    endpoint_path: '/echo/{id}',
    ...extra,
  };
}

/** A production config, as a production runtime serves (no tool is called: the upstream never answers). */
function cfg(tools: Tool[], environment: 'production' | 'development' = 'production'): TengineConfig {
  return { version: 1, projects: [{ id: 'alpha', environment, integrations: [{ id: 'backend', kind: 'api_key' }], tools }] };
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('tengine-boot-'));
  const good = await deploy(cfg([toolCfg()]));
  goodBundle = good.bundle;
  apiKey = good.apiKeys['alpha/backend']!;
  const secretEnv = await deploy(cfg([toolCfg({ auth_strategy: 'static_bearer', auth_secret_env: SECRET_ENV })]));
  // Issue 8 (re-run, F4): a tool that reads its bearer secret from the runtime's own admin token.
  const adminTokenEnv = await deploy(cfg([toolCfg(), toolCfg({ name: 'leaky', auth_strategy: 'static_bearer', auth_secret_env: 'TENGINE_ADMIN_TOKEN' })]));
  // A production project next to a development one, as examples/multi-project has.
  const mixed = await deploy({ version: 1, projects: [...cfg([toolCfg()]).projects!, { id: 'sandbox', environment: 'development', integrations: [{ id: 'backend', kind: 'api_key' }] }] });
  sandboxKey = mixed.apiKeys['sandbox/backend']!;
  mixedAlphaKey = mixed.apiKeys['alpha/backend']!;
  const bundleText = Buffer.from(good.bundle).toString('utf8');

  // One base64url character inside the signed payload changed to another valid one: still a well-formed,
  // canonical file, but the signature no longer covers these bytes.
  const envelope = JSON.parse(bundleText) as { payload: string };
  const start = bundleText.indexOf(envelope.payload);
  const at = start + Math.floor(envelope.payload.length / 2);
  const flipped = bundleText.slice(0, at) + (bundleText[at] === 'A' ? 'B' : 'A') + bundleText.slice(at + 1);
  expect(flipped).not.toBe(bundleText);
  expect(flipped.length).toBe(bundleText.length);

  const write = async (name: string, content: string | Uint8Array) => {
    files[name] = path.join(dir, name);
    await writeFile(files[name], content);
  };
  await write('bundle.json', good.bundle);
  await write('bundle.pub.pem', good.publicPem);
  await write('other.pub.pem', generatePemKeyPair('ed25519').publicPem);
  await write('flipped.json', flipped);
  await write('reformatted.json', bundleText.replace(/^\{/, '{ '));
  await write('secret-env.json', secretEnv.bundle);
  await write('secret-env.pub.pem', secretEnv.publicPem);
  await write('mixed.json', mixed.bundle);
  await write('admin-token-env.json', adminTokenEnv.bundle);
  await write('admin-token-env.pub.pem', adminTokenEnv.publicPem);
  await write('mixed.pub.pem', mixed.publicPem);
  files.directory = path.join(dir, 'a-directory');
  await mkdir(files.directory);
});

afterAll(async () => {
  killRuntimeProcesses();
  await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  await cleanup?.();
});

describe.concurrent('refused boots: exit code, one error line and a hint (docs/operations.md "Boot checks and exit codes")', () => {
  it('no --bundle: exit 2, BUNDLE_MISSING', async ({ expect }) => {
    expectRefusal(expect, await run(['--bundle-public-key', files['bundle.pub.pem']!, '--port', '0']), 2, 'BUNDLE_MISSING');
  });

  it('no bundle public key: exit 2, BUNDLE_KEY_MISSING', async ({ expect }) => {
    expectRefusal(expect, await run(['--bundle', files['bundle.json']!, '--port', '0']), 2, 'BUNDLE_KEY_MISSING');
  });

  it('an unreadable bundle path (missing file, a directory): exit 3, BUNDLE_UNREADABLE', async ({ expect }) => {
    // Side by side rather than one after the other: on a loaded machine two boots in a row can near the test timeout.
    const outs = await Promise.all([path.join(dir, 'does-not-exist.json'), files.directory!].map((p) => run(['--bundle', p, '--bundle-public-key', files['bundle.pub.pem']!, '--port', '0'])));
    for (const out of outs) expectRefusal(expect, out, 3, 'BUNDLE_UNREADABLE');
  });

  it('a bundle signed by a key that is not trusted: exit 12, BUNDLE_KEY_UNKNOWN', async ({ expect }) => {
    expectRefusal(expect, await run(['--bundle', files['bundle.json']!, '--bundle-public-key', files['other.pub.pem']!, '--port', '0']), 12, 'BUNDLE_KEY_UNKNOWN');
  });

  it('one byte flipped inside the payload: the printed code matches the exit code (14 signature / 11 not canonical)', async ({ expect }) => {
    const out = await run(['--bundle', files['flipped.json']!, '--bundle-public-key', files['bundle.pub.pem']!, '--port', '0']);
    expect([BOOT_EXIT.BUNDLE_SIGNATURE_INVALID, BOOT_EXIT.BUNDLE_NOT_CANONICAL]).toContain(out.code);
    const printed = expectRefusal(expect, out, out.code ?? -1, ['BUNDLE_SIGNATURE_INVALID', 'BUNDLE_NOT_CANONICAL']);
    expect(BOOT_EXIT[printed as keyof typeof BOOT_EXIT]).toBe(out.code);
  });

  it('whitespace added outside the signed part: exit 11, BUNDLE_NOT_CANONICAL', async ({ expect }) => {
    expectRefusal(expect, await run(['--bundle', files['reformatted.json']!, '--bundle-public-key', files['bundle.pub.pem']!, '--port', '0']), 11, 'BUNDLE_NOT_CANONICAL');
  });

  it('a tool whose auth_secret_env is not set: exit 23, SECRET_ENV_MISSING, naming the variable but no value', async ({ expect }) => {
    const out = await run(['--bundle', files['secret-env.json']!, '--bundle-public-key', files['secret-env.pub.pem']!, '--port', '0']);
    expectRefusal(expect, out, 23, 'SECRET_ENV_MISSING');
    expect(out.stderr).toContain(SECRET_ENV);
  });

  it('a tool whose auth_secret_env is TENGINE_ADMIN_TOKEN: exit 26, SECRET_ENV_FORBIDDEN, naming the tool and variable, never the value', async ({ expect }) => {
    const token = `admin-${'Zq9'.repeat(12)}`;
    const out = await run(['--bundle', files['admin-token-env.json']!, '--bundle-public-key', files['admin-token-env.pub.pem']!, '--port', '0'], { TENGINE_ADMIN_TOKEN: token });
    expectRefusal(expect, out, 26, 'SECRET_ENV_FORBIDDEN');
    expect(out.stderr).toContain('tool "leaky" of project "alpha" (auth_secret_env: TENGINE_ADMIN_TOKEN)');
    expect(out.stderr).not.toContain('tool "echo"');
    expect(out.stderr).not.toContain(token);
  });

  it('a port in use: exit 30, LISTEN_FAILED', async ({ expect }) => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const out = await run(['--bundle', files['bundle.json']!, '--bundle-public-key', files['bundle.pub.pem']!, '--host', '127.0.0.1', '--port', String(port)]);
    expectRefusal(expect, out, 30, 'LISTEN_FAILED');
    expect(out.stderr).toContain('EADDRINUSE');
  });

  it('a malformed --port: exit 2, BAD_PORT', async ({ expect }) => {
    expectRefusal(expect, await run(['--bundle', files['bundle.json']!, '--bundle-public-key', files['bundle.pub.pem']!, '--port', '80x']), 2, 'BAD_PORT');
  });

  it('a bundle holding an environment: development project: exit 19, DEVELOPMENT_BUNDLE, naming it and the flag', async ({ expect }) => {
    // Issue 8 defect 5: a production runtime served it, and its member_external_id exchange minted sessions.
    const out = await run(['--bundle', files['mixed.json']!, '--bundle-public-key', files['mixed.pub.pem']!, '--port', '0']);
    expectRefusal(expect, out, 19, 'DEVELOPMENT_BUNDLE');
    expect(out.stderr).toContain('"sandbox"');
    expect(out.stderr).not.toContain('"alpha"');
    expect(out.stderr).toContain('--allow-development');
  });

  it('TENGINE_ALLOW_DEVELOPMENT=yes: exit 2, USAGE naming the variable (an override is never guessed)', async ({ expect }) => {
    const out = await run(['--bundle', files['mixed.json']!, '--bundle-public-key', files['mixed.pub.pem']!, '--port', '0'], { TENGINE_ALLOW_DEVELOPMENT: 'yes' });
    expectRefusal(expect, out, 2, 'USAGE');
    expect(out.stderr).toContain('TENGINE_ALLOW_DEVELOPMENT "yes" is not true or false');
  });

  it('--allow-rollback-to with something that is not a digest: exit 2, USAGE', async ({ expect }) => {
    const out = await run(['--bundle', files['bundle.json']!, '--bundle-public-key', files['bundle.pub.pem']!, '--port', '0', '--allow-rollback-to', 'latest']);
    expectRefusal(expect, out, 2, 'USAGE');
    expect(out.stderr).toContain('--allow-rollback-to "latest" is not a bundle digest');
  });
});

describe('a development bundle with the development flag (what tengine dev does)', () => {
  it('--allow-development: boots, warns naming the development project, and member_external_id mints there only', async () => {
    const child = start(['--bundle', files['mixed.json']!, '--bundle-public-key', files['mixed.pub.pem']!, '--host', '127.0.0.1', '--port', '0', '--allow-development']);
    const { listening, entries } = await waitForListening(child);
    try {
      expect(entries.find((e) => e.event === 'development_projects')).toMatchObject({ level: 'warn', projects: ['sandbox'] });
      const exchange = (body: unknown) =>
        fetch(`${listening.url as string}/api/v1/mcp/session-token`, { method: 'POST', headers: { authorization: `Bearer ${sandboxKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const minted = await exchange({ member_external_id: 'dev-user' });
      expect(minted.status).toBe(200);
      expect(await minted.json()).toMatchObject({ project_id: 'sandbox', member_id: 'dev-user' });
      const production = await fetch(`${listening.url as string}/api/v1/mcp/session-token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${mixedAlphaKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ member_external_id: 'dev-user' }),
      });
      expect(await production.json()).toMatchObject({ code: 'EXTERNAL_ID_DISABLED' });
    } finally {
      expect(await stopRuntimeProcess(child)).toEqual({ code: 0, signal: null });
    }
  });
});

describe('the exit code table', () => {
  it('docs/operations.md lists every code of BOOT_EXIT in the row of its exit code', () => {
    for (const [code, exit] of Object.entries(BOOT_EXIT)) expect(DOC_EXIT_CODES.get(exit), `${code} (${exit})`).toContain(code);
  });
});

describe('a good boot', () => {
  it('logs `listening` as JSON, answers /readyz with the bundle digest and MCP calls, and exits 0 on SIGTERM', async () => {
    const child = start(['--bundle', files['bundle.json']!, '--bundle-public-key', files['bundle.pub.pem']!, '--host', '127.0.0.1', '--port', '0']);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const { listening, stderr } = await waitForListening(child);
    expect(listening).toMatchObject({ level: 'info', event: 'listening' });
    expect(typeof listening.time).toBe('string');
    const url = listening.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(listening.mcp).toBe(`${url}/mcp`);

    // The digest is the SHA-256 of the signed payload bytes, computed here independently.
    const payload = (JSON.parse(Buffer.from(goodBundle).toString('utf8')) as { payload: string }).payload;
    const digest = `sha256:${createHash('sha256').update(Buffer.from(payload, 'base64url')).digest('hex')}`;
    expect(listening.bundle_digest).toBe(digest);

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', bundle_digest: digest });
    const live = await fetch(`${url}/livez`);
    expect(live.status).toBe(200);

    const ping = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(ping.status).toBe(200);
    const list = (await ping.json()) as { result: { tools: { name: string }[] } };
    expect(list.result.tools.map((t) => t.name)).toEqual(['mcp_whoami', 'echo']);

    expect(child.kill('SIGTERM')).toBe(true);
    expect(await exited).toEqual({ code: 0, signal: null });
    // Only JSON log lines on stderr; no stack trace.
    for (const line of stderr().split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
    expect(stderr()).not.toMatch(/^\s+at /m);
  });
});
