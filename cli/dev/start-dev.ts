import path from 'node:path';
import { DEMO_UPSTREAM_PORT, startDemoUpstream, type DemoUpstream } from '../../examples/demo-upstream/server.js';
import { RuntimeBootError, type RunningRuntime, type RuntimeOptions } from '../../runtime/boot-types.js';
import { resolveBuildMetadata } from '../bundle/build-metadata.js';
import { buildPayload } from '../bundle/build-payload.js';
import { signBundle } from '../bundle/sign-bundle.js';
import { validateConfig } from '../commands/validate.js';
import { CliError, type CliIo } from '../io.js';
import { renderHuman, renderJson } from '../output/render-diagnostics.js';
import { prepareDevConfig, toolOrigins } from './dev-config.js';
import { DEV_FILES, DEV_STATE_DIR, ensureDevApiKey, ensureDevKeys, writeFileAtomic } from './dev-state.js';
import { devLogSink, renderDevHuman, renderDevJson, type DevReady } from './render-dev.js';

/** Starts the runtime; `runtime/start.ts` by default, injectable for tests. */
export type StartRuntime = (opts: RuntimeOptions) => Promise<RunningRuntime>;

/** Options of `tengine dev`; every field has the default the command uses. */
export interface DevOptions {
  /** Config file or directory; default `.`. */
  path?: string;
  /** Runtime port on 127.0.0.1; default 8080, 0 picks a free one. */
  port?: number;
  /** Start the demo notes API; default true. */
  upstream?: boolean;
  /** Demo upstream port; default 4010, 0 picks a free one. */
  upstreamPort?: number;
  /** Development project that gets the development key; default the first one with an api_key integration. */
  project?: string;
  format?: 'human' | 'json';
  logFormat?: 'pretty' | 'json';
  /** Default `<cwd>/.tengine/dev`. */
  stateDir?: string;
  startRuntime?: StartRuntime;
}

