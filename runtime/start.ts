import type { AddressInfo } from 'node:net';
import { createServer, type RequestListener, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { loadTrustedKeys, TrustedKeyError, verifyBundle, type TrustedKey } from '../schemas/bundle-verify.js';
import { createApp, mcpHandlerDeps } from './app.js';
import { createMcpHandler } from './mcp/mcp-handler.js';
import { withMcpFastPath } from './mcp/node-fast-path.js';
import { RuntimeBootError, type RunningRuntime, type RuntimeOptions } from './boot-types.js';
import { compileTool } from './execute/compile-tool.js';
import { createUpstreamClient } from './execute/http-client.js';
import { createSchemaCompiler } from './execute/schema-compiler.js';
import { loadRuntimeKeySet, RuntimeKeyError, type RuntimeKeySet } from './keys/runtime-keys.js';
import { BOOT_EXIT } from './load/boot-exit-codes.js';
import { resolveSecrets } from './load/resolve-secrets.js';
import { buildRuntimeModel, type RuntimeModel } from './load/runtime-model.js';

export { RuntimeBootError, type RunningRuntime, type RuntimeOptions } from './boot-types.js';
export { resolveRuntimeOptions } from './options.js';

/**
 * Verifies the bundle, resolves secrets, compiles every tool and starts listening. Everything that can be wrong
 * with a deploy is found before the port opens; each cause is a RuntimeBootError with its own exit code.
 */
export async function startRuntime(opts: RuntimeOptions): Promise<RunningRuntime> {
  const log = opts.log;
  const { model, close: closeModel } = await loadModel(opts);
  const port = opts.port;
  let publicUrl = opts.publicUrl?.replace(/\/+$/, '');

  const server = await listen(opts.host, port, (boundPort) => {
    publicUrl ??= model.http.publicUrl?.replace(/\/+$/, '') ?? `http://${formatHost(opts.host)}:${boundPort}`;
    const deps = { model, publicUrl, log };
    return withMcpFastPath(createMcpHandler(mcpHandlerDeps(deps)), model.http.maxRequestBytes, getRequestListener(createApp(deps).fetch));
  });
  const address = server.address() as AddressInfo;
  const url = publicUrl ?? `http://${formatHost(opts.host)}:${address.port}`;
  log?.({ level: 'info', event: 'listening', url, mcp: `${url}/mcp`, bundle_digest: model.bundleDigest, projects: model.projects.size });
  return {
    url,
    mcpUrl: `${url}/mcp`,
    bundleDigest: model.bundleDigest,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      await closeModel();
    },
  };
}

/** Verifies and compiles the bundle into the serving model (exported for in-process tests of the app). */
export async function loadModel(opts: Pick<RuntimeOptions, 'bundle' | 'bundlePublicKeys' | 'runtimeKeys' | 'env'>): Promise<{ model: RuntimeModel; keySet?: RuntimeKeySet; close: () => Promise<void> }> {
  const trusted: TrustedKey[] = [];
  for (const text of opts.bundlePublicKeys) {
    try {
      trusted.push(...(await loadTrustedKeys(text)));
    } catch (e) {
      if (e instanceof TrustedKeyError) throw new RuntimeBootError('KEY_FILE_INVALID', `bundle public key: ${e.message}`, BOOT_EXIT.KEY_FILE_INVALID, e.hint);
      throw e;
    }
  }
  if (trusted.length === 0) {
    throw new RuntimeBootError('BUNDLE_KEY_MISSING', 'no bundle public key was given', BOOT_EXIT.USAGE, 'pass --bundle-public-key FILE (or TENGINE_BUNDLE_PUBLIC_KEYS)');
  }
  const verified = await verifyBundle(opts.bundle, trusted);
  if (!verified.ok) throw new RuntimeBootError(verified.code, verified.message, BOOT_EXIT[verified.code], verified.hint);

  let keySet: RuntimeKeySet | undefined;
  if (opts.runtimeKeys !== undefined) {
    try {
      keySet = loadRuntimeKeySet(opts.runtimeKeys);
    } catch (e) {
      if (e instanceof RuntimeKeyError) throw new RuntimeBootError(e.code, e.message, BOOT_EXIT.RUNTIME_KEYS_INVALID, e.hint);
      throw e;
    }
  }
  const secrets = await resolveSecrets(verified.payload, keySet, opts.env);
  const http = createUpstreamClient();
  const model = buildRuntimeModel(verified.payload, `sha256:${verified.digest}`, secrets, compileTool, {
    schemas: createSchemaCompiler(),
    http,
    now: () => Date.now(),
    newRequestId: () => crypto.randomUUID(),
  });
  return { model, keySet, close: () => http.close() };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listen(host: string, port: number, makeListener: (port: number) => RequestListener): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    // The app needs the bound port for its absolute URLs, so the listener is created once listening.
    let listener: RequestListener | undefined;
    const server = createServer((req, res) => listener!(req, res));
    // Behind load balancers, idle keep-alive connections must outlive the balancer's own timeout (often 60 s).
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 120_000;
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new RuntimeBootError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${e.code ?? e.message}`, BOOT_EXIT.LISTEN_FAILED, e.code === 'EADDRINUSE' ? 'the port is in use: stop the other process or pick another port' : 'check the host and port')),
    );
    server.listen(port, host, () => {
      listener = makeListener((server.address() as AddressInfo).port);
      resolve(server);
    });
  });
}
