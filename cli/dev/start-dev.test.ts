import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningRuntime, RuntimeOptions } from '../../runtime/boot-types.js';
import { sha256Hex } from '../../schemas/bundle-format.js';
import { loadTrustedKeys, verifyBundle } from '../../schemas/bundle-verify.js';
import type { BundlePayload } from '../../schemas/config-types.js';
import { CliError, memoryIo } from '../io.js';
import { startDev, type DevSession } from './start-dev.js';

const ROOT_CONFIG = fileURLToPath(new URL('../../tengine.config.yaml', import.meta.url));

let dir: string;
const sessions: DevSession[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tengine-dev-'));
  await copyFile(ROOT_CONFIG, path.join(dir, 'tengine.config.yaml'));
});
afterEach(async () => {
  while (sessions.length) await sessions.pop()!.close();
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in for runtime/start.ts that checks the bundle as the runtime would and records how it was called. */
function fakeRuntime() {
  const calls: { opts: RuntimeOptions; payload: BundlePayload }[] = [];
  const start = async (opts: RuntimeOptions): Promise<RunningRuntime> => {
    const trusted = (await Promise.all(opts.bundlePublicKeys.map((k) => loadTrustedKeys(k)))).flat();
    const verified = await verifyBundle(opts.bundle, trusted);
    if (!verified.ok) throw new Error(`bundle refused: ${verified.code}`);
    calls.push({ opts, payload: verified.payload });
    const digest = `sha256:${verified.digest}`;
    return {
      url: 'http://127.0.0.1:65000',
      mcpUrl: 'http://127.0.0.1:65000/mcp',
      bundleDigest: digest,
      inFlight: () => 0,
      reload: async () => ({ result: 'unchanged', digest }),
      shutdown: async () => ({ cut: 0, ms: 0 }),
      close: async () => {},
    };
  };
  return { start, calls };
}

async function run(options: Parameters<typeof startDev>[0] = {}, env: Record<string, string> = {}) {
  const { io, buf } = memoryIo({ cwd: dir, env });
  const fake = fakeRuntime();
  const session = await startDev({ port: 0, upstreamPort: 0, startRuntime: fake.start, ...options }, io);
  sessions.push(session);
  return { session, buf, calls: fake.calls };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function occupy(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
  return s;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<CliError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CliError);
  expect((e as CliError).code).toBe(code);
  return e as CliError;
}

describe('startDev (with a stand-in runtime)', () => {
  it('makes the dev keys and a 0600 API key, signs .tengine/dev/bundle.json and boots the runtime with them', async () => {
    const { session, buf, calls } = await run();
    const keyFile = path.join(dir, '.tengine/dev/api-key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await readFile(keyFile, 'utf8')).trim()).toBe(session.apiKey);
    expect(session.apiKey).toMatch(/^tengine_[A-Za-z0-9_-]{43}$/);
    expect((await stat(path.join(dir, '.tengine/dev/keys/bundle-signing.key.pem'))).mode & 0o777).toBe(0o600);

    expect(session.bundleFile).toBe(path.join(dir, '.tengine/dev/bundle.json'));
    const bundle = await readFile(session.bundleFile);
    expect(calls).toHaveLength(1);
    const { opts, payload } = calls[0]!;
    expect(Buffer.from(opts.bundle).equals(bundle)).toBe(true);
    // The development flag: without it a runtime refuses a bundle of development projects (DEVELOPMENT_BUNDLE).
    expect(opts).toMatchObject({ host: '127.0.0.1', port: 0, allowDevelopment: true });
    expect(opts.bundlePublicKeys[0]).toBe(await readFile(path.join(dir, '.tengine/dev/keys/bundle-signing.pub.pem'), 'utf8'));
    expect(JSON.parse(opts.runtimeKeys!).keys.length).toBe(2);

    // The key's hash went into the first api_key integration of the development project.
    const demo = payload.config.projects!.find((p) => p.id === 'demo')!;
    const local = demo.integrations!.find((i) => i.id === 'local')!;
    expect(local.kind === 'api_key' && local.api_keys).toEqual([{ sha256: sha256Hex(session.apiKey), name: 'tengine dev (local development key)' }]);
    // The tools call the demo upstream this run started (on its ephemeral port).
    expect(session.upstreamUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(demo.tools!.map((t) => t.base_url))).toEqual(new Set([session.upstreamUrl]));
    expect(opts.env.DEMO_UPSTREAM).toBe(session.upstreamUrl);
    expect((await fetch(`${session.upstreamUrl}/healthz`)).status).toBe(200);

    expect(buf.out).toContain('MCP URL         http://127.0.0.1:65000/mcp');
    expect(buf.out).toContain(`API key         ${session.apiKey}`);
    expect(buf.out).toContain(`claude mcp add --transport http tengine http://127.0.0.1:65000/mcp --header "Authorization: Bearer ${session.apiKey}"`);
    expect(buf.out).toContain('"mcpServers"');
    expect(buf.out).toContain('"servers"');
    expect(buf.out).toContain('anthropic-beta: mcp-client-2025-11-20');
    expect(buf.out).toContain(`npx @modelcontextprotocol/inspector@latest --cli http://127.0.0.1:65000/mcp --transport http --method tools/list --header "Authorization: Bearer ${session.apiKey}"`);
  });

  it('reuses the API key and the keys on the next run', async () => {
    const first = await run();
    const pub = await readFile(path.join(dir, '.tengine/dev/keys/bundle-signing.pub.pem'), 'utf8');
    await first.session.close();
    const second = await run();
    expect(second.session.apiKey).toBe(first.session.apiKey);
    expect(second.calls[0]!.opts.bundlePublicKeys[0]).toBe(pub);
    expect(second.buf.out).toMatch(/kept in \.tengine\/dev\/api-key/);
    expect(second.buf.err).not.toMatch(/generated development keys/);
    expect((await stat(path.join(dir, '.tengine/dev/api-key'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a config without a development project (DEV_NO_DEVELOPMENT_PROJECT) and stops the upstream it started', async () => {
    const yaml = await readFile(ROOT_CONFIG, 'utf8');
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml.replace('environment: development', 'environment: production').replace(/\$\{env:DEMO_UPSTREAM:-http:\/\/127\.0\.0\.1:4010\}/g, 'https://notes.example.com'));
    const upstreamPort = await freePort();
    const { io } = memoryIo({ cwd: dir, env: {} });
    const e = await expectCode(startDev({ port: 0, upstreamPort, startRuntime: fakeRuntime().start }, io), 'DEV_NO_DEVELOPMENT_PROJECT');
    expect(e.message).toMatch(/"demo" is production/);
    (await occupy(upstreamPort)).close(); // the port is free again
  });

  it('never serves or changes production projects next to a development one', async () => {
    const yaml = await readFile(ROOT_CONFIG, 'utf8');
    const prod = [
      '  - id: live',
      '    environment: production',
      '    integrations:',
      '      - id: ci',
      '        kind: api_key',
      '        api_keys: []',
      '    tools:',
      '      - name: ping',
      '        description: Ping the live API.',
      '        input_schema: {type: object, properties: {}, additionalProperties: false}',
      '        base_url: https://api.example.com',
      '        http_method: GET',
      '        endpoint_path: /ping',
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'tengine.config.yaml'), yaml.replace('projects:\n', `projects:\n${prod}`));
    const { calls, buf } = await run();
    expect(calls[0]!.payload.config.projects!.map((p) => p.id)).toEqual(['demo']);
    expect(buf.err).toMatch(/not serving production project live/);
    const { io } = memoryIo({ cwd: dir, env: {} });
    const e = await expectCode(startDev({ port: 0, upstreamPort: 0, project: 'live', startRuntime: fakeRuntime().start }, io), 'DEV_NO_DEVELOPMENT_PROJECT');
    expect(e.message).toBe('project "live" is a production project');
  });

  it('refuses --project naming an unknown project', async () => {
    const { io } = memoryIo({ cwd: dir, env: {} });
    await expectCode(startDev({ port: 0, upstreamPort: 0, project: 'nope', startRuntime: fakeRuntime().start }, io), 'BAD_ARGUMENT');
  });

  it('does not start the demo upstream when DEMO_UPSTREAM points elsewhere, or with upstream: false', async () => {
    const a = await run({}, { DEMO_UPSTREAM: 'http://127.0.0.1:5999' });
    expect(a.session.upstreamUrl).toBeNull();
    expect(a.calls[0]!.payload.config.projects![0]!.tools![0]!.base_url).toBe('http://127.0.0.1:5999');
    expect(a.buf.err).toMatch(/DEMO_UPSTREAM=http:\/\/127\.0\.0\.1:5999: using that upstream/);
    await a.session.close();
    const b = await run({ upstream: false });
    expect(b.session.upstreamUrl).toBeNull();
    expect(b.calls[0]!.payload.config.projects![0]!.tools![0]!.base_url).toBe('http://127.0.0.1:4010');
  });

  it('answers PORT_IN_USE with a hint when the demo upstream port is taken', async () => {
    const port = await freePort();
    const blocker = await occupy(port);
    try {
      const { io } = memoryIo({ cwd: dir, env: {} });
      const e = await expectCode(startDev({ port: 0, upstreamPort: port, startRuntime: fakeRuntime().start }, io), 'PORT_IN_USE');
      expect(e.hint).toMatch(/--upstream-port/);
    } finally {
      blocker.close();
    }
  });

  it('maps an EADDRINUSE from the runtime to PORT_IN_USE with a --port hint', async () => {
    const { io } = memoryIo({ cwd: dir, env: {} });
    const busy = async () => {
      throw Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'), { code: 'EADDRINUSE' });
    };
    const e = await expectCode(startDev({ port: 8080, upstreamPort: 0, startRuntime: busy }, io), 'PORT_IN_USE');
    expect(e.hint).toMatch(/--port 8081/);
  });

  it('prints the diagnostics of an invalid config and fails with CONFIG_INVALID', async () => {
    await writeFile(path.join(dir, 'tengine.config.yaml'), (await readFile(ROOT_CONFIG, 'utf8')).replace('endpoint_path: /notes/{note_id}', 'endpoint_path: /notes/{note}'));
    const { io, buf } = memoryIo({ cwd: dir, env: {} });
    await expectCode(startDev({ port: 0, upstreamPort: 0, startRuntime: fakeRuntime().start }, io), 'CONFIG_INVALID');
    expect(buf.err).toMatch(/tengine\.config\.yaml:\d+:\d+: error TNG202/);
  });

  it('-f json prints one versioned document with the URL, key and snippets', async () => {
    const { session, buf } = await run({ format: 'json' });
    const out = JSON.parse(buf.out);
    expect(out).toMatchObject({ format_version: 1, mcp_url: 'http://127.0.0.1:65000/mcp', api_key: session.apiKey, project: 'demo', integration: 'local', tools: 4 });
    expect(out.snippets.map((s: { client: string }) => s.client)).toEqual(['claude-code', 'cursor', 'vscode', 'anthropic-api']);
  });
});