/** A running dev session. */
export interface DevSession {
  mcpUrl: string;
  apiKey: string;
  upstreamUrl: string | null;
  bundleFile: string;
  /** Stops the runtime, then the demo upstream. Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * The environment variable the quick-start config reads the demo upstream origin from. Not a TENGINE_* name:
 * `${env:}` never reads those (they are Tengine's own settings, secrets among them).
 */
export const DEMO_UPSTREAM_ENV = 'DEMO_UPSTREAM';

const LOOPBACK = '127.0.0.1';

/**
 * The quick start: development keys and API key (made once, then reused from `.tengine/dev`), the demo upstream,
 * a bundle of the development projects signed with the dev key, and the runtime on 127.0.0.1. Prints how to
 * connect and returns once everything listens; signal handling is the caller's.
 */
export async function startDev(options: DevOptions, io: CliIo): Promise<DevSession> {
  const stateDir = path.resolve(io.cwd, options.stateDir ?? DEV_STATE_DIR);
  const show = (abs: string) => displayPath(io.cwd, abs);
  const keysDir = path.join(stateDir, DEV_FILES.keys);
  const keys = await ensureDevKeys(keysDir);
  if (keys.created) io.err(`generated development keys in ${show(keysDir)}\n`);
  const apiKey = await ensureDevApiKey(path.join(stateDir, DEV_FILES.apiKey));

  let upstream: DemoUpstream | undefined;
  let runtime: RunningRuntime | undefined;
  try {
    // The upstream starts first so that its real port (0 = any) is in the environment the config is read with.
    const env: Record<string, string | undefined> = { ...io.env };
    const external = io.env[DEMO_UPSTREAM_ENV];
    if (options.upstream !== false && !external) {
      const port = options.upstreamPort ?? DEMO_UPSTREAM_PORT;
      upstream = await startDemoUpstream({ host: LOOPBACK, port, log: (line) => io.err(`${line}\n`) }).catch((e: unknown) => {
        throw isAddrInUse(e)
          ? new CliError('PORT_IN_USE', `the demo upstream cannot listen on ${LOOPBACK}:${port}: the port is in use`, 'pick another port with --upstream-port, or pass --no-upstream if the demo API already runs (set DEMO_UPSTREAM to its URL)')
          : e;
      });
      env[DEMO_UPSTREAM_ENV] = upstream.url;
    } else if (external) {
      io.err(`${DEMO_UPSTREAM_ENV}=${external}: using that upstream, not starting the demo one\n`);
    }

    const { loaded, report } = await validateConfig(options.path ?? '.', { ...io, env });
    if (!loaded.config) {
      if (options.format === 'json') io.out(renderJson(report));
      else io.err(renderHuman(report, io.errColor ?? false));
      throw new CliError('CONFIG_INVALID', `${report.root} is invalid; nothing was started`, 'fix the problems listed above (tengine validate checks without starting anything)');
    }
    if (report.diagnostics.length > 0) io.err(renderHuman(report, io.errColor ?? false).replace(/.*is valid.*\n$/, ''));
    const dev = prepareDevConfig(loaded.config, apiKey.sha256, options.project);
    if (dev.skippedProduction.length > 0) io.err(`not serving production project${dev.skippedProduction.length === 1 ? '' : 's'} ${dev.skippedProduction.join(', ')}: tengine dev serves development projects only\n`);
    if (dev.otherDevelopment.length > 0) io.err(`also serving development project${dev.otherDevelopment.length === 1 ? '' : 's'} ${dev.otherDevelopment.join(', ')}; the development key belongs to "${dev.project}" (choose with --project)\n`);
    if (upstream && !toolOrigins(dev.config).has(upstream.url)) {
      io.err(`no tool calls the demo upstream (${DEMO_UPSTREAM_ENV} is not used); stopped it\n`);
      await upstream.close();
      upstream = undefined;
    }

    const meta = await resolveBuildMetadata(loaded.rootDir, loaded.files, env);
    const payload = buildPayload(dev.config, meta);
    const bundle = await signBundle(payload, keys.signingKeyPem);
    const bundleFile = path.join(stateDir, DEV_FILES.bundle);
    await writeFileAtomic(bundleFile, bundle);

    const port = options.port ?? 8080;
    const start = options.startRuntime ?? startRuntimeLazily;
    runtime = await start({
      bundle,
      bundlePublicKeys: [keys.signingPubPem],
      runtimeKeys: keys.runtimeKeysJson,
      host: LOOPBACK,
      port,
      env,
      // The one place that serves development projects on purpose; a production runtime refuses them.
      allowDevelopment: true,
      log: devLogSink((t) => io.err(t), options.logFormat ?? 'pretty', io.errColor ?? false),
    }).catch((e: unknown) => {
      throw runtimeError(e, port);
    });

    const ready: DevReady = {
      mcpUrl: runtime.mcpUrl,
      apiKey: apiKey.secret,
      apiKeyFile: show(apiKey.file),
      apiKeyCreated: apiKey.created,
      project: dev.project,
      integration: dev.integration,
      tools: dev.tools,
      upstreamUrl: upstream?.url ?? null,
      bundleFile: show(bundleFile),
      bundleDigest: runtime.bundleDigest,
    };
    io.out(options.format === 'json' ? renderDevJson(ready) : renderDevHuman(ready, io.color));

    const running = runtime;
    const runningUpstream = upstream;
    let closing: Promise<void> | undefined;
    return {
      mcpUrl: ready.mcpUrl,
      apiKey: ready.apiKey,
      upstreamUrl: ready.upstreamUrl,
      bundleFile,
      close: () =>
        (closing ??= (async () => {
          // Runtime first: it holds pooled connections to the upstream.
          try {
            await running.close();
          } finally {
            await runningUpstream?.close();
          }
        })()),
    };
  } catch (e) {
    await runtime?.close().catch(() => undefined);
    await upstream?.close().catch(() => undefined);
    throw e;
  }
}

/** Loads the runtime only when `tengine dev` runs, so other commands do not pay for importing the server. */
async function startRuntimeLazily(opts: RuntimeOptions): Promise<RunningRuntime> {
  const { startRuntime } = await import('../../runtime/start.js');
  return startRuntime(opts);
}

function runtimeError(e: unknown, port: number): unknown {
  if (isAddrInUse(e)) {
    return new CliError('PORT_IN_USE', `cannot listen on ${LOOPBACK}:${port}: the port is in use (is another tengine dev running?)`, `stop the other process, or choose another port: tengine dev --port ${port === 8080 ? 8081 : port + 1} (npm start -- --port ${port === 8080 ? 8081 : port + 1})`);
  }
  if (e instanceof RuntimeBootError) return new CliError(e.code, e.message, e.hint);
  return e;
}

function isAddrInUse(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const err = cur as { code?: unknown; message?: unknown };
    if (err.code === 'EADDRINUSE' || err.code === 'PORT_IN_USE' || (typeof err.message === 'string' && /EADDRINUSE|address already in use/i.test(err.message))) return true;
  }
  return false;
}

function displayPath(cwd: string, abs: string): string {
  const rel = path.relative(cwd, abs);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
}
